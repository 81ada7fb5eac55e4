"""Dynamic partitions bound to the catalog: the ``DynamicPartitions`` of a graph, and their
current keys set from the catalog before anything plans with them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from assets_core.catalog import SqliteCatalog
from assets_core.graph import AssetGraph

if TYPE_CHECKING:
    from assets_core.partitions import DynamicPartitions


def dynamic_definitions(graph: AssetGraph) -> Iterator[tuple[str, DynamicPartitions, str | None]]:
    """(asset, definition, its dimension in a multi definition or None) for every
    ``DynamicPartitions`` of the graph."""
    from assets_core.partitions import DynamicPartitions
    from assets_core.partitions.multi import multi_dimensions

    for spec in graph.specs.values():
        if isinstance(spec.partitions, DynamicPartitions):
            yield spec.name, spec.partitions, None
        for dimension, definition in multi_dimensions(spec.partitions):
            if isinstance(definition, DynamicPartitions):
                yield spec.name, definition, dimension


def bind_dynamic_partitions(graph: AssetGraph, catalog: SqliteCatalog) -> None:
    """Give every ``DynamicPartitions`` of the graph its current keys from the catalog."""
    keys: dict[str, list[str]] | None = None
    for _, definition, _ in dynamic_definitions(graph):
        keys = catalog.dynamic_keys() if keys is None else keys
        definition.set_keys(keys.get(definition.name, []))
