"""Invariants of the planner over generated graphs and catalog snapshots.

Materializing every planned step (in plan order, recording the upstream versions it read,
as the executor does) and planning again gives an empty plan; plans are topologically
ordered and every step waits for the planned partitions it reads.
"""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets_core.catalog.snapshot import CatalogSnapshot, PartitionState
from catalog_copy import through_a_catalog
from assets_core import AllPartitionsMapping, DailyPartitions, HourlyPartitions, StaticPartitions, lookback, offset
from assets_core.definitions.specs import AssetInput, AssetSpec
from assets_core.graph import AssetGraph, build_graph, select
from assets_core.partitions import PartitionMapping, PartitionsDefinition, keys_of
from assets_core.planning.plan import Cause, Plan, UpstreamKeys, direct_reason, plan, statuses
from assets_core.planning.bulk import CurrentVersions, maybe_not_fresh

NOW = datetime(2025, 1, 5, 6, tzinfo=timezone.utc)
DEFINITIONS: list[PartitionsDefinition | None] = [
    None,
    DailyPartitions("2025-01-01"),  # 4 keys due
    DailyPartitions("2025-01-03"),  # 2 keys, a different definition: read through "all"
    DailyPartitions("2025-01-03", end_offset=1),  # 3 keys, the running day included
    HourlyPartitions("2025-01-05T02:00"),  # 4 keys
    StaticPartitions(["eu", "us", "apac"]),
]
TROUBLES = [
    "absent", "old_code", "old_input", "no_input_record", "extra_input", "input_not_read",
    "failed_over_published", "failed_never_published", "quarantined", "interrupted",
]
SETTINGS = settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def graphs(draw: st.DrawFn) -> AssetGraph:
    size = draw(st.integers(1, 6))
    names = draw(st.permutations(["orders", "clean", "daily", "summary", "regions", "report"]))[:size]
    specs = []
    definitions: dict[str, PartitionsDefinition | None] = {}
    common = draw(st.sampled_from(DEFINITIONS))  # most assets share one: identity, lookback and offset edges
    for i, name in enumerate(names):
        partitions = definitions[name] = draw(st.sampled_from(DEFINITIONS + [common] * 4))
        upstream = [n for n in names[:i] if draw(st.booleans())]
        inputs = []
        for up in upstream:
            choices: list[PartitionMapping | None] = [None, None, AllPartitionsMapping()]
            if partitions is not None and partitions == definitions[up]:
                choices += [lookback(2), offset(-1)]
            mapping = draw(st.sampled_from(choices))
            inputs.append(AssetInput(up, up, "polars", mapping))
        specs.append(
            AssetSpec(name=name, kind="python", inputs=tuple(inputs), code_version=f"{name}-v2", partitions=partitions)
        )
    return build_graph(specs)


def read_versions(graph: AssetGraph, snapshot: CatalogSnapshot, asset: str, key: str) -> dict[str, dict[str, str | None]]:
    upstream_keys = UpstreamKeys(graph, NOW)
    return {
        edge.upstream: {k: snapshot.version(edge.upstream, k) for k in upstream_keys(edge, key)}
        for edge in graph.edges_in[asset]
    }


@st.composite
def snapshots(draw: st.DrawFn, graph: AssetGraph) -> CatalogSnapshot:
    """Every due partition gets a random state; "fresh" ones record the current upstream versions."""
    snapshot = CatalogSnapshot()
    interrupted = set()
    for asset in graph.order:
        # About half the assets are healthy; a troubled one has one kind of trouble on some of its
        # partitions, so that fresh partitions downstream of planned ones are common.
        trouble = draw(st.sampled_from(TROUBLES)) if draw(st.booleans()) else None
        for key in keys_of(graph[asset].partitions, NOW):
            kind = trouble if trouble is not None and draw(st.booleans()) else "fresh"
            if kind == "absent":
                continue
            inputs = {
                up: {k: v or "gone" for k, v in versions.items()}
                for up, versions in read_versions(graph, snapshot, asset, key).items()
            }
            state = PartitionState(
                data_version=f"{asset}[{key}]#1", code_version=graph[asset].code_version,
                inputs=inputs or None, published_at="2025-01-05T00:00:00+00:00", rows=1,
                last_status="published", last_run="run-1",
            )
            if kind == "old_code":
                state.code_version = f"{asset}-v1"
            elif kind == "old_input" and inputs:
                up = sorted(inputs)[0]
                if inputs[up]:
                    inputs[up][sorted(inputs[up])[0]] = "older"
            elif kind == "extra_input" and inputs:
                inputs[sorted(inputs)[0]]["1999-01-01"] = "long gone"
            elif kind == "input_not_read" and inputs:
                read = inputs[sorted(inputs)[0]]
                if read:
                    del read[sorted(read)[-1]]
            elif kind == "no_input_record":
                state.inputs = None
            elif kind in ("failed_over_published", "failed_never_published", "quarantined"):
                state.last_status = "quarantined" if kind == "quarantined" else "failed"
                state.last_run, state.last_error = "run-2", "boom"
                if kind != "failed_over_published":
                    state.data_version = state.code_version = state.inputs = None
            snapshot.partitions.setdefault(asset, {})[key] = state
            if kind == "interrupted":
                interrupted.add((asset, key))
    snapshot.interrupted = frozenset(interrupted)
    return snapshot


@st.composite
def cases(draw: st.DrawFn) -> tuple[AssetGraph, CatalogSnapshot, set[str]]:
    graph = draw(graphs())
    snapshot = draw(snapshots(graph))
    # A selection closed under "upstream of": every input a step reads is selected too.
    roots = draw(st.lists(st.sampled_from(graph.order), min_size=1, max_size=3))
    selection = select(graph, " ".join(f"+{r}" for r in roots))
    return graph, snapshot, selection


def materialize(graph: AssetGraph, snapshot: CatalogSnapshot, the_plan: Plan) -> None:
    """What the executor does for each step, in plan order, when every step succeeds."""
    for n, step in enumerate(the_plan.steps):
        versions = read_versions(graph, snapshot, step.asset, step.key)
        for up, by_key in versions.items():
            for k, v in by_key.items():
                assert v is not None, f"step {n} {step.asset}[{step.key}] runs before {up}[{k}] is published"
        snapshot.partitions.setdefault(step.asset, {})[step.key] = PartitionState(
            data_version=f"{step.asset}[{step.key}]#run{n}", code_version=graph[step.asset].code_version,
            inputs=versions or None,  # type: ignore[arg-type]
            published_at=NOW.isoformat(), rows=1, last_status="published", last_run="run-3",
        )
        snapshot.interrupted = snapshot.interrupted - {(step.asset, step.key)}


@SETTINGS
@given(cases())
def test_materializing_the_plan_then_replanning_gives_an_empty_plan(case) -> None:  # type: ignore[no-untyped-def]
    graph, snapshot, selection = case
    first = plan(graph, snapshot, selection, NOW)
    materialize(graph, snapshot, first)
    second = plan(graph, snapshot, selection, NOW)
    assert [(s.asset, s.key, s.reason.cause) for s in second.steps] == []


@SETTINGS
@given(cases())
def test_a_snapshot_read_from_the_catalog_gives_the_same_plan(case) -> None:  # type: ignore[no-untyped-def]
    """The catalog hands the planner whole columns, the in-memory snapshot states: same plan."""
    graph, snapshot, selection = case
    in_memory, read = plan(graph, snapshot, selection, NOW), plan(graph, through_a_catalog(snapshot), selection, NOW)
    assert read.steps == in_memory.steps
    assert read.waiting == in_memory.waiting


@SETTINGS
@given(cases())
def test_plans_are_topologically_ordered_and_wait_for_what_they_read(case) -> None:  # type: ignore[no-untyped-def]
    graph, snapshot, selection = case
    the_plan = plan(graph, snapshot, selection, NOW)
    upstream_keys = UpstreamKeys(graph, NOW)
    positions = [graph.position[s.asset] for s in the_plan.steps]
    assert positions == sorted(positions)
    assert len(set((s.asset, s.key) for s in the_plan.steps)) == len(the_plan)
    for i, step in enumerate(the_plan.steps):
        assert step.asset in selection
        assert the_plan.index[(step.asset, step.key)] == i
        assert all(d < i for d in step.deps)
        planned_reads = {
            the_plan.index[(edge.upstream, k)]
            for edge in graph.edges_in[step.asset]
            for k in upstream_keys(edge, step.key)
            if (edge.upstream, k) in the_plan.index
        }
        assert set(step.deps) == planned_reads
        if step.reason.cause is Cause.UPSTREAM_PLANNED:
            assert step.deps
            assert step.reason.upstream == (the_plan.steps[step.deps[0]].asset, the_plan.steps[step.deps[0]].key)


@SETTINGS
@given(cases())
def test_every_partition_that_is_not_fresh_is_planned(case) -> None:  # type: ignore[no-untyped-def]
    graph, snapshot, selection = case
    the_plan = plan(graph, snapshot, selection, NOW)
    upstream_keys = UpstreamKeys(graph, NOW)
    for asset in selection:
        for key in keys_of(graph[asset].partitions, NOW):
            reason = direct_reason(graph, snapshot, asset, key, upstream_keys)  # the exact rules, key by key
            if reason is not None:
                step = the_plan.steps[the_plan.index[(asset, key)]]
                assert step.reason == reason
            elif (asset, key) in the_plan.index:
                assert the_plan.steps[the_plan.index[(asset, key)]].reason.cause is Cause.UPSTREAM_PLANNED


@SETTINGS
@given(cases())
def test_statuses_found_in_bulk_are_the_exact_ones(case) -> None:  # type: ignore[no-untyped-def]
    graph, snapshot, selection = case
    upstream_keys = UpstreamKeys(graph, NOW)
    the_plan = plan(graph, snapshot, graph.upstream_closure(selection), NOW)  # what a plain materialize runs
    for asset, rows in statuses(graph, snapshot, selection, NOW).items():
        keys = keys_of(graph[asset].partitions, NOW)
        expected = []
        for key in keys:
            reason = direct_reason(graph, snapshot, asset, key, upstream_keys)
            if reason is None and (asset, key) in the_plan.index:  # fresh itself, rebuilt after what it reads
                reason = the_plan.steps[the_plan.index[(asset, key)]].reason
                assert reason.cause is Cause.UPSTREAM_PLANNED
            expected.append((key, reason))
        assert [(key, reason) for key, _, reason in rows] == expected


@SETTINGS
@given(cases())
def test_the_bulk_check_finds_every_partition_that_is_not_fresh(case) -> None:  # type: ignore[no-untyped-def]
    graph, snapshot, _ = case
    upstream_keys, versions = UpstreamKeys(graph, NOW), CurrentVersions(snapshot)
    for asset in graph.order:
        keys = keys_of(graph[asset].partitions, NOW)
        maybe = maybe_not_fresh(graph, snapshot, asset, keys, upstream_keys, versions)
        not_fresh = {k for k in keys if direct_reason(graph, snapshot, asset, k, upstream_keys) is not None}
        assert not_fresh <= maybe, f"{asset}: {sorted(not_fresh - maybe)} missed"


@SETTINGS
@given(cases(), st.data())
def test_requested_partitions_are_planned_and_nothing_else_without_an_upstream_step(case, data) -> None:  # type: ignore[no-untyped-def]
    graph, snapshot, selection = case
    asset = data.draw(st.sampled_from(sorted(selection)))
    due = keys_of(graph[asset].partitions, NOW)
    wanted = data.draw(st.lists(st.sampled_from(due), min_size=1, unique=True))
    the_plan = plan(graph, snapshot, selection, NOW, requested={asset: wanted})
    requested_steps = [s for s in the_plan.steps if s.asset == asset]
    assert [s.key for s in requested_steps] == [k for k in due if k in set(wanted)]
    assert all(s.reason.cause is Cause.REQUESTED for s in requested_steps)
    for step in the_plan.steps:
        if step.asset != asset:
            assert step.reason.cause is Cause.UPSTREAM_PLANNED and step.deps
