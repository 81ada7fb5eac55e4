"""Partitions definitions, keys, data intervals and partition mappings.

Pure values: nothing here reads a clock. "Due" keys are computed against a reference time
that the caller passes in, so a plan can be reproduced later.

    >>> daily = DailyPartitions(start="2025-01-01", end="2025-01-04")
    >>> daily.keys()
    ['2025-01-01', '2025-01-02', '2025-01-03']
    >>> daily.data_interval("2025-01-02").start.isoformat()
    '2025-01-02T00:00:00+00:00'
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import cached_property
from collections.abc import Iterable
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assets_core.errors import PartitionError

UNPARTITIONED = ""
"""The one partition key of an unpartitioned asset."""

STATIC_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]+)*$")
"""Static keys end up in file paths and SQL values: letters, digits, ``_ - .``, no ``..``."""


@dataclass(frozen=True)
class DataInterval:
    """The half-open time window ``[start, end)`` a time partition covers (timezone-aware)."""

    start: datetime
    end: datetime


class PartitionsDefinition(ABC):
    """How an asset is sliced. Subclasses are immutable values that compare by content."""

    kind: ClassVar[str]

    @abstractmethod
    def keys(self, now: datetime | None = None) -> list[str]:
        """The keys that are due at ``now`` (all keys when ``now`` is None), in order."""

    @abstractmethod
    def index_of(self, key: str) -> int | None:
        """Position of ``key`` in the definition, or None when it is not one of its keys."""

    @abstractmethod
    def expected(self) -> str:
        """What a key looks like, for error messages."""

    @abstractmethod
    def describe(self) -> str:
        """A short human description, for ``assets list``."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form, read back by :func:`partitions_from_dict`."""

    def data_interval(self, key: str) -> DataInterval | None:
        return None

    def is_key(self, key: str) -> bool:
        return self.index_of(key) is not None

    def sort_keys(self, keys: Iterable[str]) -> list[str]:
        """Keys in the definition's order; keys it does not hold go last."""
        last = 1 << 62
        return sorted(keys, key=lambda k: (i if (i := self.index_of(k)) is not None else last, k))

    def check_key(self, key: str, asset: str) -> None:
        if not self.is_key(key):
            raise PartitionError(
                f"'{key}' is not a partition of '{asset}' ({self.kind}, expected {self.expected()})."
            )

    def key_range(self, first: str, last: str, asset: str) -> list[str]:
        """Keys from ``first`` to ``last``, both included."""
        self.check_key(first, asset)
        self.check_key(last, asset)
        lo, hi = self.index_of(first), self.index_of(last)
        assert lo is not None and hi is not None
        if lo > hi:
            raise PartitionError(
                f"Range '{first}..{last}' of '{asset}' is empty: put the earlier key first."
            )
        return self._keys_between(lo, hi + 1)

    @abstractmethod
    def _keys_between(self, lo: int, hi: int) -> list[str]:
        """Keys at positions ``lo <= i < hi``."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PartitionsDefinition) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(repr(sorted(self.to_dict().items())))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()})"


def _parse_moment(value: str | date | datetime, tz: ZoneInfo, what: str) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=tz)
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise PartitionError(
            f"Partitions {what} '{value}' is not a date: write it as YYYY-MM-DD."
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


class TimeWindowPartitions(PartitionsDefinition):
    """Contiguous time windows of one grain, from ``start`` (included) to ``end`` (excluded).

    A window is due once it has ended; ``end_offset=1`` also includes the window that is
    still running (``2`` the one after it, and so on).
    """

    kind: ClassVar[str] = "time"
    key_format: ClassVar[str] = ""
    key_pattern: ClassVar[re.Pattern[str]] = re.compile("")

    def __init__(
        self,
        start: str | date | datetime,
        end: str | date | datetime | None = None,
        timezone: str = "UTC",
        end_offset: int = 0,
    ) -> None:
        try:
            self.tz = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise PartitionError(
                f"Unknown timezone '{timezone}': use an IANA name such as 'UTC' or 'Europe/Berlin'."
            ) from None
        self.timezone = timezone
        self.start = self._ceil(_parse_moment(start, self.tz, "start"))
        self.end = None if end is None else _parse_moment(end, self.tz, "end")
        if self.end is not None and self.end <= self.start:
            raise PartitionError(
                f"Partitions end {self.end.date()} is not after start {self.start.date()}: "
                "swap them or drop the end."
            )
        self.end_offset = end_offset

    # -- grain arithmetic, one implementation per subclass -------------------------------

    @abstractmethod
    def _floor(self, moment: datetime) -> datetime:
        """Start of the window containing ``moment`` (in this definition's timezone)."""

    @abstractmethod
    def _window_start(self, index: int) -> datetime:
        """Start of the window at ``index``."""

    @abstractmethod
    def _windows_ended_by(self, moment: datetime) -> int:
        """How many windows, counted from the first, have ended at ``moment``."""

    @abstractmethod
    def _parse_key(self, key: str) -> datetime:
        """Start of the window a well-formed key names (may raise ValueError)."""

    def _ceil(self, moment: datetime) -> datetime:
        floor = self._floor(moment)
        return floor if floor == moment.astimezone(self.tz) else self._next(floor)

    def _next(self, window_start: datetime) -> datetime:
        return self._floor(window_start + self._step)

    _step: ClassVar[timedelta] = timedelta(0)
    """A duration that lands inside the next window from any window start (DST included)."""

    # -- the definition's interface ------------------------------------------------------

    @cached_property
    def _total(self) -> int | None:
        return None if self.end is None else self._windows_ended_by(self.end)

    def count(self, now: datetime | None = None) -> int:
        if now is None:
            if self._total is None:
                raise PartitionError("An open-ended time partitions definition needs a reference time.")
            return self._total
        due = max(0, self._windows_ended_by(now) + self.end_offset)
        return due if self._total is None else min(due, self._total)

    def keys(self, now: datetime | None = None) -> list[str]:
        return self._keys_between(0, self.count(now))

    def index_of(self, key: str) -> int | None:
        if not self.key_pattern.match(key):
            return None
        try:
            start = self._parse_key(key)
        except ValueError:
            return None
        index = self._windows_ended_by(start)
        if index < 0 or (self._total is not None and index >= self._total):
            return None
        # A key names a window only if the window's own key is exactly it (not mid-window).
        return index if self._keys_between(index, index + 1) == [key] else None

    def data_interval(self, key: str) -> DataInterval:
        index = self.index_of(key)
        if index is None:
            raise PartitionError(f"'{key}' is not a {self.kind} key (expected {self.expected()}).")
        return DataInterval(self._window_start(index), self._window_start(index + 1))

    def describe(self) -> str:
        end = f" to {self.end.date()}" if self.end else ""
        return f"{self.kind} from {self.start.date()}{end} ({self.timezone})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "start": self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
            "timezone": self.timezone,
            "end_offset": self.end_offset,
        }


class _DateGrain(TimeWindowPartitions):
    """Grains whose windows start at local midnight: the arithmetic happens on dates."""

    def _floor(self, moment: datetime) -> datetime:
        return self._midnight(self._floor_date(moment.astimezone(self.tz).date()))

    def _midnight(self, day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=self.tz)

    @abstractmethod
    def _floor_date(self, day: date) -> date: ...

    def _window_start(self, index: int) -> datetime:
        return self._midnight(self._date_at(index))

    @abstractmethod
    def _date_at(self, index: int) -> date: ...

    def _parse_key(self, key: str) -> datetime:
        return self._midnight(datetime.strptime(key, self.key_format).date())

    def _keys_between(self, lo: int, hi: int) -> list[str]:
        # Dates, not zoned datetimes: key generation is on the planner's hot path.
        return [self._date_at(i).strftime(self.key_format) for i in range(lo, hi)]


class _FixedDays(_DateGrain):
    """Windows of a fixed number of local days."""

    days: ClassVar[int] = 1
    key_format = "%Y-%m-%d"
    key_pattern = re.compile(r"^\d{4}-\d{2}-\d{2}$")

    def _date_at(self, index: int) -> date:
        return self.start.date() + timedelta(days=self.days * index)

    def _keys_between(self, lo: int, hi: int) -> list[str]:
        first = self.start.date().toordinal()
        return [date.fromordinal(first + self.days * i).isoformat() for i in range(lo, hi)]

    def _windows_ended_by(self, moment: datetime) -> int:
        local = moment.astimezone(self.tz)
        return (local.date() - self.start.date()).days // self.days


class DailyPartitions(_FixedDays):
    """One partition per calendar day in ``timezone``; keys ``YYYY-MM-DD``.

    >>> DailyPartitions("2025-01-01", "2025-01-03").keys()
    ['2025-01-01', '2025-01-02']
    """

    kind = "daily"
    days = 1
    _step = timedelta(hours=26)

    def expected(self) -> str:
        return "YYYY-MM-DD"

    def _floor_date(self, day: date) -> date:
        return day


class WeeklyPartitions(_FixedDays):
    """One partition per week starting on Monday; keys are the Monday, ``YYYY-MM-DD``."""

    kind = "weekly"
    days = 7
    _step = timedelta(days=7, hours=2)

    def expected(self) -> str:
        return "the Monday starting the week, YYYY-MM-DD"

    def _floor_date(self, day: date) -> date:
        return day - timedelta(days=day.weekday())


class MonthlyPartitions(_DateGrain):
    """One partition per calendar month; keys ``YYYY-MM``."""

    kind = "monthly"
    key_format = "%Y-%m"
    key_pattern = re.compile(r"^\d{4}-\d{2}$")
    _step = timedelta(days=32)

    def expected(self) -> str:
        return "YYYY-MM"

    def _floor_date(self, day: date) -> date:
        return day.replace(day=1)

    def _date_at(self, index: int) -> date:
        months = self.start.year * 12 + self.start.month - 1 + index
        return date(months // 12, months % 12 + 1, 1)

    def _windows_ended_by(self, moment: datetime) -> int:
        local = moment.astimezone(self.tz)
        return (local.year - self.start.year) * 12 + local.month - self.start.month


class HourlyPartitions(TimeWindowPartitions):
    """One partition per hour; keys ``YYYY-MM-DDTHH`` in local time of ``timezone``.

    Hours are counted in absolute time, so daylight-saving changes never skip or repeat a
    window. The second 02:00 of an autumn night (and hours that start off the full hour in
    zones with 30-minute shifts) carry their UTC offset: ``2024-10-27T02+0100``.
    """

    kind = "hourly"
    key_format = "%Y-%m-%dT%H"
    key_pattern = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2})(:\d{2})?([+-]\d{4})?$")
    _step = timedelta(hours=1)

    def expected(self) -> str:
        return "YYYY-MM-DDTHH"

    def _floor(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz).replace(minute=0, second=0, microsecond=0)

    def _next(self, window_start: datetime) -> datetime:
        return (window_start.astimezone(timezone.utc) + timedelta(hours=1)).astimezone(self.tz)

    def _window_start(self, index: int) -> datetime:
        return (self.start.astimezone(timezone.utc) + timedelta(hours=index)).astimezone(self.tz)

    def _windows_ended_by(self, moment: datetime) -> int:
        # Aware datetimes sharing a tzinfo subtract as wall clocks: go through UTC.
        elapsed = moment.astimezone(timezone.utc) - self.start.astimezone(timezone.utc)
        return int(elapsed.total_seconds() // 3600)

    def _key(self, start: datetime) -> str:
        local = start.astimezone(self.tz)
        key = local.strftime(self.key_format)
        if local.minute:
            key += local.strftime(":%M")
        if local.minute or local.fold:
            key += local.strftime("%z")
        return key

    def _keys_between(self, lo: int, hi: int) -> list[str]:
        return [self._key(self._window_start(i)) for i in range(lo, hi)]

    def _parse_key(self, key: str) -> datetime:
        match = self.key_pattern.match(key)
        assert match is not None
        wall = datetime.strptime(match.group(1), self.key_format)
        if match.group(2):
            wall = wall.replace(minute=int(match.group(2)[1:]))
        offset = match.group(3)
        if offset is None:
            return wall.replace(tzinfo=self.tz)
        sign = -1 if offset[0] == "-" else 1
        fixed = timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[3:5])))
        return wall.replace(tzinfo=fixed).astimezone(self.tz)

    def describe(self) -> str:
        end = f" to {self.end.isoformat()}" if self.end else ""
        return f"hourly from {self.start.isoformat()}{end} ({self.timezone})"


class StaticPartitions(PartitionsDefinition):
    """A fixed list of keys, such as regions.

    >>> StaticPartitions(["eu", "us"]).keys()
    ['eu', 'us']
    """

    kind: ClassVar[str] = "static"

    def __init__(self, keys: list[str] | tuple[str, ...]) -> None:
        bad = [k for k in keys if not isinstance(k, str) or not STATIC_KEY.match(k)]
        if bad:
            raise PartitionError(
                f"Static partition key {bad[0]!r} is not allowed: use letters, digits, '_', '-' "
                "and single dots."
            )
        if len(set(keys)) != len(keys):
            dup = next(k for k in keys if list(keys).count(k) > 1)
            raise PartitionError(f"Static partition key '{dup}' is listed twice: remove one.")
        if not keys:
            raise PartitionError("StaticPartitions needs at least one key.")
        self.values = tuple(keys)
        self._positions = {k: i for i, k in enumerate(keys)}

    def keys(self, now: datetime | None = None) -> list[str]:
        return list(self.values)

    def index_of(self, key: str) -> int | None:
        return self._positions.get(key)

    def _keys_between(self, lo: int, hi: int) -> list[str]:
        return list(self.values[lo:hi])

    def expected(self) -> str:
        shown = ", ".join(self.values[:5]) + (", ..." if len(self.values) > 5 else "")
        return f"one of {shown}"

    def describe(self) -> str:
        return f"static: {', '.join(self.values[:5])}{', ...' if len(self.values) > 5 else ''}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "keys": list(self.values)}


TIME_GRAINS: dict[str, type[TimeWindowPartitions]] = {
    cls.kind: cls
    for cls in (DailyPartitions, HourlyPartitions, WeeklyPartitions, MonthlyPartitions)
}


def partitions_from_dict(spec: dict[str, Any] | None) -> PartitionsDefinition | None:
    """Inverse of ``to_dict``; also reads the ``partitions = {...}`` table of a SQL file."""
    if spec is None:
        return None
    options = dict(spec)
    kind = options.pop("kind", None)
    if kind == "static":
        return StaticPartitions(list(options.get("keys", [])))
    if kind in TIME_GRAINS:
        try:
            return TIME_GRAINS[kind](**options)
        except TypeError as exc:
            raise PartitionError(f"Bad options for {kind} partitions: {exc}.") from None
    raise PartitionError(
        f"Unknown partitions kind {kind!r}: use one of {', '.join([*TIME_GRAINS, 'static'])}."
    )


def keys_of(definition: PartitionsDefinition | None, now: datetime | None) -> list[str]:
    """The due keys of an asset; an unpartitioned asset has the one key ``UNPARTITIONED``."""
    return [UNPARTITIONED] if definition is None else definition.keys(now)


# -- partition mappings -------------------------------------------------------------------


class PartitionMapping(ABC):
    """Which upstream partitions one downstream partition reads, and the reverse.

    Both directions take the two definitions (None for unpartitioned) and the reference
    time, so that "all partitions" means "all partitions due at that time".
    """

    name: ClassVar[str]

    @abstractmethod
    def upstream_keys(
        self,
        key: str,
        upstream: PartitionsDefinition | None,
        downstream: PartitionsDefinition | None,
        now: datetime | None,
    ) -> list[str]: ...

    @abstractmethod
    def downstream_keys(
        self,
        upstream_key: str,
        upstream: PartitionsDefinition | None,
        downstream: PartitionsDefinition | None,
        now: datetime | None,
    ) -> list[str]: ...

    def is_fan_in(self) -> bool:
        """True when a downstream partition reads many upstream partitions."""
        return False

    def misfit(self, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None) -> str | None:
        """Why this mapping cannot connect these two definitions, or None when it can."""
        return None


class IdentityMapping(PartitionMapping):
    """Partition ``k`` reads upstream partition ``k`` (both assets share one definition)."""

    name = "identity"

    def misfit(self, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None) -> str | None:
        if upstream is None or upstream != downstream:
            up = upstream.describe() if upstream else "unpartitioned"
            down = downstream.describe() if downstream else "unpartitioned"
            return f"an identity mapping needs equal partitions, but they differ ({up} vs {down})"
        return None

    def upstream_keys(self, key, upstream, downstream, now):  # type: ignore[no-untyped-def]
        return [key]

    def downstream_keys(self, upstream_key, upstream, downstream, now):  # type: ignore[no-untyped-def]
        return [upstream_key]


class AllPartitionsMapping(PartitionMapping):
    """Every downstream partition reads every due upstream partition."""

    name = "all"

    def upstream_keys(self, key, upstream, downstream, now):  # type: ignore[no-untyped-def]
        return keys_of(upstream, now)

    def downstream_keys(self, upstream_key, upstream, downstream, now):  # type: ignore[no-untyped-def]
        return keys_of(downstream, now)

    def is_fan_in(self) -> bool:
        return True


def default_mapping(
    upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None
) -> PartitionMapping:
    """Identity between equal definitions; otherwise the downstream reads all of the upstream."""
    if upstream is not None and upstream == downstream:
        return IdentityMapping()
    return AllPartitionsMapping()
