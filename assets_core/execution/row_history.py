"""The row counts of a partition's predecessors, which history-aware checks
(``row_count_change``) compare the staged partition with."""

from __future__ import annotations

import heapq
from collections.abc import Mapping

from assets_core.catalog import CatalogSnapshot, PartitionState
from assets_core.graph import AssetGraph
from assets_core.partitions import PartitionsDefinition

_WALK = 64
"""Positions looked at one by one before a longer gap is found from the published states."""


def row_history(snapshot: CatalogSnapshot, graph: AssetGraph, asset: str, key: str) -> tuple[int, ...]:
    """Rows of the latest published partitions before ``key``, as far back as the asset's
    checks look (``row_count_change``); oldest first.

    Called once per step of a run, against the snapshot the run keeps current (a partition
    published earlier in the run counts), so it walks back from ``key`` through the
    definition's positions and stops once it has enough: its cost is the history needed plus
    the gaps it skips, not the asset's number of partitions. A gap longer than ``_WALK``
    positions is crossed by looking at the published states instead.

    >>> row_history(snapshot, graph, "orders", "2025-01-10")  # doctest: +SKIP
    (1019, 998, 1003)
    """
    spec = graph[asset]
    needed = max((getattr(c, "history_needed", 0) for c in spec.checks), default=0)
    definition = spec.partitions
    if not needed or definition is None:
        return ()
    position = definition.index_of(key)
    if not position:  # not a key of the definition, or its first: nothing is before it
        return ()
    states = snapshot.partitions.get(asset, {})
    newest_first: list[int] = []
    unseen = position  # positions below this one are not looked at yet
    if _has_consecutive_positions(definition):
        unseen = max(0, position - _WALK - needed)
        # the definition's positional accessor, as the partition mappings use it
        for earlier in reversed(definition.keys_between(unseen, position)):
            rows = _published_rows(states.get(earlier))
            if rows is not None:
                newest_first.append(rows)
                if len(newest_first) == needed:
                    return tuple(reversed(newest_first))
    if unseen > 0:
        newest_first += _latest_rows_below(states, definition, unseen, needed - len(newest_first))
    return tuple(reversed(newest_first))


def _published_rows(state: PartitionState | None) -> int | None:
    if state is None or not state.is_published or state.rows is None:
        return None
    return state.rows


def _latest_rows_below(
    states: Mapping[str, PartitionState], definition: PartitionsDefinition, below: int, count: int
) -> list[int]:
    """Rows of the ``count`` latest published partitions at positions below ``below``, newest first."""
    found = []
    for key, state in states.items():
        rows = _published_rows(state)
        if rows is not None:
            position = definition.index_of(key)
            if position is not None and position < below:
                found.append((position, rows))
    return [rows for _, rows in heapq.nlargest(count, found)]


def _has_consecutive_positions(definition: PartitionsDefinition) -> bool:
    """Whether every position below a key's is a key: true but for a product whose later
    dimensions never end (its positions leave room for them)."""
    return all(d.size() is not None for d in definition.components()[1:])
