"""The stored verdict of the last evaluation, and what a plan must look at again since.

After one change to a catalog of a million partitions, a plan should cost what that change
touches, not the catalog's size. A :class:`Verdict` is what the last evaluation found: for
each asset, its due keys that are not fresh themselves, the published keys it would retire,
and what that depended on (the catalog's history mark, the reference time, a fingerprint of
the asset's definition and of what it reads). :func:`to_look_at` tells, from the verdict and
the catalog's changes since its mark, which partitions may have another verdict now; every
other partition is fresh, as it was. The staleness rules are not restated here: the
partitions to look at are judged by :func:`~assets_core.planning.rules.direct_reason` (and
by the bulk check for an asset looked at whole), as in a full plan (:func:`not_fresh`).

Whether a partition is fresh itself depends on its state, its asset's definition, the
versions of the upstream partitions it reads, its source's observed version, whether a dead
run held it, and which keys are due. So its verdict can change only when

- its state changed (an attempt since the mark) or its source was observed;
- a partition it reads changed or came due (it reads more now: a window, a fan-in);
- its definition changed, or the definition of what it reads (the fingerprints);
- it came due itself, or a run holding it died (interrupted partitions are always looked at);
- or it was not fresh already (looked at again every time).

Anything else the rules read (the keys of dynamic partitions, the grains partitions were
published under, a reference time earlier than the verdict's) asks for a full evaluation.
Tests hold the incremental plan, status and ``why`` equal to a full recomputation after
random sequences of changes (``tests/property/test_incremental_plan.py``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from assets_core.catalog.snapshot import CatalogSnapshot, ChangeMark
from assets_core.graph import AssetGraph
from assets_core.partitions import PartitionsDefinition
from assets_core.planning.bulk import CurrentVersions, maybe_not_fresh
from assets_core.planning.reads import UpstreamKeys
from assets_core.planning.rules import direct_reason

VERDICT_FORMAT = 1

Looks = dict[str, "set[str] | None"]
"""Per asset, the keys to look at again (None: the asset whole, through the bulk check); an
asset left out needs no look: every due key of it is as the verdict says."""


@dataclass(frozen=True)
class AssetVerdict:
    fingerprint: str
    due: int
    """How many keys were due at the verdict's reference time (the first ``due`` keys now)."""
    not_fresh: frozenset[str]
    retire: frozenset[str]
    """Its published keys the definition no longer holds."""
    recorded: int
    """How many partitions of it the catalog held a state for."""
    published: tuple[int, str | None] | None = None
    """``catalog.published_summary()``'s entry, for ``assets status`` (None: none recorded)."""
    warned: int = 0
    folder: int | None = None
    """The modification time of its Parquet folder when all its published partitions were
    found there (None: not checked so, or not Parquet)."""


@dataclass(frozen=True)
class Verdict:
    mark: ChangeMark
    as_of: datetime
    context: str
    """A digest of what asks for a full evaluation when it changes (see :func:`context_of`)."""
    assets: Mapping[str, AssetVerdict]

    def to_json(self, graph: AssetGraph) -> dict[str, Any]:
        """As stored: keys not fresh as runs of positions among the due keys (a year of missing days is one pair)."""
        then = UpstreamKeys(graph, self.as_of)
        assets = {}
        for name, v in self.assets.items():
            definition = graph[name].partitions if name in graph else None
            assets[name] = [v.fingerprint, v.due, _runs(then, definition, v.not_fresh), sorted(v.retire), v.recorded,
                            v.published and list(v.published), v.warned, v.folder]
        body = {"format": VERDICT_FORMAT, "mark": self.mark.to_json(), "as_of": self.as_of.isoformat(),
                "context": self.context, "assets": assets}
        return {**body, "digest": _digest(body)}

    @classmethod
    def from_json(cls, value: Any, graph: AssetGraph) -> Verdict | None:
        """The verdict stored as ``value`` (see :meth:`to_json`); None when it is not one
        this code wrote, was damaged or edited (its digest), or does not fit ``graph``."""
        try:
            body = {k: v for k, v in value.items() if k != "digest"}
            if body.get("format") != VERDICT_FORMAT or value.get("digest") != _digest(body):
                return None
            as_of = datetime.fromisoformat(body["as_of"])
            then = UpstreamKeys(graph, as_of)
            assets = {}
            for name, (fingerprint, due, runs, retire, recorded, published, warned, folder) in body["assets"].items():
                if name not in graph:
                    continue
                keys = then.due(graph[name].partitions)
                not_fresh = frozenset(k for start, count in runs for k in keys[start:start + count])
                assets[name] = AssetVerdict(str(fingerprint), int(due), not_fresh, frozenset(retire), int(recorded),
                                            None if published is None else (int(published[0]), published[1]),
                                            int(warned), None if folder is None else int(folder))
            return cls(ChangeMark.from_json(body["mark"]), as_of, str(body["context"]), assets)
        except Exception:  # noqa: BLE001  a cache: anything wrong with it means evaluate whole
            return None


def _digest(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _runs(upstream_keys: UpstreamKeys, definition: PartitionsDefinition | None, keys: frozenset[str]) -> list[list[int]]:
    """``keys`` as ``[start, count]`` runs of positions among the due keys (all of them due)."""
    position = upstream_keys.positions(definition)
    runs: list[list[int]] = []
    for i in sorted(position[k] for k in keys):
        if runs and runs[-1][0] + runs[-1][1] == i:
            runs[-1][1] += 1
        else:
            runs.append([i, 1])
    return runs


def fingerprints(graph: AssetGraph) -> dict[str, str]:
    """Per asset, a digest of what its partitions' verdicts depend on in the definitions: its
    kind, code and checks versions, partitions, and each input with its mapping and the
    upstream's partitions. Definitions and mappings shared by many assets are described once."""
    described: dict[int, str] = {}

    def text(value: Any) -> str:
        found = described.get(id(value))
        if found is None:
            found = described[id(value)] = "null" if value is None else json.dumps(value.to_dict(), sort_keys=True, default=str)
        return found

    found = {}
    for name in graph.order:
        spec = graph[name]
        parts = [repr((spec.kind, spec.is_source, spec.code_version, spec.checks_version)), text(spec.partitions)]
        for e in graph.edges_in[name]:
            parts += [e.upstream, text(e.mapping), text(graph[e.upstream].partitions)]
        found[name] = hashlib.sha1("\x00".join(parts).encode()).hexdigest()[:24]
    return found


def context_of(snapshot: CatalogSnapshot) -> str:
    """A digest of what the rules read that no history mark orders: the keys of dynamic
    partitions and the grains partitions were published under."""
    parts = [snapshot.dynamic_keys, snapshot.grains, snapshot.published_grains]
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]


def to_look_at(
    verdict: Verdict, graph: AssetGraph, prints: Mapping[str, str], context: str, changed: Iterable[tuple[str, str]],
    interrupted: Iterable[tuple[str, str]], now: datetime,
) -> Looks | None:
    """Which partitions may have another verdict at ``now`` than ``verdict`` gave, after the
    ``changed`` partitions (attempts and observations since its mark); None when only a full
    evaluation can tell (see the module's list). ``graph`` is bound to the dynamic keys,
    ``prints`` are its :func:`fingerprints`."""
    if verdict.context != context or now < verdict.as_of:
        return None
    current, then = UpstreamKeys(graph, now), UpstreamKeys(graph, verdict.as_of)
    looks: Looks = {}
    moved: dict[str, set[str]] = {}  # per asset, its keys that changed or came due: their readers are looked at
    for asset, key in changed:
        moved.setdefault(asset, set()).add(key)
    came: dict[int, list[str] | None] = {}  # per definition (shared by many assets): the keys that came due
    for asset in graph.order:
        stored, definition = verdict.assets.get(asset), graph[asset].partitions
        due_then = then.due(definition)
        same = stored is not None and stored.fingerprint == prints[asset] and stored.due == len(due_then)
        if id(definition) not in came:
            due_now = current.due(definition)
            came[id(definition)] = due_now[len(due_then):] if due_now[:len(due_then)] == due_then else None
        came_due = came[id(definition)]
        if came_due is None:
            if same:
                return None  # the same definition, fewer keys due: an earlier reference time
            came_due = current.due(definition)
        moved.setdefault(asset, set()).update(came_due)
        if not same:
            looks[asset] = None
            continue
        assert stored is not None
        keys = {*stored.not_fresh, *stored.retire, *moved[asset]}
        if keys:
            looks[asset] = keys
    for asset, key in interrupted:
        _add(looks, asset, {key})
    for upstream, keys in moved.items():
        if upstream not in graph:
            continue
        up = graph[upstream].partitions
        for edge in graph.edges_out[upstream]:
            down = graph[edge.downstream].partitions
            readers = {k for key in keys for k in edge.mapping.downstream_keys(key, up, down, now)}
            _add(looks, edge.downstream, readers)
    return looks


def _add(looks: Looks, asset: str, keys: set[str]) -> None:
    if not keys:
        return
    if asset not in looks:
        looks[asset] = set(keys)
    else:
        found = looks[asset]
        if found is not None:
            found.update(keys)


def reads_for(graph: AssetGraph, looks: Looks, now: datetime) -> dict[str, Collection[str] | None]:
    """The partitions whose states judging ``looks`` reads (``Catalog.snapshot``'s ``only``):
    each looked-at key and the upstream keys it reads; an asset looked at whole, and
    everything it reads, whole (the bulk check compares whole columns)."""
    upstream_keys = UpstreamKeys(graph, now)
    only: dict[str, set[str] | None] = {}
    for asset, keys in looks.items():
        if keys is None:
            only[asset] = None
            for edge in graph.edges_in[asset]:
                only[edge.upstream] = None
    for asset, keys in looks.items():
        if keys is None:
            continue
        _add(only, asset, keys)
        for edge in graph.edges_in[asset]:
            if only.get(edge.upstream, ()) is None:
                continue
            resolver = upstream_keys.resolver(edge)
            _add(only, edge.upstream, {k for key in keys for k in resolver(key)})
    return dict(only)


class NotFresh(Mapping[str, frozenset[str]]):
    """Per asset of ``graph``, its due keys at ``now`` that are not fresh themselves, judged
    when first asked for (a plan asks only for the assets it plans): those of ``looks`` (None:
    every asset whole) that the staleness rules give a reason; the other keys are taken as
    fresh. ``snapshot`` holds the states judging them reads (:func:`reads_for`)."""

    def __init__(
        self, graph: AssetGraph, snapshot: CatalogSnapshot, now: datetime, looks: Mapping[str, Collection[str] | None] | None,
    ) -> None:
        self.graph, self.snapshot, self.looks = graph, snapshot, looks
        self.upstream_keys, self._versions = UpstreamKeys(graph, now), CurrentVersions(snapshot)
        self.judged: dict[str, frozenset[str]] = {}
        """The assets judged so far: only these are known to a later verdict."""

    def __getitem__(self, asset: str) -> frozenset[str]:
        found = self.judged.get(asset)
        if found is None:
            found = self.judged[asset] = self._judge(asset)
        return found

    def _judge(self, asset: str) -> frozenset[str]:
        graph, snapshot, upstream_keys = self.graph, self.snapshot, self.upstream_keys
        keys = upstream_keys.due(graph[asset].partitions)
        look = None if self.looks is None else self.looks.get(asset, ())
        if look is None:  # the bulk check may name keys that are not due (a dead run's retirement): left out too
            look = maybe_not_fresh(graph, snapshot, asset, keys, upstream_keys, self._versions)
        position = upstream_keys.positions(graph[asset].partitions)
        return frozenset(k for k in look if k in position and direct_reason(graph, snapshot, asset, k, upstream_keys) is not None)

    def __iter__(self) -> Iterator[str]:
        return iter(self.graph.order)

    def __len__(self) -> int:
        return len(self.graph.order)
