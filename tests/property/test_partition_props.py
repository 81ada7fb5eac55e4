"""Invariants of partitions definitions and mappings, over generated definitions and times."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from hypothesis import example, given, settings
from hypothesis import strategies as st

from assets_core import (
    AllPartitionsMapping,
    DailyPartitions,
    HourlyPartitions,
    IdentityMapping,
    MonthlyPartitions,
    StaticPartitions,
    WeeklyPartitions,
)
from assets_core.partitions import (
    STATIC_KEY,
    PartitionMapping,
    PartitionsDefinition,
    TimeWindowPartitions,
    default_mapping,
    keys_of,
    partitions_from_dict,
)

TIMEZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Sydney"]
DATE_GRAINS = [DailyPartitions, WeeklyPartitions, MonthlyPartitions]
FAST = settings(max_examples=60, deadline=None, database=None)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


@st.composite
def date_grain_definitions(draw: st.DrawFn) -> tuple[TimeWindowPartitions, datetime]:
    """A daily/weekly/monthly definition and a reference time at most ~ 2 years after its start."""
    grain = draw(st.sampled_from(DATE_GRAINS))
    start = draw(st.dates(date(2019, 1, 1), date(2030, 12, 31)))
    tz = draw(st.sampled_from(TIMEZONES))
    end_offset = draw(st.integers(0, 2))
    span = {DailyPartitions: 120, WeeklyPartitions: 300, MonthlyPartitions: 700}[grain]
    definition = grain(start.isoformat(), timezone=tz, end_offset=end_offset)
    if draw(st.booleans()):
        # The end counts from the first whole window (a weekly start moves on to a Monday).
        end = definition.start.date() + timedelta(days=draw(st.integers(1, span)))
        definition = grain(start.isoformat(), end.isoformat(), timezone=tz, end_offset=end_offset)
    now = datetime(start.year, start.month, start.day, tzinfo=timezone.utc) + timedelta(
        minutes=draw(st.integers(-3 * 24 * 60, span * 24 * 60))
    )
    return definition, now


@st.composite
def hourly_definitions(draw: st.DrawFn) -> tuple[HourlyPartitions, datetime]:
    day = draw(st.dates(date(2020, 1, 1), date(2030, 12, 31)))
    hour = draw(st.integers(0, 23))
    tz = draw(st.sampled_from(TIMEZONES))
    definition = HourlyPartitions(f"{day.isoformat()}T{hour:02d}:00", timezone=tz)
    now = utc(definition.start) + timedelta(minutes=draw(st.integers(0, 72 * 60)))
    return definition, now


static_keys = st.lists(
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_\-]{0,6}(\.[A-Za-z0-9_\-]{1,4}){0,2}", fullmatch=True),
    min_size=1, max_size=8, unique=True,
)


def assert_keys_round_trip(definition: PartitionsDefinition, keys: list[str]) -> None:
    assert len(set(keys)) == len(keys), f"duplicate keys in {keys}"
    for i, key in enumerate(keys):
        assert definition.index_of(key) == i, (key, i)
        assert definition.is_key(key)
        definition.check_key(key, "asset")
    if keys:
        assert definition.key_range(keys[0], keys[-1], "asset") == keys


def assert_intervals_contiguous(definition: TimeWindowPartitions, keys: list[str]) -> None:
    intervals = [definition.data_interval(k) for k in keys]
    for interval in intervals:
        assert interval.start.tzinfo is not None and interval.end.tzinfo is not None
        assert utc(interval.start) < utc(interval.end)
    for before, after in zip(intervals, intervals[1:]):
        assert utc(before.end) == utc(after.start)


# -- keys ----------------------------------------------------------------------------------


@FAST
@given(date_grain_definitions())
def test_date_grain_keys_round_trip_through_index_of(case: tuple[TimeWindowPartitions, datetime]) -> None:
    definition, now = case
    assert_keys_round_trip(definition, definition.keys(now))


@FAST
@given(date_grain_definitions())
def test_date_grain_intervals_are_contiguous_and_due(case: tuple[TimeWindowPartitions, datetime]) -> None:
    definition, now = case
    keys = definition.keys(now)
    assert_intervals_contiguous(definition, keys)
    if keys:
        assert utc(definition.data_interval(keys[0]).start) == utc(definition.start)
    if definition.end_offset == 0:
        # A window is due only once it has ended ...
        assert all(utc(definition.data_interval(k).end) <= now for k in keys)
        # ... and the next window has not ended yet (unless the definition stops before it).
        following = definition.keys_between(len(keys), len(keys) + 1)
        if following and definition.is_key(following[0]):
            assert utc(definition.data_interval(following[0]).end) > now


@FAST
@given(date_grain_definitions())
def test_end_offset_adds_windows_after_the_last_ended_one(case: tuple[TimeWindowPartitions, datetime]) -> None:
    definition, now = case
    options = definition.to_dict()
    base = partitions_from_dict({**options, "end_offset": 0})
    assert isinstance(base, TimeWindowPartitions)
    with_offset, without = definition.keys(now), base.keys(now)
    assert with_offset[: len(without)] == without
    if definition.end is None and without:
        assert len(with_offset) == len(without) + definition.end_offset


@FAST
@given(date_grain_definitions())
def test_date_grain_definitions_round_trip_through_to_dict(case: tuple[TimeWindowPartitions, datetime]) -> None:
    definition, now = case
    again = partitions_from_dict(definition.to_dict())
    assert again == definition
    assert again is not None and again.keys(now) == definition.keys(now)


@FAST
@given(hourly_definitions())
@example((HourlyPartitions("2024-10-26T22:00", timezone="Europe/Berlin"), datetime(2024, 10, 27, 6, tzinfo=timezone.utc)))
def test_hourly_keys_round_trip_and_intervals_are_one_hour(case: tuple[HourlyPartitions, datetime]) -> None:
    definition, now = case
    keys = definition.keys(now)
    assert len(keys) == int((now - utc(definition.start)).total_seconds() // 3600)
    assert_keys_round_trip(definition, keys)
    assert_intervals_contiguous(definition, keys)
    for key in keys:
        interval = definition.data_interval(key)
        assert utc(interval.end) - utc(interval.start) == timedelta(hours=1)


@FAST
@given(static_keys)
def test_static_keys_round_trip(values: list[str]) -> None:
    assert all(STATIC_KEY.match(v) for v in values)
    definition = StaticPartitions(values)
    assert definition.keys() == values
    assert_keys_round_trip(definition, values)
    assert all(".." not in k and "/" not in k for k in values)
    assert partitions_from_dict(definition.to_dict()) == definition


# -- mappings --------------------------------------------------------------------------------


def pool(now: datetime) -> list[PartitionsDefinition | None]:
    day = now.date()
    return [
        None,
        DailyPartitions((day - timedelta(days=10)).isoformat()),
        DailyPartitions((day - timedelta(days=10)).isoformat(), end_offset=1),
        DailyPartitions((day - timedelta(days=4)).isoformat(), timezone="Europe/Berlin"),
        WeeklyPartitions((day - timedelta(days=40)).isoformat()),
        MonthlyPartitions((day - timedelta(days=100)).isoformat()),
        HourlyPartitions((now - timedelta(hours=30)).replace(tzinfo=None).isoformat(timespec="minutes")),
        StaticPartitions(["eu", "us", "apac"]),
        StaticPartitions(["a"]),
    ]


@st.composite
def mapped_pairs(
    draw: st.DrawFn,
) -> tuple[PartitionMapping, PartitionsDefinition | None, PartitionsDefinition | None, datetime]:
    now = draw(st.datetimes(datetime(2021, 1, 1), datetime(2029, 12, 31), timezones=st.just(timezone.utc)))
    definitions = pool(now)
    upstream = draw(st.sampled_from(definitions))
    same = draw(st.booleans())
    downstream = partitions_from_dict(upstream.to_dict()) if same and upstream is not None else draw(
        st.sampled_from(definitions)
    )
    choices: list[PartitionMapping] = [default_mapping(upstream, downstream), AllPartitionsMapping()]
    if upstream is not None and upstream == downstream:
        choices.append(IdentityMapping())
    return draw(st.sampled_from(choices)), upstream, downstream, now


@settings(max_examples=80, deadline=None, database=None)
@given(mapped_pairs())
def test_mappings_never_name_keys_outside_the_upstream_definition(case) -> None:  # type: ignore[no-untyped-def]
    mapping, upstream, downstream, now = case
    upstream_due = set(keys_of(upstream, now))
    for key in keys_of(downstream, now):
        for up_key in mapping.upstream_keys(key, upstream, downstream, now):
            assert up_key in upstream_due
            assert (upstream is None and up_key == "") or (upstream is not None and upstream.is_key(up_key))


@settings(max_examples=80, deadline=None, database=None)
@given(mapped_pairs())
def test_upstream_and_downstream_keys_agree(case) -> None:  # type: ignore[no-untyped-def]
    mapping, upstream, downstream, now = case
    down_keys, up_keys = keys_of(downstream, now), keys_of(upstream, now)
    reads = {(u, d) for d in down_keys for u in mapping.upstream_keys(d, upstream, downstream, now)}
    read_by = {(u, d) for u in up_keys for d in mapping.downstream_keys(u, upstream, downstream, now)}
    assert reads == read_by
    assert all(d in down_keys for _, d in read_by)


@settings(max_examples=60, deadline=None, database=None)
@given(mapped_pairs())
def test_default_mapping_is_identity_exactly_between_equal_definitions(case) -> None:  # type: ignore[no-untyped-def]
    _, upstream, downstream, _ = case
    mapping = default_mapping(upstream, downstream)
    assert isinstance(mapping, IdentityMapping) == (upstream is not None and upstream == downstream)
    assert mapping.is_fan_in() == isinstance(mapping, AllPartitionsMapping)
