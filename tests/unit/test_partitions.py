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
from assets_core.partitions.multi import with_dynamic_keys
from assets_core.partitions import (
    UNPARTITIONED,
    DynamicPartitions,
    MultiPartitions,
    default_mapping,
    keys_of,
    partitions_from_dict,
    validate_key,
)
from snapshot_helpers import utc

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


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
         "'2023-12-31' is not a partition of 'orders' (daily, before the start 2024-01-01)."),
        (DailyPartitions("2024-01-01", "2024-01-05"), "2024-01-09",
         "'2024-01-09' is not a partition of 'orders' (daily, past the end: the last key is 2024-01-04)."),
        (WeeklyPartitions("2025-01-06"), "2025-01-08",
         "'2025-01-08' is not a partition of 'orders' (weekly, inside the window 2025-01-06: give the key at its start)."),
        (DailyPartitions("2024-01-01", "2024-02-01"), "2024-02-01",
         "'2024-02-01' is not a partition of 'orders' (daily, past the end: the last key is 2024-01-31)."),
        (MonthlyPartitions("2024-01-01"), "2024-13",
         "'2024-13' is not a partition of 'orders' (monthly, expected YYYY-MM)."),
        (HourlyPartitions("2024-01-01"), "2024-01-01T24",
         "'2024-01-01T24' is not a partition of 'orders' (hourly, expected YYYY-MM-DDTHH)."),
        (WeeklyPartitions("2024-01-01"), "2024-01-03",
         "'2024-01-03' is not a partition of 'orders' (weekly, inside the window 2024-01-01: give the key at its start)."),
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


def hours_of_day(hourly: HourlyPartitions, day: str) -> list[str]:
    return [k for k in hourly.keys(utc(2026, 1, 1)) if k.startswith(day)]


def assert_contiguous(definition, keys: list[str]) -> None:  # type: ignore[no-untyped-def]
    intervals = [definition.data_interval(k) for k in keys]
    for before, after in zip(intervals, intervals[1:]):
        assert absolute(before.end) == absolute(after.start)
    for interval in intervals:
        assert absolute(interval.start) < absolute(interval.end)


def test_berlin_2025_spring_day_has_23_hours_and_autumn_day_25() -> None:
    hourly = HourlyPartitions("2025-01-01", timezone="Europe/Berlin")
    spring, autumn = hours_of_day(hourly, "2025-03-30"), hours_of_day(hourly, "2025-10-26")
    assert len(spring) == 23 and "2025-03-30T02" not in spring
    assert len(autumn) == 25 and len(set(autumn)) == 25
    assert autumn[2:4] == ["2025-10-26T02", "2025-10-26T02+0100"]
    # Across both changes, each hour ends where the next starts, as absolute instants.
    keys = hourly.keys(utc(2025, 11, 1))
    assert_contiguous(hourly, keys)
    assert all(absolute(hourly.data_interval(k).end) - absolute(hourly.data_interval(k).start)
               == timedelta(hours=1) for k in keys)


def test_the_repeated_autumn_hour_has_its_own_interval_one_hour_later() -> None:
    hourly = HourlyPartitions("2025-10-26", timezone="Europe/Berlin")
    first, second = hourly.data_interval("2025-10-26T02"), hourly.data_interval("2025-10-26T02+0100")
    assert absolute(first.start) == utc(2025, 10, 26, 0)
    assert absolute(second.start) == utc(2025, 10, 26, 1) == absolute(first.end)
    assert hourly.index_of("2025-10-26T02+0200") is None  # the first 02:00 has no offset in its key


def test_a_key_for_the_skipped_spring_hour_is_not_a_key() -> None:
    hourly = HourlyPartitions("2025-03-30", timezone="Europe/Berlin")
    assert not hourly.is_key("2025-03-30T02")
    with pytest.raises(PartitionError, match="'2025-03-30T02' is not a partition of 'clicks'"):
        hourly.check_key("2025-03-30T02", "clicks")


@pytest.mark.parametrize(("day", "hours"), [("2025-03-29", 24), ("2025-03-30", 23), ("2025-03-31", 24),
                                             ("2025-10-26", 25), ("2025-10-27", 24)])
def test_berlin_daily_intervals_start_at_local_midnight_and_follow_dst(day: str, hours: int) -> None:
    interval = DailyPartitions("2025-01-01", timezone="Europe/Berlin").data_interval(day)
    start = date.fromisoformat(day)
    assert interval.start == datetime(start.year, start.month, start.day, tzinfo=BERLIN)
    assert (interval.start.hour, interval.start.minute) == (0, 0)
    assert interval.end.astimezone(BERLIN).hour == 0
    assert absolute(interval.end) - absolute(interval.start) == timedelta(hours=hours)


def test_berlin_daily_intervals_are_contiguous_over_a_year() -> None:
    daily = DailyPartitions("2025-01-01", timezone="Europe/Berlin")
    keys = daily.keys(utc(2026, 1, 1))
    assert len(keys) == 365
    assert_contiguous(daily, keys)


def test_weekly_and_monthly_windows_in_dst_zones_lose_or_gain_the_hour() -> None:
    weekly = WeeklyPartitions("2025-01-06", timezone="Europe/Berlin").data_interval("2025-03-24")
    assert absolute(weekly.end) - absolute(weekly.start) == timedelta(days=7, hours=-1)
    march = MonthlyPartitions("2025-01-01", timezone="Europe/Berlin").data_interval("2025-03")
    assert absolute(march.end) - absolute(march.start) == timedelta(days=31, hours=-1)
    november = MonthlyPartitions("2025-01-01", timezone="America/New_York").data_interval("2025-11")
    assert november.start == datetime(2025, 11, 1, tzinfo=NEW_YORK)
    assert absolute(november.end) - absolute(november.start) == timedelta(days=30, hours=1)
    monthly = MonthlyPartitions("2025-01-01", timezone="America/New_York")
    assert_contiguous(monthly, monthly.keys(utc(2026, 2, 1)))


def test_new_york_dst_days_have_23_and_25_hourly_partitions() -> None:
    hourly = HourlyPartitions("2025-01-01", timezone="America/New_York")
    assert len(hours_of_day(hourly, "2025-03-09")) == 23
    assert len(hours_of_day(hourly, "2025-11-02")) == 25
    assert "2025-11-02T01-0500" in hours_of_day(hourly, "2025-11-02")


def test_due_ness_in_berlin_on_the_short_day_waits_for_local_midnight() -> None:
    daily = DailyPartitions("2025-03-29", timezone="Europe/Berlin")
    # 2025-03-30 ends at 2025-03-31 00:00 CEST = 2025-03-30 22:00 UTC.
    assert daily.keys(utc(2025, 3, 30, 21, 59)) == ["2025-03-29"]
    assert daily.keys(utc(2025, 3, 30, 22)) == ["2025-03-29", "2025-03-30"]


def test_index_at_finds_the_window_containing_an_instant() -> None:
    daily = DailyPartitions("2025-01-01", timezone="Europe/Berlin")
    assert daily.index_at(utc(2025, 1, 1, 23, 30)) == 1  # already 2 January in Berlin
    assert daily.index_at(utc(2024, 12, 31, 12)) == -1
    hourly = HourlyPartitions("2025-10-26", timezone="Europe/Berlin")
    assert hourly.index_at(utc(2025, 10, 26, 1, 30)) == hourly.index_of("2025-10-26T02+0100") == 3
    monthly = MonthlyPartitions("2025-01-01")
    assert monthly.index_at(utc(2025, 3, 31, 23, 59)) == 2
    assert DailyPartitions("2025-01-01", "2025-01-03").index_at(utc(2025, 1, 9)) == 8  # not clipped


def test_keys_with_a_trailing_newline_are_not_keys() -> None:
    assert not DailyPartitions("2025-01-01").is_key("2025-01-02\n")
    assert not MonthlyPartitions("2025-01-01").is_key("2025-02\n")
    with pytest.raises(PartitionError, match="is not allowed"):
        StaticPartitions(["eu\n"])


def test_counts_and_sizes() -> None:
    assert DailyPartitions("2025-01-01").count(utc(2025, 1, 11)) == 10
    assert DailyPartitions("2025-01-01").size() is None
    assert DailyPartitions("2025-01-01", "2025-02-01").size() == 31
    assert StaticPartitions(["a", "b"]).size() == 2
    assert DailyPartitions("2025-01-01").is_due("2025-01-10", utc(2025, 1, 11))
    assert not DailyPartitions("2025-01-01").is_due("2025-01-11", utc(2025, 1, 11))


# -- dynamic partitions ------------------------------------------------------------------


def test_dynamic_keys_come_with_a_new_definition_in_the_order_given() -> None:
    declared = DynamicPartitions("landing_files")
    assert declared.keys(utc(2025, 1, 1)) == [] and declared.count() == 0
    files = declared.with_keys(["b.csv", "a.csv", "orders 2025-01-01.csv"])
    assert files.keys(utc(2025, 1, 1)) == ["b.csv", "a.csv", "orders 2025-01-01.csv"]
    assert files.index_of("a.csv") == 1 and files.index_of("c.csv") is None
    assert files.data_interval("a.csv") is None
    assert files.is_due("a.csv", None)
    assert files.with_keys(["c.csv"]).keys() == ["c.csv"]
    assert declared.keys() == [] and files.keys()[0] == "b.csv"  # neither changed


def test_dynamic_definitions_with_one_name_are_equal_whatever_their_keys() -> None:
    one, two = DynamicPartitions("files", ["a"]), DynamicPartitions("files")
    assert one == two and hash(one) == hash(two)
    assert one != DynamicPartitions("other")
    assert one.to_dict() == {"kind": "dynamic", "name": "files"}
    again = partitions_from_dict(one.to_dict())
    assert again == one and isinstance(again, DynamicPartitions) and again.keys() == []


@pytest.mark.parametrize("name", ["", "2files", "my files", "a-b", "files/x"])
def test_dynamic_name_must_be_an_identifier(name: str) -> None:
    with pytest.raises(PartitionError, match="Dynamic partitions name .* is not a name: use letters, digits and '_'"):
        DynamicPartitions(name)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "A partition key cannot be empty: give at least one character."),
        ("a/b", "Partition key 'a/b' contains '/': keys become directory names"),
        ("a\\b", "contains '\\'"),
        ("2025|eu", "contains '|'"),
        ("..", "contains '..'"),
        ("a..b", "contains '..'"),
        ("a,b", "contains ','"),
        ("a\0b", "Partition key 'a\\x00b' contains NUL: keys become directory names, so use no control characters."),
        ("a\nb", "contains a control character"),
        (" a", "Partition key ' a' starts or ends with whitespace: strip it."),
        ("a\t", "starts or ends with whitespace"),
        (".", "Partition key '.' names the current directory: use another key."),
        ("x" * 201, "Partition key 'xxxxxxxxxxxxxxxxxxxx...' is 201 bytes long in UTF-8 (201 characters)"),
    ],
)
def test_validate_key_names_the_problem_in_one_line(key: str, message: str) -> None:
    problem = validate_key(key)
    assert problem is not None and message in problem
    assert "\n" not in problem


@pytest.mark.parametrize("key", ["a", "orders.csv", "2025-01-01", "x" * 200, "Kunde Müller", "a.b.c", "@weird#"])
def test_validate_key_accepts_ordinary_names(key: str) -> None:
    assert validate_key(key) is None


def test_with_keys_refuses_a_bad_or_repeated_key() -> None:
    files = DynamicPartitions("files", ["a"])
    with pytest.raises(PartitionError) as raised:
        files.with_keys(["ok", "../etc"])
    assert str(raised.value).startswith(
        "The catalog holds key '../etc' of DynamicPartitions('files'), refused now: Partition key '../etc' contains '/'"
    )
    assert str(raised.value).endswith("Remove it: assets partitions remove files ../etc --force")
    with pytest.raises(PartitionError, match="Dynamic partitions 'files': key 'b' is listed twice: remove one."):
        files.with_keys(["b", "c", "b"])
    assert files.keys() == ["a"]


def test_dynamic_check_key_names_the_definition() -> None:
    files = DynamicPartitions("files", ["a"])
    with pytest.raises(PartitionError, match=re.escape(
        "'b' is not a partition of 'landing' (dynamic, expected a key added to dynamic partitions 'files')."
    )):
        files.check_key("b", "landing")


# -- multi partitions --------------------------------------------------------------------


def sales() -> MultiPartitions:
    return MultiPartitions(date=DailyPartitions("2025-01-01"), region=StaticPartitions(["eu", "us"]))


def test_multi_keys_are_the_product_ordered_by_the_first_dimension() -> None:
    assert sales().keys(utc(2025, 1, 3)) == ["2025-01-01|eu", "2025-01-01|us", "2025-01-02|eu", "2025-01-02|us"]
    swapped = MultiPartitions(region=StaticPartitions(["eu", "us"]), date=DailyPartitions("2025-01-01"))
    assert swapped.keys(utc(2025, 1, 3)) == ["eu|2025-01-01", "eu|2025-01-02", "us|2025-01-01", "us|2025-01-02"]
    assert swapped != sales()
    assert sales().count(utc(2025, 1, 3)) == 4
    assert sales().keys(utc(2025, 1, 1)) == []


def test_multi_index_of_orders_keys_as_the_definition_does() -> None:
    multi = sales()
    keys = multi.keys(utc(2025, 1, 6))
    assert [multi.index_of(k) for k in keys] == list(range(len(keys)))
    assert multi.sort_keys(reversed(keys)) == keys
    assert multi.index_of("2025-01-01|asia") is None and multi.index_of("2025-01-01") is None
    swapped = MultiPartitions(region=StaticPartitions(["eu", "us"]), date=DailyPartitions("2025-01-01"))
    later = swapped.keys(utc(2025, 1, 6))
    assert swapped.sort_keys(reversed(later)) == later


def test_multi_data_interval_is_that_of_its_time_dimension() -> None:
    interval = sales().data_interval("2025-01-02|us")
    assert interval is not None and (interval.start, interval.end) == (utc(2025, 1, 2), utc(2025, 1, 3))
    both_static = MultiPartitions(a=StaticPartitions(["x"]), b=StaticPartitions(["y"]))
    assert both_static.data_interval("x|y") is None
    with pytest.raises(PartitionError, match="region 'asia' is not a region key"):
        sales().data_interval("2025-01-02|asia")


def test_multi_due_ness_needs_every_part_due() -> None:
    now = utc(2025, 1, 3)
    assert sales().is_due("2025-01-02|us", now)
    assert not sales().is_due("2025-01-03|us", now)
    assert not sales().is_due("2025-01-02|asia", now)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("2025-01-01|asia", "'2025-01-01|asia' is not a partition of 'sales': region 'asia' is not a region key "
                            "(static, expected one of eu, us)."),
        ("2025-13-01|eu", "'2025-13-01|eu' is not a partition of 'sales': date '2025-13-01' is not a date key "
                          "(daily, expected YYYY-MM-DD)."),
        ("eu", "'eu' is not a partition of 'sales': expected 2 values joined by '|' (date|region), such as "
               "2025-01-01|eu; to select by region alone, write region=eu."),
        ("a|b|c", "'a|b|c' is not a partition of 'sales': expected 2 values joined by '|' (date|region), such as "
                  "2025-01-01|eu."),
    ],
)
def test_multi_check_key_names_the_dimension_that_is_wrong(key: str, message: str) -> None:
    with pytest.raises(PartitionError) as raised:
        sales().check_key(key, "sales")
    assert str(raised.value) == message


def test_multi_split_join_and_dimension() -> None:
    multi = sales()
    assert multi.split("2025-01-01|eu") == {"date": "2025-01-01", "region": "eu"}
    assert multi.join({"region": "eu", "date": "2025-01-01"}) == "2025-01-01|eu"
    assert multi.dimension("region") == StaticPartitions(["eu", "us"])
    assert multi.time_dimension == "date"
    with pytest.raises(PartitionError, match="has no dimension 'regoin': it has date, region. Did you mean 'region'?"):
        multi.dimension("regoin")
    with pytest.raises(PartitionError, match="needs a value for each of date, region, not for date"):
        multi.join({"date": "2025-01-01"})
    with pytest.raises(PartitionError, match="expected 2 values joined by"):
        multi.split("2025-01-01")


def test_multi_key_range_is_the_box_between_two_full_keys() -> None:
    multi = sales()
    assert multi.key_range("2025-01-01|eu", "2025-01-03|eu", "sales") == ["2025-01-01|eu", "2025-01-02|eu", "2025-01-03|eu"]
    assert multi.key_range("2025-01-01|eu", "2025-01-02|us", "sales") == [
        "2025-01-01|eu", "2025-01-01|us", "2025-01-02|eu", "2025-01-02|us",
    ]
    with pytest.raises(PartitionError, match=re.escape(
        "Range '2025-01-01|us..2025-01-02|eu' of 'sales' is empty: its region 'us' comes after 'eu'; put the earlier key first."
    )):
        multi.key_range("2025-01-01|us", "2025-01-02|eu", "sales")


@pytest.mark.parametrize(
    ("expression", "keys"),
    [
        ("date=2025-01-01..2025-01-03,region=eu", ["2025-01-01|eu", "2025-01-02|eu", "2025-01-03|eu"]),
        ("region=us", ["2025-01-01|us", "2025-01-02|us", "2025-01-03|us"]),  # date: every due day
        ("date=2025-01-02", ["2025-01-02|eu", "2025-01-02|us"]),
        ("region=us,eu, date = 2025-01-05,2025-01-02", ["2025-01-02|eu", "2025-01-02|us", "2025-01-05|eu", "2025-01-05|us"]),
        ("date=2025-01-01..2025-01-02,2025-01-02", ["2025-01-01|eu", "2025-01-01|us", "2025-01-02|eu", "2025-01-02|us"]),
        ("2025-01-02|us,2025-01-01|eu", ["2025-01-01|eu", "2025-01-02|us"]),
        ("2025-01-01|us..2025-01-03|us", ["2025-01-01|us", "2025-01-02|us", "2025-01-03|us"]),
    ],
)
def test_multi_select_by_dimension_or_by_full_keys(expression: str, keys: list[str]) -> None:
    assert sales().select(expression, "sales", utc(2025, 1, 4)) == keys


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("dat=2025-01-01", "Partition selection 'dat=2025-01-01' of 'sales' names 'dat', which is not one of its "
                           "dimensions (date, region). Did you mean 'date'?"),
        ("region=eu,region=us", "Partition selection 'region=eu,region=us' of 'sales' names region twice: "
                                "list its keys after one 'region='."),
        ("date=2025-13-01", "'2025-13-01' is not a partition of 'sales' dimension 'date' (daily, expected YYYY-MM-DD)."),
        ("region=asia", "'asia' is not a partition of 'sales' dimension 'region' (static, expected one of eu, us)."),
        ("date=2025-01-03..2025-01-01", "Range '2025-01-03..2025-01-01' of 'sales' dimension 'date' is empty: "
                                        "put the earlier key first."),
        ("region=", "Partition selection 'region=' of 'sales' gives region '': give region keys or A..B ranges, "
                    "or only full keys joined by '|'."),
        ("region=eu,2025-01-01|eu", "gives region '2025-01-01|eu'"),
        ("eu,region=us", "Partition selection 'eu,region=us' of 'sales' starts with 'eu': write it like "
                         "date=KEY,region=KEY."),
        ("eu", "'eu' is not a partition of 'sales': expected 2 values joined by '|' (date|region), such as "
               "2025-01-01|eu; to select by region alone, write region=eu."),
        (" , ", "The partition selection of 'sales' is empty: give keys or A..B ranges."),
    ],
)
def test_multi_select_errors_are_one_line_and_name_the_problem(expression: str, message: str) -> None:
    with pytest.raises(PartitionError) as raised:
        sales().select(expression, "sales", utc(2025, 1, 4))
    assert message in str(raised.value)
    assert "\n" not in str(raised.value)


def test_single_definitions_select_comma_lists_and_ranges_in_order() -> None:
    daily = DailyPartitions("2025-01-01")
    assert daily.select("2025-01-05, 2025-01-01..2025-01-02,2025-01-02", "orders") == [
        "2025-01-01", "2025-01-02", "2025-01-05",
    ]
    with pytest.raises(PartitionError, match="'2025-02-30' is not a partition of 'orders'"):
        daily.select("2025-02-30", "orders")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: MultiPartitions(date=DailyPartitions("2025-01-01")), "needs at least two dimensions"),
        (lambda: MultiPartitions(a=DailyPartitions("2025-01-01"), b=HourlyPartitions("2025-01-01")),
         "MultiPartitions has two time dimensions ('a' and 'b'): keep one."),
        (lambda: MultiPartitions(a=StaticPartitions(["x"]), b="eu"), "Dimension 'b' of MultiPartitions is 'eu'"),
        (lambda: MultiPartitions(a=StaticPartitions(["x"]), b=sales()), "Dimension 'b' of MultiPartitions"),
        (lambda: MultiPartitions(**{"a b": StaticPartitions(["x"]), "c": StaticPartitions(["y"])}),
         "Dimension name 'a b' is not a name"),
    ],
)
def test_bad_multi_definitions_are_refused(make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(PartitionError, match=re.escape(message)):
        make()


def test_multi_with_a_dynamic_dimension_follows_its_keys() -> None:
    declared = MultiPartitions(date=DailyPartitions("2025-01-01"), file=DynamicPartitions("files"))
    assert declared.keys(utc(2025, 1, 3)) == []
    files = DynamicPartitions("files", ["a", "b"])
    multi = with_dynamic_keys(declared, {"files": ["a", "b"]})
    assert isinstance(multi, MultiPartitions) and declared.keys(utc(2025, 1, 2)) == []
    assert multi.keys(utc(2025, 1, 2)) == ["2025-01-01|a", "2025-01-01|b"]
    assert multi.components() == (DailyPartitions("2025-01-01"), files)
    assert multi.components()[1].keys() == files.keys()


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
        DynamicPartitions("landing_files"),
        MultiPartitions(date=DailyPartitions("2025-01-01", timezone="Europe/Berlin"), region=StaticPartitions(["eu", "us"])),
        MultiPartitions(region=StaticPartitions(["eu"]), month=MonthlyPartitions("2025-01-01"), file=DynamicPartitions("f")),
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
    with pytest.raises(PartitionError, match=re.escape(
        "Unknown partitions kind 'yearly': use one of daily, hourly, weekly, monthly, static, dynamic, multi."
    )):
        partitions_from_dict({"kind": "yearly", "start": "2025-01-01"})


def test_partitions_from_dict_with_bad_options_is_a_partition_error() -> None:
    with pytest.raises(PartitionError, match="Unknown option .begin. for daily partitions. It takes start, end, timezone, end_offset."):
        partitions_from_dict({"kind": "daily", "start": "2025-01-01", "begin": "x"})


# -- mappings ----------------------------------------------------------------------------


def test_default_mapping_is_identity_between_equal_definitions_and_all_between_unrelated_ones() -> None:
    daily = DailyPartitions("2025-01-01")
    assert isinstance(default_mapping(daily, DailyPartitions("2025-01-01")), IdentityMapping)
    assert isinstance(default_mapping(daily, StaticPartitions(["eu"])), AllPartitionsMapping)
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


def test_keys_added_from_code_to_dynamic_partitions_no_asset_uses_are_refused() -> None:
    import logging

    from assets_core import AssetContext

    context = AssetContext("report", "HQ", None, "run-1", logging.getLogger("test"),
                           dynamic_partitions=frozenset({"stores", "regions"}))
    with pytest.raises(ValueError, match=r"no asset is partitioned by DynamicPartitions\('stors'\); did you mean 'stores'"):
        context.add_partitions("stors", ["BRANCH1"])
    with pytest.raises(ValueError, match=r"\(the project's: regions, stores\)"):
        context.add_partitions("warehouses", ["W1"])
    context.add_partitions("stores", ["BRANCH1"])
    assert context.added_partitions == [("stores", "BRANCH1")]


# -- counting a selection without listing it (issue 13, item 23) ------------------------------------

_COUNTED = [
    (DailyPartitions("2025-01-01"), ["2025-01-03", "2025-01-01..2025-01-31", "2025-01-05..2025-02-03,2025-03-01",
                                     "2025-02-01..2025-02-01", "2025-03-01,2025-03-01"]),
    (StaticPartitions(["eu", "us", "apac", "latam"]), ["us", "eu..apac,us..latam", "latam,eu"]),
    (HourlyPartitions("2025-03-30T00:00", timezone="Europe/Berlin"), ["2025-03-30T00..2025-03-30T05",
                                                                       "2025-03-30T01..2025-03-30T03,2025-03-30T03"]),
    (DynamicPartitions("stores", ["s1", "s2", "s3"]), ["s3..s3,s1", "s1..s3"]),
    (MultiPartitions(date=DailyPartitions("2025-01-01"), region=StaticPartitions(["eu", "us"])),
     ["date=2025-01-01..2025-01-03,region=eu", "2025-01-01|eu..2025-01-02|us"]),
]


@pytest.mark.parametrize(("definition", "expression"), [(d, e) for d, es in _COUNTED for e in es])
def test_count_selected_is_the_length_of_select(definition: object, expression: str) -> None:
    from assets_core.partitions import PartitionsDefinition

    assert isinstance(definition, PartitionsDefinition)
    now = datetime(2025, 4, 1, tzinfo=timezone.utc)
    assert definition.count_selected(expression, "a", now) == len(definition.select(expression, "a", now))


def test_count_selected_of_a_century_of_hours_lists_no_key() -> None:
    hours = HourlyPartitions("1900-01-01T00:00")
    listed: list[tuple[int, int]] = []
    original = hours.keys_between
    hours.keys_between = lambda lo, hi: listed.append((lo, hi)) or original(lo, hi)  # type: ignore[method-assign]
    assert hours.count_selected("1900-01-01T00..2025-12-31T23", "clicks") == 46_021 * 24
    assert listed == []


@pytest.mark.parametrize(("expression", "message"), [
    ("2025-01-03..2025-01-01", "Range '2025-01-03..2025-01-01' of 'a' is empty: put the earlier key first."),
    ("2024-12-31", "'2024-12-31' is not a partition of 'a'"),
    (" , ", "The partition selection of 'a' is empty"),
])
def test_count_selected_refuses_what_select_refuses(expression: str, message: str) -> None:
    days = DailyPartitions("2025-01-01")
    with pytest.raises(PartitionError, match=re.escape(message)):
        days.select(expression, "a")
    with pytest.raises(PartitionError, match=re.escape(message)):
        days.count_selected(expression, "a")
