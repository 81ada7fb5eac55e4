"""What one attempt's code says: its log records, what it prints to stdout and stderr, and the
traceback of its failure, kept per attempt (``Catalog.record`` stores them with the attempt).

Attempts run side by side in threads, so capture is per thread: while :func:`capturing` is
on, ``sys.stdout`` and ``sys.stderr`` are proxies (installed once, whatever the number of
runs and threads) that send the writes of a thread computing an attempt to that attempt's
buffer and every other write to the stream they replaced; one handler on the root logger
keeps the records logged in such a thread. A worker process captures the same way, in
itself, and returns the text with the attempt's result.

Each part is bounded while it is written, not only when stored: past :data:`LIMIT`
characters its head and tail are kept around a ``... N characters cut ...`` marker, so code
that prints a gigabyte costs the run 64 KiB. An attempt that logs and prints nothing costs
a thread-local assignment and stores nothing.

Records at or above :data:`ECHO_LEVEL` (``-v``: INFO, ``-vv``: DEBUG; by default WARNING, as
Python prints them without any handler; ``--quiet``: ERROR) are also printed live to stderr,
one line each: ``asset[key] LEVEL message``.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

from assets_core.catalog.models import AttemptLogs, LogRecord

LIMIT = 64 * 1024
"""Characters kept of each part of an attempt's logs (stdout, stderr, the records' messages,
the traceback): the first and the last half of them."""

_ENGINE = str(Path(__file__).resolve().parents[1])
"""assets_core's folder: its frames are left out of a traceback (the asset's code is what failed)."""


ECHO_LEVEL = "ASSETS_CORE_ECHO_LEVEL"
"""The environment variable the CLI's -v / -vv / --quiet set (INFO, DEBUG, ERROR): the level
from which records are printed live; worker processes inherit it."""


class _Echo:
    level = logging.WARNING


ECHO = _Echo()


def _level(name: str | None) -> int:
    level = logging.getLevelName((name or "WARNING").upper())
    return level if isinstance(level, int) else logging.WARNING


class _Bounded:
    """Text written in pieces, keeping at most ``limit`` characters: the head, then the tail."""

    __slots__ = ("cut", "half", "head", "head_size", "tail", "tail_size")

    def __init__(self, limit: int = LIMIT) -> None:
        self.half = limit // 2
        self.head: list[str] = []
        self.head_size = 0
        self.tail: deque[str] = deque()
        self.tail_size = 0
        self.cut = 0

    def write(self, text: str) -> None:
        if "\x00" in text:  # no catalog backend need hold a NUL (PostgreSQL's text cannot)
            text = text.replace("\x00", "\\x00")
        if self.head_size < self.half:
            piece = text[: self.half - self.head_size]
            self.head.append(piece)
            self.head_size += len(piece)
            text = text[len(piece):]
        if not text:
            return
        self.tail.append(text)
        self.tail_size += len(text)
        while self.tail_size > self.half:
            excess = self.tail_size - self.half
            first = self.tail[0]
            if len(first) <= excess:
                self.tail.popleft()
                dropped = len(first)
            else:
                self.tail[0] = first[excess:]
                dropped = excess
            self.tail_size -= dropped
            self.cut += dropped

    def text(self) -> str | None:
        if not self.head_size:
            return None
        marker = f"\n... {self.cut} characters cut ...\n" if self.cut else ""
        return "".join(self.head) + marker + "".join(self.tail)


def bounded(text: str, limit: int = LIMIT) -> str:
    """``text`` cut to ``limit`` characters as a captured stream is.

    >>> bounded("a" * 6 + "b" * 6, limit=4)
    'aa\\n... 8 characters cut ...\\nbb'
    """
    kept = _Bounded(limit)
    kept.write(text)
    return kept.text() or ""


class AttemptCapture:
    """The buffers of one attempt, made when first written to (most attempts say nothing);
    ``logs()`` is what it said, or None when nothing."""

    __slots__ = ("cut", "label", "record_size", "records", "stderr", "stdout", "tail", "tail_size", "traceback")

    def __init__(self, label: str) -> None:
        self.label = label
        self.stdout: _Bounded | None = None
        self.stderr: _Bounded | None = None
        self.records: list[LogRecord] = []
        self.record_size = 0
        self.tail: deque[LogRecord] | None = None
        self.tail_size = 0
        self.cut = 0
        self.traceback: str | None = None

    def stream(self, name: str) -> _Bounded:
        """The buffer of ``stdout`` or ``stderr``."""
        found: _Bounded | None = getattr(self, name)
        if found is None:
            found = _Bounded()
            setattr(self, name, found)
        return found

    def add(self, record: LogRecord) -> None:
        """Records are kept whole (each message cut to the limit): the first ones up to half
        the limit, then the latest ones up to the other half."""
        half = LIMIT // 2
        if self.record_size < half:
            self.records.append(record)
            self.record_size += len(record.message)
            return
        if self.tail is None:
            self.tail = deque()
        self.tail.append(record)
        self.tail_size += len(record.message)
        while self.tail_size > half and len(self.tail) > 1:
            self.tail_size -= len(self.tail.popleft().message)
            self.cut += 1

    def logs(self) -> AttemptLogs | None:
        if not self.records and self.stdout is None and self.stderr is None and self.traceback is None:
            return None
        records = self.records
        if self.tail:
            marker = [LogRecord(level="CUT", time=self.tail[0].time, message=f"... {self.cut} records cut ...")]
            records = [*records, *(marker if self.cut else []), *self.tail]
        stdout = self.stdout.text() if self.stdout is not None else None
        stderr = self.stderr.text() if self.stderr is not None else None
        return AttemptLogs(records=tuple(records), stdout=stdout, stderr=stderr, traceback=self.traceback)


_current = threading.local()
"""``capture``: the AttemptCapture of the attempt this thread computes, if any."""


def current() -> AttemptCapture | None:
    return getattr(_current, "capture", None)


class attempt:
    """While the block runs, what this thread prints and logs goes to ``capture`` (a class,
    not a generator: it is entered once per partition)."""

    __slots__ = ("capture", "previous")

    def __init__(self, capture: AttemptCapture | None) -> None:
        self.capture = capture
        self.previous: AttemptCapture | None = None

    def __enter__(self) -> AttemptCapture | None:
        self.previous = getattr(_current, "capture", None)
        _current.capture = self.capture
        return self.capture

    def __exit__(self, *exc: object) -> None:
        _current.capture = self.previous


class _Stream:
    """``sys.stdout`` or ``sys.stderr`` while capture is on: a capturing thread's writes go to
    its attempt, the others to the stream it replaced."""

    def __init__(self, real: TextIO, name: str) -> None:
        self._real = real
        self._name = name

    def write(self, text: str) -> int:
        capture = getattr(_current, "capture", None)
        if capture is None:
            return self._real.write(text)
        capture.stream(self._name).write(str(text))
        return len(text)

    def flush(self) -> None:
        if getattr(_current, "capture", None) is None:
            self._real.flush()

    def isatty(self) -> bool:
        return getattr(_current, "capture", None) is None and self._real.isatty()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _Handler(logging.Handler):
    """On the root logger: a capturing thread's records go to its attempt (and are echoed at
    :data:`ECHO`'s level); the others are left to the logging configuration, as if this
    handler were not there (Python's last-resort stderr handler included)."""

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)

    def handle(self, record: logging.LogRecord) -> bool:  # no lock: each capture is one thread's
        capture = getattr(_current, "capture", None)
        if capture is None:
            _as_if_absent(self, record)
            return True
        message = record.getMessage()
        if record.exc_info:
            message += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        at = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        capture.add(LogRecord(level=record.levelname, time=at, message=bounded(message)))
        if record.levelno >= ECHO.level:
            _real_stderr().write(f"{capture.label} {record.levelname} {message}\n")
        return True

    def emit(self, record: logging.LogRecord) -> None:  # handle() does it all
        return


def _as_if_absent(handler: logging.Handler, record: logging.LogRecord) -> None:
    """What logging does with ``record`` when no handler of its logger's chain is ``handler``
    and none other either: hand it to the last-resort handler."""
    logger: logging.Logger | None = logging.getLogger(record.name) if record.name != "root" else logging.root
    while logger is not None:
        if any(h is not handler for h in logger.handlers):
            return
        if not logger.propagate:
            return
        logger = logger.parent
    last = logging.lastResort
    if last is not None and record.levelno >= last.level:
        last.handle(record)


def _real_stderr() -> TextIO:
    err = sys.stderr
    return err._real if isinstance(err, _Stream) else err


_lock = threading.Lock()
_users = 0
_handler = _Handler()
_saved: tuple[Any, Any, int] | None = None


@contextmanager
def capturing() -> Iterator[None]:
    """Capture on, for as long as the block runs (nested and concurrent blocks share one set
    of proxies). The ``assets`` logger (``context.log``'s parent), when nothing set its level,
    keeps records from INFO (DEBUG with ``-vv``): the root logger's WARNING would drop
    ``context.log.info``. Other loggers keep their levels."""
    install()
    try:
        yield
    finally:
        _uninstall()


def install() -> None:
    """Capture on, until as many :func:`_uninstall` (a worker process: for its whole life)."""
    global _users, _saved
    with _lock:
        if _users == 0:
            ECHO.level = _level(os.environ.get(ECHO_LEVEL))
            engine = logging.getLogger("assets")
            _saved = (sys.stdout, sys.stderr, engine.level)
            sys.stdout = _Stream(sys.stdout, "stdout")
            sys.stderr = _Stream(sys.stderr, "stderr")
            logging.getLogger().addHandler(_handler)
            if engine.level == logging.NOTSET:
                engine.setLevel(min(logging.INFO, ECHO.level))
        _users += 1


def _uninstall() -> None:
    global _users, _saved
    with _lock:
        _users -= 1
        if _users == 0 and _saved is not None:
            out, err, level = _saved
            logging.getLogger().removeHandler(_handler)
            logging.getLogger("assets").setLevel(level)
            if isinstance(sys.stdout, _Stream):
                sys.stdout = out
            if isinstance(sys.stderr, _Stream):
                sys.stderr = err
            _saved = None


def user_traceback(exc: BaseException) -> str:
    """The traceback of an exception from asset code, without the engine's frames above it
    (they say only that the engine called the asset), cut to :data:`LIMIT`. When every frame
    is the engine's (a SQL asset's query failed inside DuckDB), the exception's whole message:
    the one-line error keeps only its first line."""
    tb: TracebackType | None = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename.startswith(_ENGINE + os.sep):
        tb = tb.tb_next
    text = "".join(traceback.format_exception(type(exc), exc, tb))
    return bounded(text)
