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
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, Strict, StrictInt

from assets_core.definitions.schema import OptionsModel

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


def _exception_class(value: Any) -> Any:
    """A name in ``retry_on`` becomes the class it names; anything else is left to the type check."""
    if not isinstance(value, str):
        return value
    import builtins
    import importlib

    module_name, _, attribute = value.rpartition(".")
    try:
        found = getattr(importlib.import_module(module_name) if module_name else builtins, attribute)
    except (ImportError, AttributeError, ValueError):
        found = None
    if not (isinstance(found, type) and issubclass(found, BaseException)):
        raise ValueError(f"{value!r} is not an exception class")
    return found


_Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]
"""An int or a float, finite; never a bool or a string."""
_ExceptionClass = Annotated[type[BaseException], BeforeValidator(_exception_class)]


class RetryPolicy(OptionsModel):
    """How often and how patiently a partition is tried again after a retryable failure.

    ``retry_on``: exception classes to retry, or their names (``"ConnectionError"``,
    ``"mylib.Throttled"``, as assets.toml writes them); empty (the default) means the transient
    ones of :func:`is_transient`. Delays grow by ``backoff`` per attempt, are capped at
    ``max_delay`` and spread by up to ``jitter`` (a fraction) so many partitions do not retry
    in lockstep. A mistake is a :class:`DefinitionError` naming the option:

        >>> RetryPolicy(max_atempts=3)
        Traceback (most recent call last):
        assets_core.errors.DefinitionError: RetryPolicy: unknown option 'max_atempts'. Did you mean 'max_attempts'?
    """

    max_attempts: StrictInt = Field(default=3, ge=1, description="give a whole number of attempts, 1 or more")
    delay: _Number = Field(default=1.0, ge=0, description="give a number of seconds, 0 or more")
    backoff: _Number = Field(default=2.0, ge=1, description="give a factor of 1 or more")
    max_delay: _Number = Field(default=60.0, ge=0, description="give a number of seconds, 0 or more")
    jitter: _Number = Field(default=0.1, ge=0, le=1, description="give a fraction between 0 and 1")
    retry_on: tuple[_ExceptionClass, ...] = Field(
        default=(), description="give exception classes or their names, e.g. 'ConnectionError' or 'mylib.Throttled'"
    )

    def retries(self, exc: BaseException) -> bool:
        return isinstance(exc, self.retry_on) if self.retry_on else is_transient(exc)

    def delay_before(self, attempt: int) -> float:
        """Seconds to wait before attempt number ``attempt`` (2 for the first retry)."""
        base = min(self.max_delay, self.delay * self.backoff ** max(0, attempt - 2))
        return base * (1 + random.uniform(-self.jitter, self.jitter)) if self.jitter else base


NO_RETRY = RetryPolicy(max_attempts=1)
