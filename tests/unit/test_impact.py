"""Impact, pure: which downstream partitions read some partitions through each mapping (reach),
what they were built from (judge, over versions held in memory), and the commands that
rebuild them (checked against the planner's own plan of each command)."""

from __future__ import annotations

import pytest
from snapshot_helpers import utc
from test_provenance import Versions

from assets_core import (
    DailyPartitions,
    MonthlyPartitions,
    WeeklyPartitions,
    asset,
    lookback,
    offset,
)
from assets_core.catalog.snapshot import CatalogSnapshot
from assets_core.graph import AssetGraph, build_graph
from assets_core.planning.selection import make_plan
from assets_core.reports.impact import (
    Reach,
    every_downstream,
    judge,
    reach,
    rebuild_commands,
)

DAYS = DailyPartitions("2025-01-01", end="2025-03-01")
NOW = utc(2025, 6, 1)  # every day of January and February is due


def days(first: int, last: int, month: int = 1) -> list[str]:
    return [f"2025-{month:02d}-{d:02d}" for d in range(first, last + 1)]


def graph() -> AssetGraph:
    """raw -> clean (identity) -> weekly (window), monthly (window) -> total (all);
    clean -> week_back (lookback 7) -> echo (identity); clean -> running (its own past);
    clean and week_back -> both (a diamond with two mappings)."""

    @asset(partitions=DAYS)
    def raw(): ...

    @asset(partitions=DAYS)
    def clean(raw): ...  # type: ignore[no-untyped-def]

    @asset(partitions=WeeklyPartitions("2025-01-06", end="2025-03-03"))
    def weekly(clean): ...  # type: ignore[no-untyped-def]

    @asset(partitions=MonthlyPartitions("2025-01-01", end="2025-03-01"))
    def monthly(clean): ...  # type: ignore[no-untyped-def]

    @asset
    def total(monthly): ...  # type: ignore[no-untyped-def]

    @asset(partitions=DAYS, ins={"clean": lookback(days=7)})
    def week_back(clean): ...  # type: ignore[no-untyped-def]

    @asset(partitions=DAYS)
    def echo(week_back): ...  # type: ignore[no-untyped-def]

    @asset(partitions=DAYS, ins={"running": offset(-1)})
    def running(running, clean): ...  # type: ignore[no-untyped-def]

    @asset(partitions=DAYS)
    def both(clean, week_back): ...  # type: ignore[no-untyped-def]

    return build_graph([raw, clean, weekly, monthly, total, week_back, echo, running, both])


GRAPH = graph()


def test_one_day_reaches_through_identity_lookback_cross_grain_all_and_its_own_past() -> None:
    found = reach(GRAPH, "raw", ["2025-01-15"], NOW)
    assert found.keys == {
        "clean": ["2025-01-15"],
        "monthly": ["2025-01"],
        "running": days(15, 31) + days(1, 28, month=2),
        "total": [""],
        "week_back": days(15, 22),
        "weekly": ["2025-01-13"],  # the week from Monday the 13th holds the 15th
        "both": days(15, 22),  # identity from clean gives the 15th, the lookback the rest
        "echo": days(15, 22),
    }
    assert list(found.keys) == [n for n in GRAPH.order if n in found.keys]  # graph order
    assert found.depth == {"clean": 1, "monthly": 2, "running": 2, "total": 3, "week_back": 2, "weekly": 2,
                           "both": 2, "echo": 3}
    assert found.count() == 1 + 1 + 45 + 1 + 8 + 1 + 8 + 8


def test_the_last_days_reach_only_what_is_due() -> None:
    found = reach(GRAPH, "clean", ["2025-02-28"], NOW)
    assert found.keys["week_back"] == ["2025-02-28"]  # the windows after it are not partitions
    assert found.keys["running"] == ["2025-02-28"]  # and its own next day is not a partition


def test_an_asset_reading_its_own_past_reaches_its_later_partitions_not_the_roots() -> None:
    found = reach(GRAPH, "running", ["2025-02-26", "2025-02-27"], NOW)
    assert found.keys == {"running": ["2025-02-28"]}
    assert found.roots == ["2025-02-26", "2025-02-27"]


def test_a_fan_in_reaches_every_partition_and_nothing_reads_the_top() -> None:
    assert reach(GRAPH, "monthly", ["2025-02"], NOW).keys == {"total": [""]}
    assert reach(GRAPH, "total", [""], NOW).keys == {}


def test_only_follows_the_assets_that_derive_from_a_column() -> None:
    found = reach(GRAPH, "clean", ["2025-01-15"], NOW, only={"monthly", "total"})
    assert found.keys == {"monthly": ["2025-01"], "total": [""]}
    derives = every_downstream(GRAPH)
    assert {a for a, _ in derives("clean", "amount")} == set(GRAPH.downstream_closure({"clean"})) - {"clean"}


def test_judge_counts_current_stale_and_missing() -> None:
    v = Versions()
    v.publish("clean", "2025-01-15", "c1", "r1")
    v.publish("monthly", "2025-01", "m1", "r1", {"clean": {"2025-01-15": "c1", "2025-01-14": "old"}})
    v.publish("clean", "2025-01-14", "new", "r2")  # monthly read the 14th at "old": stale
    v.publish("weekly", "2025-01-13", "w1", "r1", {"clean": {"2025-01-15": "c1"}})  # current
    found = Reach("clean", ["2025-01-15"], {"monthly": ["2025-01"], "weekly": ["2025-01-13"], "total": [""]},
                  {"monthly": 1, "weekly": 1, "total": 2})
    judged = {j.asset: j for j in judge(v, found)}
    assert (judged["monthly"].stale, judged["monthly"].current) == (["2025-01"], 0)
    assert (judged["weekly"].stale, judged["weekly"].missing, judged["weekly"].current) == ([], [], 1)
    assert (judged["total"].missing, judged["total"].current) == ([""], 0)
    assert judged["monthly"].to_dict()["stale_partitions"] == ["2025-01"]


def planned(command_selection: str, partitions: str | None) -> set[tuple[str, str]]:
    plan = make_plan(GRAPH, CatalogSnapshot(), NOW, command_selection, partitions)
    return {(s.asset, s.key) for s in plan.steps}


def targets(found: Reach) -> set[tuple[str, str]]:
    return {(found.asset, k) for k in found.roots} | {(a, k) for a, keys in found.keys.items() for k in keys}


def test_one_command_when_everything_follows_by_identity_or_upstream() -> None:
    found = reach(GRAPH, "monthly", ["2025-01"], NOW)
    rebuild = rebuild_commands(GRAPH, found, NOW)
    assert [c.line() for c in rebuild.commands] == ["assets materialize --select monthly+ --partitions 2025-01"]
    assert rebuild.exact and planned("monthly+", "2025-01") == targets(found)


def test_a_sequence_when_keys_differ_and_together_they_rebuild_exactly_the_targets() -> None:
    found = reach(GRAPH, "raw", ["2025-01-15"], NOW)
    rebuild = rebuild_commands(GRAPH, found, NOW)
    assert rebuild.exact and len(rebuild.commands) > 1
    seen: set[tuple[str, str]] = set()
    last_of: dict[str, int] = {}
    for i, command in enumerate(rebuild.commands):
        rebuilt = planned(command.selection, command.partitions)
        assert rebuilt == command.rebuilds and not rebuilt & seen
        seen |= rebuilt
        for name, _ in rebuilt:
            last_of[name] = i
    assert seen == targets(found)
    for name, at in last_of.items():  # each asset rebuilt no earlier than what it reads
        for edge in GRAPH.edges_in[name]:
            if edge.upstream in last_of and edge.upstream != name:
                assert last_of[edge.upstream] <= at, (edge.upstream, name)


def test_keys_become_ranges_in_the_command() -> None:
    found = reach(GRAPH, "clean", days(1, 3) + ["2025-01-05"], NOW, only={"monthly"})
    [command] = rebuild_commands(GRAPH, found, NOW).commands
    assert command.partitions == "2025-01-01..2025-01-03,2025-01-05"
    assert command.selection == "clean monthly"


def radius_from_above(graph: AssetGraph, asset: str, roots: set[str]) -> dict[str, set[str]]:
    """The same question asked the other way: a partition is affected when one of the keys it
    reads (the planner's UpstreamKeys, every edge) is a root or affected itself."""
    from assets_core.partitions import keys_of
    from assets_core.planning.reads import UpstreamKeys

    upstream_keys = UpstreamKeys(graph, NOW)
    hit: dict[str, set[str]] = {asset: set(roots)}
    for name in graph.order:
        for key in keys_of(graph[name].partitions, NOW):  # in order: an asset's own past comes first
            if any(k in hit.get(e.upstream, ()) for e in graph.edges_in[name] for k in upstream_keys(e, key)):
                hit.setdefault(name, set()).add(key)
    hit[asset] -= roots
    return {name: keys for name, keys in hit.items() if keys}


@pytest.mark.parametrize("asset,roots", [
    ("raw", {"2025-01-01"}), ("raw", {"2025-02-28"}), ("clean", {"2025-01-06", "2025-02-10"}),
    ("week_back", {"2025-01-31"}), ("running", {"2025-02-20"}), ("monthly", {"2025-02"}),
])
def test_reach_agrees_with_the_mappings_asked_upstream(asset: str, roots: set[str]) -> None:
    found = reach(GRAPH, asset, roots, NOW)
    assert {name: set(keys) for name, keys in found.keys.items()} == radius_from_above(GRAPH, asset, roots)


def test_derives_follows_column_lineage_and_counts_what_it_cannot_follow() -> None:
    from assets_core import sql_asset
    from assets_core.reports.columns import ColumnIndex
    from assets_core.reports.impact import through_column_lineage

    @asset
    def orders(): ...

    @sql_asset
    def clean() -> str:
        return "SELECT id, amount FROM orders WHERE amount > 0"

    @sql_asset
    def totals() -> str:
        return "SELECT count(*) AS n, sum(amount) AS total FROM clean"

    @asset
    def opaque(clean): ...  # type: ignore[no-untyped-def]  # Python, no column_lineage=, no schema

    @asset
    def after(opaque): ...  # type: ignore[no-untyped-def]

    graph = build_graph([orders, clean, totals, opaque, after])
    schemas = {"orders": {"id": "Int64", "amount": "Float64"}, "clean": {"id": "Int64", "amount": "Float64"},
               "totals": {"n": "UInt32", "total": "Float64"}}
    derives = through_column_lineage(ColumnIndex(graph, schemas))
    from_amount = derives("orders", "amount")
    # WHERE amount > 0: every column of clean, indirectly; its rows change, so count(*) does too
    assert {("clean", "amount"), ("clean", "id"), ("totals", "total"), ("totals", "n")} <= from_amount
    assert ("opaque", "*") in from_amount and ("after", "*") in from_amount  # not followed: counted
    from_id = derives("clean", "id")  # used in no filter: the rows stay, count(*) and sum(amount) too
    assert ("totals", "n") not in from_id and ("totals", "total") not in from_id
    assert ("opaque", "*") in from_id
