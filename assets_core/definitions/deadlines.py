"""When a partition is due: the end of its data interval, or its freshness policy's deadline
after that end. Pure: the same (policy, partitions definition, key) always give the same time.

    >>> from assets_core.partitions import DailyPartitions
    >>> days = DailyPartitions("2025-01-01", timezone="Europe/Berlin")
    >>> due_at(Freshness(deadline="09:00"), days, "2025-01-01").isoformat()
    '2025-01-02T09:00:00+01:00'

Deadlines are cron expressions evaluated by ``cronsim`` in the time zone of the definition's
time dimension (``"HH:MM"`` is ``"MM HH * * *"``), so DST is what cron does: on a fall-back
day a deadline inside the repeated hour is due once (at its first occurrence), on a
spring-forward day one inside the skipped hour is due when the clock jumps past it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING

from assets_core.definitions.freshness import Freshness, deadline_cron
from assets_core.errors import AssetsCoreError
from assets_core.partitions import PartitionsDefinition, TimeWindowPartitions
from assets_core.partitions.multi import SEPARATOR, MultiPartitions

if TYPE_CHECKING:
    from assets_core.definitions.specs import AssetSpec


def time_dimension(definition: PartitionsDefinition | None) -> tuple[TimeWindowPartitions, int | None] | None:
    """The time windows of a definition and, for a multi definition, the position of the time
    value in its keys (None: the key is the time key); None when it has no time dimension."""
    if isinstance(definition, TimeWindowPartitions):
        return definition, None
    if isinstance(definition, MultiPartitions) and definition.time_dimension is not None:
        windows = definition.dimensions[definition.time_dimension]
        assert isinstance(windows, TimeWindowPartitions)
        return windows, definition.names.index(definition.time_dimension)
    return None


def split_time(key: str, position: int | None) -> tuple[str, str]:
    """``(time key, the other values)`` of a key: ``("2025-01-01", "eu")`` of ``"2025-01-01|eu"``."""
    if position is None:
        return key, ""
    parts = key.split(SEPARATOR)
    time_key = parts.pop(position)
    return time_key, SEPARATOR.join(parts)


def deadline_after(deadline: str, end: datetime, timezone: str) -> datetime:
    """The first time ``deadline`` fires at or after ``end``, in ``timezone``."""
    return _first_fire(deadline_cron(deadline), end.timestamp(), timezone)


@lru_cache(maxsize=65536)
def _first_fire(cron: str, end: float, timezone: str) -> datetime:
    from zoneinfo import ZoneInfo

    from cronsim import CronSim

    start = datetime.fromtimestamp(end - 1, ZoneInfo(timezone))  # a second before, as an instant
    return next(CronSim(cron, start))


def window_due_at(policy: Freshness, windows: TimeWindowPartitions, time_key: str) -> datetime:
    """When the window of ``time_key`` is due: its end, or the deadline after its end."""
    end = windows.data_interval(time_key).end
    if policy.deadline is None:
        return end
    return deadline_after(policy.deadline, end, windows.timezone)


def due_at(policy: Freshness, definition: PartitionsDefinition | None, key: str) -> datetime | None:
    """When partition ``key`` is due; None when it has no time dimension (static, unpartitioned)."""
    found = time_dimension(definition)
    if found is None:
        return None
    windows, position = found
    return window_due_at(policy, windows, split_time(key, position)[0])


def utc_text(moment: datetime) -> str:
    """A time as the ledger stores it: ISO-8601 in UTC."""

    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def ledger_due_at(spec: AssetSpec, key: str) -> str | None:
    """The due time a run writes to the ledger as it publishes ``key`` of ``spec``: None
    without a freshness policy or a time dimension (or for a key that is no window)."""
    if spec.freshness is None or time_dimension(spec.partitions) is None:
        return None
    try:
        moment = due_at(spec.freshness, spec.partitions, key)
    except AssetsCoreError:
        return None
    return None if moment is None else utc_text(moment)
