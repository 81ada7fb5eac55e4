"""The engine's clock: the one place that reads the wall clock, and how a moment is recorded."""

from __future__ import annotations

from datetime import datetime, timezone


def utc_now() -> datetime:
    """Now, timezone-aware in UTC. Pure code takes the time as an argument instead."""
    return datetime.now(timezone.utc)


def stamp(moment: datetime | None = None) -> str:
    """A moment as the catalog records it: ISO 8601 to the millisecond.

    >>> stamp(datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc))
    '2025-01-02T03:04:05.000+00:00'
    """
    return (moment or utc_now()).isoformat(timespec="milliseconds")


def stamp_epoch(epoch: float) -> str:
    """A ``time.time()`` moment as the catalog records it (see :func:`stamp`)."""
    return stamp(datetime.fromtimestamp(epoch, timezone.utc))
