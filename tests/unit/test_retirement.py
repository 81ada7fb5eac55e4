"""Which published partitions a plan retires: keys the definition no longer holds, by the one
rule (``rules.retired_reason``), for the selected assets and for a dead run's retirement."""

from __future__ import annotations

from snapshot_helpers import fresh_snapshot, utc

from assets_core import (
    DailyPartitions,
    DynamicPartitions,
    MonthlyPartitions,
    StaticPartitions,
    asset,
)
from assets_core.catalog.snapshot import CatalogSnapshot
from assets_core.graph import AssetGraph, build_graph
from assets_core.planning.plan import Cause, plan
from assets_core.planning.rules import retired_reason

NOW = utc(2025, 3, 1)


def graph_of(sales_partitions: object, regions: object = StaticPartitions(["eu", "us"])) -> AssetGraph:
    @asset(partitions=sales_partitions, code_version="s-1")  # type: ignore[arg-type]
    def sales(): ...

    @asset(partitions=regions, code_version="r-1")  # type: ignore[arg-type]
    def regional(): ...

    @asset(code_version="t-1")
    def total(sales): ...  # type: ignore[no-untyped-def]

    return build_graph([sales, regional, total])


DAILY = graph_of(DailyPartitions(start="2025-01-01", end="2025-03-01"), StaticPartitions(["eu", "us", "apac"]))
MONTHLY = graph_of(MonthlyPartitions(start="2025-01-01", end="2025-03-01"))


def retired(the_graph: AssetGraph, snapshot: CatalogSnapshot, selection: set[str]) -> dict[str, list[str]]:
    return {r.asset: list(r.keys) for r in plan(the_graph, snapshot, selection, NOW).retire}


def test_a_fresh_asset_retires_nothing() -> None:
    assert retired(DAILY, fresh_snapshot(DAILY, NOW), set(DAILY.specs)) == {}


def test_daily_to_monthly_retires_every_day_and_plans_the_months_as_missing() -> None:
    snapshot = fresh_snapshot(DAILY, NOW)  # published under the daily and three-region definitions
    the_plan = plan(MONTHLY, snapshot, {"sales", "regional"}, NOW)
    assert {(s.asset, s.key, s.reason.cause) for s in the_plan.steps} == {
        ("sales", "2025-01", Cause.MISSING), ("sales", "2025-02", Cause.MISSING)}
    by_asset = {r.asset: r for r in the_plan.retire}
    assert len(by_asset["sales"].keys) == 59 and by_asset["sales"].span == "2025-01-01..2025-02-28"
    assert by_asset["regional"].keys == ("apac",) and by_asset["regional"].reason.cause is Cause.PARTITIONS_CHANGED
    assert "no longer a partition of regional" in by_asset["regional"].reason.detail


def test_only_selected_assets_retire_and_a_partition_range_does_not_narrow_it() -> None:
    snapshot = fresh_snapshot(DAILY, NOW)
    assert set(retired(MONTHLY, snapshot, {"regional"})) == {"regional"}
    requested = plan(MONTHLY, snapshot, {"sales"}, NOW, requested={"sales": ["2025-01"]})
    assert [r.asset for r in requested.retire] == ["sales"]


def test_a_dead_runs_retirement_is_finished_whatever_is_selected() -> None:
    snapshot = fresh_snapshot(DAILY, NOW)
    snapshot.interrupted = frozenset({("regional", "apac"), ("sales", "2025-01-01")})
    assert retired(MONTHLY, snapshot, {"total"}) == {"regional": ["apac"], "sales": ["2025-01-01"]}


def test_a_key_not_due_yet_is_kept_and_an_unpublished_one_is_not_retired() -> None:
    snapshot = fresh_snapshot(DAILY, NOW)
    early = plan(DAILY, snapshot, {"sales"}, utc(2025, 2, 1))  # --as-of in the past: February is not due
    assert early.retire == []
    snapshot.partitions["regional"]["apac"].data_version = None  # recorded (a failure), never published
    assert retired(MONTHLY, snapshot, {"regional"}) == {}


def test_the_rule_covers_unpartitioned_and_dynamic_definitions() -> None:
    stores = graph_of(DynamicPartitions("stores").with_keys(["a", "b"]))
    assert retired_reason(stores["sales"], "a") is None and retired_reason(stores["sales"], "c") is not None
    assert retired_reason(stores["total"], "") is None
    assert retired_reason(stores["total"], "2025-01-01") is not None  # it was partitioned
    assert retired_reason(stores["sales"], "") is not None  # it was not
