"""Mappings over ordered keys: time windows of another grain, lookback windows, offsets.

All of them work by index arithmetic on window positions, never by listing keys: the
planner calls them for every partition of every edge.

    >>> from assets_core.partitions import DailyPartitions, MonthlyPartitions
    >>> daily, monthly = DailyPartitions("2025-01-01"), MonthlyPartitions("2025-01-01")
    >>> now = datetime(2025, 3, 1, tzinfo=timezone.utc)
    >>> len(TimeWindowMapping().upstream_keys("2025-01", daily, monthly, now))
    31
    >>> lookback(2).upstream_keys("2025-01-05", daily, daily, now)
    ['2025-01-03', '2025-01-04', '2025-01-05']
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from assets_core.errors import PartitionError
from assets_core.partitions.base import PartitionsDefinition
from assets_core.partitions.mapping import PartitionMapping, described
from assets_core.partitions.multi import MultiPartitions
from assets_core.partitions.time import DailyPartitions, HourlyPartitions, TimeWindowPartitions

_TICK = timedelta(microseconds=1)
"""The last instant of a half-open window ``[start, end)`` is ``end - _TICK``."""

# (smaller grain, larger grain): every window of the first lies inside one of the second,
# when both are in one timezone.
_NESTED = {
    ("hourly", "daily"), ("hourly", "weekly"), ("hourly", "monthly"),
    ("daily", "weekly"), ("daily", "monthly"),
}


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


def _overlapping(start: datetime, end: datetime, other: TimeWindowPartitions, now: datetime | None) -> list[str]:
    """Due keys of ``other`` whose windows overlap ``[start, end)``."""
    lo = max(other.index_at(start), 0)
    hi = min(other.index_at(_utc(end) - _TICK) + 1, other.count(now))
    return other.keys_between(lo, hi) if lo < hi else []


def _window(definition: TimeWindowPartitions, key: str) -> tuple[datetime, datetime] | None:
    index = definition.index_of(key)
    if index is None:
        return None
    return definition.window_start(index), definition.window_start(index + 1)


def _whole_hour_shifts(definition: TimeWindowPartitions) -> bool:
    """True when the zone's offset changes (sampled over a year) are whole hours, so that
    hours counted in absolute time stay on local hour boundaries."""
    offsets = {(definition.start + timedelta(days=30 * k)).utcoffset() for k in range(13)}
    first = next(iter(offsets))
    return all(o is not None and first is not None and (o - first) % timedelta(hours=1) == timedelta(0)
               for o in offsets)


def _nested(inner: TimeWindowPartitions, outer: TimeWindowPartitions) -> bool:
    """True when every window of ``inner`` lies inside a single window of ``outer``."""
    if inner.timezone != outer.timezone:
        return False
    if inner.kind == outer.kind:
        return aligned_shift(outer, inner) is not None
    if (inner.kind, outer.kind) not in _NESTED:
        return False
    return not isinstance(inner, HourlyPartitions) or _whole_hour_shifts(inner)


class TimeWindowMapping(PartitionMapping):
    """A partition reads the upstream partitions whose time windows overlap its own.

    Between time definitions of different grains or timezones: a month reads its days, a
    day reads its month, a Berlin day reads the UTC hours it overlaps. Only upstream
    partitions that are due at ``now`` and between the upstream's start and end are read.
    """

    name = "time_window"

    def misfit(self, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None) -> str | None:
        if isinstance(upstream, TimeWindowPartitions) and isinstance(downstream, TimeWindowPartitions):
            return None
        return (
            "a time-window mapping, which needs time partitions on both sides, but they are "
            f"{described(upstream)} and {described(downstream)}"
        )

    def upstream_keys(
        self, key: str, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None,
        now: datetime | None,
    ) -> list[str]:
        return _across(key, downstream, upstream, now)

    def downstream_keys(
        self, upstream_key: str, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None,
        now: datetime | None,
    ) -> list[str]:
        return _across(upstream_key, upstream, downstream, now)

    def reads_many(
        self, upstream: PartitionsDefinition | None = None, downstream: PartitionsDefinition | None = None
    ) -> bool:
        if isinstance(upstream, TimeWindowPartitions) and isinstance(downstream, TimeWindowPartitions):
            return not _nested(downstream, upstream)
        return True


def _across(
    key: str, source: PartitionsDefinition | None, target: PartitionsDefinition | None, now: datetime | None
) -> list[str]:
    """The due keys of ``target`` whose windows overlap the window of ``key`` in ``source``:
    one rule for both directions of a time-window mapping."""
    if not isinstance(source, TimeWindowPartitions) or not isinstance(target, TimeWindowPartitions):
        return []
    window = _window(source, key)
    return [] if window is None else _overlapping(*window, target, now)


# -- same windows, shifted ----------------------------------------------------------------------

_SHIFTS: dict[tuple[int, int], tuple[object, object, int | None]] = {}
"""``aligned_shift`` answers by object identity; the objects are kept so ids stay theirs."""


def aligned_shift(upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None) -> int | None:
    """The upstream position of the downstream's first key, when both number the same
    windows (same grain and timezone, windows on the same boundaries) or are equal lists of
    keys; None when positions cannot be compared.

    Cached by identity: mappings ask for every partition, and comparing definitions is slow.
    """
    cached = _SHIFTS.get((id(upstream), id(downstream)))
    if cached is not None and cached[0] is upstream and cached[1] is downstream:
        return cached[2]
    shift = _shift(upstream, downstream)
    if len(_SHIFTS) >= 4096:
        _SHIFTS.clear()
    _SHIFTS[(id(upstream), id(downstream))] = (upstream, downstream, shift)
    return shift


def _shift(upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None) -> int | None:
    if upstream is None or downstream is None:
        return None
    if isinstance(upstream, TimeWindowPartitions) and isinstance(downstream, TimeWindowPartitions):
        if type(upstream) is not type(downstream) or upstream.timezone != downstream.timezone:
            return None
        shift = upstream.index_at(downstream.start)
        return shift if _utc(upstream.window_start(shift)) == _utc(downstream.start) else None
    if isinstance(upstream, (TimeWindowPartitions, MultiPartitions)) or isinstance(
        downstream, (TimeWindowPartitions, MultiPartitions)
    ):
        return None
    return 0 if upstream == downstream else None


class _ShiftedMapping(PartitionMapping):
    """Shared by lookback and offset: both compare positions of the same windows."""

    def _shape_misfit(self, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None) -> str | None:
        if aligned_shift(upstream, downstream) is None:
            return (
                f"{self.describe()}, which needs the same windows upstream and downstream (one grain "
                f"and timezone, or one list of keys), but they are {described(upstream)} and {described(downstream)}"
            )
        return None

    def misfit(self, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None) -> str | None:
        return self._shape_misfit(upstream, downstream)


class LookbackMapping(_ShiftedMapping):
    """Partition ``k`` reads upstream partitions ``k-n .. k`` (a rolling window of ``n + 1``).

    Clipped at the upstream's first key and to the keys due at ``now``. Write it with
    :func:`lookback`: ``lookback(6)`` or, for daily partitions, ``lookback(days=6)``.
    """

    name = "lookback"

    def __init__(self, n: int, unit: Literal["partitions", "days"] = "partitions") -> None:
        if not isinstance(n, int) or isinstance(n, bool) or n < 0:
            raise PartitionError(f"lookback({n!r}) needs a whole number of partitions, 0 or more.")
        if unit not in ("partitions", "days"):
            raise PartitionError(f"lookback unit {unit!r} is unknown: use 'partitions' or 'days'.")
        self.n = n
        self.unit = unit

    def misfit(self, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None) -> str | None:
        shape = self._shape_misfit(upstream, downstream)
        if shape is None and self.unit == "days" and not isinstance(downstream, DailyPartitions):
            return (
                f"{self.describe()}, which counts days, but the partitions are {described(downstream)}: "
                f"write lookback({self.n}) to count partitions"
            )
        return shape

    def upstream_keys(
        self, key: str, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None,
        now: datetime | None,
    ) -> list[str]:
        shift = aligned_shift(upstream, downstream)
        index = None if downstream is None else downstream.index_of(key)
        if shift is None or index is None or upstream is None:
            return []
        last = index + shift
        lo, hi = max(last - self.n, 0), min(last + 1, upstream.count(now))
        return upstream.keys_between(lo, hi) if lo < hi else []

    def downstream_keys(
        self, upstream_key: str, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None,
        now: datetime | None,
    ) -> list[str]:
        shift = aligned_shift(upstream, downstream)
        index = None if upstream is None else upstream.index_of(upstream_key)
        if shift is None or index is None or downstream is None:
            return []
        first = index - shift
        lo, hi = max(first, 0), min(first + self.n + 1, downstream.count(now))
        return downstream.keys_between(lo, hi) if lo < hi else []

    def reads_many(
        self, upstream: PartitionsDefinition | None = None, downstream: PartitionsDefinition | None = None
    ) -> bool:
        return self.n > 0

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.name, "n": self.n, "unit": self.unit}

    def describe(self) -> str:
        return f"lookback(days={self.n})" if self.unit == "days" else f"lookback({self.n})"


class OffsetMapping(_ShiftedMapping):
    """Partition ``k`` reads upstream partition ``k + shift`` (none when that is outside).

    ``offset(-1)`` read from the asset itself is "depends on past": each partition reads the
    one before it, and the first reads nothing.
    """

    name = "offset"

    def __init__(self, shift: int) -> None:
        if not isinstance(shift, int) or isinstance(shift, bool):
            raise PartitionError(f"offset({shift!r}) needs a whole number of partitions, such as offset(-1).")
        self.shift = shift

    def upstream_keys(
        self, key: str, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None,
        now: datetime | None,
    ) -> list[str]:
        shift = aligned_shift(upstream, downstream)
        index = None if downstream is None else downstream.index_of(key)
        if shift is None or index is None or upstream is None:
            return []
        target = index + shift + self.shift
        return upstream.keys_between(target, target + 1) if 0 <= target < upstream.count(now) else []

    def downstream_keys(
        self, upstream_key: str, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None,
        now: datetime | None,
    ) -> list[str]:
        shift = aligned_shift(upstream, downstream)
        index = None if upstream is None else upstream.index_of(upstream_key)
        if shift is None or index is None or downstream is None:
            return []
        target = index - shift - self.shift
        return downstream.keys_between(target, target + 1) if 0 <= target < downstream.count(now) else []

    def allows_self_dependency(self) -> bool:
        return self.shift < 0

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.name, "shift": self.shift}

    def describe(self) -> str:
        return f"offset({self.shift})"


def lookback(n: int | None = None, *, days: int | None = None) -> LookbackMapping:
    """Each partition reads the ``n`` upstream partitions before it and its own.

    >>> lookback(6)           # a 7-partition rolling window                # doctest: +SKIP
    >>> lookback(days=6)      # the same, said in days (daily partitions only) # doctest: +SKIP
    """
    if (n is None) == (days is None):
        raise PartitionError("lookback takes a number of partitions or days=: lookback(7) or lookback(days=7).")
    return LookbackMapping(n, "partitions") if n is not None else LookbackMapping(days or 0, "days")


def offset(shift: int) -> OffsetMapping:
    """Each partition reads the upstream partition ``shift`` positions away.

    >>> offset(-1)            # yesterday's partition; on the asset itself: depends on past # doctest: +SKIP
    """
    return OffsetMapping(shift)
