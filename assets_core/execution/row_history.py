"""The row counts of a partition's predecessors, which history-aware checks
(``row_count_change``) compare the staged partition with."""

from __future__ import annotations

from assets_core.catalog import CatalogSnapshot
from assets_core.graph import AssetGraph


def row_history(snapshot: CatalogSnapshot, graph: AssetGraph, asset: str, key: str) -> tuple[int, ...]:
    """Rows of the latest published partitions before ``key``, as far back as the asset's
    checks look (``row_count_change``); oldest first."""
    spec = graph[asset]
    needed = max((getattr(c, "history_needed", 0) for c in spec.checks), default=0)
    if not needed or spec.partitions is None:
        return ()
    states = snapshot.partitions.get(asset, {})
    published = spec.partitions.sort_keys(k for k, s in states.items() if s.is_published and s.rows is not None)
    position = spec.partitions.index_of(key)
    earlier = [k for k in published if (spec.partitions.index_of(k) or 0) < (position or 0)]
    return tuple(states[k].rows or 0 for k in earlier[-needed:])
