"""Run history: per-run points of one asset, their trends and sparklines, from in-memory records."""

from __future__ import annotations

import doctest
from datetime import datetime, timedelta, timezone

import pytest

from assets_core.reports import history
from assets_core.reports.history import (
    TICKS,
    AssetRunPoint,
    asset_history,
    rows_trend,
    run_duration_seconds,
    sparkline,
    trend,
)
from assets_core.catalog.models import AttemptStatus, Materialization, Run

MONDAY = datetime(2025, 1, 6, 2, tzinfo=timezone.utc)


def run(run_id: str, started: datetime, ended: datetime | None = None) -> Run:
    return Run(
        run_id=run_id,
        reference_time=started.isoformat(),
        started_at=started.isoformat(),
        ended_at=None if ended is None else ended.isoformat(),
        status="running" if ended is None else "succeeded",
    )


def attempt(
    run_id: str,
    partition: str,
    seconds: float,
    status: AttemptStatus = "published",
    rows: int | None = 100,
    asset: str = "orders",
) -> Materialization:
    return Materialization(
        run_id=run_id,
        asset=asset,
        partition=partition,
        status=status,
        started_at=MONDAY.isoformat(),
        ended_at=(MONDAY + timedelta(seconds=seconds)).isoformat(),
        rows=rows,
    )


def weekly(count: int) -> list[Run]:
    """``count`` runs a week apart, ids r0 (oldest) .. r{count-1}."""
    return [run(f"r{week}", MONDAY + timedelta(weeks=week)) for week in range(count)]


def points(seconds_per_partition: list[float], partitions: int = 3) -> list[AssetRunPoint]:
    return [
        AssetRunPoint(f"r{i}", MONDAY.isoformat(), seconds * partitions, 100 * partitions, partitions, failed=0)
        for i, seconds in enumerate(seconds_per_partition)
    ]


def level(tick: str) -> int:
    return TICKS.index(tick)


# -- asset_history ---------------------------------------------------------------------------------


def test_points_are_per_run_oldest_first_whatever_the_input_order() -> None:
    runs = list(reversed(weekly(3)))
    attempts = [attempt(f"r{i}", "2025-01-01", 10.0 * (i + 1)) for i in (2, 0, 1)]
    assert [(p.run_id, p.seconds) for p in asset_history("orders", runs, attempts)] == [
        ("r0", 10.0),
        ("r1", 20.0),
        ("r2", 30.0),
    ]


def test_runs_are_ordered_by_instant_not_by_text() -> None:
    # 10:00+02:00 is 08:00 UTC: earlier than 09:00+00:00, though its text sorts later.
    runs = [run("late", datetime.fromisoformat("2025-01-06T09:00:00+00:00")),
            run("early", datetime.fromisoformat("2025-01-06T10:00:00+02:00"))]
    attempts = [attempt("late", "a", 1.0), attempt("early", "a", 1.0)]
    assert [p.run_id for p in asset_history("orders", runs, attempts)] == ["early", "late"]


def test_only_the_newest_runs_are_kept_up_to_the_limit() -> None:
    attempts = [attempt(f"r{i}", "a", 1.0) for i in range(5)]

    def kept(limit: int) -> list[str]:
        return [p.run_id for p in asset_history("orders", weekly(5), attempts, limit=limit)]

    assert kept(3) == ["r2", "r3", "r4"]
    assert kept(10) == ["r0", "r1", "r2", "r3", "r4"]
    assert kept(0) == []


def test_the_limit_counts_only_runs_that_touched_the_asset() -> None:
    attempts = [attempt("r0", "a", 1.0), attempt("r1", "a", 1.0, asset="customers"), attempt("r2", "a", 1.0)]
    assert [p.run_id for p in asset_history("orders", weekly(3), attempts, limit=2)] == ["r0", "r2"]


def test_seconds_rows_partitions_and_failures_add_up_and_skipped_attempts_do_not_count() -> None:
    attempts = [
        attempt("r0", "2025-01-01", 30.0, rows=10),
        attempt("r0", "2025-01-02", 20.0, status="failed", rows=None),
        attempt("r0", "2025-01-03", 10.0, status="quarantined", rows=5),
        attempt("r0", "2025-01-04", 999.0, status="skipped", rows=7),
        attempt("r0", "2025-01-05", 2.5, rows=None),
        attempt("r0", "2025-01-01", 500.0, asset="customers"),
    ]
    [point] = asset_history("orders", weekly(1), attempts)
    assert point == AssetRunPoint(
        run_id="r0", started_at=MONDAY.isoformat(), seconds=62.5, rows=10, partitions=4, failed=2
    )


def test_a_run_that_only_skipped_the_asset_is_left_out() -> None:
    attempts = [attempt("r0", "a", 1.0), attempt("r1", "a", 1.0, status="skipped")]
    assert [p.run_id for p in asset_history("orders", weekly(2), attempts)] == ["r0"]


def test_attempts_of_unknown_runs_are_ignored() -> None:
    assert asset_history("orders", weekly(1), [attempt("gone", "a", 1.0)]) == []


def test_attempt_seconds_handle_offsets_and_never_go_negative() -> None:
    across_offsets = attempt("r0", "a", 0.0).model_copy(
        update={"started_at": "2025-01-06T03:00:00+01:00", "ended_at": "2025-01-06T02:00:45+00:00"}
    )
    clock_stepped_back = attempt("r0", "b", 0.0).model_copy(update={"ended_at": "2025-01-06T01:00:00+00:00"})
    [point] = asset_history("orders", weekly(1), [across_offsets, clock_stepped_back])
    assert point.seconds == 45.0


# -- trend -----------------------------------------------------------------------------------------


def test_a_pipeline_ten_percent_slower_each_week_is_slower() -> None:
    result = trend(points([60 * 1.1**week for week in range(8)]))
    assert result.direction == "slower"
    assert result.change_pct == pytest.approx((1.1**4 - 1) * 100)
    assert len(result.sparkline) == 8
    assert (result.sparkline[0], result.sparkline[-1]) == ("▁", "█")
    levels = [level(tick) for tick in result.sparkline]
    assert levels == sorted(levels)


def test_a_pipeline_ten_percent_faster_each_week_is_faster() -> None:
    result = trend(points([60 * 0.9**week for week in range(8)]))
    assert result.direction == "faster"
    assert result.change_pct == pytest.approx((0.9**4 - 1) * 100)
    assert level(result.sparkline[0]) > level(result.sparkline[-1])


def test_a_flat_pipeline_with_noise_is_steady() -> None:
    result = trend(points([60, 63, 58, 61, 59, 62, 60, 57]))
    assert result.direction == "steady"
    assert result.change_pct is not None and abs(result.change_pct) < 5


def test_a_perfectly_flat_pipeline_is_steady_with_a_middle_line() -> None:
    assert trend(points([60.0] * 6)) == history.Trend("steady", 0.0, "▄" * 6)


def test_the_trend_is_per_partition_so_a_backfill_is_not_a_slowdown() -> None:
    daily = points([60.0] * 4, partitions=1)
    backfill = points([60.0] * 4, partitions=30)
    assert trend(daily + backfill).direction == "steady"


def test_medians_ignore_a_single_outlier() -> None:
    assert trend(points([60, 60, 60, 60, 600, 60, 60, 60])).direction == "steady"


def test_with_an_odd_count_the_middle_run_belongs_to_neither_half() -> None:
    result = trend(points([10, 10, 1000, 20, 20]))
    assert result.change_pct == pytest.approx(100.0)


@pytest.mark.parametrize(
    ("newer", "direction"),
    [(120.0, "steady"), (120.1, "slower"), (80.0, "steady"), (79.9, "faster")],
)
def test_the_threshold_is_exclusive(newer: float, direction: str) -> None:
    assert trend(points([100, 100, newer, newer])).direction == direction


def test_the_threshold_can_be_changed() -> None:
    assert trend(points([100, 100, 110, 110]), threshold_pct=5).direction == "slower"


@pytest.mark.parametrize("count", [0, 1, 2, 3])
def test_fewer_than_four_runs_are_not_enough(count: int) -> None:
    result = trend(points([60.0 * (i + 1) for i in range(count)]))
    assert (result.direction, result.change_pct) == ("not enough runs", None)
    assert len(result.sparkline) == count


def test_growth_from_zero_is_slower_without_a_percentage() -> None:
    assert trend(points([0, 0, 5, 5])) == history.Trend("slower", None, "▁▁██")


def test_rows_trend_follows_rows_per_published_partition() -> None:
    growing = [
        AssetRunPoint(f"r{i}", MONDAY.isoformat(), seconds=60.0, rows=rows, partitions=2, failed=0)
        for i, rows in enumerate([100, 100, 200, 200])
    ]
    result = rows_trend(growing)
    assert result.direction == "slower"
    assert result.change_pct == pytest.approx(100.0)
    assert trend(growing).direction == "steady"


def test_failed_attempts_do_not_read_as_fewer_rows() -> None:
    # Two partitions per run; in r2 one failed: the published one still has 100 rows.
    runs = [AssetRunPoint(f"r{i}", MONDAY.isoformat(), 60.0, 200, 2, 0) for i in range(4)]
    runs[2] = AssetRunPoint("r2", MONDAY.isoformat(), 60.0, 100, 2, 1)
    assert rows_trend(runs) == history.Trend("steady", 0.0, "▄▄▄▄")


def test_a_run_that_published_nothing_is_a_gap_in_the_rows_line() -> None:
    runs = [AssetRunPoint(f"r{i}", MONDAY.isoformat(), 60.0, 100, 1, 0) for i in range(4)]
    runs[1] = AssetRunPoint("r1", MONDAY.isoformat(), 60.0, 0, 1, 1)
    assert rows_trend(runs).sparkline == "▄ ▄▄"


# -- sparkline and run duration --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "line"),
    [
        ([], ""),
        ([5.0], "▄"),
        ([2.0, 2.0, 2.0], "▄▄▄"),
        ([1.0, 9.0], "▁█"),
        ([9.0, 1.0, 5.0], "█▁▅"),
        ([float(i) for i in range(8)], TICKS),
        ([0.0, None, 7.0], "▁ █"),
        ([None, None], "  "),
        ([1.0, float("nan"), 2.0], "▁ █"),
        ([None, 3.0], " ▄"),
    ],
)
def test_sparkline(values: list[float | None], line: str) -> None:
    assert sparkline(values) == line


def test_run_duration_is_end_minus_start() -> None:
    finished = run("r0", MONDAY, MONDAY + timedelta(minutes=1, seconds=30))
    assert run_duration_seconds(finished) == 90.0


def test_a_running_run_has_no_duration() -> None:
    assert run_duration_seconds(run("r0", MONDAY)) is None


def test_docstring_examples_hold() -> None:
    assert doctest.testmod(history).failed == 0
