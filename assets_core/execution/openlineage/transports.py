"""Where OpenLineage events go: a JSON-lines file, or an HTTP endpoint (Marquez, or any
server of the OpenLineage HTTP API). Both are best effort: ``send`` never raises and never
waits on the network; a failure is logged on the ``assets.openlineage`` logger (the first
one as a warning, the rest counted) and ``close`` says how many events were not delivered.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
    >>> transport = FileTransport(path)
    >>> transport.send(b'{"eventType": "START"}')
    >>> transport.close(deadline=0.0), path.read_text()
    (0, '{"eventType": "START"}\\n')
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Protocol
from urllib.parse import SplitResult, urljoin, urlsplit

if TYPE_CHECKING:
    import http.client

_log = logging.getLogger("assets.openlineage")

GIVE_UP_AFTER = 3
"""Consecutive failed deliveries after which an endpoint is given up for the rest of the run:
a dead or overloaded server costs a run three timeouts, not one per event."""


class Transport(Protocol):
    name: str
    """What the logs call it: the file, or the URL without credentials."""

    def send(self, line: bytes) -> None:
        """Deliver one serialized event, or queue it; never raises."""

    def close(self, deadline: float) -> int:
        """Deliver what is queued until ``deadline`` (a ``time.monotonic()`` value), then stop;
        how many events were not delivered in all."""


class _Failures:
    """Counted failures of one transport; the first is a warning, the others only counted."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0
        self.lock = threading.Lock()

    def add(self, problem: str, events: int = 1) -> None:
        with self.lock:
            self.count += events
            first = self.count == events
        if first:
            _log.warning("OpenLineage: %s: %s (the run goes on; failures are counted in its summary)", self.name, problem)
        else:
            _log.debug("OpenLineage: %s: %s", self.name, problem)


class FileTransport:
    """Appends each event as one line. One ``write`` per line on an ``O_APPEND`` descriptor, so
    threads, and runs of several processes sharing the file, never interleave two events."""

    def __init__(self, path: Path) -> None:
        self.name = str(path)
        self.failures = _Failures(self.name)
        self._fd: int | None = None
        self._open_error = ""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as exc:
            self.failures.add(f"cannot open the file ({exc.strerror or exc})", 0)
            self._open_error = exc.strerror or str(exc)

    def send(self, line: bytes) -> None:
        if self._fd is None:
            self.failures.add(f"cannot open the file ({self._open_error})")
            return
        try:
            os.write(self._fd, line + b"\n")
        except OSError as exc:
            self.failures.add(f"cannot write ({exc.strerror or exc})")

    def close(self, deadline: float) -> int:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        return self.failures.count


class HttpTransport:
    """POSTs each event to ``urljoin(url, endpoint)`` from a background thread, over one
    kept-alive connection; ``timeout`` bounds each connect and each wait for an answer. An
    answer other than 2xx, a refused connection or a timeout is a failed delivery."""

    def __init__(self, url: str, endpoint: str = "api/v1/lineage", api_key: str | None = None, timeout: float = 5.0) -> None:
        self.target = urlsplit(urljoin(url, endpoint))
        self.name = _display(self.target)
        self.timeout = timeout
        self.headers = {"Content-Type": "application/json", "User-Agent": "assets-core"}
        if api_key:
            self.headers["Authorization"] = f"Bearer {api_key}"
        self.failures = _Failures(self.name)
        self.sent = 0
        self._queue: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
        self._pending = 0
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._connection: http.client.HTTPConnection | None = None
        self._given_up = False
        self._thread = threading.Thread(target=self._deliver_all, name="assets-openlineage", daemon=True)
        self._thread.start()

    def send(self, line: bytes) -> None:
        with self._lock:
            self._pending += 1
        self._queue.put(line)

    def close(self, deadline: float) -> int:
        """Waits for the queue until the deadline; what is still queued then is not sent. The
        thread is a daemon: a request still waiting on a slow server ends with the process."""
        self._queue.put(None)
        self._thread.join(max(0.0, deadline - time.monotonic()))
        self._stopped.set()
        with self._lock:
            left, self._pending = self._pending, 0
        if left:
            self.failures.add(f"{left} events were still queued when the run ended: not sent", left)
        if self.failures.count > 1:
            gave_up = f" (given up after {GIVE_UP_AFTER} failures in a row)" if self._given_up else ""
            _log.warning("OpenLineage: %s: %d events were not delivered%s", self.name, self.failures.count, gave_up)
        return self.failures.count

    # the background thread -------------------------------------------------------------------

    def _deliver_all(self) -> None:
        consecutive = 0
        while True:
            line = self._queue.get()
            if line is None or self._stopped.is_set():
                break
            problem = "given up after repeated failures" if self._given_up else self._post(line)
            consecutive = 0 if problem is None else consecutive + 1
            if consecutive == GIVE_UP_AFTER:
                self._given_up = True
            with self._lock:
                if self._stopped.is_set():
                    break
                self._pending -= 1
            if problem is None:
                self.sent += 1
            else:
                self.failures.add(problem)
        if self._connection is not None:
            self._connection.close()

    def _post(self, line: bytes) -> str | None:
        """One POST; None when the server answered 2xx, else the cause in words."""
        import http.client  # here: loading a project checks the URL with this module, and needs no HTTP
        path = self.target.path or "/"
        if self.target.query:
            path += "?" + self.target.query
        try:
            connection = self._connect()
            connection.request("POST", path, body=line, headers=self.headers)
            response = connection.getresponse()
            body = response.read(200)
            if response.will_close:
                self._drop_connection()
        except TimeoutError:
            self._drop_connection()
            return f"no answer within {self.timeout:g} s"
        except ConnectionRefusedError:
            self._drop_connection()
            return "connection refused: is the server running?"
        except (OSError, http.client.HTTPException) as exc:
            self._drop_connection()
            return f"could not deliver ({type(exc).__name__}: {exc})"
        if 200 <= response.status < 300:
            return None
        said = body.decode("utf-8", "replace").strip()
        return f"the server answered HTTP {response.status} {response.reason}" + (f": {said!r}" if said else "")

    def _connect(self) -> http.client.HTTPConnection:
        import http.client

        if self._connection is None:
            host, port = self.target.hostname or "localhost", self.target.port
            if self.target.scheme == "https":
                self._connection = http.client.HTTPSConnection(host, port, timeout=self.timeout)
            else:
                self._connection = http.client.HTTPConnection(host, port, timeout=self.timeout)
        return self._connection

    def _drop_connection(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            except OSError:
                pass
            self._connection = None


def _display(parts: SplitResult) -> str:
    """The URL as logs may show it: without credentials or query string."""
    host = parts.netloc.rpartition("@")[2]
    return f"{parts.scheme}://{host}{parts.path}"


def url_problem(url: str) -> str | None:
    """None for a usable endpoint URL, else what is wrong with it and how to fix it.

        >>> url_problem("ftp://x")
        "'ftp://x' is not an http:// or https:// URL: write it like 'http://localhost:5000'."
    """
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises for a port that is not a number up to 65535
    except ValueError as exc:
        return f"{url!r} is not a valid URL ({exc}): write it like 'http://localhost:5000'."
    if parts.scheme not in ("http", "https"):
        return f"{url!r} is not an http:// or https:// URL: write it like 'http://localhost:5000'."
    if not parts.hostname:
        return f"{url!r} has no host: write it like 'http://localhost:5000'."
    return None

