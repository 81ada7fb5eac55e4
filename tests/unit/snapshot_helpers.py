"""Pure helpers for the unit tests: reference times and in-memory catalog snapshots.

Nothing here touches the disk or the clock; a snapshot is built from the graph itself so a
test only has to spell out what differs from "everything is fresh".
"""

from __future__ import annotations

from datetime import datetime, timezone

from assets_core.catalog.snapshot import CatalogSnapshot, PartitionState
from assets_core.graph import AssetGraph
from assets_core.partitions import keys_of
from assets_core.planning.reads import UpstreamKeys


def utc(*parts: int) -> datetime:
    """An aware UTC datetime: ``utc(2025, 1, 4)``."""
    return datetime(*parts, tzinfo=timezone.utc)  # type: ignore[misc]


def version_of(asset: str, key: str, generation: int = 1) -> str:
    return f"{asset}[{key}]#{generation}"


def current_inputs(
    graph: AssetGraph, snapshot: CatalogSnapshot, asset: str, key: str, now: datetime
) -> dict[str, dict[str, str]] | None:
    """The upstream versions a materialization of (asset, key) would record now.

    Mirrors the executor: one entry per upstream asset, None for an asset with no inputs.
    """
    upstream_keys = UpstreamKeys(graph, now)
    inputs: dict[str, dict[str, str]] = {}
    for edge in graph.edges_in[asset]:
        versions = {k: snapshot.version(edge.upstream, k) for k in upstream_keys(edge, key)}
        missing = [k for k, v in versions.items() if v is None]
        assert not missing, f"{asset}[{key}] reads {edge.upstream}{missing}, which is not published"
        inputs[edge.upstream] = versions  # type: ignore[assignment]
    return inputs or None


def publish(
    graph: AssetGraph,
    snapshot: CatalogSnapshot,
    asset: str,
    key: str,
    now: datetime,
    data_version: str | None = None,
) -> PartitionState:
    """Record (asset, key) as freshly built from the current code and upstream versions."""
    state = PartitionState(
        data_version=data_version or version_of(asset, key),
        code_version=graph[asset].code_version,
        inputs=current_inputs(graph, snapshot, asset, key, now),
        published_at=now.isoformat(),
        rows=1,
        last_status="published",
        last_run="run-1",
    )
    snapshot.partitions.setdefault(asset, {})[key] = state
    return state


def fresh_snapshot(graph: AssetGraph, now: datetime) -> CatalogSnapshot:
    """Every due partition of every asset published and up to date at ``now``."""
    snapshot = CatalogSnapshot()
    for asset in graph.order:
        for key in keys_of(graph[asset].partitions, now):
            publish(graph, snapshot, asset, key, now)
    return snapshot
