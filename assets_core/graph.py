"""The asset graph: built from specs, validated, ordered; and dbt-style selection over it.

    >>> graph = build_graph([spec_a, spec_b])          # doctest: +SKIP
    >>> select(graph, "+daily_revenue tag:finance")     # doctest: +SKIP
"""

from __future__ import annotations

import difflib
import fnmatch
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property

from assets_core.definitions.specs import AssetInput, AssetSpec
from assets_core.errors import DefinitionError, SelectionError
from assets_core.partitions import DynamicPartitions, PartitionMapping, default_mapping
from assets_core.partitions.multi import multi_dimensions, with_dynamic_keys


@dataclass(frozen=True)
class Edge:
    upstream: str
    downstream: str
    mapping: PartitionMapping


class AssetGraph:
    """Assets by name, their edges, and a topological order (upstream first)."""

    def __init__(self, specs: dict[str, AssetSpec], order: list[str]) -> None:
        self.specs = specs
        self.order = order
        self.position = {name: i for i, name in enumerate(order)}
        self.edges_in: dict[str, list[Edge]] = {name: [] for name in specs}
        self.edges_out: dict[str, list[Edge]] = {name: [] for name in specs}
        for spec in specs.values():
            for item in spec.inputs:
                upstream = specs[item.asset]
                mapping = item.mapping or default_mapping(upstream.partitions, spec.partitions)
                edge = Edge(item.asset, spec.name, mapping)
                self.edges_in[spec.name].append(edge)
                self.edges_out[item.asset].append(edge)

    def dynamic_definitions(self) -> Iterator[tuple[str, DynamicPartitions, str | None]]:
        """(asset, definition, its dimension in a multi definition or None) for every
        ``DynamicPartitions`` of the graph."""
        for spec in self.specs.values():
            if isinstance(spec.partitions, DynamicPartitions):
                yield spec.name, spec.partitions, None
            for dimension, definition in multi_dimensions(spec.partitions):
                if isinstance(definition, DynamicPartitions):
                    yield spec.name, definition, dimension

    def with_dynamic_keys(self, keys: Mapping[str, Sequence[str]]) -> AssetGraph:
        """This graph with each ``DynamicPartitions`` holding its keys from ``keys`` (a catalog
        snapshot's, by name); the same graph when every one already holds them."""
        specs, changed = dict(self.specs), False
        for name, spec in self.specs.items():
            bound = with_dynamic_keys(spec.partitions, keys)
            if bound is not spec.partitions:
                specs[name], changed = replace(spec, partitions=bound), True
        return AssetGraph(specs, self.order) if changed else self

    def __getitem__(self, name: str) -> AssetSpec:
        return self.specs[name]

    def __contains__(self, name: object) -> bool:
        return name in self.specs

    def upstream_closure(self, names: Iterable[str], depth: int | None = None) -> set[str]:
        return self._walk(names, self.edges_in, lambda e: e.upstream, depth)

    def downstream_closure(self, names: Iterable[str], depth: int | None = None) -> set[str]:
        return self._walk(names, self.edges_out, lambda e: e.downstream, depth)

    @staticmethod
    def _walk(
        names: Iterable[str], edges: dict[str, list[Edge]], step: Callable[[Edge], str], depth: int | None
    ) -> set[str]:
        seen = set(names)
        frontier = set(names)
        level = 0
        while frontier and (depth is None or level < depth):
            frontier = {step(e) for name in frontier for e in edges[name]} - seen
            seen |= frontier
            level += 1
        return seen

    @cached_property
    def groups(self) -> set[str]:
        return {spec.group for spec in self.specs.values()}

    def suggest(self, name: str) -> str:
        close = difflib.get_close_matches(name, self.specs, n=1)
        return f" Did you mean '{close[0]}'?" if close else ""

    def require(self, name: str) -> AssetSpec:
        if name not in self.specs:
            raise SelectionError(f"No asset is named '{name}'.{self.suggest(name)} `assets list` shows them all.")
        return self.specs[name]


def _self_dependency_problems(spec: AssetSpec, item: AssetInput) -> list[str]:
    """An asset may read its own earlier partitions (``depends_on_past``), nothing else of itself."""
    if item.mapping is None or not item.mapping.allows_self_dependency():
        return [
            f"Asset '{spec.name}' reads itself: to read its own earlier partitions, map the input "
            f"with ins={{'{item.param}': offset(-1)}}; otherwise remove input '{item.param}'."
        ]
    misfit = item.mapping.misfit(spec.partitions, spec.partitions)
    return [f"Asset '{spec.name}' reads itself with {misfit}: change ins=."] if misfit else []


def build_graph(specs: Iterable[AssetSpec]) -> AssetGraph:
    """Validate the definitions and order them; every problem is reported at once."""
    by_name: dict[str, AssetSpec] = {}
    by_folded: dict[str, AssetSpec] = {}
    problems: list[str] = []
    for spec in specs:
        problems.extend(spec.problems)
        if spec.name in by_name:
            problems.append(
                f"Two assets are named '{spec.name}' ({by_name[spec.name].source} and {spec.source}): "
                "rename one."
            )
            continue
        twin = by_folded.get(spec.name.casefold())
        if twin is not None:  # DuckDB tables, and folders on some file systems, ignore case
            problems.append(
                f"Assets '{twin.name}' ({twin.source}) and '{spec.name}' ({spec.source}) differ only in case, "
                "and would share one table or folder: rename one."
            )
            continue
        by_name[spec.name] = spec
        by_folded[spec.name.casefold()] = spec
    for spec in by_name.values():
        for item in spec.inputs:
            if item.asset == spec.name:
                problems.extend(_self_dependency_problems(spec, item))
            elif item.asset not in by_name:
                close = difflib.get_close_matches(item.asset, by_name, n=1)
                hint = f" Did you mean '{close[0]}'?" if close else " Define it, or rename the parameter."
                problems.append(
                    f"Asset '{spec.name}' reads '{item.asset}', which no asset defines.{hint}"
                )
            elif item.mapping is not None:
                misfit = item.mapping.misfit(by_name[item.asset].partitions, spec.partitions)
                if misfit:
                    problems.append(f"Asset '{spec.name}' reads '{item.asset}' with {misfit}: change ins=.")
    # Edges to unknown assets are left out, so a cycle is reported with the other problems.
    known = {
        name: [up for up in dict.fromkeys(spec.upstream) if up in by_name and up != name]
        for name, spec in by_name.items()
    }
    order, cycle = _topological_order(known)
    if cycle:
        problems.append(f"Cycle in the asset graph: {' -> '.join(cycle)}. Remove one of these inputs.")
    if problems:
        raise DefinitionError(problems)
    return AssetGraph(by_name, order)


def _topological_order(upstream: dict[str, list[str]]) -> tuple[list[str], list[str]]:
    """Kahn's algorithm, ties broken by name so the order is stable; returns (order, cycle)."""
    indegree = {name: len(ups) for name, ups in upstream.items()}
    downstream: dict[str, list[str]] = {name: [] for name in upstream}
    for name, ups in upstream.items():
        for up in ups:
            downstream[up].append(name)
    ready = sorted(name for name, degree in indegree.items() if degree == 0)
    order: list[str] = []
    while ready:
        name = ready.pop(0)
        order.append(name)
        for child in sorted(downstream[name]):
            indegree[child] -= 1
            if indegree[child] == 0:
                ready.append(child)
        ready.sort()
    if len(order) == len(upstream):
        return order, []
    placed = set(order)
    return order, _find_cycle({n: ups for n, ups in upstream.items() if n not in placed})


def _find_cycle(remaining: dict[str, list[str]]) -> list[str]:
    """Walk upstream from the smallest name until a node repeats: that loop is a cycle."""
    path: list[str] = []
    node = min(remaining)
    while node not in path:
        path.append(node)
        node = min(up for up in remaining[node] if up in remaining)
    cycle = path[path.index(node):] + [node]
    return list(reversed(cycle))


# -- selection: dbt's grammar ----------------------------------------------------------------

_ATOM = re.compile(r"^(?:(?P<at>@)|(?P<up>(\d*)\+))?(?P<body>[^+@]+)(?P<down>\+(\d*))?$")
_GLOB = re.compile(r"[*?\[]")
"""What makes a name a glob for ``fnmatch``."""
EXCLUDE = "--exclude"
"""Where the exclusions start in a selection expression, as on the command line."""


def selection_expression(selects: Sequence[str] | None, excludes: Sequence[str] | None) -> str | None:
    """The one expression of repeated ``--select`` and ``--exclude`` options, as a run records
    it and :func:`select` reads it back; None when neither was given.

    >>> selection_expression(["a", "b+"], ["tag:slow"])
    'a b+ --exclude tag:slow'
    """
    if not selects and excludes is None:
        return None
    text = " ".join(selects or ())
    return text if excludes is None else f"{text} {EXCLUDE} {' '.join(excludes)}".strip()


def select(graph: AssetGraph, expression: str | None) -> set[str]:
    """Assets matching a dbt-style selection; None or empty selects everything.

    ``name``, globs (``clean_*``), ``+name`` (with upstream), ``name+`` (with downstream),
    ``2+name`` (two levels), ``@name`` (the name, its downstream, and all the upstream of
    those), ``group:x``, ``tag:x``; a space is a union, a comma an intersection, and what
    follows ``--exclude`` is removed from the result.
    """
    if not expression or not expression.strip():
        return set(graph.specs)
    terms = expression.split()
    if terms.count(EXCLUDE) > 1:
        raise SelectionError(f"Selection '{expression}' does not parse: give --exclude once, then what to leave out.")
    cut = terms.index(EXCLUDE) if EXCLUDE in terms else len(terms)
    included, excluded = terms[:cut], terms[cut + 1:]
    if cut < len(terms) and not excluded:
        raise SelectionError("--exclude is empty: name what to leave out, e.g. --exclude tag:slow.")
    selected = _union(graph, included) if included else set(graph.specs)
    if not excluded:
        return selected
    left = selected - _union(graph, excluded)
    if not left:
        what = " ".join(included) or "everything"
        raise SelectionError(
            f"Selection '{what}' excluding '{' '.join(excluded)}' matches nothing: every selected asset is excluded."
        )
    return left


def _union(graph: AssetGraph, terms: Iterable[str]) -> set[str]:
    selected: set[str] = set()
    for term in terms:
        atoms = [atom for atom in term.split(",") if atom]
        if not atoms:
            raise SelectionError(f"Selection '{term}' does not parse: write name, +name, name+, @name, group:x or tag:x.")
        found = set.intersection(*(_select_atom(graph, atom) for atom in atoms))
        if not found:
            raise SelectionError(
                f"Selection '{term}' matches nothing: no asset is in every one of {', '.join(atoms)}."
            )
        selected |= found
    return selected


def _select_atom(graph: AssetGraph, atom: str) -> set[str]:
    match = _ATOM.match(atom)
    if not match or (match.group("at") and match.group("down")):
        raise SelectionError(f"Selection '{atom}' does not parse: write name, +name, name+, @name, group:x or tag:x.")
    body = match.group("body")
    base = _match_body(graph, body)
    result = set(base)
    if match.group("at"):  # dbt's @: what a rebuild of base needs, the upstream of everything it feeds
        return graph.upstream_closure(graph.downstream_closure(base))
    if match.group("up"):
        depth = match.group(3)
        result |= graph.upstream_closure(base, int(depth) if depth else None)
    if match.group("down"):
        depth = match.group(6)
        result |= graph.downstream_closure(base, int(depth) if depth else None)
    return result


def _match_body(graph: AssetGraph, body: str) -> set[str]:
    method, _, value = body.partition(":") if ":" in body else ("name", "", body)
    if method == "group":
        found = {n for n, s in graph.specs.items() if s.group == value}
    elif method == "tag":
        found = {n for n, s in graph.specs.items() if value in s.tags}
    elif method == "name" and not _GLOB.search(value):  # a plain name: no need to match every asset
        found = {value} if value in graph.specs else set()
    elif method == "name":
        found = set(fnmatch.filter(graph.specs, value))
    else:
        raise SelectionError(f"Selection method '{method}:' is unknown: use group:, tag: or a name.")
    if not found:
        what = f"{method} '{value}'" if method != "name" else f"'{value}'"
        hint = graph.suggest(value) if method == "name" else ""
        raise SelectionError(f"Selection {what} matches no asset.{hint} `assets list` shows them all.")
    return found
