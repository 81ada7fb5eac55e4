"""Column lineage across assets: where a column comes from, recursively up to the sources, and
what derives from it downstream. Values for ``assets lineage ASSET --columns`` and
``assets lineage ASSET.COLUMN``, and for anything else that follows columns (``impact --column``).

    >>> index = ColumnIndex(graph, schemas_of(catalog.latest_schemas()))   # doctest: +SKIP
    >>> trace(index, "revenue", "revenue", "upstream").children            # doctest: +SKIP
    (ColumnNode(asset='clean', column='amount', kind='direct', ...), ...)

Each asset's lineage is computed the first time it is asked for (:class:`ColumnIndex`), from
the graph and the schemas the catalog recorded; nothing here reads the catalog itself.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from assets_core.definitions.column_lineage import (
    WHOLE_ASSET,
    ColumnLineage,
    How,
    Kind,
    column_lineage,
)
from assets_core.errors import SelectionError
from assets_core.graph import AssetGraph

Direction = Literal["upstream", "downstream"]
Schemas = Mapping[str, Mapping[str, str]]


def schemas_of(latest: Mapping[str, Iterable[Any]]) -> dict[str, dict[str, str]]:
    """``Catalog.latest_schemas()`` (records with ``name`` and ``type``) as ``{asset: {column: type}}``."""
    return {asset: {c.name: c.type for c in columns} for asset, columns in latest.items()}


class ColumnIndex:
    """The column lineage of a graph's assets, each computed once, when first asked for."""

    def __init__(self, graph: AssetGraph, schemas: Schemas) -> None:
        self.graph = graph
        self.schemas = schemas
        self._lineage: dict[str, ColumnLineage] = {}

    def of(self, asset: str) -> ColumnLineage:
        found = self._lineage.get(asset)
        if found is None:
            found = self._lineage[asset] = column_lineage(self.graph[asset], self.schemas, self.schemas.get(asset))
        return found

    def columns(self, asset: str) -> list[str]:
        """The asset's columns: its recorded schema, else what its lineage names."""
        recorded = self.schemas.get(asset)
        return list(recorded) if recorded is not None else list(self.of(asset).columns)

    def require(self, asset: str, column: str) -> None:
        """A one-line usage error unless ``asset.column`` is known (the closest column named)."""
        self.graph.require(asset)
        known = self.columns(asset)
        if column in known:
            return
        if not known:
            raise SelectionError(
                f"The columns of '{asset}' are not known yet: `assets materialize {asset}` records its schema."
            )
        close = difflib.get_close_matches(column, known, n=1)
        hint = f"Did you mean '{close[0]}'?" if close else f"Its columns: {', '.join(known)}."
        raise SelectionError(f"Asset '{asset}' has no column '{column}'. {hint}")


@dataclass(frozen=True)
class ColumnNode:
    """One column in a lineage tree; ``kind``/``how``/``via`` describe the edge to its parent
    (None at the root), ``unresolved`` what its own lineage could not follow."""

    asset: str
    column: str
    kind: Kind | None
    how: How | None
    via: tuple[str, ...]
    children: tuple[ColumnNode, ...]
    unresolved: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "asset": self.asset, "column": self.column, "kind": self.kind, "how": self.how, "via": list(self.via),
            "unresolved": list(self.unresolved), "children": [c.to_dict() for c in self.children],
        }


def trace(index: ColumnIndex, asset: str, column: str, direction: Direction) -> ColumnNode:
    """The tree of columns ``asset.column`` derives from (upstream) or that derive from it
    (downstream), across assets, recursively. A column met again on its own path (an asset
    reading its earlier partitions) is not followed twice."""

    def walk(at: str, name: str, edge: tuple[Kind, How, tuple[str, ...]] | None, path: frozenset[tuple[str, str]]) -> ColumnNode:
        lineage = index.of(at)
        children = []
        if direction == "upstream":
            for e in lineage.columns.get(name, ()):
                if (e.asset, e.column) not in path and e.asset in index.graph:
                    children.append(walk(e.asset, e.column, (e.kind, e.how, e.via), path | {(e.asset, e.column)}))
            unresolved = tuple(u.reason for u in lineage.unresolved_for(name))
        else:
            gaps = []
            for reader in sorted({e.downstream for e in index.graph.edges_out[at]}):
                read = index.of(reader)
                for out, e in read.readers_of(at, name):
                    if (reader, out) not in path:
                        children.append(walk(reader, out, (e.kind, e.how, e.via), path | {(reader, out)}))
                # A reader whose columns are not all followed may derive from this one unseen.
                gaps += [f"{reader} reads {at}, and {u.reason}" if u.column == WHOLE_ASSET else
                         f"{reader}.{u.column} may read it: {u.reason}" for u in read.unresolved]
            unresolved = tuple(dict.fromkeys(gaps))
        kind, how, via = edge if edge else (None, None, ())
        return ColumnNode(at, name, kind, how, via, tuple(children), unresolved)

    return walk(asset, column, None, frozenset({(asset, column)}))


def columns_report(index: ColumnIndex, asset: str) -> dict[str, Any]:
    """``assets lineage ASSET --columns --json``: the asset's lineage, each column with its
    recorded type (None when not recorded)."""
    body = index.of(asset).to_dict()
    recorded = index.schemas.get(asset, {})
    body["columns"] = [
        {"column": entry["column"], "type": recorded.get(entry["column"]), "upstream": entry["upstream"]}
        for entry in body["columns"]
    ]
    return body
