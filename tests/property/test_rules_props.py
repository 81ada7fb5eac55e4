"""The staleness rules, held to their definition on snapshots that vary every field of a
partition's state (status, rows, published_at, code version, inputs, checks version, the last
attempt, observations, interrupted runs, dynamic keys, the grain it was published under):

- each rule's judge says fresh whenever its guards hold (the bulk check relies on it);
- ``plan``, ``status`` and ``why`` agree with the exact rules applied to every key, with
  what a plain ``materialize`` would rebuild worked out here, key by key, without the bulk check;
- a rule added without guards for what it reads is caught.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets_core import AllPartitionsMapping, DailyPartitions, DynamicPartitions, StaticPartitions, lookback, offset
from assets_core.catalog.snapshot import CatalogSnapshot, PartitionState
from assets_core.definitions.specs import AssetInput, AssetSpec
from assets_core.graph import AssetGraph, build_graph
from assets_core.partitions import PartitionMapping, PartitionsDefinition, keys_of
from assets_core.partitions.grain import grain
from assets_core.planning import rules
from assets_core.planning.plan import STATUS_OF_CAUSE, explain, plan, statuses
from assets_core.catalog.inputs import OBSERVED
from assets_core.planning.reads import UpstreamKeys
from assets_core.planning.rules import RULES, Cause, CurrentInputs, Equals, Facts, Guard, Holds, Present, Reason, Rule
from catalog_copy import through_a_catalog

NOW = datetime(2025, 1, 4, 6, tzinfo=timezone.utc)
STORES = DynamicPartitions("stores")
DEFINITIONS: list[PartitionsDefinition | None] = [
    None, DailyPartitions("2025-01-01"), StaticPartitions(["eu", "us"]), STORES,
]
SETTINGS = settings(max_examples=80, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def graphs(draw: st.DrawFn) -> AssetGraph:
    size = draw(st.integers(1, 5))
    names = ["a", "b", "c", "d", "e"][:size]
    specs, definitions = [], {}
    common = draw(st.sampled_from(DEFINITIONS))
    for i, name in enumerate(names):
        partitions = definitions[name] = draw(st.sampled_from(DEFINITIONS + [common] * 3))
        inputs = []
        for up in (n for n in names[:i] if draw(st.booleans())):
            choices: list[PartitionMapping | None] = [None, AllPartitionsMapping()]
            if partitions is not None and partitions == definitions[up] and partitions != STORES:
                choices += [lookback(1), offset(-1)]
            inputs.append(AssetInput(up, up, "polars", draw(st.sampled_from(choices))))
        specs.append(AssetSpec(name=name, kind="python", inputs=tuple(inputs), code_version=f"{name}-v2",
                               partitions=partitions))
    return build_graph(specs)


def current_inputs(graph: AssetGraph, snapshot: CatalogSnapshot, asset: str, key: str) -> dict[str, dict[str, Any]]:
    """What the partition would record if built now (the executor's record)."""
    upstream_keys = UpstreamKeys(graph, NOW)
    found: dict[str, dict[str, Any]] = {
        edge.upstream: {k: snapshot.version(edge.upstream, k) for k in upstream_keys(edge, key)}
        for edge in graph.edges_in[asset]
    }
    observed = snapshot.observed.get(asset, {}).get(key)
    if observed is not None:
        found[OBSERVED] = {key: observed}
    return found


def one_of(draw: st.DrawFn, *values: object) -> Any:
    return draw(st.sampled_from(values))


@st.composite
def snapshots(draw: st.DrawFn, graph: AssetGraph, stores: list[str]) -> CatalogSnapshot:
    """Every field of every state drawn on its own, around the values a fresh partition has;
    ``graph`` holds the dynamic keys ``stores`` the snapshot has."""
    snapshot = CatalogSnapshot(dynamic_keys={"stores": stores})
    interrupted, observed = set(), {}
    for asset in graph.order:
        spec = graph[asset]
        current_grain = grain(spec.partitions)
        recorded_grain = one_of(draw, current_grain, current_grain, "weekly@UTC", None)
        if recorded_grain is not None:
            snapshot.grains[asset] = recorded_grain
        for key in keys_of(spec.partitions, NOW):
            if draw(st.booleans()) and draw(st.booleans()):
                observed.setdefault(asset, {})[key] = one_of(draw, "obs-1", "obs-2")
            snapshot.observed = observed
            if draw(st.integers(0, 9)) == 0:
                continue  # never recorded
            current = current_inputs(graph, snapshot, asset, key)
            older = {up: {k: "older" for k in read} for up, read in current.items()} or {"gone": {"x": "y"}}
            inputs = one_of(draw, current, current, current, older, None)
            status = one_of(draw, "published", "published", "published", "failed", "quarantined")
            snapshot.partitions.setdefault(asset, {})[key] = PartitionState(
                data_version=one_of(draw, f"{asset}[{key}]#1", f"{asset}[{key}]#1", None),
                code_version=one_of(draw, spec.code_version, spec.code_version, f"{asset}-v1", None),
                inputs=inputs,
                published_at=one_of(draw, "2025-01-03T00:00:00+00:00", None),
                rows=one_of(draw, 1, 5, 0, None),
                last_status=status,
                last_run=one_of(draw, "run-1", "run-2"),
                last_error=None if status == "published" else "boom",
                last_code_version=one_of(draw, spec.code_version, f"{asset}-v1", None),
                last_checks_version=one_of(draw, spec.checks_version, "old-checks", None),
                last_inputs=one_of(draw, inputs, current, older, None),
                last_failure=None if status == "published" else one_of(draw, "error", "transient", "timeout", "check", None),
            )
            if draw(st.integers(0, 7)) == 0:
                interrupted.add((asset, key))
            if draw(st.integers(0, 5)) == 0:  # published under another grain than its asset's
                snapshot.published_grains.setdefault(asset, {})[key] = one_of(draw, current_grain or "keys", "weekly@UTC")
    snapshot.interrupted = frozenset(interrupted)
    return snapshot


@st.composite
def cases(draw: st.DrawFn) -> tuple[AssetGraph, CatalogSnapshot]:
    """A graph as declared (its dynamic partitions hold no keys) and a snapshot, which has them."""
    stores = draw(st.lists(st.sampled_from(["s1", "s2", "s3"]), unique=True, max_size=3))
    graph = draw(graphs())
    return graph, draw(snapshots(graph.with_dynamic_keys({"stores": stores}), stores))


# -- each rule holds to its guards -----------------------------------------------------------------


def holds(guard: Guard, facts: Facts, graph: AssetGraph, snapshot: CatalogSnapshot) -> bool:
    """Whether the guard's expectation is met, worked out here on its own."""
    expectation = guard.expect(graph[facts.asset])
    value = getattr(facts, guard.field)
    if isinstance(expectation, Equals):
        return bool(value == expectation.value)
    if isinstance(expectation, Present):
        return value is not None
    if isinstance(expectation, Holds):
        return expectation.test(value)
    assert isinstance(expectation, CurrentInputs)  # an unpublished upstream has no current version to record
    current = current_inputs(graph, snapshot, facts.asset, facts.key)
    return value == current and all(v is not None for read in current.values() for v in read.values())


@SETTINGS
@given(cases())
def test_a_rule_whose_guards_hold_finds_the_partition_fresh(case: tuple[AssetGraph, CatalogSnapshot]) -> None:
    graph, snapshot = case
    graph = graph.with_dynamic_keys(snapshot.dynamic_keys or {})
    upstream_keys = UpstreamKeys(graph, NOW)
    for asset in graph.order:
        for key in keys_of(graph[asset].partitions, NOW):
            for rule in RULES:
                facts = Facts(graph, snapshot, asset, key, upstream_keys, False, snapshot.state(asset, key))
                facts._allowed = rule.fields
                if all(holds(g, facts, graph, snapshot) for g in rule.guards):
                    assert rule.judge(facts) is None, f"rule '{rule.name}' fires on {asset}[{key}] with its guards held"


# -- plan, status and why agree with the exact rules ----------------------------------------------


def by_hand(graph: AssetGraph, snapshot: CatalogSnapshot) -> tuple[dict[tuple[str, str], Reason], dict[tuple[str, str], Reason]]:
    """(planned, waiting) of a plain ``materialize``: the exact rules on every due key, and
    every partition that reads a planned one, in graph order."""
    upstream_keys = UpstreamKeys(graph, NOW)
    planned: dict[tuple[str, str], Reason] = {}
    waiting: dict[tuple[str, str], Reason] = {}
    for asset in graph.order:
        for key in keys_of(graph[asset].partitions, NOW):
            reason = rules.direct_reason(graph, snapshot, asset, key, upstream_keys)
            if reason is not None and reason.cause is Cause.WAITING:
                waiting[(asset, key)] = reason
                reason = None
            if reason is None:
                read = [(e.upstream, k) for e in graph.edges_in[asset] for k in upstream_keys(e, key)]
                first = next((ref for ref in read if ref in planned), None)
                if first is not None:
                    reason = Reason(Cause.UPSTREAM_PLANNED, f"{rules.ref(*first)} is rebuilt in this run", upstream=first)
            if reason is not None:
                planned[(asset, key)] = reason
    return planned, waiting


def assert_agreement(graph: AssetGraph, snapshot: CatalogSnapshot) -> None:
    """``graph`` as declared: plan, status and why take the dynamic keys from the snapshot."""
    planned, waiting = by_hand(graph.with_dynamic_keys(snapshot.dynamic_keys or {}), snapshot)
    the_plan = plan(graph, snapshot, graph.order, NOW)
    assert {(s.asset, s.key): s.reason for s in the_plan.steps} == planned
    assert {(s.asset, s.key): s.reason for s in the_plan.waiting} == waiting
    for asset, rows in statuses(graph, snapshot, graph.order, NOW).items():
        for key, status, reason in rows:
            expected = planned.get((asset, key)) or waiting.get((asset, key))
            assert reason == expected, f"status of {asset}[{key}]"
            if expected is None:
                assert status == "fresh"
            elif expected.cause is Cause.WAITING:
                assert status == snapshot.state(asset, key).last_status  # type: ignore[union-attr]
            else:
                assert status == STATUS_OF_CAUSE[expected.cause]
            chain = explain(graph, snapshot, asset, key, NOW)
            told = chain[0][2]
            if expected is not None and expected.cause is Cause.UPSTREAM_PLANNED:  # worded for `why`
                assert told is not None and told.detail == f"fresh itself, but {rules.ref(*expected.upstream)} will be rebuilt first"
                told = expected if (told.cause, told.upstream) == (expected.cause, expected.upstream) else told
            assert chain[0][:2] == (asset, key) and told == expected, f"why {asset}[{key}]"
            for (_, _, link), (up, up_key, _) in zip(chain, chain[1:]):
                assert link is not None and link.upstream == (up, up_key)


@SETTINGS
@given(cases())
def test_plan_status_and_why_agree_with_the_exact_rules_on_every_key(case: tuple[AssetGraph, CatalogSnapshot]) -> None:
    graph, snapshot = case
    assert_agreement(graph, snapshot)


@SETTINGS
@given(cases())
def test_they_agree_on_a_snapshot_read_from_a_real_catalog(case: tuple[AssetGraph, CatalogSnapshot]) -> None:
    graph, snapshot = case
    assert_agreement(graph, through_a_catalog(snapshot))


# -- a new rule cannot be left out -------------------------------------------------------------------


def _empty(facts: Facts) -> Reason | None:
    """The reviewer's experiment: a published partition with 0 rows is unknown."""
    if facts.data_version is not None and facts.rows == 0:
        return Reason(Cause.UNKNOWN, "published with 0 rows")
    return None


EMPTY_GRAPH = build_graph([AssetSpec(name="a", kind="python", inputs=(), code_version="a-v2",
                                     partitions=StaticPartitions(["eu", "us"]))])


def _empty_snapshot() -> CatalogSnapshot:
    def fresh(rows: int) -> PartitionState:
        return PartitionState(data_version=f"a#{rows}", code_version="a-v2", inputs={}, rows=rows,
                              last_status="published", last_run="run-1")
    return CatalogSnapshot({"a": {"eu": fresh(0), "us": fresh(3)}})


def test_a_rule_added_without_a_guard_on_what_it_reads_fails_the_agreement(monkeypatch: pytest.MonkeyPatch) -> None:
    """Added to the rules with ``rows`` among its reads but no guard: ``why`` would say unknown,
    ``plan`` and ``status`` fresh. The agreement property says so."""
    monkeypatch.setattr(rules, "RULES", (*RULES, Rule("empty", (), _empty, reads=frozenset({"data_version", "rows"}))))
    with pytest.raises(AssertionError):
        assert_agreement(EMPTY_GRAPH, _empty_snapshot())


def test_a_rule_that_reads_a_field_it_does_not_name_fails_at_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "RULES", (*RULES, Rule("empty", (), _empty)))
    with pytest.raises(rules.UndeclaredField, match="read 'data_version', which it does not name"):
        rules.direct_reason(EMPTY_GRAPH, _empty_snapshot(), "a", "eu", UpstreamKeys(EMPTY_GRAPH, NOW))


def test_a_rule_with_a_guard_for_what_it_reads_is_seen_by_plan_status_and_why(monkeypatch: pytest.MonkeyPatch) -> None:
    empty = Rule("empty", (Guard("rows", lambda spec: Holds(lambda rows: rows != 0)),), _empty,
                 reads=frozenset({"data_version"}))
    monkeypatch.setattr(rules, "RULES", (*RULES, empty))
    snapshot = _empty_snapshot()
    assert_agreement(EMPTY_GRAPH, snapshot)
    assert [(s.key, s.reason.detail) for s in plan(EMPTY_GRAPH, snapshot, ["a"], NOW).steps] == [("eu", "published with 0 rows")]
    assert_agreement(EMPTY_GRAPH, through_a_catalog(snapshot))
