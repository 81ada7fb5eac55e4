"""Partitions definitions: keys, due-ness at a reference time, data intervals, errors, mappings."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from assets_core import (
    AllPartitionsMapping,
    DailyPartitions,
    HourlyPartitions,
    IdentityMapping,
    MonthlyPartitions,
    PartitionError,
    StaticPartitions,
    WeeklyPartitions,
)
from assets_core.partitions import (
    UNPARTITIONED,
    default_mapping,
    keys_of,
    partitions_from_dict,
)
from snapshot_helpers import utc

BERLIN = ZoneInfo("Europe/Berlin")


def absolute(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc)


# -- keys and due-ness -------------------------------------------------------------------


def test_daily_keys_are_due_only_once_the_day_has_ended() -> None:
    daily = DailyPartitions("2025-01-01")
    assert daily.keys(utc(2025, 1, 3)) == ["2025-01-01", "2025-01-02"]
    assert daily.keys(utc(2025, 1, 3, 23, 59, 59)) == ["2025-01-01", "2025-01-02"]
    assert daily.keys(utc(2025, 1, 4)) == ["2025-01-01", "2025-01-02", "2025-01-03"]


def test_no_key_is_due_before_the_first_window_ends() -> None:
    daily = DailyPartitions("2025-01-01")
    assert daily.keys(utc(2024, 6, 1)) == []
    assert daily.keys(utc(2025, 1, 1, 12)) == []


def test_end_offset_one_includes_the_running_window() -> None:
    daily = DailyPartitions("2025-01-01", end_offset=1)
    assert daily.keys(utc(2025, 1, 1, 12)) == ["2025-01-01"]
    assert daily.keys(utc(2025, 1, 3, 6)) == ["2025-01-01", "2025-01-02", "2025-01-03"]


def test_end_offset_two_includes_the_window_after_the_running_one() -> None:
    daily = DailyPartitions("2025-01-01", end_offset=2)
    assert daily.keys(utc(2025, 1, 1, 12)) == ["2025-01-01", "2025-01-02"]


def test_bounded_definition_stops_at_its_end_whatever_the_time() -> None:
    daily = DailyPartitions("2025-01-01", "2025-01-04")
    assert daily.keys() == ["2025-01-01", "2025-01-02", "2025-01-03"]
    assert daily.keys(utc(2030, 1, 1)) == ["2025-01-01", "2025-01-02", "2025-01-03"]
    assert daily.keys(utc(2025, 1, 2)) == ["2025-01-01"]
    assert not daily.is_key("2025-01-04")


def test_end_offset_does_not_reach_past_a_bounded_end() -> None:
    daily = DailyPartitions("2025-01-01", "2025-01-03", end_offset=5)
    assert daily.keys(utc(2025, 1, 1, 12)) == ["2025-01-01", "2025-01-02"]


def test_open_ended_definition_needs_a_reference_time() -> None:
    with pytest.raises(PartitionError, match="needs a reference time"):
        DailyPartitions("2025-01-01").keys()


def test_daily_due_ness_follows_the_definition_timezone() -> None:
    # 23:30 UTC on 2 January is already 3 January in Berlin: the 2nd has ended there.
    now = utc(2025, 1, 2, 23, 30)
    assert DailyPartitions("2025-01-01", timezone="Europe/Berlin").keys(now) == ["2025-01-01", "2025-01-02"]
    assert DailyPartitions("2025-01-01").keys(now) == ["2025-01-01"]


def test_hourly_keys_and_due_ness() -> None:
    hourly = HourlyPartitions("2025-01-01T00:00")
    assert hourly.keys(utc(2025, 1, 1, 3, 59)) == ["2025-01-01T00", "2025-01-01T01", "2025-01-01T02"]
    assert hourly.keys(utc(2025, 1, 1, 4)) == [
        "2025-01-01T00", "2025-01-01T01", "2025-01-01T02", "2025-01-01T03",
    ]


def test_hourly_start_inside_an_hour_rounds_up_to_the_next_hour() -> None:
    hourly = HourlyPartitions("2025-01-01T10:30")
    assert hourly.keys(utc(2025, 1, 1, 13)) == ["2025-01-01T11", "2025-01-01T12"]


def test_weekly_keys_are_mondays_from_the_first_monday_on_or_after_start() -> None:
    weekly = WeeklyPartitions("2025-01-01")  # a Wednesday
    assert weekly.keys(utc(2025, 1, 20)) == ["2025-01-06", "2025-01-13"]
    assert weekly.keys(utc(2025, 1, 19, 23, 59)) == ["2025-01-06"]
    assert all(date.fromisoformat(k).weekday() == 0 for k in weekly.keys(utc(2025, 6, 1)))
    assert weekly.index_of("2025-01-07") is None  # a Tuesday


def test_monthly_keys_start_at_the_first_whole_month() -> None:
    monthly = MonthlyPartitions("2025-01-15", "2025-06-01")
    assert monthly.keys() == ["2025-02", "2025-03", "2025-04", "2025-05"]
    assert MonthlyPartitions("2024-11-01").keys(utc(2025, 2, 1)) == ["2024-11", "2024-12", "2025-01"]


def test_static_keys_keep_their_order() -> None:
    regions = StaticPartitions(["us", "eu", "apac"])
    assert regions.keys() == ["us", "eu", "apac"]
    assert regions.keys(utc(1999, 1, 1)) == ["us", "eu", "apac"]
    assert regions.index_of("eu") == 1
    assert regions.index_of("EU") is None


def test_unpartitioned_asset_has_one_empty_key() -> None:
    assert keys_of(None, utc(2025, 1, 1)) == [UNPARTITIONED] == [""]


# -- ranges and bad keys -----------------------------------------------------------------


def test_key_range_includes_both_ends() -> None:
    daily = DailyPartitions("2025-01-01")
    assert daily.key_range("2025-01-02", "2025-01-04", "orders") == ["2025-01-02", "2025-01-03", "2025-01-04"]
    assert daily.key_range("2025-01-02", "2025-01-02", "orders") == ["2025-01-02"]
    regions = StaticPartitions(["a", "b", "c", "d"])
    assert regions.key_range("b", "c", "sales") == ["b", "c"]


def test_reversed_key_range_says_to_put_the_earlier_key_first() -> None:
    with pytest.raises(PartitionError, match="put the earlier key first"):
        DailyPartitions("2025-01-01").key_range("2025-01-04", "2025-01-02", "orders")


def test_key_range_with_a_bad_key_names_the_key_and_the_asset() -> None:
    with pytest.raises(PartitionError, match=re.escape("'2025-02-30' is not a partition of 'orders'")):
        DailyPartitions("2025-01-01").key_range("2025-01-02", "2025-02-30", "orders")


@pytest.mark.parametrize(
    ("definition", "key", "message"),
    [
        (DailyPartitions("2024-01-01"), "2024-13-01",
         "'2024-13-01' is not a partition of 'orders' (daily, expected YYYY-MM-DD)."),
        (DailyPartitions("2024-01-01"), "2024-02-30",
         "'2024-02-30' is not a partition of 'orders' (daily, expected YYYY-MM-DD)."),
        (DailyPartitions("2024-01-01"), "2024-1-01",
         "'2024-1-01' is not a partition of 'orders' (daily, expected YYYY-MM-DD)."),
        (DailyPartitions("2024-01-01"), "yesterday",
         "'yesterday' is not a partition of 'orders' (daily, expected YYYY-MM-DD)."),
        (DailyPartitions("2024-01-01"), "2023-12-31",
         "'2023-12-31' is not a partition of 'orders' (daily, expected YYYY-MM-DD)."),
        (DailyPartitions("2024-01-01", "2024-02-01"), "2024-02-01",
         "'2024-02-01' is not a partition of 'orders' (daily, expected YYYY-MM-DD)."),
        (MonthlyPartitions("2024-01-01"), "2024-13",
         "'2024-13' is not a partition of 'orders' (monthly, expected YYYY-MM)."),
        (HourlyPartitions("2024-01-01"), "2024-01-01T24",
         "'2024-01-01T24' is not a partition of 'orders' (hourly, expected YYYY-MM-DDTHH)."),
        (WeeklyPartitions("2024-01-01"), "2024-01-03",
         "'2024-01-03' is not a partition of 'orders' (weekly, expected the Monday starting the week, YYYY-MM-DD)."),
        (StaticPartitions(["eu", "us"]), "asia",
         "'asia' is not a partition of 'orders' (static, expected one of eu, us)."),
    ],
)
def test_bad_key_gives_partition_error_naming_key_asset_and_format(definition, key, message) -> None:  # type: ignore[no-untyped-def]
    assert not definition.is_key(key)
    with pytest.raises(PartitionError) as raised:
        definition.check_key(key, "orders")
    assert str(raised.value) == message


def test_good_key_passes_check_key() -> None:
    DailyPartitions("2024-01-01").check_key("2024-02-29", "orders")  # leap day


def test_static_expected_lists_at_most_five_keys() -> None:
    regions = StaticPartitions([f"r{i}" for i in range(8)])
    assert regions.expected() == "one of r0, r1, r2, r3, r4, ..."


# -- data intervals ----------------------------------------------------------------------


def test_daily_data_interval_is_half_open_and_timezone_aware() -> None:
    interval = DailyPartitions("2025-01-01", timezone="Europe/Berlin").data_interval("2025-01-02")
    assert interval.start.tzinfo is not None and interval.end.tzinfo is not None
    assert interval.start == datetime(2025, 1, 2, tzinfo=BERLIN)
    assert interval.end == datetime(2025, 1, 3, tzinfo=BERLIN)
    assert absolute(interval.start) == utc(2025, 1, 1, 23)
    assert absolute(interval.end) - absolute(interval.start) == timedelta(hours=24)


def test_next_interval_starts_where_the_previous_one_ends() -> None:
    daily = DailyPartitions("2025-01-01")
    first, second = daily.data_interval("2025-01-01"), daily.data_interval("2025-01-02")
    assert first.end == second.start
    assert first.start.isoformat() == "2025-01-01T00:00:00+00:00"


def test_monthly_data_interval_covers_the_whole_month() -> None:
    interval = MonthlyPartitions("2024-01-01").data_interval("2024-02")
    assert (interval.start, interval.end) == (utc(2024, 2, 1), utc(2024, 3, 1))
    december = MonthlyPartitions("2024-01-01").data_interval("2024-12")
    assert december.end == utc(2025, 1, 1)


def test_weekly_data_interval_is_seven_days() -> None:
    interval = WeeklyPartitions("2025-01-06").data_interval("2025-01-13")
    assert (interval.start, interval.end) == (utc(2025, 1, 13), utc(2025, 1, 20))


def test_data_interval_of_a_bad_key_is_a_partition_error() -> None:
    with pytest.raises(PartitionError, match="'2025-13-01' is not a daily key"):
        DailyPartitions("2025-01-01").data_interval("2025-13-01")


def test_static_and_unpartitioned_have_no_data_interval() -> None:
    assert StaticPartitions(["eu"]).data_interval("eu") is None


def test_berlin_spring_dst_day_has_23_hourly_partitions_with_contiguous_intervals() -> None:
    hourly = HourlyPartitions("2024-03-31", "2024-04-01", timezone="Europe/Berlin")
    keys = hourly.keys()
    assert len(keys) == 23
    assert "2024-03-31T02" not in keys  # 02:00 does not exist that night
    assert keys[:3] == ["2024-03-31T00", "2024-03-31T01", "2024-03-31T03"]
    intervals = [hourly.data_interval(k) for k in keys]
    for before, after in zip(intervals, intervals[1:]):
        assert absolute(before.end) == absolute(after.start)
    for interval in intervals:
        assert absolute(interval.end) - absolute(interval.start) == timedelta(hours=1)
    assert absolute(intervals[0].start) == utc(2024, 3, 30, 23)
    assert absolute(intervals[-1].end) == utc(2024, 3, 31, 22)


def test_berlin_autumn_dst_day_has_25_distinct_hourly_partitions() -> None:
    hourly = HourlyPartitions("2024-10-27", "2024-10-28", timezone="Europe/Berlin")
    keys = hourly.keys()
    assert len(keys) == 25
    # Two different hours (02:00 CEST and 02:00 CET) must not share a key: the key names the
    # file and the catalog row, so a shared key would overwrite one hour with the other.
    assert len(set(keys)) == 25
    assert [hourly.index_of(k) for k in keys] == list(range(25))


def test_berlin_dst_daily_partition_is_23_hours_long() -> None:
    interval = DailyPartitions("2024-03-01", timezone="Europe/Berlin").data_interval("2024-03-31")
    assert absolute(interval.end) - absolute(interval.start) == timedelta(hours=23)
    assert interval.start.utcoffset() == timedelta(hours=1)
    assert interval.end.utcoffset() == timedelta(hours=2)


# -- construction errors -----------------------------------------------------------------


@pytest.mark.parametrize("key", ["a/b", "..", "a..b", "../etc", "", ".hidden", "trailing.", "white space", "é"])
def test_static_key_that_could_escape_a_path_is_refused(key: str) -> None:
    with pytest.raises(PartitionError, match="is not allowed: use letters, digits"):
        StaticPartitions(["ok", key])


@pytest.mark.parametrize("key", ["eu", "EU-west_1", "v1.2", "2025"])
def test_static_key_with_letters_digits_dashes_and_single_dots_is_fine(key: str) -> None:
    assert StaticPartitions([key]).keys() == [key]


def test_static_duplicate_key_is_refused() -> None:
    with pytest.raises(PartitionError, match="Static partition key 'eu' is listed twice: remove one."):
        StaticPartitions(["eu", "us", "eu"])


def test_static_needs_a_key() -> None:
    with pytest.raises(PartitionError, match="at least one key"):
        StaticPartitions([])


def test_unknown_timezone_is_refused_with_an_example() -> None:
    with pytest.raises(PartitionError, match="Unknown timezone 'Mars/Olympus'.*Europe/Berlin"):
        DailyPartitions("2025-01-01", timezone="Mars/Olympus")


def test_start_that_is_not_a_date_is_refused() -> None:
    with pytest.raises(PartitionError, match="Partitions start 'soon' is not a date: write it as YYYY-MM-DD."):
        DailyPartitions("soon")


def test_end_before_start_is_refused() -> None:
    with pytest.raises(PartitionError, match="is not after start"):
        DailyPartitions("2025-01-05", "2025-01-01")


def test_start_accepts_dates_and_datetimes() -> None:
    assert DailyPartitions(date(2025, 1, 1)) == DailyPartitions("2025-01-01")
    assert DailyPartitions(datetime(2025, 1, 1)) == DailyPartitions("2025-01-01")


# -- equality and serialization ----------------------------------------------------------


def test_definitions_compare_and_hash_by_content() -> None:
    assert DailyPartitions("2025-01-01") == DailyPartitions("2025-01-01")
    assert hash(DailyPartitions("2025-01-01")) == hash(DailyPartitions("2025-01-01"))
    assert DailyPartitions("2025-01-01") != DailyPartitions("2025-01-02")
    assert DailyPartitions("2025-01-01") != DailyPartitions("2025-01-01", timezone="Europe/Berlin")
    assert DailyPartitions("2025-01-01") != DailyPartitions("2025-01-01", end_offset=1)
    assert DailyPartitions("2025-01-06") != WeeklyPartitions("2025-01-06")
    assert StaticPartitions(["a", "b"]) == StaticPartitions(["a", "b"])
    assert StaticPartitions(["a", "b"]) != StaticPartitions(["b", "a"])


@pytest.mark.parametrize(
    "definition",
    [
        DailyPartitions("2025-01-01"),
        DailyPartitions("2025-01-01", "2025-03-01", timezone="Europe/Berlin", end_offset=1),
        HourlyPartitions("2025-03-30T00:00", timezone="Europe/Berlin"),
        WeeklyPartitions("2025-01-01", "2025-06-30", timezone="America/New_York"),
        MonthlyPartitions("2024-11-01", "2025-07-01"),
        StaticPartitions(["eu", "us", "v1.2"]),
    ],
    ids=repr,
)
def test_to_dict_round_trips_through_partitions_from_dict(definition) -> None:  # type: ignore[no-untyped-def]
    again = partitions_from_dict(definition.to_dict())
    assert again == definition
    assert type(again) is type(definition)
    assert again.to_dict() == definition.to_dict()
    now = utc(2025, 8, 1)
    assert again.keys(now) == definition.keys(now)


def test_partitions_from_dict_reads_a_sql_header_table() -> None:
    spec = {"kind": "daily", "start": "2025-01-01", "timezone": "Europe/Berlin"}
    assert partitions_from_dict(spec) == DailyPartitions("2025-01-01", timezone="Europe/Berlin")
    assert partitions_from_dict(None) is None


def test_partitions_from_dict_with_unknown_kind_lists_the_kinds() -> None:
    with pytest.raises(PartitionError, match="Unknown partitions kind 'yearly': use one of daily, hourly, weekly, monthly, static."):
        partitions_from_dict({"kind": "yearly", "start": "2025-01-01"})


def test_partitions_from_dict_with_bad_options_is_a_partition_error() -> None:
    with pytest.raises(PartitionError, match="Bad options for daily partitions"):
        partitions_from_dict({"kind": "daily", "start": "2025-01-01", "begin": "x"})


# -- mappings ----------------------------------------------------------------------------


def test_default_mapping_is_identity_between_equal_definitions_and_all_otherwise() -> None:
    daily = DailyPartitions("2025-01-01")
    assert isinstance(default_mapping(daily, DailyPartitions("2025-01-01")), IdentityMapping)
    assert isinstance(default_mapping(daily, MonthlyPartitions("2025-01-01")), AllPartitionsMapping)
    assert isinstance(default_mapping(daily, None), AllPartitionsMapping)
    assert isinstance(default_mapping(None, daily), AllPartitionsMapping)
    assert isinstance(default_mapping(None, None), AllPartitionsMapping)


def test_identity_mapping_reads_the_same_key_both_ways() -> None:
    daily = DailyPartitions("2025-01-01")
    mapping = IdentityMapping()
    assert mapping.upstream_keys("2025-01-02", daily, daily, utc(2025, 1, 5)) == ["2025-01-02"]
    assert mapping.downstream_keys("2025-01-02", daily, daily, utc(2025, 1, 5)) == ["2025-01-02"]
    assert not mapping.is_fan_in()


def test_all_partitions_mapping_reads_every_due_upstream_key() -> None:
    daily = DailyPartitions("2025-01-01")
    mapping = AllPartitionsMapping()
    now = utc(2025, 1, 4)
    assert mapping.upstream_keys("", daily, None, now) == ["2025-01-01", "2025-01-02", "2025-01-03"]
    assert mapping.downstream_keys("2025-01-02", daily, None, now) == [""]
    assert mapping.upstream_keys("2025-01", None, MonthlyPartitions("2025-01-01"), now) == [""]
    assert mapping.is_fan_in()
