"""Time partitions: contiguous windows of one grain (hour, day, week, month) in a timezone.

    >>> daily = DailyPartitions(start="2025-01-01", end="2025-01-04")
    >>> daily.keys()
    ['2025-01-01', '2025-01-02', '2025-01-03']
    >>> daily.data_interval("2025-01-02").start.isoformat()
    '2025-01-02T00:00:00+00:00'

Day, week and month windows start at local midnight, so in a daylight-saving zone a day
lasts 23 or 25 hours. Hours are counted in absolute time, so a DST change never skips or
repeats an hour. Intervals are half-open and contiguous: one window ends where the next starts.
"""

from __future__ import annotations

import re
from abc import abstractmethod
from datetime import date, datetime, timedelta, timezone
from typing import Any, ClassVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from assets_core.errors import PartitionError
from assets_core.partitions.base import DataInterval, PartitionsDefinition

MAX_END_OFFSET = 1000
"""Windows beyond the last ended one that may be due: 41 days of hours, 83 years of months.
Far more would make keys past year 9999 and plans of a billion partitions."""

_MEMO_SIZE = 1 << 16
"""Entries kept by the per-definition key memo before it starts over."""


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
        self.end = None if end is None else _parse_moment(end, self.tz, "end").astimezone(self.tz)
        if self.end is not None and _utc(self.end) <= _utc(self.start):
            raise PartitionError(
                f"Partitions end {self.end.date()} is not after start {self.start.date()}: "
                "swap them or drop the end."
            )
        if isinstance(end_offset, bool) or not isinstance(end_offset, int) or abs(end_offset) > MAX_END_OFFSET:
            raise PartitionError(
                f"Partitions end_offset={end_offset!r} is not allowed: give a whole number of windows between "
                f"-{MAX_END_OFFSET} and {MAX_END_OFFSET} (1 also makes the running window due)."
            )
        self.end_offset = end_offset
        self._setup()
        self._total = None if self.end is None else self._windows_ended_by(self.end)
        # Memos for the planner's hot path (plain attributes: cached_property takes a lock).
        # The definition never changes, so they only ever hold right answers.
        self._count_memo: tuple[datetime | None, int] | None = None
        self._index_memo: dict[str, int | None] = {}
        self._key_memo: list[str] = []

    def _setup(self) -> None:
        """Precompute what the grain's arithmetic needs, once ``start`` is known."""

    # -- grain arithmetic, one implementation per subclass -------------------------------

    @abstractmethod
    def _floor(self, moment: datetime) -> datetime:
        """Start of the window containing ``moment`` (in this definition's timezone)."""

    @abstractmethod
    def window_start(self, index: int) -> datetime:
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

    def size(self) -> int | None:
        return self._total

    def index_at(self, moment: datetime) -> int:
        """Index of the window containing the instant ``moment`` (aware).

        Not clipped: negative before the first window, past the last one after the end,
        which is what mappings between two definitions need to compare positions.
        """
        return self._windows_ended_by(moment)

    def count(self, now: datetime | None = None) -> int:
        memo = self._count_memo
        if memo is not None and memo[0] is now:  # the planner asks with one `now` many times
            return memo[1]
        if now is None:
            if self._total is None:
                raise PartitionError("An open-ended time partitions definition needs a reference time.")
            return self._total
        due = max(0, self._windows_ended_by(now) + self.end_offset)
        due = due if self._total is None else min(due, self._total)
        self._count_memo = (now, due)
        return due

    def keys(self, now: datetime | None = None) -> list[str]:
        return self.keys_between(0, self.count(now))

    def index_of(self, key: str) -> int | None:
        # Mappings ask for the same keys over and over: remember the answers.
        memo = self._index_memo
        if key in memo:
            return memo[key]
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        index = memo[key] = self._find(key)
        return index

    def _find(self, key: str) -> int | None:
        """``index_of`` without the memo."""
        if not self.key_pattern.fullmatch(key):
            return None
        try:
            start = self._parse_key(key)
        except ValueError:
            return None
        index = self._windows_ended_by(start)
        if not self._in_bounds(index):
            return None
        # A key names a window only if the window's own key is exactly it (not mid-window).
        return index if self._make_keys(index, index + 1) == [key] else None

    def keys_between(self, lo: int, hi: int) -> list[str]:
        memo = self._key_memo
        if hi > len(memo):
            start = len(memo)
            if lo < 0 or hi > _MEMO_SIZE * 16:
                return self._make_keys(lo, hi)
            # Replaced, not extended in place: a thread reading it never sees a half-built list.
            more = self._make_keys(start, max(hi, min(2 * start, start + 4096)))
            self._key_memo = memo = memo + more
        return memo[lo:hi] if lo >= 0 else self._make_keys(lo, hi)

    @abstractmethod
    def _make_keys(self, lo: int, hi: int) -> list[str]:
        """Keys of the windows at positions ``lo <= i < hi``, computed."""

    def _in_bounds(self, index: int) -> bool:
        return index >= 0 and (self._total is None or index < self._total)

    def check_key(self, key: str, asset: str) -> None:
        """A key that is not a window says why: malformed, before the start, past the end, or
        inside a window rather than at its start."""
        if self.is_key(key):
            return
        problem = f"expected {self.expected()}"
        if self.key_pattern.fullmatch(key):
            try:
                index = self._windows_ended_by(self._parse_key(key))
            except ValueError:
                index = None
            if index is not None and index < 0:
                problem = f"before the start {self._make_keys(0, 1)[0]}"
            elif index is not None and self._total is not None and index >= self._total:
                problem = f"past the end: the last key is {self._make_keys(self._total - 1, self._total)[0]}"
            elif index is not None:
                problem = f"inside the window {self._make_keys(index, index + 1)[0]}: give the key at its start"
        raise PartitionError(f"'{key}' is not a partition of '{asset}' ({self.kind}, {problem}).")

    def data_interval(self, key: str) -> DataInterval:
        index = self.index_of(key)
        if index is None:
            raise PartitionError(f"'{key}' is not a {self.kind} key (expected {self.expected()}).")
        return DataInterval(self.window_start(index), self.window_start(index + 1))

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


def _utc(moment: datetime) -> datetime:
    """Aware datetimes sharing a tzinfo compare as wall clocks: compare instants in UTC."""
    return moment.astimezone(timezone.utc)


class _DateGrain(TimeWindowPartitions):
    """Grains whose windows start at local midnight: the arithmetic happens on dates."""

    def _floor(self, moment: datetime) -> datetime:
        return self._midnight(self._floor_date(moment.astimezone(self.tz).date()))

    def _midnight(self, day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=self.tz)

    @abstractmethod
    def _floor_date(self, day: date) -> date: ...

    def window_start(self, index: int) -> datetime:
        return self._midnight(self._date_at(index))

    @abstractmethod
    def _date_at(self, index: int) -> date: ...

    def _parse_key(self, key: str) -> datetime:
        return self._midnight(datetime.strptime(key, self.key_format).date())

    def _make_keys(self, lo: int, hi: int) -> list[str]:
        # Dates, not zoned datetimes: key generation is on the planner's hot path.
        return [self._date_at(i).strftime(self.key_format) for i in range(lo, hi)]


class _FixedDays(_DateGrain):
    """Windows of a fixed number of local days."""

    days: ClassVar[int] = 1
    key_format = "%Y-%m-%d"
    key_pattern = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")

    def _setup(self) -> None:
        self._first = self.start.date().toordinal()

    def _date_at(self, index: int) -> date:
        return date.fromordinal(self._first + self.days * index)

    def _make_keys(self, lo: int, hi: int) -> list[str]:
        first, days = self._first, self.days
        return [date.fromordinal(first + days * i).isoformat() for i in range(lo, hi)]

    def _windows_ended_by(self, moment: datetime) -> int:
        local = moment.astimezone(self.tz)
        return (local.date().toordinal() - self._first) // self.days

    def _find(self, key: str) -> int | None:
        # Ordinal arithmetic instead of the generic parse-and-compare.
        if not self.key_pattern.fullmatch(key):
            return None
        try:
            ordinal = date.fromisoformat(key).toordinal()
        except ValueError:
            return None
        index, rest = divmod(ordinal - self._first, self.days)
        return index if not rest and self._in_bounds(index) else None


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
    """One partition per week starting on Monday; keys are the Monday, ``YYYY-MM-DD``.

    >>> WeeklyPartitions("2025-01-01", "2025-01-20").keys()   # the first Monday is the 6th
    ['2025-01-06', '2025-01-13']
    """

    kind = "weekly"
    days = 7
    _step = timedelta(days=7, hours=2)

    def expected(self) -> str:
        return "the Monday starting the week, YYYY-MM-DD"

    def _floor_date(self, day: date) -> date:
        return day - timedelta(days=day.weekday())


class MonthlyPartitions(_DateGrain):
    """One partition per calendar month; keys ``YYYY-MM``.

    >>> MonthlyPartitions("2025-01-01", "2025-03-01").keys()
    ['2025-01', '2025-02']
    """

    kind = "monthly"
    key_format = "%Y-%m"
    key_pattern = re.compile(r"[0-9]{4}-[0-9]{2}")
    _step = timedelta(days=32)

    def expected(self) -> str:
        return "YYYY-MM"

    def _setup(self) -> None:
        self._first = self.start.year * 12 + self.start.month - 1

    def _floor_date(self, day: date) -> date:
        return day.replace(day=1)

    def _date_at(self, index: int) -> date:
        months = self._first + index
        return date(months // 12, months % 12 + 1, 1)

    def _make_keys(self, lo: int, hi: int) -> list[str]:
        return [f"{m // 12:04d}-{m % 12 + 1:02d}" for m in range(self._first + lo, self._first + hi)]

    def _windows_ended_by(self, moment: datetime) -> int:
        local = moment.astimezone(self.tz)
        return local.year * 12 + local.month - 1 - self._first

    def _find(self, key: str) -> int | None:
        if not self.key_pattern.fullmatch(key):
            return None
        year, month = int(key[:4]), int(key[5:])
        if year < 1 or not 1 <= month <= 12:
            return None
        index = year * 12 + month - 1 - self._first
        return index if self._in_bounds(index) else None


class HourlyPartitions(TimeWindowPartitions):
    """One partition per hour; keys ``YYYY-MM-DDTHH`` in local time of ``timezone``.

    Hours are counted in absolute time, so daylight-saving changes never skip or repeat a
    window: in Europe/Berlin, 2025-03-30 has 23 hours and 2025-10-26 has 25. The second
    02:00 of an autumn night (and hours that start off the full hour in zones with 30-minute
    shifts) carry their UTC offset: ``2025-10-26T02+0100``.

    >>> HourlyPartitions("2025-03-30T01:00", "2025-03-30T04:00", timezone="Europe/Berlin").keys()
    ['2025-03-30T01', '2025-03-30T03']
    """

    kind = "hourly"
    key_format = "%Y-%m-%dT%H"
    key_pattern = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2})(:[0-9]{2})?([+-][0-9]{4})?")
    _step = timedelta(hours=1)

    def expected(self) -> str:
        return "YYYY-MM-DDTHH"

    def _floor(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz).replace(minute=0, second=0, microsecond=0)

    def _next(self, window_start: datetime) -> datetime:
        return (_utc(window_start) + timedelta(hours=1)).astimezone(self.tz)

    def window_start(self, index: int) -> datetime:
        return (self._start_utc + timedelta(hours=index)).astimezone(self.tz)

    def _setup(self) -> None:
        self._start_utc = _utc(self.start)

    def _windows_ended_by(self, moment: datetime) -> int:
        # Aware datetimes sharing a tzinfo subtract as wall clocks: go through UTC.
        return (_utc(moment) - self._start_utc) // timedelta(hours=1)

    def _key(self, start: datetime) -> str:
        local = start.astimezone(self.tz)
        key = local.strftime(self.key_format)
        if local.minute:
            key += local.strftime(":%M")
        if local.minute or local.fold:
            key += local.strftime("%z")
        return key

    def _make_keys(self, lo: int, hi: int) -> list[str]:
        return [self._key(self.window_start(i)) for i in range(lo, hi)]

    def _parse_key(self, key: str) -> datetime:
        match = self.key_pattern.fullmatch(key)
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


TIME_GRAINS: dict[str, type[TimeWindowPartitions]] = {
    cls.kind: cls
    for cls in (DailyPartitions, HourlyPartitions, WeeklyPartitions, MonthlyPartitions)
}
