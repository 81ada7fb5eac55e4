"""Retry policies and failure classes: which failures are worth trying again, and when.

Only transient failures are retried (a dropped connection, a timeout, ``EAGAIN``): trying
again is how they heal. A failed blocking check, a schema mismatch or an ordinary exception
from an asset's code gives the same result every time, so it is never retried blindly.

    >>> policy = RetryPolicy(max_attempts=3, delay=1, backoff=2, jitter=0)
    >>> [policy.delay_before(n) for n in (2, 3)]
    [1.0, 2.0]
"""

from __future__ import annotations

import errno
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from assets_core.errors import DefinitionError

# OSErrors whose errno says "try again later"; FileNotFoundError or PermissionError do not heal.
TRANSIENT_ERRNOS = frozenset({
    errno.EAGAIN, errno.EBUSY, errno.EINTR, errno.ETIMEDOUT, errno.ECONNRESET, errno.ECONNREFUSED,
    errno.ECONNABORTED, errno.ENETUNREACH, errno.ENETDOWN, errno.EHOSTUNREACH, errno.EPIPE,
})


def is_transient(exc: BaseException) -> bool:
    """Connection errors, timeouts and OSErrors that say "try again"."""
    if isinstance(exc, (ConnectionError, TimeoutError)):
        return True
    return isinstance(exc, OSError) and exc.errno in TRANSIENT_ERRNOS


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a partition is tried again after a retryable failure.

    ``retry_on``: exception classes to retry; empty (the default) means the transient ones of
    :func:`is_transient`. Delays grow by ``backoff`` per attempt, are capped at ``max_delay``
    and spread by up to ``jitter`` (a fraction) so many partitions do not retry in lockstep.
    """

    max_attempts: int = 3
    delay: float = 1.0
    backoff: float = 2.0
    max_delay: float = 60.0
    jitter: float = 0.1
    retry_on: tuple[type[BaseException], ...] = field(default=())

    def __post_init__(self) -> None:
        problems = [
            f"{name} must be {rule}"
            for name, bad, rule in (
                ("max_attempts", self.max_attempts < 1, "at least 1"),
                ("delay", self.delay < 0, "0 or more seconds"),
                ("backoff", self.backoff < 1, "at least 1"),
                ("max_delay", self.max_delay < 0, "0 or more seconds"),
                ("jitter", not 0 <= self.jitter <= 1, "between 0 and 1"),
            )
            if bad
        ]
        if any(not (isinstance(c, type) and issubclass(c, BaseException)) for c in self.retry_on):
            problems.append("retry_on must list exception classes")
        if problems:
            raise DefinitionError([f"RetryPolicy: {'; '.join(problems)}."])

    def retries(self, exc: BaseException) -> bool:
        return isinstance(exc, self.retry_on) if self.retry_on else is_transient(exc)

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait before attempt number ``attempt`` (2 for the first retry)."""
        base = min(self.max_delay, self.delay * self.backoff ** max(0, attempt - 2))
        return base * (1 + random.uniform(-self.jitter, self.jitter)) if self.jitter else base


NO_RETRY = RetryPolicy(max_attempts=1)


def retry_from_dict(options: dict[str, Any], where: str) -> RetryPolicy:
    """A policy from assets.toml's ``[retry]`` table (``retry_on`` names exception classes)."""
    values = dict(options)
    names: Sequence[str] = values.pop("retry_on", ())
    try:
        return RetryPolicy(**values, retry_on=tuple(_exception_class(n, where) for n in names))
    except TypeError as exc:
        raise DefinitionError([f"{where}: {exc}; use max_attempts, delay, backoff, max_delay, jitter, retry_on."]) from None


def _exception_class(name: str, where: str) -> type[BaseException]:
    import builtins
    import importlib

    module_name, _, attribute = name.rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name) if module_name else builtins, attribute)
    except (ImportError, AttributeError):
        found = None
    if not (isinstance(found, type) and issubclass(found, BaseException)):
        raise DefinitionError([f"{where}: retry_on entry {name!r} is not an exception class, e.g. 'ConnectionError'."])
    return found
