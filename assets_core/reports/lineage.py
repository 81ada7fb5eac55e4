"""Asset lineage: who reads whom, through which partition mapping. Pure values.

    >>> lineage(graph, "clean_orders", "upstream")      # doctest: +SKIP
    LineageNode(asset='clean_orders', mapping=None, children=(LineageNode('raw_orders', 'identity', ()),))
"""

from __future__ import annotations

from dataclasses import dataclass
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


def mermaid(graph: AssetGraph, assets: set[str]) -> str:
    """A Mermaid flowchart of the edges among ``assets``, labelled with their mapping."""
    lines = ["flowchart LR"]
    for name in graph.order:
        if name in assets:
            spec = graph[name]
            label = f"{name}<br/>{spec.partitions.kind if spec.partitions else 'unpartitioned'}"
            lines.append(f'    {name}["{label}"]')
    for name in graph.order:
        for edge in graph.edges_in[name]:
            if edge.upstream in assets and edge.downstream in assets:
                lines.append(f"    {edge.upstream} -->|{edge.mapping.describe()}| {edge.downstream}")
    return "\n".join(lines)


def members(node: LineageNode) -> set[str]:
    found = {node.asset}
    for child in node.children:
        found |= members(child)
    return found
