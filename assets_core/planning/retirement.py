"""Which published partitions a run retires: those whose key the asset's partitions definition
no longer holds (daily -> monthly, a static key dropped, a dynamic key removed with ``--force``).

Pure, like the plan: the graph (bound to the snapshot's dynamic keys) and the snapshot in,
values out. The rule itself is :func:`assets_core.planning.rules.retired_reason`; this module
finds the keys it applies to without asking it of every published key: when the catalog's keys
of an asset are a run of its due keys (nearly always), there is nothing to retire and no key is
looked at.

    >>> retirements(graph, snapshot, {"sales"})   # doctest: +SKIP
    [Retirement(asset='sales', keys=('2025-01-01', ...), reason=Reason(cause=<Cause.PARTITIONS_CHANGED ...>))]
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from dataclasses import dataclass

from assets_core.catalog.snapshot import AssetStates, CatalogSnapshot, PartitionState
from assets_core.graph import AssetGraph
from assets_core.partitions import PartitionsDefinition
from assets_core.planning.reads import UpstreamKeys
from assets_core.planning.rules import Reason, retired_reason


@dataclass(frozen=True)
class Retirement:
    """Published partitions of one asset that its definition no longer holds, in the catalog's
    order, and why (one reason: the rule's, for the first of them)."""

    asset: str
    keys: tuple[str, ...]
    reason: Reason

    @property
    def span(self) -> str:
        """The keys as a plan line names them: a short list, or ``first..last``."""
        if len(self.keys) <= 3:
            return ", ".join(k or "-" for k in self.keys)
        return f"{self.keys[0]}..{self.keys[-1]}"


def retirements(
    graph: AssetGraph, snapshot: CatalogSnapshot, assets: Iterable[str], upstream_keys: UpstreamKeys
) -> list[Retirement]:
    """For each of ``assets`` (in graph order), its published partitions the definition no
    longer holds; and, whatever ``assets`` holds, such partitions a dead run was retiring (a
    kill in the middle of a retirement converges on the next run)."""
    wanted = set(assets) | {asset for asset, _ in snapshot.interrupted}
    found: list[Retirement] = []
    for asset in graph.order:
        states = snapshot.partitions.get(asset)
        if asset not in wanted or not states:
            continue
        spec = graph[asset]
        candidates = _not_due(states, spec.partitions, upstream_keys.due(spec.partitions))
        if asset not in assets:  # only what a dead run was retiring
            candidates = [k for k in candidates if (asset, k) in snapshot.interrupted]
        keys = [k for k in candidates if retired_reason(spec, k) is not None and _is_published(states, k)]
        if keys:
            reason = retired_reason(spec, keys[0])
            assert reason is not None
            found.append(Retirement(asset, tuple(keys), reason))
    return found


def _not_due(states: MutableMapping[str, PartitionState], definition: PartitionsDefinition | None, due: list[str]) -> list[str]:
    """The recorded keys that are not due keys; none, at a glance, when the catalog's keys are a
    run of consecutive due keys (one list comparison, no key looked at)."""
    columns = states.columns if isinstance(states, AssetStates) else None
    recorded = columns.keys if columns is not None else list(states)
    if recorded == due:
        return []
    start = 0 if definition is None or not recorded else definition.index_of(recorded[0])
    if start is not None and due[start:start + len(recorded)] == recorded:
        return []
    due_set = set(due)
    return [k for k in recorded if k not in due_set]


def _is_published(states: MutableMapping[str, PartitionState], key: str) -> bool:
    version = getattr(states, "version", None)  # AssetStates: read off its columns, no state built
    if version is not None:
        return version(key) is not None
    state = states.get(key)
    return state is not None and state.data_version is not None
