"""Asset lineage: who reads whom, through which partition mapping. Pure values, and their
renderings as text for Mermaid and Graphviz (DOT).

One asset's trees (:func:`lineage`), or the graph of a set of assets (:func:`graph_lineage`:
the whole project, or a ``--select``), drawn by the same renderers.

    >>> lineage(graph, "clean_orders", "upstream")      # doctest: +SKIP
    LineageNode(asset='clean_orders', mapping=None, children=(LineageNode('raw_orders', 'identity', ()),))
    >>> print(dot(graph_lineage(graph, {"raw", "clean"})))  # doctest: +SKIP
    digraph lineage {
      rankdir=LR;
      "raw" [label="raw\\ndaily"];
      ...
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from assets_core.graph import AssetGraph

Direction = Literal["upstream", "downstream"]


@dataclass(frozen=True)
class LineageNode:
    asset: str
    mapping: str | None
    """How this node's partitions relate to its parent's (None at the root)."""
    children: tuple[LineageNode, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "mapping": self.mapping,
            "children": [c.to_dict() for c in self.children],
        }


def lineage(graph: AssetGraph, asset: str, direction: Direction) -> LineageNode:
    """The tree of assets upstream (what it reads) or downstream (what reads it)."""

    def walk(name: str, mapping: str | None, path: frozenset[str]) -> LineageNode:
        edges = graph.edges_in[name] if direction == "upstream" else graph.edges_out[name]
        children = []
        for edge in sorted(edges, key=lambda e: (e.upstream, e.downstream)):
            nxt = edge.upstream if direction == "upstream" else edge.downstream
            if nxt not in path:
                children.append(walk(nxt, edge.mapping.describe(), path | {nxt}))
        return LineageNode(name, mapping, tuple(children))

    return walk(asset, None, frozenset({asset}))


def members(node: LineageNode) -> set[str]:
    found = {node.asset}
    for child in node.children:
        found |= members(child)
    return found


# -- the graph of a set of assets -----------------------------------------------------------------


@dataclass(frozen=True)
class LineageAsset:
    asset: str
    kind: str
    """``python`` or ``sql``."""
    partitions: str
    """The partitions definition's kind (``daily``, ``static``...), or ``unpartitioned``."""
    group: str

    def to_dict(self) -> dict[str, Any]:
        return {"asset": self.asset, "kind": self.kind, "partitions": self.partitions, "group": self.group}


@dataclass(frozen=True)
class LineageEdge:
    upstream: str
    downstream: str
    mapping: str

    def to_dict(self) -> dict[str, Any]:
        return {"upstream": self.upstream, "downstream": self.downstream, "mapping": self.mapping}


@dataclass(frozen=True)
class LineageGraph:
    """Assets in topological order and the edges among them (both ends in the set)."""

    assets: tuple[LineageAsset, ...]
    edges: tuple[LineageEdge, ...]

    def to_dict(self) -> dict[str, Any]:
        """``lineage --format json`` without an asset: ``{"assets": [...], "edges": [...]}``."""
        return {"assets": [a.to_dict() for a in self.assets], "edges": [e.to_dict() for e in self.edges]}

    def inputs_of(self, asset: str) -> list[LineageEdge]:
        return self._inputs.get(asset, [])

    @cached_property
    def _inputs(self) -> dict[str, list[LineageEdge]]:
        found: dict[str, list[LineageEdge]] = {}
        for edge in self.edges:
            found.setdefault(edge.downstream, []).append(edge)
        return found


def graph_lineage(graph: AssetGraph, assets: Iterable[str]) -> LineageGraph:
    """The assets of ``assets`` (graph order) and every edge between two of them."""
    chosen = set(assets)
    nodes = tuple(
        LineageAsset(spec.name, spec.kind, spec.partitions.kind if spec.partitions else "unpartitioned", spec.group)
        for spec in (graph[name] for name in graph.order if name in chosen)
    )
    edges = tuple(
        LineageEdge(edge.upstream, edge.downstream, edge.mapping.describe())
        for name in graph.order if name in chosen
        for edge in graph.edges_in[name] if edge.upstream in chosen
    )
    return LineageGraph(nodes, edges)


# -- renderings -------------------------------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# Words a Mermaid flowchart reads as syntax when a node's id is one of them.
_MERMAID_KEYWORDS = frozenset({"end", "graph", "subgraph", "flowchart", "direction", "style", "class",
                               "classDef", "click", "linkStyle", "default", "call", "href"})


def _mermaid_text(text: str) -> str:
    """Text for a quoted Mermaid label: quotes and markup as entity codes, no control characters."""
    text = _CONTROL.sub(" ", text).replace("#", "#35;").replace("&", "#amp;")
    return text.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;").replace("|", "#124;")


def _mermaid_ids(names: Iterable[str]) -> dict[str, str]:
    """Asset names are identifiers, and their own Mermaid ids, unless one is a keyword."""
    taken = set(names)
    ids = {}
    for name in sorted(taken):
        node_id = name
        while node_id in _MERMAID_KEYWORDS or (node_id != name and node_id in taken):
            node_id += "_"
        ids[name] = node_id
        taken.add(node_id)
    return ids


def mermaid(view: LineageGraph) -> str:
    """A Mermaid flowchart: every asset a node (its name and partitions), every edge labelled
    with its mapping."""
    ids = _mermaid_ids(a.asset for a in view.assets)
    lines = ["flowchart LR"]
    for node in view.assets:
        lines.append(f'    {ids[node.asset]}["{_mermaid_text(node.asset)}<br/>{_mermaid_text(node.partitions)}"]')
    for edge in view.edges:
        lines.append(f'    {ids[edge.upstream]} -->|"{_mermaid_text(edge.mapping)}"| {ids[edge.downstream]}')
    return "\n".join(lines)


def dot_quoted(text: str) -> str:
    """A DOT quoted string: backslashes and quotes escaped, line breaks as ``\\n``, control
    characters dropped (a DOT string may hold any other character)."""
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\r\n", "\n").replace("\n", "\\n")
    return '"' + _CONTROL.sub("", text) + '"'


def dot(view: LineageGraph) -> str:
    """A Graphviz digraph, left to right: every asset a node, every edge labelled with its mapping."""
    lines = ["digraph lineage {", "  rankdir=LR;", "  node [shape=box];"]
    for node in view.assets:
        lines.append(f"  {dot_quoted(node.asset)} [label={dot_quoted(node.asset + chr(10) + node.partitions)}];")
    for edge in view.edges:
        lines.append(f"  {dot_quoted(edge.upstream)} -> {dot_quoted(edge.downstream)} "
                     f"[label={dot_quoted(edge.mapping)}];")
    lines.append("}")
    return "\n".join(lines)
