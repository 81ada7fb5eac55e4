"""The pure planner: a graph and an in-memory catalog snapshot in, causes and a plan out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from assets_core.catalog.snapshot import CatalogSnapshot, PartitionState
from assets_core import DailyPartitions, StaticPartitions, asset, sql_asset
from assets_core.graph import AssetGraph, build_graph
from assets_core.planning.plan import (
    Cause,
    Plan,
    UpstreamKeys,
    direct_reason,
    explain,
    partition_statuses,
    plan,
)
from snapshot_helpers import fresh_snapshot, publish, utc

DAILY = DailyPartitions("2025-01-01")
NOW = utc(2025, 1, 4)  # three days due: 01, 02, 03
D1, D2, D3, D4 = "2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"


def shop_graph() -> AssetGraph:
    """raw_orders -> clean_orders -> order_summary -> region_report <- regions."""

    @asset(partitions=DAILY, code_version="raw-1")
    def raw_orders(): ...

    @asset(partitions=DAILY, code_version="clean-1")
    def clean_orders(raw_orders): ...  # type: ignore[no-untyped-def]

    @sql_asset(code_version="summary-1")
    def order_summary() -> str:
        return "SELECT count(*) AS orders FROM clean_orders"

    @asset(partitions=StaticPartitions(["eu", "us"]), code_version="regions-1")
    def regions(): ...

    @asset(partitions=StaticPartitions(["eu", "us"]), code_version="report-1")
    def region_report(regions, order_summary): ...  # type: ignore[no-untyped-def]

    return build_graph([raw_orders, clean_orders, order_summary, regions, region_report])


GRAPH = shop_graph()


def steps_of(the_plan: Plan) -> list[tuple[str, str, Cause]]:
    return [(s.asset, s.key, s.reason.cause) for s in the_plan.steps]


def set_state(snapshot: CatalogSnapshot, asset: str, key: str, **changes: object) -> None:
    state = snapshot.partitions[asset][key]
    for name, value in changes.items():
        setattr(state, name, value)


# -- the table: one change to a fresh catalog, and the plan it gives ----------------------


def nothing(s: CatalogSnapshot) -> CatalogSnapshot:
    return s


def raw_day_missing(s: CatalogSnapshot) -> CatalogSnapshot:
    del s.partitions["raw_orders"][D2]
    return s


def clean_code_changed(s: CatalogSnapshot) -> CatalogSnapshot:
    for key in (D1, D2, D3):
        set_state(s, "clean_orders", key, code_version="clean-0")
    return s


def raw_day_republished(s: CatalogSnapshot) -> CatalogSnapshot:
    set_state(s, "raw_orders", D2, data_version="raw_orders[2025-01-02]#2")
    return s


def region_failed(s: CatalogSnapshot) -> CatalogSnapshot:
    set_state(s, "regions", "us", last_status="failed", last_run="run-2", last_error="boom")
    return s


def clean_day_quarantined(s: CatalogSnapshot) -> CatalogSnapshot:
    s.partitions["clean_orders"][D3] = PartitionState(
        last_status="quarantined", last_run="run-2", last_error="not_null(order_id) failed"
    )
    return s


def summary_interrupted(s: CatalogSnapshot) -> CatalogSnapshot:
    s.interrupted = frozenset({("order_summary", "")})
    return s


def report_without_input_record(s: CatalogSnapshot) -> CatalogSnapshot:
    set_state(s, "region_report", "eu", inputs=None)
    return s


def new_day_due(s: CatalogSnapshot) -> CatalogSnapshot:
    return s  # the case moves `now` one day on instead


UP = Cause.UPSTREAM_PLANNED
TABLE: list[tuple[str, Callable[[CatalogSnapshot], CatalogSnapshot], datetime, list[tuple[str, str, Cause]]]] = [
    ("all fresh", nothing, NOW, []),
    ("raw day missing", raw_day_missing, NOW, [
        ("raw_orders", D2, Cause.MISSING),
        ("clean_orders", D2, Cause.UPSTREAM_CHANGED),
        ("order_summary", "", UP),
        ("region_report", "eu", UP),
        ("region_report", "us", UP),
    ]),
    ("clean code changed", clean_code_changed, NOW, [
        ("clean_orders", D1, Cause.CODE_CHANGED),
        ("clean_orders", D2, Cause.CODE_CHANGED),
        ("clean_orders", D3, Cause.CODE_CHANGED),
        ("order_summary", "", UP),
        ("region_report", "eu", UP),
        ("region_report", "us", UP),
    ]),
    ("raw day republished", raw_day_republished, NOW, [
        ("clean_orders", D2, Cause.UPSTREAM_CHANGED),
        ("order_summary", "", UP),
        ("region_report", "eu", UP),
        ("region_report", "us", UP),
    ]),
    ("region failed", region_failed, NOW, [
        ("regions", "us", Cause.FAILED),
        ("region_report", "us", UP),
    ]),
    ("clean day quarantined", clean_day_quarantined, NOW, [
        ("clean_orders", D3, Cause.QUARANTINED),
        ("order_summary", "", Cause.UPSTREAM_CHANGED),  # it read a version that is gone now
        ("region_report", "eu", UP),
        ("region_report", "us", UP),
    ]),
    ("summary interrupted", summary_interrupted, NOW, [
        ("order_summary", "", Cause.UNKNOWN),
        ("region_report", "eu", UP),
        ("region_report", "us", UP),
    ]),
    ("report has no input record", report_without_input_record, NOW, [
        ("region_report", "eu", Cause.UNKNOWN),
    ]),
    ("a new day is due", new_day_due, NOW + timedelta(days=1), [
        ("raw_orders", D4, Cause.MISSING),
        ("clean_orders", D4, Cause.MISSING),
        ("order_summary", "", Cause.UPSTREAM_CHANGED),
        ("region_report", "eu", UP),
        ("region_report", "us", UP),
    ]),
]


@pytest.mark.parametrize(("change", "now", "expected"), [row[1:] for row in TABLE], ids=[row[0] for row in TABLE])
def test_plan_table(change, now, expected) -> None:  # type: ignore[no-untyped-def]
    snapshot = change(fresh_snapshot(GRAPH, NOW))
    assert steps_of(plan(GRAPH, snapshot, GRAPH.order, now)) == expected


# -- causes in detail --------------------------------------------------------------------


def reason_for(snapshot: CatalogSnapshot, asset: str, key: str, now: datetime = NOW):  # type: ignore[no-untyped-def]
    return direct_reason(GRAPH, snapshot, asset, key, UpstreamKeys(GRAPH, now))


def test_fresh_partition_has_no_reason() -> None:
    snapshot = fresh_snapshot(GRAPH, NOW)
    for asset in GRAPH.order:
        for key, status, reason in partition_statuses(GRAPH, snapshot, asset, NOW):
            assert (status, reason) == ("fresh", None), (asset, key)


def test_missing_partition_was_never_published() -> None:
    reason = reason_for(CatalogSnapshot(), "raw_orders", D1)
    assert reason.cause is Cause.MISSING
    assert reason.detail == "never published"


def test_code_change_reason_carries_both_versions() -> None:
    snapshot = clean_code_changed(fresh_snapshot(GRAPH, NOW))
    reason = reason_for(snapshot, "clean_orders", D1)
    assert reason.cause is Cause.CODE_CHANGED
    assert (reason.old, reason.new) == ("clean-0", "clean-1")
    assert reason.upstream is None
    assert "code of clean_orders changed" in reason.detail


def test_upstream_change_names_the_upstream_partition_and_versions() -> None:
    snapshot = raw_day_republished(fresh_snapshot(GRAPH, NOW))
    reason = reason_for(snapshot, "clean_orders", D2)
    assert reason.cause is Cause.UPSTREAM_CHANGED
    assert reason.upstream == ("raw_orders", D2)
    assert (reason.old, reason.new) == ("raw_orders[2025-01-02]#1", "raw_orders[2025-01-02]#2")
    assert reason.detail.startswith("raw_orders[2025-01-02] changed: ")
    # only the partition that read the changed day is stale
    assert reason_for(snapshot, "clean_orders", D1) is None
    assert reason_for(snapshot, "clean_orders", D3) is None


def test_failed_attempt_over_a_published_version_says_the_old_one_stays_readable() -> None:
    snapshot = region_failed(fresh_snapshot(GRAPH, NOW))
    reason = reason_for(snapshot, "regions", "us")
    assert reason.cause is Cause.FAILED
    assert reason.detail == "last attempt failed in run run-2: boom; the previous version stays readable"


def test_quarantined_first_attempt_is_quarantined_not_missing() -> None:
    snapshot = clean_day_quarantined(fresh_snapshot(GRAPH, NOW))
    reason = reason_for(snapshot, "clean_orders", D3)
    assert reason.cause is Cause.QUARANTINED
    assert "not_null(order_id) failed" in reason.detail
    assert "previous version" not in reason.detail


def test_interrupted_partition_is_unknown_even_if_its_record_looks_fresh() -> None:
    snapshot = fresh_snapshot(GRAPH, NOW)
    snapshot.interrupted = frozenset({("clean_orders", D1)})
    reason = reason_for(snapshot, "clean_orders", D1)
    assert reason.cause is Cause.UNKNOWN
    assert "a run died while writing it" in reason.detail
    assert ("clean_orders", D1, Cause.UNKNOWN) in steps_of(plan(GRAPH, snapshot, GRAPH.order, NOW))


def test_upstream_partition_no_longer_read_makes_a_fan_in_stale() -> None:
    snapshot = fresh_snapshot(GRAPH, NOW)
    recorded = snapshot.partitions["order_summary"][""].inputs
    assert recorded is not None
    recorded["clean_orders"]["2024-12-31"] = "gone#1"
    reason = reason_for(snapshot, "order_summary", "")
    assert reason.cause is Cause.UPSTREAM_CHANGED
    assert reason.upstream == ("clean_orders", "2024-12-31")
    assert "is no longer read" in reason.detail


@pytest.mark.parametrize(
    ("change", "key", "status"),
    [
        (nothing, D2, "fresh"),
        (raw_day_republished, D2, "stale"),
        (clean_code_changed, D2, "stale"),
        (clean_day_quarantined, D3, "quarantined"),
        (raw_day_missing, D2, "stale"),
    ],
)
def test_partition_status_of_clean_orders(change, key, status) -> None:  # type: ignore[no-untyped-def]
    snapshot = change(fresh_snapshot(GRAPH, NOW))
    statuses = {k: s for k, s, _ in partition_statuses(GRAPH, snapshot, "clean_orders", NOW)}
    assert set(statuses) == {D1, D2, D3}
    assert statuses[key] == status
    assert statuses[D1] == ("stale" if change is clean_code_changed else "fresh")


def test_partition_statuses_show_missing_failed_and_unknown() -> None:
    snapshot = fresh_snapshot(GRAPH, NOW)
    del snapshot.partitions["raw_orders"][D1]
    set_state(snapshot, "raw_orders", D2, last_status="failed", last_error="x")
    snapshot.interrupted = frozenset({("raw_orders", D3)})
    assert [(k, s) for k, s, _ in partition_statuses(GRAPH, snapshot, "raw_orders", NOW)] == [
        (D1, "missing"), (D2, "failed"), (D3, "unknown"),
    ]


# -- fan-in over many partitions ---------------------------------------------------------


def fan_in_graph() -> tuple[AssetGraph, datetime, list[str]]:
    @asset(partitions=DailyPartitions("2000-01-01"), code_version="e1")
    def events(): ...

    @asset(code_version="t1")
    def totals(events): ...  # type: ignore[no-untyped-def]

    graph = build_graph([events, totals])
    now = utc(2000, 1, 1) + timedelta(days=10_000)
    keys = DailyPartitions("2000-01-01").keys(now)
    assert len(keys) == 10_000
    return graph, now, keys


def test_fan_in_over_ten_thousand_partitions_is_fresh_when_nothing_changed() -> None:
    graph, now, _ = fan_in_graph()
    snapshot = fresh_snapshot(graph, now)
    assert direct_reason(graph, snapshot, "totals", "", UpstreamKeys(graph, now)) is None
    assert len(plan(graph, snapshot, ["events", "totals"], now)) == 0


def test_fan_in_over_ten_thousand_partitions_is_stale_when_exactly_one_changed() -> None:
    graph, now, keys = fan_in_graph()
    snapshot = fresh_snapshot(graph, now)
    changed = keys[7_321]
    snapshot.partitions["events"][changed].data_version = "events#2"
    reason = direct_reason(graph, snapshot, "totals", "", UpstreamKeys(graph, now))
    assert reason is not None
    assert reason.cause is Cause.UPSTREAM_CHANGED
    assert reason.upstream == ("events", changed)
    assert steps_of(plan(graph, snapshot, ["events", "totals"], now)) == [("totals", "", Cause.UPSTREAM_CHANGED)]


def test_fan_in_is_stale_when_the_set_of_upstream_partitions_grew() -> None:
    graph, now, keys = fan_in_graph()
    snapshot = fresh_snapshot(graph, now)
    later = now + timedelta(days=1)
    new_key = DailyPartitions("2000-01-01").keys(later)[-1]
    publish(graph, snapshot, "events", new_key, later)
    reason = direct_reason(graph, snapshot, "totals", "", UpstreamKeys(graph, later))
    assert reason is not None and reason.cause is Cause.UPSTREAM_CHANGED
    assert reason.upstream == ("events", new_key)
    assert "is new since it was built" in reason.detail
    assert steps_of(plan(graph, snapshot, ["events", "totals"], later)) == [("totals", "", Cause.UPSTREAM_CHANGED)]


def test_fan_in_waits_for_a_new_upstream_partition_that_is_not_published_yet() -> None:
    graph, now, _ = fan_in_graph()
    snapshot = fresh_snapshot(graph, now)
    later = now + timedelta(days=1)
    the_plan = plan(graph, snapshot, ["events", "totals"], later)
    new_key = DailyPartitions("2000-01-01").keys(later)[-1]
    assert steps_of(the_plan) == [("events", new_key, Cause.MISSING), ("totals", "", Cause.UPSTREAM_CHANGED)]
    assert the_plan.steps[1].deps == (0,)


# -- UPSTREAM_PLANNED, order and deps ----------------------------------------------------


def test_downstream_of_a_planned_partition_is_planned_after_it_with_deps_pointing_at_it() -> None:
    snapshot = clean_code_changed(fresh_snapshot(GRAPH, NOW))
    the_plan = plan(GRAPH, snapshot, GRAPH.order, NOW)
    at = the_plan.index
    summary = the_plan.steps[at[("order_summary", "")]]
    assert summary.reason.cause is Cause.UPSTREAM_PLANNED
    assert summary.reason.upstream == ("clean_orders", D1)
    assert summary.reason.detail == "clean_orders[2025-01-01] is rebuilt in this run"
    assert set(summary.deps) == {at[("clean_orders", k)] for k in (D1, D2, D3)}
    for key in ("eu", "us"):
        report = the_plan.steps[at[("region_report", key)]]
        assert report.deps == (at[("order_summary", "")],)
        assert report.reason.upstream == ("order_summary", "")


def test_stale_downstream_keeps_its_own_cause_and_still_waits_for_its_upstream() -> None:
    snapshot = raw_day_missing(fresh_snapshot(GRAPH, NOW))
    the_plan = plan(GRAPH, snapshot, GRAPH.order, NOW)
    clean = the_plan.steps[the_plan.index[("clean_orders", D2)]]
    assert clean.reason.cause is Cause.UPSTREAM_CHANGED
    assert clean.deps == (the_plan.index[("raw_orders", D2)],)


def test_plan_is_in_topological_order_and_deps_point_backwards() -> None:
    snapshot = CatalogSnapshot()  # nothing published: everything is planned
    the_plan = plan(GRAPH, snapshot, GRAPH.order, NOW)
    assert len(the_plan) == 3 + 3 + 1 + 2 + 2
    positions = [GRAPH.position[s.asset] for s in the_plan.steps]
    assert positions == sorted(positions)
    for i, step in enumerate(the_plan.steps):
        assert all(d < i for d in step.deps)
        assert the_plan.index[(step.asset, step.key)] == i
    assert the_plan.steps[the_plan.index[("clean_orders", D2)]].deps == (the_plan.index[("raw_orders", D2)],)
    assert the_plan.counts_by_asset() == {
        "raw_orders": 3, "clean_orders": 3, "order_summary": 1, "regions": 2, "region_report": 2,
    }
    assert the_plan.reference_time == NOW


def test_plan_only_covers_the_selection() -> None:
    snapshot = CatalogSnapshot()
    the_plan = plan(GRAPH, snapshot, ["clean_orders", "order_summary"], NOW)
    assert {s.asset for s in the_plan.steps} == {"clean_orders", "order_summary"}
    # an upstream outside the selection is not waited for
    assert all(s.deps == () for s in the_plan.steps if s.asset == "clean_orders")


def test_unselected_planned_upstream_does_not_pull_in_fresh_downstream() -> None:
    snapshot = clean_code_changed(fresh_snapshot(GRAPH, NOW))
    assert steps_of(plan(GRAPH, snapshot, ["order_summary", "region_report"], NOW)) == []


# -- requested partitions (--partitions) -------------------------------------------------


def test_requested_rebuilds_fresh_partitions_and_limits_the_plan() -> None:
    snapshot = fresh_snapshot(GRAPH, NOW)
    del snapshot.partitions["raw_orders"][D1]  # missing, but not requested
    the_plan = plan(GRAPH, snapshot, GRAPH.order, NOW, requested={"clean_orders": [D3, D2]})
    assert steps_of(the_plan) == [
        ("clean_orders", D2, Cause.REQUESTED),
        ("clean_orders", D3, Cause.REQUESTED),
        ("order_summary", "", UP),
        ("region_report", "eu", UP),
        ("region_report", "us", UP),
    ]
    assert the_plan.steps[0].reason.detail == "requested with --partitions"


def test_requested_unpartitioned_asset() -> None:
    snapshot = fresh_snapshot(GRAPH, NOW)
    the_plan = plan(GRAPH, snapshot, ["order_summary"], NOW, requested={"order_summary": [""]})
    assert steps_of(the_plan) == [("order_summary", "", Cause.REQUESTED)]


def test_requested_key_in_a_stale_upstream_plans_it_first() -> None:
    snapshot = fresh_snapshot(GRAPH, NOW)
    the_plan = plan(GRAPH, snapshot, ["raw_orders", "clean_orders"], NOW, requested={"raw_orders": [D1]})
    assert steps_of(the_plan) == [("raw_orders", D1, Cause.REQUESTED), ("clean_orders", D1, UP)]
    assert the_plan.steps[1].deps == (0,)


# -- explain -----------------------------------------------------------------------------


def test_explain_follows_the_chain_down_to_the_root_cause() -> None:
    snapshot = raw_day_republished(fresh_snapshot(GRAPH, NOW))
    chain = explain(GRAPH, snapshot, "region_report", "us", NOW)
    assert [(a, k, r.cause if r else None) for a, k, r in chain] == [
        ("region_report", "us", Cause.UPSTREAM_PLANNED),
        ("order_summary", "", Cause.UPSTREAM_PLANNED),
        ("clean_orders", D2, Cause.UPSTREAM_CHANGED),
        ("raw_orders", D2, None),
    ]


def test_explain_a_fresh_partition_is_one_link_with_no_reason() -> None:
    assert explain(GRAPH, fresh_snapshot(GRAPH, NOW), "clean_orders", D1, NOW) == [("clean_orders", D1, None)]


def test_explain_code_change_ends_at_the_changed_asset() -> None:
    snapshot = fresh_snapshot(GRAPH, NOW)
    set_state(snapshot, "regions", "eu", code_version="regions-0")
    chain = explain(GRAPH, snapshot, "region_report", "eu", NOW)
    assert [(a, k) for a, k, _ in chain] == [("region_report", "eu"), ("regions", "eu")]
    assert chain[-1][2] is not None and chain[-1][2].cause is Cause.CODE_CHANGED


# -- the planner reads code versions from the graph ----------------------------------------


def test_pinned_code_version_change_in_the_graph_makes_every_partition_stale() -> None:
    snapshot = fresh_snapshot(GRAPH, NOW)
    specs = dict(GRAPH.specs)
    specs["raw_orders"] = replace(specs["raw_orders"], code_version="raw-2")
    graph = build_graph(specs.values())
    the_plan = plan(graph, snapshot, ["raw_orders"], NOW)
    assert steps_of(the_plan) == [("raw_orders", k, Cause.CODE_CHANGED) for k in (D1, D2, D3)]
    assert the_plan.steps[0].reason.new == "raw-2"


# -- failures that wait for a change --------------------------------------------------------------


def failed_deterministically(snapshot: CatalogSnapshot, failure: str = "error", status: str = "failed") -> CatalogSnapshot:
    """clean_orders[D2]'s last attempt failed, built from today's code, checks and inputs."""
    set_state(
        snapshot, "clean_orders", D2, last_status=status, last_run="run-2", last_error="ValueError: bad",
        last_failure=failure, last_code_version=GRAPH["clean_orders"].code_version,
        last_checks_version=GRAPH["clean_orders"].checks_version,
        last_inputs={"raw_orders": {D2: snapshot.version("raw_orders", D2)}},
    )
    return snapshot


@pytest.mark.parametrize("status", ["failed", "quarantined"])
def test_a_deterministic_failure_with_nothing_changed_waits_and_is_not_planned(status: str) -> None:
    snapshot = failed_deterministically(fresh_snapshot(GRAPH, NOW), "check" if status == "quarantined" else "error", status)
    the_plan = plan(GRAPH, snapshot, GRAPH.order, NOW)
    assert the_plan.steps == []
    [waiting] = the_plan.waiting
    assert (waiting.asset, waiting.key, waiting.reason.cause) == ("clean_orders", D2, Cause.WAITING)
    assert "--retry-failed" in waiting.reason.detail
    statuses = {key: status_ for key, status_, _ in partition_statuses(GRAPH, snapshot, "clean_orders", NOW)}
    assert statuses[D2] == status


@pytest.mark.parametrize("failure", ["transient", "timeout", None])
def test_a_failure_that_may_pass_next_time_is_planned(failure: str | None) -> None:
    snapshot = failed_deterministically(fresh_snapshot(GRAPH, NOW), failure)  # type: ignore[arg-type]
    assert steps_of(plan(GRAPH, snapshot, {"clean_orders"}, NOW)) == [("clean_orders", D2, Cause.FAILED)]


def test_retry_failed_plans_a_waiting_partition() -> None:
    snapshot = failed_deterministically(fresh_snapshot(GRAPH, NOW))
    the_plan = plan(GRAPH, snapshot, {"clean_orders"}, NOW, retry_failed=True)
    assert steps_of(the_plan) == [("clean_orders", D2, Cause.FAILED)] and the_plan.waiting == []


@pytest.mark.parametrize(("change", "because"), [
    ({"last_code_version": "clean-0"}, "its code changed"),
    ({"last_checks_version": "older-checks"}, "its checks changed"),
    ({"last_inputs": {"raw_orders": {D2: "raw_orders[2025-01-02]#0"}}}, "raw_orders[2025-01-02] changed"),
])
def test_a_waiting_partition_is_tried_again_once_code_checks_or_upstream_changed(change: dict[str, object], because: str) -> None:
    snapshot = failed_deterministically(fresh_snapshot(GRAPH, NOW))
    set_state(snapshot, "clean_orders", D2, **change)
    [step] = plan(GRAPH, snapshot, {"clean_orders"}, NOW).steps
    assert step.reason.cause is Cause.FAILED and f"tried again because {because}" in step.reason.detail


def test_adding_a_check_changes_the_checks_version() -> None:
    from assets_core import in_range, not_null

    @asset(partitions=DAILY, checks=[not_null("id")])
    def one(): ...

    @asset(partitions=DAILY, checks=[not_null("id"), in_range("amount", min=0)])
    def two(): ...

    assert one.checks_version != two.checks_version
    assert one.with_checks([in_range("amount", min=0)]).checks_version == two.checks_version


def _bulk_cases() -> list[tuple[object, object]]:
    from assets_core import lookback, offset

    daily, static = DailyPartitions("2025-01-01"), StaticPartitions(["a", "b", "c", "d"])
    mappings = [lookback(3), offset(-1), offset(0), offset(-5)]
    return [(m, d) for m in mappings for d in (daily, static)] + [(lookback(days=7), daily)]


@pytest.mark.parametrize(("mapping", "definition"), _bulk_cases())
def test_reading_in_bulk_equals_asking_the_mapping_key_by_key(mapping: object, definition: object) -> None:
    from assets_core.planning.reads import reads_in_bulk

    keys = definition.keys(NOW)  # type: ignore[attr-defined]
    bulk = reads_in_bulk(mapping, definition, definition, keys)  # type: ignore[arg-type]
    assert bulk == [mapping.upstream_keys(k, definition, definition, NOW) for k in keys]  # type: ignore[attr-defined]


def test_reading_a_coarser_grain_in_bulk_equals_asking_the_mapping_key_by_key() -> None:
    from assets_core import MonthlyPartitions, TimeWindowMapping, WeeklyPartitions
    from assets_core.planning.reads import reads_in_bulk

    days = DailyPartitions("2025-01-01")
    now = utc(2025, 4, 2)
    for coarse in (WeeklyPartitions("2025-01-06"), MonthlyPartitions("2025-01-01")):
        keys = days.keys(now)
        bulk = reads_in_bulk(TimeWindowMapping(), coarse, days, keys, now)
        assert bulk is not None
        assert bulk == [TimeWindowMapping().upstream_keys(k, coarse, days, now) for k in keys]


def test_why_does_not_blame_an_upstream_partition_that_waits() -> None:
    """A deterministic failure upstream waits (not planned): the partition reading it is
    fresh for `why` as for `plan`, not "rebuilt after" a partition no run will rebuild."""
    snapshot = fresh_snapshot(GRAPH, NOW)
    state = snapshot.partitions["clean_orders"][D2]
    set_state(snapshot, "clean_orders", D2, last_status="failed", last_run="run-2", last_error="boom",
              last_failure="error", last_code_version=state.code_version,
              last_checks_version=GRAPH["clean_orders"].checks_version, last_inputs=state.inputs)
    the_plan = plan(GRAPH, snapshot, GRAPH.order, NOW)
    assert steps_of(the_plan) == [] and [(s.asset, s.key) for s in the_plan.waiting] == [("clean_orders", D2)]
    assert explain(GRAPH, snapshot, "order_summary", "", NOW) == [("order_summary", "", None)]
    assert explain(GRAPH, snapshot, "clean_orders", D2, NOW)[0][2].cause is Cause.WAITING  # type: ignore[union-attr]


def test_status_counts_what_a_plain_materialize_rebuilds_because_of_what_it_reads() -> None:
    snapshot = fresh_snapshot(GRAPH, NOW)
    set_state(snapshot, "clean_orders", D2, code_version="clean-0")
    rows = partition_statuses(GRAPH, snapshot, "order_summary", NOW)
    assert [(key, status) for key, status, _ in rows] == [("", "fresh")]
    reason = rows[0][2]
    assert reason is not None and reason.cause is Cause.UPSTREAM_PLANNED and reason.upstream == ("clean_orders", D2)
