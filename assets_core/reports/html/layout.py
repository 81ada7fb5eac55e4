"""The asset graph laid out left to right: layers by longest path from the sources, the order
within each layer by a few barycentre sweeps (fewer crossings), then coordinates.

Pure: names and edges in, positions out; the HTML report draws them as they are.

    >>> layout(["a", "b", "c"], [("a", "b"), ("b", "c"), ("a", "c")]).layer
    {'a': 0, 'b': 1, 'c': 2}
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

NODE_WIDTH = 200
NODE_HEIGHT = 58
LAYER_GAP = 90
"""Horizontal space between two layers, for the edges."""
ROW_GAP = 18
SWEEPS = 4
"""Down and up sweeps: crossings stop falling after a few on real graphs."""


@dataclass(frozen=True)
class Layout:
    """Per node: its layer (column), its rank in the layer, and its top-left corner."""

    layer: dict[str, int]
    rank: dict[str, int]
    x: dict[str, int]
    y: dict[str, int]
    width: int
    height: int


def layout(order: Sequence[str], edges: Iterable[tuple[str, str]]) -> Layout:
    """Lay out ``order`` (a topological order) with ``edges`` (upstream, downstream) among them.

    Edges to or from names outside ``order``, and an asset's edge to itself (it reads its
    own past), are ignored.
    """
    known = set(order)
    ups: dict[str, list[str]] = {name: [] for name in order}
    downs: dict[str, list[str]] = {name: [] for name in order}
    for up, down in edges:
        if up != down and up in known and down in known:
            ups[down].append(up)
            downs[up].append(down)
    layer = layers(order, ups)
    columns: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for name in order:
        columns[layer[name]].append(name)
    _reduce_crossings(columns, ups, downs)
    return _coordinates(columns, layer)


def layers(order: Sequence[str], ups: dict[str, list[str]]) -> dict[str, int]:
    """Longest path from a source: a node sits one layer right of its furthest upstream."""
    layer: dict[str, int] = {}
    for name in order:
        layer[name] = 1 + max((layer[up] for up in ups[name]), default=-1)
    return layer


def _reduce_crossings(columns: list[list[str]], ups: dict[str, list[str]], downs: dict[str, list[str]]) -> None:
    """Barycentre sweeps, in place: each node moves to the mean relative position of its
    neighbours in the layers already placed (left to right, then right to left). Edges that
    skip layers pull too, so a sweep can make things worse: the order with the fewest
    crossings seen, the first one included, is kept."""
    edges = [(up, down) for down, names in ups.items() for up in names]
    best, fewest = [list(c) for c in columns], crossings(columns, edges)
    position = _positions(columns)
    for sweep in range(SWEEPS):
        forward = sweep % 2 == 0
        indexes = range(1, len(columns)) if forward else range(len(columns) - 2, -1, -1)
        for index in indexes:
            column = columns[index]
            neighbours = ups if forward else downs
            current = {name: position[name] for name in column}
            column.sort(key=lambda n: (_barycentre(neighbours[n], position, current[n]), current[n]))
            for rank, name in enumerate(column):
                position[name] = (rank + 0.5) / len(column)
        count = crossings(columns, edges)
        if count < fewest:
            best, fewest = [list(c) for c in columns], count
    columns[:] = best


def _positions(columns: list[list[str]]) -> dict[str, float]:
    """Each node's relative height in its layer, 0 to 1, so layers of any size compare."""
    return {name: (rank + 0.5) / len(column) for column in columns for rank, name in enumerate(column)}


def _barycentre(neighbours: list[str], position: dict[str, float], own: float) -> float:
    """A node without neighbours on that side keeps its place."""
    if not neighbours:
        return own
    return sum(position[n] for n in neighbours) / len(neighbours)


def _coordinates(columns: list[list[str]], layer: dict[str, int]) -> Layout:
    """Layers side by side, each centred vertically on the tallest."""
    tallest = max((len(c) for c in columns), default=0)
    height = tallest * (NODE_HEIGHT + ROW_GAP) - ROW_GAP if tallest else 0
    rank, xs, ys = {}, {}, {}
    for index, column in enumerate(columns):
        offset = (height - (len(column) * (NODE_HEIGHT + ROW_GAP) - ROW_GAP)) // 2
        for r, name in enumerate(column):
            rank[name] = r
            xs[name] = index * (NODE_WIDTH + LAYER_GAP)
            ys[name] = offset + r * (NODE_HEIGHT + ROW_GAP)
    width = len(columns) * (NODE_WIDTH + LAYER_GAP) - LAYER_GAP if columns else 0
    return Layout(layer, rank, xs, ys, max(width, 0), max(height, 0))


def crossings(columns: Sequence[Sequence[str]], edges: Iterable[tuple[str, str]]) -> int:
    """Crossings between the edges of adjacent layers: pairs of edges whose ends are in
    opposite orders, counted as inversions with a Fenwick tree (n log n: a layer can hold
    hundreds of edges)."""
    rank = {name: (i, r) for i, column in enumerate(columns) for r, name in enumerate(column)}
    by_gap: dict[int, list[tuple[int, int]]] = {}
    for up, down in edges:
        (lu, ru), (ld, rd) = rank[up], rank[down]
        if ld == lu + 1:
            by_gap.setdefault(lu, []).append((ru, rd))
    total = 0
    for gap, pairs in by_gap.items():
        size = len(columns[gap + 1])
        tree = [0] * (size + 1)
        added = 0
        pairs.sort()
        start = 0
        while start < len(pairs):  # edges leaving one node do not cross each other: query, then add
            end = start
            while end < len(pairs) and pairs[end][0] == pairs[start][0]:
                end += 1
            for _, lower in pairs[start:end]:
                total += added - _prefix(tree, lower + 1)  # earlier edges ending at a higher rank
            for _, lower in pairs[start:end]:
                i = lower + 1
                while i <= size:
                    tree[i] += 1
                    i += i & -i
                added += 1
            start = end
    return total


def _prefix(tree: list[int], i: int) -> int:
    """How many ends were added at ranks below ``i`` (1-based Fenwick prefix sum)."""
    total = 0
    while i > 0:
        total += tree[i]
        i -= i & -i
    return total
