"""Staleness and the plan: pure functions of (graph, catalog snapshot, reference time).

No clock, no files, no catalog calls: everything comes in as arguments, so the planner can
be tested exhaustively and re-run later against the same reference time.

    >>> plan(graph, snapshot, selection={"clean_orders"}, now=now).steps[0].reason.cause   # doctest: +SKIP
    <Cause.MISSING: 'missing'>
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from assets_core.catalog.snapshot import CatalogSnapshot, PartitionState
from assets_core.graph import AssetGraph, Edge
from assets_core.planning.reads import OBSERVED, UpstreamKeys
from assets_core.planning.bulk import CurrentVersions, maybe_not_fresh

__all__ = ["OBSERVED", "Cause", "Plan", "Reason", "Step", "UpstreamKeys", "direct_reason", "explain",
           "partition_statuses", "plan", "statuses"]


class Cause(str, Enum):
    MISSING = "missing"
    FAILED = "failed"
    QUARANTINED = "quarantined"
    CODE_CHANGED = "code changed"
    SOURCE_CHANGED = "source changed"
    """``assets observe`` saw a new version of a source partition (late or corrected data)."""
    UPSTREAM_CHANGED = "upstream changed"
    UPSTREAM_PLANNED = "upstream rebuilt in this run"
    UNKNOWN = "unknown"
    REQUESTED = "requested"
    WAITING = "waiting"
    """Failed deterministically or quarantined, and nothing it depends on changed since: not
    planned (it would fail the same way) unless ``--retry-failed``."""


@dataclass(frozen=True)
class Reason:
    """Why a partition needs work: a cause, the upstream partition involved, the versions."""

    cause: Cause
    detail: str
    upstream: tuple[str, str] | None = None
    old: str | None = None
    new: str | None = None


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

    def __len__(self) -> int:
        return len(self.steps)

    def counts_by_asset(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for step in self.steps:
            counts[step.asset] = counts.get(step.asset, 0) + 1
        return counts


def _short(version: str | None) -> str:
    return "none" if version is None else version[:10]


def direct_reason(
    graph: AssetGraph,
    snapshot: CatalogSnapshot,
    asset: str,
    key: str,
    upstream_keys: UpstreamKeys,
    retry_failed: bool = False,
) -> Reason | None:
    """Why this partition is not fresh, judged on its own record; None when it is fresh."""
    state = snapshot.state(asset, key)
    if (asset, key) in snapshot.interrupted:
        return Reason(Cause.UNKNOWN, "a run died while writing it; its record may not match its data")
    if state is not None and state.last_status in ("failed", "quarantined"):
        return _failure_reason(graph, snapshot, asset, key, state, upstream_keys, retry_failed)
    if state is None or not state.is_published:
        return Reason(Cause.MISSING, "never published")
    spec = graph[asset]
    if state.code_version != spec.code_version:
        return Reason(
            Cause.CODE_CHANGED,
            f"code of {asset} changed: {_short(state.code_version)} -> {_short(spec.code_version)}",
            old=state.code_version, new=spec.code_version,
        )
    source = _source_reason(snapshot, asset, key, state.inputs)
    if source is not None:
        return source
    for edge in graph.edges_in[asset]:
        reason = _upstream_reason(snapshot, state.inputs, edge, upstream_keys(edge, key))
        if reason is not None:
            return reason
    return None


def _source_reason(
    snapshot: CatalogSnapshot, asset: str, key: str, inputs: Mapping[str, Mapping[str, str]] | None
) -> Reason | None:
    observed = snapshot.observed.get(asset, {}).get(key)
    if observed is None:
        return None
    built_from = (inputs or {}).get(OBSERVED, {}).get(key)
    if built_from == observed:
        return None
    return Reason(
        Cause.SOURCE_CHANGED, f"its source was observed at a new version: {_short(built_from)} -> {_short(observed)}",
        old=built_from, new=observed,
    )


# Failures that may pass when simply tried again (None: recorded before failures were classed).
RETRYABLE_FAILURES = (None, "transient", "timeout")


def _failure_reason(
    graph: AssetGraph, snapshot: CatalogSnapshot, asset: str, key: str, state: PartitionState,
    upstream_keys: UpstreamKeys, retry_failed: bool,
) -> Reason:
    cause = Cause.QUARANTINED if state.last_status == "quarantined" else Cause.FAILED
    kept = "; the previous version stays readable" if state.is_published else ""
    detail = f"last attempt {state.last_status} in run {state.last_run}: {state.last_error}{kept}"
    if retry_failed or state.last_failure in RETRYABLE_FAILURES:
        return Reason(cause, detail)
    change = _changed_since_attempt(graph, snapshot, asset, key, state, upstream_keys)
    if change:
        return Reason(cause, f"{detail}; tried again because {change}")
    return Reason(
        Cause.WAITING,
        f"{detail}; waiting: its code, upstream data and checks are unchanged since, so it would "
        "end the same way. Fix the cause, or force it with `assets materialize --retry-failed`",
    )


def _changed_since_attempt(
    graph: AssetGraph, snapshot: CatalogSnapshot, asset: str, key: str, state: PartitionState,
    upstream_keys: UpstreamKeys,
) -> str | None:
    """What changed since the last attempt that could change its result, if anything."""
    spec = graph[asset]
    if state.last_code_version != spec.code_version:
        return "its code changed"
    if state.last_checks_version != spec.checks_version:
        return "its checks changed"
    source = _source_reason(snapshot, asset, key, state.last_inputs)
    if source is not None:
        return source.detail
    for edge in graph.edges_in[asset]:
        reason = _upstream_reason(snapshot, state.last_inputs, edge, upstream_keys(edge, key))
        if reason is not None:
            return reason.detail
    return None


def _upstream_reason(
    snapshot: CatalogSnapshot,
    inputs: Mapping[str, Mapping[str, str]] | None,
    edge: Edge,
    keys: list[str],
) -> Reason | None:
    up = edge.upstream
    recorded = None if inputs is None else inputs.get(up)
    if recorded is None:
        return Reason(Cause.UNKNOWN, f"no record of the versions of {up} it was built from")
    for k in keys:
        now_version = snapshot.version(up, k)
        old = recorded.get(k)
        if old is None:
            return Reason(
                Cause.UPSTREAM_CHANGED, f"{_ref(up, k)} is new since it was built",
                upstream=(up, k), new=now_version,
            )
        if now_version != old:
            return Reason(
                Cause.UPSTREAM_CHANGED,
                f"{_ref(up, k)} changed: {_short(old)} -> {_short(now_version)}",
                upstream=(up, k), old=old, new=now_version,
            )
    if len(recorded) > len(keys):
        gone = sorted(set(recorded) - set(keys))[0]
        return Reason(Cause.UPSTREAM_CHANGED, f"{_ref(up, gone)} is no longer read", upstream=(up, gone))
    return None


def _ref(asset: str, key: str) -> str:
    return f"{asset}[{key}]" if key else asset


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
    with _cyclic_gc_paused():
        return _plan(graph, snapshot, selection, now, requested, retry_failed, resumed)


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """A plan over a million partitions allocates millions of short-lived objects and no
    cycles: the cyclic garbage collector, walking them again and again, could free none of
    them and took up to a third of the plan's time. Reference counting frees them as usual."""
    paused = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


def _plan(
    graph: AssetGraph,
    snapshot: CatalogSnapshot,
    selection: Iterable[str],
    now: datetime,
    requested: Mapping[str, Iterable[str]] | None,
    retry_failed: bool,
    resumed: frozenset[tuple[str, str]],
) -> Plan:
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
            maybe = maybe_not_fresh(graph, snapshot, asset, keys, upstream_keys, versions)
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
                    Cause.UPSTREAM_PLANNED, f"{_ref(up.asset, up.key)} is rebuilt in this run",
                    upstream=(up.asset, up.key),
                )
            if reason is not None:
                index[(asset, key)] = len(steps)
                steps.append(Step(asset, key, reason, deps))
                planned_assets.setdefault(asset, []).append(key)
    return Plan(steps, now, index, waiting)


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


# -- status and explanations ------------------------------------------------------------------

STATUS_OF_CAUSE = {
    Cause.MISSING: "missing",
    Cause.FAILED: "failed",
    Cause.QUARANTINED: "quarantined",
    Cause.CODE_CHANGED: "stale",
    Cause.SOURCE_CHANGED: "stale",
    Cause.UPSTREAM_CHANGED: "stale",
    Cause.UNKNOWN: "unknown",
}


def _status(snapshot: CatalogSnapshot, asset: str, key: str, reason: Reason | None) -> str:
    if reason is None:
        return "fresh"
    if reason.cause == Cause.WAITING:  # still failed or quarantined; the reason says it waits
        state = snapshot.state(asset, key)
        return state.last_status if state is not None and state.last_status else "failed"
    return STATUS_OF_CAUSE[reason.cause]


def partition_statuses(
    graph: AssetGraph, snapshot: CatalogSnapshot, asset: str, now: datetime
) -> list[tuple[str, str, Reason | None]]:
    """(key, status, reason) for every due partition of ``asset``."""
    return statuses(graph, snapshot, [asset], now)[asset]


def statuses(
    graph: AssetGraph, snapshot: CatalogSnapshot, assets: Iterable[str], now: datetime
) -> dict[str, list[tuple[str, str, Reason | None]]]:
    """(key, status, reason) for every due partition of each of ``assets``. The bulk check
    finds the partitions that may not be fresh; only those are judged one by one."""
    selected = set(assets)
    upstream_keys, versions = UpstreamKeys(graph, now), CurrentVersions(snapshot)
    found: dict[str, list[tuple[str, str, Reason | None]]] = {}  # in graph order
    with _cyclic_gc_paused():
        for asset in graph.order:
            if asset not in selected:
                continue
            definition = graph[asset].partitions
            keys = upstream_keys.due(definition)
            maybe = maybe_not_fresh(graph, snapshot, asset, keys, upstream_keys, versions)
            rows: list[tuple[str, str, Reason | None]] = [(key, "fresh", None) for key in keys]
            position = upstream_keys.positions(definition)
            for key in maybe:
                i = position.get(key)
                if i is not None:
                    reason = direct_reason(graph, snapshot, asset, key, upstream_keys)
                    rows[i] = (key, _status(snapshot, asset, key, reason), reason)
            found[asset] = rows
    return found


def explain(
    graph: AssetGraph, snapshot: CatalogSnapshot, asset: str, key: str, now: datetime
) -> list[tuple[str, str, Reason | None]]:
    """The chain of causes from a partition down to its root: [(asset, key, reason), ...].

    The last link has a reason with no upstream (a code change, a failure, a missing
    partition), or is an upstream partition that is fresh itself but was republished.
    """
    upstream_keys = UpstreamKeys(graph, now)
    chain: list[tuple[str, str, Reason | None]] = []
    seen: set[tuple[str, str]] = set()
    node: tuple[str, str] | None = (asset, key)
    while node is not None and node not in seen:
        seen.add(node)
        reason = direct_reason(graph, snapshot, node[0], node[1], upstream_keys)
        if reason is None:
            reason = _stale_upstream(graph, snapshot, node, upstream_keys)
        chain.append((node[0], node[1], reason))
        node = None if reason is None else reason.upstream
    return chain


def _stale_upstream(
    graph: AssetGraph, snapshot: CatalogSnapshot, node: tuple[str, str], upstream_keys: UpstreamKeys
) -> Reason | None:
    """A fresh partition is still due for a rebuild when something upstream of it is not fresh."""
    settled: set[tuple[str, str]] = set()  # partitions known fresh, with every ancestor fresh
    for edge in graph.edges_in[node[0]]:
        for k in upstream_keys(edge, node[1]):
            if _not_fresh_above(graph, snapshot, (edge.upstream, k), upstream_keys, settled):
                return Reason(
                    Cause.UPSTREAM_PLANNED,
                    f"fresh itself, but {_ref(edge.upstream, k)} will be rebuilt first",
                    upstream=(edge.upstream, k),
                )
    return None


def _not_fresh_above(
    graph: AssetGraph, snapshot: CatalogSnapshot, start: tuple[str, str], upstream_keys: UpstreamKeys,
    settled: set[tuple[str, str]],
) -> bool:
    """Whether ``start`` or any partition upstream of it is not fresh. Iterative: an asset
    reading its own previous partition makes chains as long as its history."""
    stack, seen = [start], {start}
    while stack:
        asset, key = stack.pop()
        if (asset, key) in settled:
            continue
        if direct_reason(graph, snapshot, asset, key, upstream_keys) is not None:
            return True
        for edge in graph.edges_in[asset]:
            for k in upstream_keys(edge, key):
                if (edge.upstream, k) not in seen:
                    seen.add((edge.upstream, k))
                    stack.append((edge.upstream, k))
    settled.update(seen)
    return False
