"""Freshness evaluated, policy kind by policy kind, at its boundaries: a pure function of the
definitions, the ledger facts and a reference time passed in (no clock, no disk)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from snapshot_helpers import utc

from assets_core import (
    DailyPartitions,
    Freshness,
    HourlyPartitions,
    MultiPartitions,
    StaticPartitions,
    asset,
    source,
)
from assets_core.catalog import LedgerEntry
from assets_core.definitions.deadlines import due_at, utc_text
from assets_core.graph import build_graph
from assets_core.reports.freshness import (
    AssetFreshness,
    FreshnessFacts,
    evaluate_freshness,
    late_ranges,
)

SECOND = timedelta(seconds=1)


def judge(spec: object, ledger: Mapping[str, LedgerEntry], now: datetime,
          observations: Mapping[str, tuple[str, str]] | None = None) -> AssetFreshness:
    graph = build_graph([spec])  # type: ignore[list-item]
    name = graph.order[0]
    facts = FreshnessFacts({name: ledger}, {name: observations or {}})
    (result,) = evaluate_freshness(graph, facts, [name], now)
    return result


def met(key: str, at: datetime, rows: int = 3, data_time: datetime | None = None,
        due: datetime | None = None, published: datetime | None = None) -> tuple[str, LedgerEntry]:
    return key, LedgerEntry(key, None if due is None else utc_text(due), utc_text(at),
                            utc_text(published or at), None if data_time is None else utc_text(data_time), rows)


def days(first: int, last: int, at: datetime, month: int = 1) -> dict[str, LedgerEntry]:
    """Days ``first..last`` of 2025 (that month) met at ``at``."""
    return dict(met(f"2025-{month:02d}-{d:02d}", at) for d in range(first, last + 1))


LONG_AGO = utc(2024, 1, 1)
DAILY = DailyPartitions(start="2025-01-01")


def daily(policy: Freshness, partitions: object = DAILY) -> object:
    @asset(partitions=partitions, freshness=policy)
    def orders() -> pl.DataFrame: ...

    return orders


# -- the trail rule: the newest published window behind the newest due one ---------------------

@pytest.mark.parametrize(
    ("now", "published_through", "state", "lag"),
    [
        (utc(2025, 1, 10, 12), 9, "pass", timedelta(0)),
        (utc(2025, 1, 10, 12), 8, "pass", timedelta(days=1)),   # exactly warn_after: not past it
        (utc(2025, 1, 10, 12), 7, "warn", timedelta(days=2)),   # exactly error_after: a warning
        (utc(2025, 1, 10, 12), 6, "error", timedelta(days=3)),
        (utc(2025, 1, 10), 8, "pass", timedelta(0)),            # at the end of 01-09: not due yet
        (utc(2025, 1, 10) - SECOND, 8, "pass", timedelta(0)),
        (utc(2025, 1, 10) + SECOND, 7, "warn", timedelta(days=2)),  # a second after: 01-09 is due
    ],
)
def test_trail_rule_at_its_boundaries(now: datetime, published_through: int, state: str, lag: timedelta) -> None:
    result = judge(daily(Freshness(warn_after="1d", error_after="2d")), days(1, published_through, LONG_AGO), now)
    assert (result.state, result.lag) == (state, lag), result.reason


@pytest.mark.parametrize(("now", "state"), [(utc(2025, 1, 10) - SECOND, "pass"), (utc(2025, 1, 10), "pass"),
                                            (utc(2025, 1, 10) + SECOND, "error")])
def test_error_after_zero_flips_one_second_after_the_window_ends(now: datetime, state: str) -> None:
    assert judge(daily(Freshness(error_after="0s")), days(1, 8, LONG_AGO), now).state == state


def test_never_published_is_the_worst_state_the_policy_has() -> None:
    assert judge(daily(Freshness(error_after="1d")), {}, utc(2025, 1, 5)).state == "error"
    assert judge(daily(Freshness(warn_after="1d")), {}, utc(2025, 1, 5)).state == "warn"
    nothing_due = judge(daily(Freshness(error_after="1d")), {}, utc(2024, 12, 1))
    assert (nothing_due.state, nothing_due.reason) == ("unknown", "no partition is due yet")


def test_a_backfilled_old_partition_never_makes_the_asset_fresh() -> None:
    ledger = days(1, 5, LONG_AGO)
    ledger.update([met("2025-01-02", LONG_AGO, published=utc(2025, 1, 20))])  # republished just now
    result = judge(daily(Freshness(error_after="1d")), ledger, utc(2025, 1, 20, 1))
    assert result.state == "error" and result.lag == timedelta(days=14)


def test_end_offset_makes_the_running_window_a_key_not_yet_due() -> None:
    offset = DailyPartitions(start="2025-01-01", end_offset=1)
    result = judge(daily(Freshness(error_after="0s"), offset), days(1, 9, LONG_AGO), utc(2025, 1, 10, 12))
    assert result.state == "pass" and result.counts["not_yet_due"] == 1


# -- deadlines --------------------------------------------------------------------------------

BERLIN = DailyPartitions(start="2025-01-01", timezone="Europe/Berlin")
DUE_0109 = datetime.fromisoformat("2025-01-10T09:00:00+01:00")


@pytest.mark.parametrize(
    ("now", "state", "lag"),
    [(DUE_0109 - SECOND, "pass", timedelta(0)), (DUE_0109, "pass", timedelta(0)), (DUE_0109 + SECOND, "error", SECOND)],
)
def test_a_deadline_at_its_boundaries(now: datetime, state: str, lag: timedelta) -> None:
    result = judge(daily(Freshness(deadline="09:00"), BERLIN), days(1, 8, LONG_AGO), now)
    assert (result.state, result.lag) == (state, lag), result.reason
    if state == "error":
        assert [(p.partition, p.status, p.lateness) for p in result.late] == [("2025-01-09", "missing", SECOND)]


@pytest.mark.parametrize(("published", "status", "lateness"),
                         [(DUE_0109 - SECOND, "on_time", None), (DUE_0109, "on_time", None), (DUE_0109 + SECOND, "late", SECOND)])
def test_a_partition_met_at_its_deadline_is_on_time_and_a_second_after_late(
    published: datetime, status: str, lateness: timedelta | None
) -> None:
    ledger = days(1, 8, LONG_AGO)
    ledger.update([met("2025-01-09", published)])
    result = judge(daily(Freshness(deadline="09:00"), BERLIN), ledger, DUE_0109 + timedelta(hours=1))
    assert result.state == "pass" and result.counts[status] >= 1
    assert [(p.partition, p.lateness) for p in result.late] == ([] if lateness is None else [("2025-01-09", lateness)])


def test_a_late_partition_stays_late_when_republished() -> None:
    ledger = days(1, 8, LONG_AGO)
    ledger.update([met("2025-01-09", DUE_0109 + timedelta(hours=2), published=DUE_0109 + timedelta(days=3))])
    result = judge(daily(Freshness(deadline="09:00"), BERLIN), ledger, DUE_0109 + timedelta(days=4))
    late = [(p.partition, p.lateness) for p in result.late if p.status == "late"]
    assert late == [("2025-01-09", timedelta(hours=2))]


def test_warn_and_error_after_a_deadline() -> None:
    policy = Freshness(deadline="09:00", warn_after="0s", error_after="2h")
    assert judge(daily(policy, BERLIN), days(1, 8, LONG_AGO), DUE_0109 + timedelta(hours=1)).state == "warn"
    assert judge(daily(policy, BERLIN), days(1, 8, LONG_AGO), DUE_0109 + timedelta(hours=2, seconds=1)).state == "error"


def test_a_missing_old_partition_is_an_error_under_a_deadline_and_listed_in_ranges() -> None:
    ledger = {k: v for k, v in days(1, 9, LONG_AGO).items() if k not in ("2025-01-03", "2025-01-04", "2025-01-06")}
    result = judge(daily(Freshness(deadline="09:00"), BERLIN), ledger, DUE_0109 + timedelta(hours=1))
    assert result.state == "error"
    assert late_ranges(result.late) == [
        {"status": "missing", "first": "2025-01-03", "last": "2025-01-04", "count": 2},
        {"status": "missing", "first": "2025-01-06", "last": "2025-01-06", "count": 1},
    ]


@pytest.mark.parametrize(
    ("timezone", "key", "deadline", "due"),
    [
        # Europe/Berlin springs forward on 2025-03-30 (02:00 -> 03:00): 02:30 does not exist, due at 03:00.
        ("Europe/Berlin", "2025-03-29", "02:30", "2025-03-30T03:00:00+02:00"),
        ("Europe/Berlin", "2025-03-29", "09:00", "2025-03-30T09:00:00+02:00"),
        # ... and falls back on 2025-10-26 (03:00 -> 02:00): 02:30 happens twice, due once, the first time.
        ("Europe/Berlin", "2025-10-25", "02:30", "2025-10-26T02:30:00+02:00"),
        ("Europe/Berlin", "2025-10-26", "02:30", "2025-10-27T02:30:00+01:00"),
        ("Europe/Berlin", "2025-10-25", "30 2 * * *", "2025-10-26T02:30:00+02:00"),
        # America/New_York: forward on 2025-03-09 (02:00 -> 03:00), back on 2025-11-02 (02:00 -> 01:00).
        ("America/New_York", "2025-03-08", "02:30", "2025-03-09T03:00:00-04:00"),
        ("America/New_York", "2025-11-01", "01:30", "2025-11-02T01:30:00-04:00"),
        ("America/New_York", "2025-11-02", "01:30", "2025-11-03T01:30:00-05:00"),
        ("America/New_York", "2025-11-01", "0 6 * * 1-5", "2025-11-03T06:00:00-05:00"),  # Monday
    ],
)
def test_deadlines_on_dst_days(timezone: str, key: str, deadline: str, due: str) -> None:
    definition = DailyPartitions(start="2025-01-01", timezone=timezone)
    local = due_at(Freshness(deadline=deadline), definition, key)
    assert local is not None
    moment = local.astimezone(UTC)  # seconds added to an instant, not to a wall clock
    # compared as instants: an ambiguous local time never equals one of another zone (PEP 495)
    assert moment is not None and moment.timestamp() == datetime.fromisoformat(due).timestamp()
    # one second before it nothing is due; one second after the partition is missing
    policy = Freshness(deadline=deadline)
    ledger = dict(met(k, LONG_AGO) for k in definition.keys(moment) if due_at(policy, definition, k).timestamp() < moment.timestamp())  # type: ignore[union-attr]
    spec = daily(policy, definition)
    assert judge(spec, ledger, moment - SECOND).state == "pass"
    assert judge(spec, ledger, moment).state == "pass"
    after = judge(spec, ledger, moment + SECOND)
    assert after.state == "error" and key in [p.partition for p in after.late if p.status == "missing"]


def test_a_fall_back_day_does_not_fire_twice_and_a_spring_forward_day_still_fires() -> None:
    hours = HourlyPartitions(start="2025-10-25-00:00", timezone="Europe/Berlin")
    policy = Freshness(deadline="30 2 * * *")
    # every hourly window of 10-25 after 02:30 is due at the one 02:30 of 10-26 (the first one)
    dues = {due_at(policy, hours, k).timestamp() for k in hours.keys(datetime.fromisoformat("2025-10-26T00:00:00+02:00"))[3:]}
    assert dues == {datetime.fromisoformat("2025-10-26T02:30:00+02:00").timestamp()}
    spring = DailyPartitions(start="2025-03-01", timezone="Europe/Berlin")
    assert due_at(policy, spring, "2025-03-29") == datetime.fromisoformat("2025-03-30T03:00:00+02:00")


# -- data time (timestamp_column) and empty partitions ---------------------------------------

def test_data_time_of_the_newest_window_is_its_lag() -> None:
    policy = Freshness(warn_after="2h", error_after="6h", timestamp_column="ts")
    ledger = days(1, 8, LONG_AGO)
    ledger.update([met("2025-01-09", LONG_AGO, data_time=utc(2025, 1, 9, 20))])
    for k, entry in ledger.items():
        if k != "2025-01-09":
            ledger[k] = LedgerEntry(k, None, entry.met_at, entry.published_at, utc_text(utc(2025, 1, int(k[-2:]) + 1)), 3)
    result = judge(daily(policy), ledger, utc(2025, 1, 10, 12))
    assert (result.state, result.lag) == ("warn", timedelta(hours=4))


def test_an_empty_partition_is_not_fresh_unless_allowed() -> None:
    ledger = days(1, 8, LONG_AGO)
    ledger.update([met("2025-01-09", LONG_AGO, rows=0)])
    now = utc(2025, 1, 10, 12)
    empty_not_ok = judge(daily(Freshness(error_after="0s")), ledger, now)
    assert (empty_not_ok.state, empty_not_ok.lag) == ("error", timedelta(days=1))
    assert [p.partition for p in empty_not_ok.late] == ["2025-01-09"]
    assert judge(daily(Freshness(error_after="0s", allow_empty=True)), ledger, now).state == "pass"


# -- static, multi and unpartitioned: the age of each partition ------------------------------

REGIONS = StaticPartitions(["eu", "us"])
NOW = utc(2025, 1, 10, 12)


@pytest.mark.parametrize(
    ("ages", "state", "lag"),
    [
        ({"eu": 2, "us": 2}, "pass", timedelta(hours=2)),
        ({"eu": 2, "us": 24}, "pass", timedelta(hours=24)),     # exactly error_after
        ({"eu": 2, "us": 30}, "error", timedelta(hours=30)),    # the stalest region decides
        ({"eu": 2}, "error", timedelta(hours=2)),               # 'us' never published
        ({}, "unknown", None),
    ],
)
def test_static_partitions_by_their_stalest(ages: dict[str, int], state: str, lag: timedelta | None) -> None:
    ledger = dict(met(k, NOW - timedelta(hours=h)) for k, h in ages.items())
    assert (judge(daily(Freshness(error_after="1d"), REGIONS), ledger, NOW).state,
            judge(daily(Freshness(error_after="1d"), REGIONS), ledger, NOW).lag) == (state, lag)


def test_multi_partitions_are_judged_per_static_value() -> None:
    multi = MultiPartitions(date=BERLIN, region=REGIONS)
    ledger = {**{f"{k}|eu": v for k, v in days(1, 9, LONG_AGO).items()},
              **{f"{k}|us": v for k, v in days(1, 8, LONG_AGO).items()}}
    result = judge(daily(Freshness(deadline="09:00"), multi), ledger, DUE_0109 + SECOND)
    assert result.state == "error" and result.reason.startswith("us: ")
    assert [p.partition for p in result.late] == ["2025-01-09|us"]
    on_time = judge(daily(Freshness(deadline="09:00"), multi), ledger, DUE_0109 - SECOND)
    assert on_time.state == "pass"


@pytest.mark.parametrize(("age", "state"), [(timedelta(hours=1) - SECOND, "pass"), (timedelta(hours=1), "pass"),
                                            (timedelta(hours=1) + SECOND, "error")])
def test_unpartitioned_by_the_age_of_its_last_publish(age: timedelta, state: str) -> None:
    @asset(freshness=Freshness(error_after="1h"))
    def summary() -> pl.DataFrame: ...

    assert judge(summary, dict([met("", NOW - age)]), NOW).state == state


def test_unpartitioned_never_published_is_unknown_and_a_deadline_is_an_evaluation_error() -> None:
    @asset(freshness=Freshness(error_after="1h"))
    def summary() -> pl.DataFrame: ...

    assert (judge(summary, {}, NOW).state, judge(summary, {}, NOW).reason) == ("unknown", "never published")

    @asset(freshness=Freshness(deadline="09:00"))
    def report() -> pl.DataFrame: ...

    failed = judge(report, {}, NOW)
    assert failed.state == "error" and failed.error is not None and "needs time partitions" in failed.error


def test_a_publish_after_the_reference_time_is_not_seen() -> None:
    @asset(freshness=Freshness(error_after="1h"))
    def summary() -> pl.DataFrame: ...

    assert judge(summary, dict([met("", NOW + timedelta(hours=1))]), NOW).state == "unknown"


def test_a_source_by_when_its_observed_version_last_changed_or_the_time_it_returned() -> None:
    @source(observe=lambda context: "v1", freshness=Freshness(error_after="1d"))
    def feed() -> pl.DataFrame: ...

    changed = {"": ("v7", utc_text(NOW - timedelta(hours=30)))}
    assert judge(feed, {}, NOW, changed).state == "error"
    assert judge(feed, {}, NOW, {"": ("v7", utc_text(NOW - timedelta(hours=3)))}).state == "pass"
    stamped = {"": ((NOW - timedelta(hours=2)).isoformat(), utc_text(NOW - timedelta(days=9)))}
    assert judge(feed, {}, NOW, stamped).lag == timedelta(hours=2)
    assert judge(feed, {}, NOW).state == "unknown"


def test_history_shares_percentiles_streaks_and_the_worst() -> None:
    from assets_core.reports.freshness_history import compliance

    due = [utc(2025, 1, d, 9) for d in range(1, 11)]
    late_by = {3: timedelta(hours=2), 4: timedelta(hours=5), 5: timedelta(hours=1)}
    rows = []
    for d, moment in enumerate(due, start=1):
        if d == 10:  # missing at the reference time
            rows.append(LedgerEntry(f"2025-01-{d:02d}", utc_text(moment), None))
            continue
        rows.append(LedgerEntry(f"2025-01-{d:02d}", utc_text(moment), utc_text(moment + late_by.get(d, -SECOND))))
    now = utc(2025, 1, 10, 12)
    record = compliance("orders", rows, utc(2024, 12, 11), now)
    assert (record.due, record.on_time, record.late, record.missing) == (10, 6, 3, 1)
    assert record.on_time_share == 0.6 and record.longest_late_streak == 3
    assert record.lateness_max == timedelta(hours=5) and record.lateness_p50 == timedelta(0)
    assert record.lateness_p95 == timedelta(hours=5)
    assert [w[0] for w in record.worst[:2]] == ["2025-01-04", "2025-01-10"]  # 5h, then the missing 3h
    assert record.sparkline
    # a partition due after the reference time is not counted yet
    assert compliance("orders", rows, utc(2024, 12, 11), utc(2025, 1, 5)).due == 4


def test_the_data_time_recorded_at_validate_time() -> None:
    from datetime import date

    from assets_core.errors import AssetsCoreError
    from assets_core.execution.data_time import newest_time

    frame = pl.DataFrame({"loaded_at": [datetime(2025, 1, 1, 5), datetime(2025, 1, 1, 7)], "n": [1, 2]})
    assert newest_time(frame, "loaded_at", "orders") == "2025-01-01T07:00:00.000+00:00"  # naive is UTC
    berlin = frame.with_columns(pl.col("loaded_at").dt.replace_time_zone("Europe/Berlin"))
    assert newest_time(berlin, "loaded_at", "orders") == "2025-01-01T06:00:00.000+00:00"
    assert newest_time(pl.DataFrame({"d": [date(2025, 1, 2)]}), "d", "orders") == "2025-01-02T00:00:00.000+00:00"
    assert newest_time(frame.clear(), "loaded_at", "orders") is None  # empty: no data time
    with pytest.raises(AssetsCoreError, match="timestamp_column 'loaded'.*Did you mean 'loaded_at'"):
        newest_time(frame, "loaded", "orders")
    with pytest.raises(AssetsCoreError, match="not timestamps"):
        newest_time(frame, "n", "orders")
