"""Invariants of every partition mapping over generated definitions that fit it.

For any due downstream key ``d`` and due upstream key ``u``: ``u in upstream_keys(d)`` exactly
when ``d in downstream_keys(u)``; answers are due keys of the other side, in its order, without
repeats; a mapping that does not ``reads_many`` never answers more than one key. Time windows,
lookbacks and offsets are also checked against a plain oracle over the data intervals.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets_core.partitions.multi import with_dynamic_keys
from assets_core.partitions import (
    DailyPartitions,
    DimensionMapping,
    DynamicPartitions,
    HourlyPartitions,
    IdentityMapping,
    MonthlyPartitions,
    MultiPartitions,
    PartitionMapping,
    PartitionsDefinition,
    StaticMapping,
    StaticPartitions,
    TimeWindowMapping,
    TimeWindowPartitions,
    WeeklyPartitions,
    default_mapping,
    keys_of,
    lookback,
    mapping_from_dict,
    offset,
    partitions_from_dict,
)

TIMEZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kolkata"]
GRAINS: dict[type[TimeWindowPartitions], tuple[timedelta, int]] = {
    # A duration longer than any window of the grain (DST included), and how many to span at most.
    HourlyPartitions: (timedelta(hours=1), 150),
    DailyPartitions: (timedelta(hours=25), 90),
    WeeklyPartitions: (timedelta(days=7, hours=1), 30),
    MonthlyPartitions: (timedelta(days=31, hours=1), 24),
}
DST_CHANGES = [  # instants of daylight-saving changes in the zones above
    datetime(2025, 3, 30, 1, tzinfo=timezone.utc), datetime(2025, 10, 26, 1, tzinfo=timezone.utc),
    datetime(2025, 3, 9, 7, tzinfo=timezone.utc), datetime(2025, 11, 2, 6, tzinfo=timezone.utc),
]
PROPS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

Case = tuple[PartitionMapping, PartitionsDefinition | None, PartitionsDefinition | None, datetime]


# -- generated definitions ---------------------------------------------------------------------


@st.composite
def moments(draw: st.DrawFn) -> datetime:
    """A reference time, often within a few days of a daylight-saving change."""
    if draw(st.booleans()):
        return draw(st.sampled_from(DST_CHANGES)) + timedelta(minutes=draw(st.integers(-5 * 1440, 5 * 1440)))
    return draw(st.datetimes(datetime(2019, 1, 1), datetime(2030, 12, 31), timezones=st.just(timezone.utc)))


def _local(moment: datetime, tz: str, grain: type[TimeWindowPartitions]) -> str:
    local = moment.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    return local.isoformat(timespec="minutes") if grain is HourlyPartitions else local.date().isoformat()


@st.composite
def time_definitions(
    draw: st.DrawFn, now: datetime, grain: type[TimeWindowPartitions] | None = None, tz: str | None = None
) -> TimeWindowPartitions:
    """A time definition whose first window starts a little before ``now`` (or just after)."""
    grain = grain or draw(st.sampled_from(list(GRAINS)))
    tz = tz or draw(st.sampled_from(TIMEZONES))
    length, most = GRAINS[grain]
    start = now - length * draw(st.integers(-2, most)) - timedelta(minutes=draw(st.integers(0, 59)))
    end = None
    if draw(st.booleans()):
        end = _local(start + length * draw(st.integers(2, most + 2)), tz, grain)
    return grain(_local(start, tz, grain), end, timezone=tz, end_offset=draw(st.integers(0, 2)))


@st.composite
def key_lists(draw: st.DrawFn, prefix: str, most: int = 5) -> list[str]:
    size = draw(st.integers(1, most))
    return [f"{prefix}{i}" for i in draw(st.permutations(range(most)))[:size]]


@st.composite
def static_definitions(draw: st.DrawFn, prefix: str = "k") -> PartitionsDefinition:
    keys = draw(key_lists(prefix))
    if draw(st.booleans()):
        return StaticPartitions(keys)
    # One name, one set of keys (as in a catalog): equal names must mean equal keys.
    return DynamicPartitions(f"{prefix}_keys_{'_'.join(keys)}", keys)


def copy_of(definition: PartitionsDefinition) -> PartitionsDefinition:
    """An equal definition that is another object (as two assets declaring the same)."""
    again = partitions_from_dict(definition.to_dict())
    assert again is not None
    # Dynamic keys live in the catalog, not in the definition: bind the copy's, dimensions too.
    keys = {d.name: d.keys() for d in definition.components() if isinstance(d, DynamicPartitions)}
    bound = with_dynamic_keys(again, keys)
    assert bound is not None
    return bound


# -- generated cases, one strategy per mapping ---------------------------------------------------


@st.composite
def time_window_cases(draw: st.DrawFn) -> Case:
    now = draw(moments())
    return TimeWindowMapping(), draw(time_definitions(now)), draw(time_definitions(now)), now


@st.composite
def same_window_pairs(draw: st.DrawFn, now: datetime) -> tuple[PartitionsDefinition, PartitionsDefinition]:
    """Two definitions numbering the same windows: equal lists, or one grain and timezone
    with starts a few windows apart."""
    if draw(st.integers(0, 3)) == 0:
        keys = draw(static_definitions())
        return copy_of(keys), keys
    downstream = draw(time_definitions(now))
    first = downstream.window_start(draw(st.integers(-5, 5)))
    upstream = type(downstream)(
        first, None, timezone=downstream.timezone, end_offset=draw(st.integers(0, 2))
    )
    return upstream, downstream


@st.composite
def shifted_cases(draw: st.DrawFn) -> Case:
    now = draw(moments())
    upstream, downstream = draw(same_window_pairs(now))
    mapping = draw(st.sampled_from([lookback(draw(st.integers(0, 6))), offset(draw(st.integers(-4, 4)))]))
    return mapping, upstream, downstream, now


@st.composite
def static_mapping_cases(draw: st.DrawFn) -> Case:
    now = draw(moments())
    downstream = draw(static_definitions("d"))
    if draw(st.booleans()):
        upstream = draw(static_definitions("u"))
        candidates = upstream.keys(now)
    else:
        upstream = draw(time_definitions(now))
        # Keys just past the due ones too: the mapping must leave out those not yet due.
        size = upstream.size()
        candidates = upstream.keys_between(0, min(upstream.count(now) + 3, size if size is not None else 1 << 30))
    table = {}
    for key in draw(st.lists(st.sampled_from(downstream.keys(now)), min_size=1, unique=True)):
        table[key] = draw(st.lists(st.sampled_from(candidates), min_size=1, max_size=4)) if candidates else []
    return StaticMapping(table), upstream, downstream, now


@st.composite
def dimension_cases(draw: st.DrawFn) -> Case:
    now = draw(moments())
    dims: dict[str, PartitionsDefinition] = {
        "date": draw(time_definitions(now)), "region": draw(static_definitions("r")),
    }
    if draw(st.booleans()):
        dims["file"] = DynamicPartitions("files", draw(key_lists("f", 3)))
    order = draw(st.permutations(list(dims)))
    multi = MultiPartitions(**{name: dims[name] for name in order})
    name = draw(st.sampled_from(order))
    inner_kind = draw(st.sampled_from(["identity", "time_window", "lookback"]))
    if name == "date" and inner_kind == "time_window":
        single: PartitionsDefinition = draw(time_definitions(now))
        mapping = DimensionMapping(name, TimeWindowMapping())
    elif inner_kind == "lookback":
        single = copy_of(dims[name])
        mapping = DimensionMapping(name, lookback(draw(st.integers(0, 3))))
    else:
        single, mapping = copy_of(dims[name]), DimensionMapping(name)
    if draw(st.booleans()):
        return mapping, single, multi, now
    return mapping, multi, single, now


@st.composite
def default_cases(draw: st.DrawFn) -> Case:
    now = draw(moments())
    pool: list[PartitionsDefinition | None] = [
        None,
        draw(time_definitions(now)),
        draw(time_definitions(now)),
        draw(static_definitions("r")),
    ]
    date, region = pool[1], pool[3]
    assert date is not None and region is not None
    pool.append(MultiPartitions(date=date, region=region))
    upstream, downstream = draw(st.sampled_from(pool)), draw(st.sampled_from(pool))
    if upstream is not None and draw(st.booleans()):
        downstream = copy_of(upstream)
    return default_mapping(upstream, downstream), upstream, downstream, now


any_case = st.one_of(time_window_cases(), shifted_cases(), static_mapping_cases(), dimension_cases(), default_cases())


# -- the invariants ------------------------------------------------------------------------------


def _check_answer(answer: list[str], due: list[str], position: dict[str, int]) -> None:
    assert len(set(answer)) == len(answer), f"repeated keys in {answer}"
    assert all(k in position for k in answer), f"{answer} is not within the due keys"
    assert [position[k] for k in answer] == sorted(position[k] for k in answer), f"{answer} is out of order"


def pairs_both_ways(case: Case) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(upstream key, downstream key) pairs read, asked downstream-first and upstream-first,
    with each answer checked on the way."""
    mapping, upstream, downstream, now = case
    up_due, down_due = keys_of(upstream, now), keys_of(downstream, now)
    up_position = {k: i for i, k in enumerate(up_due)}
    down_position = {k: i for i, k in enumerate(down_due)}
    many = mapping.reads_many(upstream, downstream)
    reads = set()
    for d in down_due:
        answer = mapping.upstream_keys(d, upstream, downstream, now)
        _check_answer(answer, up_due, up_position)
        assert many or len(answer) <= 1, f"{mapping} says it reads one key but {d} reads {answer}"
        reads.update((u, d) for u in answer)
    read_by = set()
    for u in up_due:
        answer = mapping.downstream_keys(u, upstream, downstream, now)
        _check_answer(answer, down_due, down_position)
        read_by.update((u, d) for d in answer)
    return reads, read_by


@PROPS
@given(any_case)
def test_both_directions_agree_and_answers_are_due_ordered_and_unique(case: Case) -> None:
    mapping, upstream, downstream, _ = case
    assert mapping.misfit(upstream, downstream) is None
    reads, read_by = pairs_both_ways(case)
    assert reads == read_by


@PROPS
@given(any_case)
def test_mappings_round_trip_through_to_dict_with_the_same_answers(case: Case) -> None:
    mapping, upstream, downstream, now = case
    again = mapping_from_dict(mapping.to_dict())
    assert again == mapping
    for d in keys_of(downstream, now)[:20]:
        assert again.upstream_keys(d, upstream, downstream, now) == mapping.upstream_keys(d, upstream, downstream, now)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


@PROPS
@given(time_window_cases())
def test_time_windows_read_exactly_the_overlapping_due_windows(case: Case) -> None:
    _, upstream, downstream, now = case
    assert isinstance(upstream, TimeWindowPartitions) and isinstance(downstream, TimeWindowPartitions)
    up = {k: upstream.data_interval(k) for k in upstream.keys(now)}
    down = {k: downstream.data_interval(k) for k in downstream.keys(now)}
    expected = {
        (u, d) for u, ui in up.items() for d, di in down.items()
        if _utc(ui.start) < _utc(di.end) and _utc(di.start) < _utc(ui.end)
    }
    reads, _ = pairs_both_ways(case)
    assert reads == expected


@PROPS
@given(shifted_cases())
def test_lookback_and_offset_read_the_windows_so_many_steps_back(case: Case) -> None:
    mapping, upstream, downstream, now = case
    assert upstream is not None and downstream is not None
    steps = range(-mapping.n, 1) if hasattr(mapping, "n") else [getattr(mapping, "shift")]
    if isinstance(downstream, TimeWindowPartitions) and isinstance(upstream, TimeWindowPartitions):
        # Compare instants, not positions: the oracle must not share the code's arithmetic.
        up_by_start = {_utc(upstream.data_interval(k).start): k for k in upstream.keys(now)}
        position = {k: i for i, k in enumerate(downstream.keys(now))}
        for d, i in position.items():
            starts = [_utc(downstream.window_start(i + s)) for s in steps]
            expected = sorted((up_by_start[t] for t in starts if t in up_by_start), key=upstream.keys(now).index)
            assert mapping.upstream_keys(d, upstream, downstream, now) == expected
    else:
        keys = upstream.keys(now)
        for i, d in enumerate(keys):
            expected = [keys[i + s] for s in steps if 0 <= i + s < len(keys)]
            assert mapping.upstream_keys(d, upstream, downstream, now) == expected


@PROPS
@given(dimension_cases())
def test_dimension_mappings_fix_one_dimension_and_keep_every_due_value_of_the_others(case: Case) -> None:
    mapping, upstream, downstream, now = case
    assert isinstance(mapping, DimensionMapping)
    multi = upstream if isinstance(upstream, MultiPartitions) else downstream
    assert isinstance(multi, MultiPartitions)
    if multi is upstream and isinstance(mapping.inner, IdentityMapping):
        for d in keys_of(downstream, now):
            read = mapping.upstream_keys(d, upstream, downstream, now)
            assert read == [k for k in multi.keys(now) if multi.split(k)[mapping.dimension] == d]
