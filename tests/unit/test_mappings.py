"""Partition mappings, both directions, with concrete keys: what a partition reads, what reads it."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from assets_core import AllPartitionsMapping, IdentityMapping, PartitionError
from assets_core.partitions import (
    DailyPartitions,
    DimensionMapping,
    DynamicPartitions,
    HourlyPartitions,
    LookbackMapping,
    MonthlyPartitions,
    MultiPartitions,
    OffsetMapping,
    PartitionMapping,
    PartitionsDefinition,
    StaticMapping,
    StaticPartitions,
    TimeWindowMapping,
    WeeklyPartitions,
    default_mapping,
    lookback,
    mapping_from_dict,
    offset,
)
from snapshot_helpers import utc

DAILY = DailyPartitions("2025-01-01")
MONTHLY = MonthlyPartitions("2025-01-01")
NOW = utc(2025, 3, 15)
"""January and February have ended; days up to 14 March are due."""


def both_ways(
    mapping: PartitionMapping, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None,
    now: datetime,
) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(upstream, downstream) pairs read, asked from each side over all due keys."""
    up_keys = [""] if upstream is None else upstream.keys(now)
    down_keys = [""] if downstream is None else downstream.keys(now)
    reads = {(u, d) for d in down_keys for u in mapping.upstream_keys(d, upstream, downstream, now)}
    read_by = {(u, d) for u in up_keys for d in mapping.downstream_keys(u, upstream, downstream, now)}
    return reads, read_by


# -- time windows ------------------------------------------------------------------------------


def test_a_month_reads_its_31_days_and_a_day_is_read_by_its_month() -> None:
    mapping = TimeWindowMapping()
    january = mapping.upstream_keys("2025-01", DAILY, MONTHLY, NOW)
    assert len(january) == 31 and january[0] == "2025-01-01" and january[-1] == "2025-01-31"
    assert mapping.downstream_keys("2025-01-17", DAILY, MONTHLY, NOW) == ["2025-01"]
    # March has not ended: no month reads its days yet.
    assert mapping.downstream_keys("2025-03-01", DAILY, MONTHLY, NOW) == []
    assert mapping.reads_many(DAILY, MONTHLY)


def test_a_day_reads_its_month_and_a_month_is_read_by_its_due_days() -> None:
    mapping = TimeWindowMapping()
    assert mapping.upstream_keys("2025-02-03", MONTHLY, DAILY, NOW) == ["2025-02"]
    assert mapping.upstream_keys("2025-03-03", MONTHLY, DAILY, NOW) == []  # March is not due
    assert len(mapping.downstream_keys("2025-02", MONTHLY, DAILY, NOW)) == 28
    assert not mapping.reads_many(MONTHLY, DAILY)


def test_a_month_that_started_before_the_upstream_reads_only_the_days_that_exist() -> None:
    days = DailyPartitions("2025-01-10", "2025-01-20")
    assert TimeWindowMapping().upstream_keys("2025-01", days, MONTHLY, NOW) == days.keys()


def test_a_berlin_day_reads_the_utc_hours_it_overlaps() -> None:
    hours = HourlyPartitions("2025-03-01")
    berlin = DailyPartitions("2025-03-01", timezone="Europe/Berlin")
    now = utc(2025, 4, 1)
    read = TimeWindowMapping().upstream_keys("2025-03-30", hours, berlin, now)
    assert read[0] == "2025-03-29T23" and read[-1] == "2025-03-30T21" and len(read) == 23
    assert TimeWindowMapping().downstream_keys("2025-03-29T23", hours, berlin, now) == ["2025-03-30"]
    assert TimeWindowMapping().reads_many(hours, berlin)


def test_berlin_days_read_their_berlin_hours_across_dst() -> None:
    hours = HourlyPartitions("2025-01-01", timezone="Europe/Berlin")
    days = DailyPartitions("2025-01-01", timezone="Europe/Berlin")
    now = utc(2025, 12, 1)
    assert len(TimeWindowMapping().upstream_keys("2025-03-30", hours, days, now)) == 23
    october = TimeWindowMapping().upstream_keys("2025-10-26", hours, days, now)
    assert len(october) == 25 and "2025-10-26T02+0100" in october
    assert TimeWindowMapping().upstream_keys("2025-10-26T02+0100", days, hours, now) == ["2025-10-26"]
    assert not TimeWindowMapping().reads_many(days, hours)  # an hour sits inside one local day


def test_a_utc_day_reads_two_berlin_days() -> None:
    berlin = DailyPartitions("2025-01-01", timezone="Europe/Berlin")
    assert TimeWindowMapping().upstream_keys("2025-01-05", berlin, DAILY, NOW) == ["2025-01-05", "2025-01-06"]
    assert TimeWindowMapping().reads_many(berlin, DAILY)


def test_a_week_reads_its_seven_days_and_a_month_the_weeks_it_overlaps() -> None:
    weekly = WeeklyPartitions("2025-01-01")
    assert TimeWindowMapping().upstream_keys("2025-01-13", DAILY, weekly, NOW) == [
        f"2025-01-{d}" for d in range(13, 20)
    ]
    assert TimeWindowMapping().upstream_keys("2025-02", weekly, MONTHLY, NOW) == [
        "2025-01-27", "2025-02-03", "2025-02-10", "2025-02-17", "2025-02-24",
    ]
    assert TimeWindowMapping().reads_many(weekly, MONTHLY)


def test_time_window_mapping_needs_time_partitions_on_both_sides() -> None:
    assert TimeWindowMapping().misfit(DAILY, MONTHLY) is None
    assert TimeWindowMapping().misfit(StaticPartitions(["eu"]), DAILY) == (
        "a time-window mapping, which needs time partitions on both sides, but they are "
        "static: eu and daily from 2025-01-01 (UTC)"
    )
    assert TimeWindowMapping().misfit(DAILY, None) is not None


# -- lookback ----------------------------------------------------------------------------------


def test_a_seven_day_lookback_reads_the_day_and_the_seven_before() -> None:
    mapping = lookback(7)
    assert mapping.upstream_keys("2025-01-10", DAILY, DAILY, NOW) == [f"2025-01-{d:02d}" for d in range(3, 11)]
    assert mapping.upstream_keys("2025-01-03", DAILY, DAILY, NOW) == ["2025-01-01", "2025-01-02", "2025-01-03"]
    assert mapping.downstream_keys("2025-01-03", DAILY, DAILY, NOW) == [f"2025-01-{d:02d}" for d in range(3, 11)]
    # Only downstream keys that are due: 14 March is the last.
    assert mapping.downstream_keys("2025-03-12", DAILY, DAILY, NOW) == ["2025-03-12", "2025-03-13", "2025-03-14"]
    assert mapping.reads_many(DAILY, DAILY) and not mapping.is_fan_in()
    assert not mapping.allows_self_dependency()


def test_lookback_in_days_is_the_same_window_said_in_days() -> None:
    assert lookback(days=7) == LookbackMapping(7, "days")
    assert lookback(days=7).upstream_keys("2025-01-10", DAILY, DAILY, NOW) == lookback(7).upstream_keys(
        "2025-01-10", DAILY, DAILY, NOW
    )
    assert lookback(days=7).misfit(MONTHLY, MONTHLY) == (
        "lookback(days=7), which counts days, but the partitions are monthly from 2025-01-01 (UTC): "
        "write lookback(7) to count partitions"
    )


def test_lookback_between_daily_assets_with_different_starts_follows_the_dates() -> None:
    older = DailyPartitions("2024-12-01")
    assert lookback(2).upstream_keys("2025-01-01", older, DAILY, NOW) == ["2024-12-30", "2024-12-31", "2025-01-01"]
    assert lookback(2).downstream_keys("2024-12-30", older, DAILY, NOW) == ["2025-01-01"]
    assert lookback(2).downstream_keys("2024-12-20", older, DAILY, NOW) == []


def test_lookback_on_hourly_partitions_across_the_autumn_change() -> None:
    hours = HourlyPartitions("2025-10-26", timezone="Europe/Berlin")
    now = utc(2025, 10, 27)
    assert lookback(2).upstream_keys("2025-10-26T03", hours, hours, now) == [
        "2025-10-26T02", "2025-10-26T02+0100", "2025-10-26T03",
    ]


def test_lookback_needs_the_same_windows() -> None:
    assert "lookback(3), which needs the same windows upstream and downstream" in str(
        lookback(3).misfit(DAILY, MONTHLY)
    )
    assert lookback(3).misfit(DAILY, DailyPartitions("2024-01-01")) is None
    assert lookback(3).misfit(DAILY, DailyPartitions("2025-01-01", timezone="Europe/Berlin")) is not None
    assert lookback(3).misfit(HourlyPartitions("2025-01-01T00:00"), HourlyPartitions("2025-01-01T00:00",
                                                                                        timezone="Asia/Kolkata"))
    assert lookback(1).misfit(StaticPartitions(["a", "b"]), StaticPartitions(["a", "b"])) is None
    assert lookback(1).misfit(None, None) is not None


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: lookback(), "lookback takes a number of partitions or days=: lookback(7) or lookback(days=7)."),
        (lambda: lookback(3, days=3), "lookback takes a number of partitions or days="),
        (lambda: lookback(-1), "lookback(-1) needs a whole number of partitions, 0 or more."),
        (lambda: lookback(1.5), "lookback(1.5) needs a whole number"),
        (lambda: offset("1"), "offset('1') needs a whole number of partitions, such as offset(-1)."),
    ],
)
def test_bad_lookbacks_and_offsets_are_refused(make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PartitionError, match=re.escape(message)):
        make()


# -- offset ------------------------------------------------------------------------------------


def test_offset_minus_one_reads_the_previous_partition_and_the_first_reads_nothing() -> None:
    mapping = offset(-1)
    assert mapping.upstream_keys("2025-01-01", DAILY, DAILY, NOW) == []
    assert mapping.upstream_keys("2025-01-02", DAILY, DAILY, NOW) == ["2025-01-01"]
    assert mapping.downstream_keys("2025-01-01", DAILY, DAILY, NOW) == ["2025-01-02"]
    assert mapping.downstream_keys("2025-03-14", DAILY, DAILY, NOW) == []  # 15 March is not due
    assert mapping.allows_self_dependency()
    assert not mapping.reads_many(DAILY, DAILY)


def test_positive_and_zero_offsets_do_not_allow_an_asset_to_read_itself() -> None:
    assert not offset(0).allows_self_dependency()
    assert not offset(1).allows_self_dependency()
    assert offset(1).upstream_keys("2025-03-13", DAILY, DAILY, NOW) == ["2025-03-14"]
    assert offset(1).upstream_keys("2025-03-14", DAILY, DAILY, NOW) == []  # 15 March is not due


def test_offset_on_months_and_static_keys() -> None:
    assert offset(-12).upstream_keys("2026-01", MonthlyPartitions("2024-01-01"), MONTHLY, utc(2026, 3, 1)) == ["2025-01"]
    letters = StaticPartitions(["a", "b", "c"])
    assert offset(-1).upstream_keys("b", letters, letters, None) == ["a"]
    assert offset(-1).downstream_keys("c", letters, letters, None) == []


# -- static mapping ----------------------------------------------------------------------------

COUNTRIES = StaticPartitions(["de", "fr", "us"])
REGIONS = StaticPartitions(["eu", "us", "apac"])
BY_REGION = StaticMapping({"eu": ["fr", "de"], "us": "us"})


def test_static_mapping_maps_downstream_keys_to_upstream_keys_in_upstream_order() -> None:
    assert BY_REGION.upstream_keys("eu", COUNTRIES, REGIONS, None) == ["de", "fr"]
    assert BY_REGION.upstream_keys("us", COUNTRIES, REGIONS, None) == ["us"]
    assert BY_REGION.upstream_keys("apac", COUNTRIES, REGIONS, None) == []


def test_static_mapping_reverse_direction() -> None:
    assert BY_REGION.downstream_keys("fr", COUNTRIES, REGIONS, None) == ["eu"]
    assert BY_REGION.downstream_keys("us", COUNTRIES, REGIONS, None) == ["us"]
    shared = StaticMapping({"us": ["de"], "eu": ["de"]})
    assert shared.downstream_keys("de", COUNTRIES, REGIONS, None) == ["eu", "us"]
    reads, read_by = both_ways(BY_REGION, COUNTRIES, REGIONS, NOW)
    assert reads == read_by == {("de", "eu"), ("fr", "eu"), ("us", "us")}


def test_static_mapping_reads_many_only_with_several_sources() -> None:
    assert BY_REGION.reads_many()
    assert not StaticMapping({"eu": ["de"], "us": "us"}).reads_many()


def test_static_mapping_over_time_keys_reads_only_due_ones() -> None:
    quarters = StaticPartitions(["q1"])
    mapping = StaticMapping({"q1": ["2025-01", "2025-02", "2025-03"]})
    assert mapping.misfit(MONTHLY, quarters) is None
    assert mapping.upstream_keys("q1", MONTHLY, quarters, NOW) == ["2025-01", "2025-02"]


def test_static_mapping_misfit_names_the_key_that_is_not_a_partition() -> None:
    assert BY_REGION.misfit(COUNTRIES, REGIONS) is None
    assert StaticMapping({"eu": ["de", "it"]}).misfit(COUNTRIES, REGIONS) == (
        "a static mapping that names 'it', which the upstream partitions do not hold (static, expected one of de, fr, us)"
    )
    assert StaticMapping({"asia": ["de"]}).misfit(COUNTRIES, REGIONS) == (
        "a static mapping that names 'asia', which the downstream partitions do not hold (static, expected one of eu, us, apac)"
    )
    assert StaticMapping({"eu": ["de"]}).misfit(None, REGIONS) is not None
    assert StaticMapping({"eu": ["x"]}).misfit(DynamicPartitions("files"), REGIONS) is None  # keys come later


def test_static_mapping_refuses_what_is_not_keys() -> None:
    with pytest.raises(PartitionError, match="StaticMapping entry 'eu': \\[1\\] is not keys"):
        StaticMapping({"eu": [1]})  # type: ignore[list-item]


# -- dimension mapping -------------------------------------------------------------------------

SALES = MultiPartitions(date=DailyPartitions("2025-01-01"), region=StaticPartitions(["eu", "us"]))
LATER = utc(2025, 1, 4)


def test_a_multi_partition_reads_the_day_of_its_date_value() -> None:
    mapping = DimensionMapping("date")
    assert mapping.upstream_keys("2025-01-02|us", DAILY, SALES, LATER) == ["2025-01-02"]
    assert mapping.downstream_keys("2025-01-02", DAILY, SALES, LATER) == ["2025-01-02|eu", "2025-01-02|us"]
    assert not mapping.reads_many(DAILY, SALES)


def test_a_day_reads_every_region_of_that_day() -> None:
    mapping = DimensionMapping("date")
    assert mapping.upstream_keys("2025-01-02", SALES, DAILY, LATER) == ["2025-01-02|eu", "2025-01-02|us"]
    assert mapping.downstream_keys("2025-01-02|eu", SALES, DAILY, LATER) == ["2025-01-02"]
    assert mapping.reads_many(SALES, DAILY)


def test_a_region_reads_every_day_of_that_region() -> None:
    regions = StaticPartitions(["eu", "us"])
    mapping = DimensionMapping("region")
    assert mapping.upstream_keys("us", SALES, regions, LATER) == ["2025-01-01|us", "2025-01-02|us", "2025-01-03|us"]
    assert mapping.downstream_keys("2025-01-03|us", SALES, regions, LATER) == ["us"]


def test_a_dimension_mapping_with_an_inner_time_window() -> None:
    mapping = DimensionMapping("date", TimeWindowMapping())
    assert mapping.misfit(SALES, MONTHLY) is None
    assert len(mapping.upstream_keys("2025-01", SALES, MONTHLY, NOW)) == 62  # 31 days x 2 regions
    assert mapping.downstream_keys("2025-01-31|us", SALES, MONTHLY, NOW) == ["2025-01"]
    assert mapping.upstream_keys("2025-02-03|eu", MONTHLY, SALES, NOW) == ["2025-02"]
    assert len(mapping.downstream_keys("2025-02", MONTHLY, SALES, NOW)) == 56


def test_a_dimension_mapping_with_an_inner_lookback_reads_many() -> None:
    mapping = DimensionMapping("date", lookback(1))
    assert mapping.upstream_keys("2025-01-02|eu", DAILY, SALES, LATER) == ["2025-01-01", "2025-01-02"]
    assert mapping.downstream_keys("2025-01-02", DAILY, SALES, LATER) == [
        "2025-01-02|eu", "2025-01-02|us", "2025-01-03|eu", "2025-01-03|us",
    ]
    assert mapping.reads_many(DAILY, SALES)


def test_dimension_mapping_misfits() -> None:
    assert DimensionMapping("date").misfit(DAILY, SALES) is None
    assert DimensionMapping("day").misfit(DAILY, SALES) == (
        "dimension(day), but the multi partitions have no dimension 'day' (they have date, region)"
    )
    assert DimensionMapping("date").misfit(MONTHLY, SALES) == (
        "an identity mapping needs equal partitions, but they differ (monthly from 2025-01-01 (UTC) vs "
        "daily from 2025-01-01 (UTC)) (in dimension 'date')"
    )
    assert "needs multi partitions on one side" in str(DimensionMapping("date").misfit(DAILY, DAILY))
    assert DimensionMapping("date").misfit(SALES, SALES) is not None


# -- default mapping ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("upstream", "downstream", "expected"),
    [
        (DAILY, DailyPartitions("2025-01-01"), IdentityMapping()),
        (DAILY, MONTHLY, TimeWindowMapping()),
        (MONTHLY, DAILY, TimeWindowMapping()),
        (DAILY, DailyPartitions("2025-01-01", timezone="Europe/Berlin"), TimeWindowMapping()),
        (DAILY, SALES, DimensionMapping("date")),
        (SALES, StaticPartitions(["eu", "us"]), DimensionMapping("region")),
        (SALES, MONTHLY, DimensionMapping("date", TimeWindowMapping())),
        (SALES, SALES, IdentityMapping()),
        (SALES, StaticPartitions(["eu"]), AllPartitionsMapping()),
        (DAILY, StaticPartitions(["eu"]), AllPartitionsMapping()),
        (DAILY, None, AllPartitionsMapping()),
        (None, DAILY, AllPartitionsMapping()),
        (None, None, AllPartitionsMapping()),
        (DynamicPartitions("f"), DynamicPartitions("f"), IdentityMapping()),
    ],
)
def test_default_mapping_reads_the_partitions_that_cover_the_same_slice(upstream, downstream, expected) -> None:  # type: ignore[no-untyped-def]
    mapping = default_mapping(upstream, downstream)
    assert mapping == expected
    assert mapping.misfit(upstream, downstream) is None or isinstance(mapping, AllPartitionsMapping)


# -- the interface: fan-in, reads_many, equality, serialization --------------------------------

ALL_MAPPINGS: list[PartitionMapping] = [
    IdentityMapping(),
    AllPartitionsMapping(),
    TimeWindowMapping(),
    lookback(7),
    lookback(days=3),
    offset(-1),
    offset(2),
    StaticMapping({"eu": ["de", "fr"], "us": "us"}),
    DimensionMapping("date"),
    DimensionMapping("date", TimeWindowMapping()),
    DimensionMapping("region", StaticMapping({"eu": ["de"]})),
]


@pytest.mark.parametrize("mapping", ALL_MAPPINGS, ids=repr)
def test_every_mapping_round_trips_through_to_dict(mapping: PartitionMapping) -> None:
    again = mapping_from_dict(mapping.to_dict())
    assert again == mapping and hash(again) == hash(mapping)
    assert type(again) is type(mapping)
    assert again.to_dict() == mapping.to_dict()
    assert again.describe() == mapping.describe()


def test_only_all_partitions_is_fan_in_and_only_negative_offsets_allow_self_dependency() -> None:
    assert [m.describe() for m in ALL_MAPPINGS if m.is_fan_in()] == ["all"]
    assert [m.describe() for m in ALL_MAPPINGS if m.allows_self_dependency()] == ["offset(-1)"]


def test_reads_many_without_definitions_is_the_cautious_answer() -> None:
    assert {m.describe(): m.reads_many() for m in ALL_MAPPINGS} == {
        "identity": False, "all": True, "time_window": True, "lookback(7)": True, "lookback(days=3)": True,
        "offset(-1)": False, "offset(2)": False, "static(2 keys)": True, "dimension(date)": True,
        "dimension(date, time_window)": True, "dimension(region, static(1 keys))": True,
    }


def test_mappings_compare_by_content() -> None:
    assert lookback(7) == lookback(7) != lookback(6)
    assert offset(-1) != lookback(1)
    assert StaticMapping({"a": ["b"]}) == StaticMapping({"a": "b"})
    assert {offset(-1), offset(-1)} == {OffsetMapping(-1)}
    assert repr(offset(-1)) == "OffsetMapping(offset(-1))"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"kind": "sideways"}, "Unknown partition mapping kind 'sideways': use one of identity, all, time_window, "
                               "lookback, offset, static, dimension."),
        ({}, "Unknown partition mapping kind None"),
        ({"kind": "offset"}, "Bad options for partition mapping kind 'offset'"),
        ({"kind": "lookback", "n": 2, "weeks": 1}, "Unknown option 'weeks' for partition mapping kind 'lookback'. It takes n, unit."),
    ],
)
def test_mapping_from_dict_errors(spec: dict[str, object], message: str) -> None:
    with pytest.raises(PartitionError, match=re.escape(message)):
        mapping_from_dict(spec)


def test_an_unpartitioned_asset_reads_all_of_a_daily_one_and_is_read_by_each_day() -> None:
    reads, read_by = both_ways(AllPartitionsMapping(), DAILY, None, utc(2025, 1, 3))
    assert reads == read_by == {("2025-01-01", ""), ("2025-01-02", "")}
