"""Staleness and the plan: pure functions of (graph, catalog snapshot, reference time).

No clock, no files, no catalog calls: everything comes in as arguments, so the planner can
be tested exhaustively and re-run later against the same reference time.

    >>> plan(graph, snapshot, selection={"clean_orders"}, now=now).steps[0].reason.cause   # doctest: +SKIP
    <Cause.MISSING: 'missing'>
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from assets_core.catalog.snapshot import CatalogSnapshot
from assets_core.graph import AssetGraph, Edge
from assets_core.planning.bulk import CurrentVersions, maybe_not_fresh
from assets_core.catalog.inputs import OBSERVED
from assets_core.planning.reads import UpstreamKeys
from assets_core.planning.retirement import Retirement, retirements
from assets_core.planning.rules import Cause, Reason, direct_reason, ref

__all__ = ["OBSERVED", "Cause", "Plan", "Reason", "Retirement", "Step", "UpstreamKeys", "direct_reason", "explain",
           "partition_statuses", "plan", "status_counts", "statuses"]


@dataclass(frozen=True)
class Step:
    asset: str
    key: str
    reason: Reason
    deps: tuple[int, ...] = ()
    """Indexes (in the plan) of the planned upstream steps this one waits for."""


@dataclass
class Plan:
    steps: list[Step]
    reference_time: datetime
    index: dict[tuple[str, str], int] = field(default_factory=dict)
    waiting: list[Step] = field(default_factory=list)
    """Partitions left out because retrying them could not change the result."""
    retire: list[Retirement] = field(default_factory=list)
    """Published partitions the selected assets' definitions no longer hold: removed from the
    published location by the run (see :mod:`assets_core.planning.retirement`)."""

    def __len__(self) -> int:
        return len(self.steps)

    def counts_by_asset(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for step in self.steps:
            counts[step.asset] = counts.get(step.asset, 0) + 1
        return counts


def plan(
    graph: AssetGraph,
    snapshot: CatalogSnapshot,
    selection: Iterable[str],
    now: datetime,
    requested: Mapping[str, Iterable[str]] | None = None,
    retry_failed: bool = False,
    resumed: frozenset[tuple[str, str]] = frozenset(),
) -> Plan:
    """Missing, stale and failed partitions of the selected assets, upstream first.

    ``requested`` (asset -> keys, from ``--partitions``) limits the plan to those keys, which
    are rebuilt even when fresh; other selected assets then only follow what is rebuilt
    upstream of them. A partition whose upstream is planned is planned too, after it.
    ``resumed``: partitions an interrupted backfill already published; requested again, they
    are only rebuilt when stale, so the same command continues where it stopped.
    """
    return _plan(graph, snapshot, selection, now, requested, retry_failed, resumed)[0]


def _plan(
    graph: AssetGraph,
    snapshot: CatalogSnapshot,
    selection: Iterable[str],
    now: datetime,
    requested: Mapping[str, Iterable[str]] | None,
    retry_failed: bool,
    resumed: frozenset[tuple[str, str]],
) -> tuple[Plan, UpstreamKeys]:
    if snapshot.dynamic_keys is not None:  # the keys of dynamic partitions are the snapshot's
        graph = graph.with_dynamic_keys(snapshot.dynamic_keys)
    selected = set(selection)
    forced = {asset: set(keys) for asset, keys in (requested or {}).items()}
    upstream_keys = UpstreamKeys(graph, now)
    steps: list[Step] = []
    waiting: list[Step] = []
    index: dict[tuple[str, str], int] = {}
    planned_assets: dict[str, list[str]] = {}  # asset -> its planned keys
    versions = CurrentVersions(snapshot)
    for asset in graph.order:
        if asset not in selected:
            continue
        edges = graph.edges_in[asset]
        definition = graph[asset].partitions
        if asset not in forced:
            keys = upstream_keys.due(definition)
        else:
            keys = definition.sort_keys(forced[asset]) if definition else list(forced[asset])
        # Only edges from assets with planned steps can give deps (an asset's own earlier
        # partitions count too): after a small change, most assets skip this entirely.
        feeding = [e for e in edges if e.upstream in planned_assets or e.upstream == asset]
        maybe: set[str] = set()  # of these keys, the only ones that may not be fresh themselves
        if requested is None:  # only what may not be fresh, or reads a planned partition, needs a look
            maybe = _maybe_not_fresh(graph, snapshot, asset, keys, upstream_keys, versions)
            keys = _to_visit(graph, asset, keys, maybe, feeding, planned_assets, upstream_keys)
        for key in keys:
            deps = _planned_deps(feeding, key, index, upstream_keys) if feeding and index else ()
            reason: Reason | None
            if asset in forced and (asset, key) in resumed:
                reason = direct_reason(graph, snapshot, asset, key, upstream_keys, retry_failed)
            elif asset in forced:
                reason = Reason(Cause.REQUESTED, "requested with --partitions")
            elif requested is None and key in maybe:
                reason = direct_reason(graph, snapshot, asset, key, upstream_keys, retry_failed)
            else:
                reason = None
            if reason is not None and reason.cause == Cause.WAITING:
                waiting.append(Step(asset, key, reason))
                reason = None
            if reason is None and deps:
                up = steps[deps[0]]
                reason = Reason(
                    Cause.UPSTREAM_PLANNED, f"{ref(up.asset, up.key)} is rebuilt in this run",
                    upstream=(up.asset, up.key),
                )
            if reason is not None:
                index[(asset, key)] = len(steps)
                steps.append(Step(asset, key, reason, deps))
                planned_assets.setdefault(asset, []).append(key)
    return Plan(steps, now, index, waiting, retirements(graph, snapshot, selected, upstream_keys)), upstream_keys


def _maybe_not_fresh(
    graph: AssetGraph, snapshot: CatalogSnapshot, asset: str, keys: list[str], upstream_keys: UpstreamKeys,
    versions: CurrentVersions,
) -> set[str]:
    """The keys of ``asset`` that may not be fresh themselves: those the snapshot knows are not
    (found incrementally, :mod:`assets_core.planning.verdict`), else what the bulk check finds."""
    if snapshot.not_fresh is not None and snapshot.not_fresh_at == upstream_keys.now:
        return set(snapshot.not_fresh.get(asset, ()))
    if snapshot.partial:  # its other partitions are not missing, only not read
        raise RuntimeError(f"a partial snapshot was planned at {upstream_keys.now}, not at the time its verdict is for")
    return maybe_not_fresh(graph, snapshot, asset, keys, upstream_keys, versions)


def _to_visit(
    graph: AssetGraph, asset: str, keys: list[str], maybe: set[str], feeding: list[Edge],
    planned: dict[str, list[str]], upstream_keys: UpstreamKeys,
) -> list[str]:
    """The keys of ``asset`` that may need work, in order: those that ``maybe`` are not
    fresh (a superset of what :func:`direct_reason` finds not fresh, checked in bulk by
    :mod:`assets_core.planning.bulk`: every other key is fresh by the same rules), and those that read
    a partition planned upstream."""
    definition = graph[asset].partitions
    visit = set(maybe)
    for edge in feeding:
        if edge.upstream == asset:
            continue
        if edge.mapping.is_fan_in():
            visit.update(keys)
            continue
        up = graph[edge.upstream].partitions
        for key in planned.get(edge.upstream, ()):
            visit.update(edge.mapping.downstream_keys(key, up, definition, upstream_keys.now))
    if not visit:
        return []
    position = upstream_keys.positions(definition)
    in_order = sorted((k for k in visit if k in position), key=position.__getitem__)  # usually a few keys
    if in_order and any(e.upstream == asset for e in graph.edges_in[asset]):  # reads its own past: all that follows
        return keys[position[in_order[0]]:]
    return in_order


def _planned_deps(
    edges: list[Edge], key: str, index: dict[tuple[str, str], int], upstream_keys: UpstreamKeys
) -> tuple[int, ...]:
    deps: list[int] = []
    for edge in edges:
        for k in upstream_keys(edge, key):
            position = index.get((edge.upstream, k))
            if position is not None:
                deps.append(position)
    return tuple(deps)


# -- status and explanations: read off the plan, so they cannot disagree with it -------------

STATUS_OF_CAUSE = {
    Cause.MISSING: "missing",
    Cause.FAILED: "failed",
    Cause.QUARANTINED: "quarantined",
    Cause.CODE_CHANGED: "stale",
    Cause.PARTITIONS_CHANGED: "stale",
    Cause.SOURCE_CHANGED: "stale",
    Cause.UPSTREAM_CHANGED: "stale",
    Cause.UNKNOWN: "unknown",
    Cause.UPSTREAM_PLANNED: "fresh",  # fresh itself: rebuilt only because something it reads is
}

Status = tuple[str, str, Reason | None]
"""(key, status, reason) of one partition: its own status (fresh, stale, missing, failed,
quarantined, unknown) and why; a fresh partition that a plain ``materialize`` rebuilds
because something it reads is rebuilt has the reason ``UPSTREAM_PLANNED``."""


def partition_statuses(graph: AssetGraph, snapshot: CatalogSnapshot, asset: str, now: datetime) -> list[Status]:
    """(key, status, reason) for every due partition of ``asset``."""
    return statuses(graph, snapshot, [asset], now)[asset]


def statuses(
    graph: AssetGraph, snapshot: CatalogSnapshot, assets: Iterable[str], now: datetime
) -> dict[str, list[Status]]:
    """(key, status, reason) for every due partition of each of ``assets``, in graph order:
    read off the plan a plain ``materialize`` would run (over the assets and everything
    upstream of them), so ``status`` and ``plan`` cannot disagree."""
    selected = set(assets)
    the_plan, upstream_keys = _plan(graph, snapshot, graph.upstream_closure(selected), now, None, False, frozenset())
    graph = upstream_keys.graph  # with the snapshot's dynamic keys
    found: dict[str, list[Status]] = {}
    for asset in graph.order:
        if asset in selected:
            found[asset] = [(key, "fresh", None) for key in upstream_keys.due(graph[asset].partitions)]
    for asset, key, status, reason in _not_fresh(the_plan, snapshot, selected):
        found[asset][upstream_keys.positions(graph[asset].partitions)[key]] = (key, status, reason)
    return found


@dataclass(frozen=True)
class StatusCounts:
    """One asset's :func:`statuses`, counted: its due partitions, how many are in each status
    (those not counted are fresh), and how many wait or are fresh but rebuilt after what they read."""

    partitions: int
    counts: dict[str, int]
    waiting: int
    upstream_stale: int


def status_counts(
    graph: AssetGraph, snapshot: CatalogSnapshot, assets: Iterable[str], now: datetime
) -> dict[str, StatusCounts]:
    """:func:`statuses` counted per asset, read off the same plan without a row per partition
    (a million due partitions are a million fresh ones to count)."""
    selected = set(assets)
    the_plan, upstream_keys = _plan(graph, snapshot, graph.upstream_closure(selected), now, None, False, frozenset())
    graph = upstream_keys.graph
    counted: dict[str, tuple[Counter[str], Counter[Cause]]] = {}
    for asset, _, status, reason in _not_fresh(the_plan, snapshot, selected):
        by_status, by_cause = counted.setdefault(asset, (Counter(), Counter()))
        by_status[status] += 1
        by_cause[reason.cause] += 1
    found: dict[str, StatusCounts] = {}
    for asset in graph.order:
        if asset in selected:
            total = len(upstream_keys.due(graph[asset].partitions))
            by_status, by_cause = counted.get(asset, (Counter(), Counter()))
            counts = dict(by_status)
            counts["fresh"] = total - sum(n for s, n in by_status.items() if s != "fresh")
            found[asset] = StatusCounts(total, counts, by_cause[Cause.WAITING], by_cause[Cause.UPSTREAM_PLANNED])
    return found


def _not_fresh(the_plan: Plan, snapshot: CatalogSnapshot, assets: set[str]) -> Iterator[tuple[str, str, str, Reason]]:
    """(asset, key, status, reason) of each planned or waiting partition of ``assets``: what
    makes a status other than plain fresh."""
    for step in (*the_plan.steps, *the_plan.waiting):
        if step.asset not in assets:
            continue
        status = STATUS_OF_CAUSE.get(step.reason.cause)
        if status is None:  # waiting: still failed or quarantined, the reason says it waits
            state = snapshot.state(step.asset, step.key)
            status = state.last_status if state is not None and state.last_status else "failed"
        yield step.asset, step.key, status, step.reason


def explain(
    graph: AssetGraph, snapshot: CatalogSnapshot, asset: str, key: str, now: datetime
) -> list[tuple[str, str, Reason | None]]:
    """The chain of causes from a partition down to its root: [(asset, key, reason), ...],
    read off the plan a plain ``materialize`` would run.

    Each link is planned (its reason says why) or waiting; the last has a reason with no
    upstream (a code change, a failure, a missing partition), or is an upstream partition
    that is fresh itself but was republished (reason None).
    """
    the_plan, _ = _plan(graph, snapshot, graph.upstream_closure({asset}), now, None, False, frozenset())
    waiting = {(step.asset, step.key): step.reason for step in the_plan.waiting}
    chain: list[tuple[str, str, Reason | None]] = []
    seen: set[tuple[str, str]] = set()
    node: tuple[str, str] | None = (asset, key)
    while node is not None and node not in seen:
        seen.add(node)
        position = the_plan.index.get(node)
        reason = the_plan.steps[position].reason if position is not None else waiting.get(node)
        if reason is not None and reason.cause is Cause.UPSTREAM_PLANNED and reason.upstream is not None:
            # The plan's reason, told from the partition's side: nothing of its own is stale.
            reason = replace(reason, detail=f"fresh itself, but {ref(*reason.upstream)} will be rebuilt first")
        chain.append((node[0], node[1], reason))
        node = None if reason is None else reason.upstream
    return chain
