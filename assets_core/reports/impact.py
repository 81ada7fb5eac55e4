"""Impact: every downstream partition that reads some partitions of one asset, and the command
that rebuilds them.

Three steps, each its own function:

- :func:`reach` (pure): through every partition mapping, downstream and recursively (an
  asset that reads its own past included), which partitions of which assets read the given
  ones: the graph's mappings answer, due at the reference time; the catalog is not asked.
- :func:`judge`: per affected partition, whether it is published and built from the current
  version of every upstream partition it recorded reading (``current``), built from an older
  one (``stale``), or not published (``missing``): two or three catalog questions per asset.
- :func:`rebuild_commands` (pure): the ``assets materialize`` command lines that rebuild the
  given partitions and everything affected, checked against the planner itself: each one's
  plan (:func:`~assets_core.planning.selection.make_plan`, as ``materialize`` runs it) is
  computed, and one command is given when one rebuilds exactly those partitions, else a
  sequence, one per partitions definition and set of keys, in dependency order, a later
  one's assets joining an earlier one as followers wherever the plans say that is exact.

    >>> found = reach(graph, "daily", ["2025-01-15"], now)                       # doctest: +SKIP
    >>> found.keys["rolling"]                                                   # doctest: +SKIP
    ['2025-01-15', '2025-01-16', ..., '2025-01-22']
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from assets_core.catalog.inputs import OBSERVED
from assets_core.catalog.snapshot import CatalogSnapshot
from assets_core.errors import PartitionError
from assets_core.graph import AssetGraph, Edge, select
from assets_core.partitions import IdentityMapping, PartitionsDefinition, keys_of
from assets_core.reports.provenance import VersionLookup

if TYPE_CHECKING:
    from assets_core.reports.columns import ColumnIndex

WHOLE_ASSET = "*"
"""A whole asset in a ``derives`` answer (column lineage's ``WHOLE_ASSET``): every column of it."""

Derives = Callable[[str, str], set[tuple[str, str]]]
"""``derives(asset, column)``: every downstream ``(asset, column)`` that derives from that
column, transitively (column lineage answers it)."""


def every_downstream(graph: AssetGraph) -> Derives:
    """A ``derives`` that knows no column lineage: every downstream asset derives from every
    column (``"*"``), so ``--column`` narrows nothing."""

    def derives(asset: str, column: str) -> set[tuple[str, str]]:
        return {(name, "*") for name in graph.downstream_closure({asset}) - {asset}}

    return derives


def through_column_lineage(index: ColumnIndex) -> Derives:
    """The ``derives`` of column lineage (:mod:`assets_core.reports.columns`): each reader's
    columns that derive from the column, directly or indirectly, recursively.

    Two things column lineage has no edge for count as deriving, never as a gap: what a
    reader's lineage could not follow (its unresolved column; when the whole asset is
    unresolved, ``"*"``, it and everything downstream of it), and the rows. A column used in a
    filter, join or grouping (an indirect edge) changes which rows its reader has; then the
    reader's columns that read no column at all (``count(*)``, a constant) may change too, and
    so may the rows of whatever reads it."""

    def derives(asset: str, column: str) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        rows_change: set[str] = set()
        frontier = [(asset, column)]
        while frontier:
            at, name = frontier.pop()
            for reader in sorted({e.downstream for e in index.graph.edges_out[at]}):
                read = index.of(reader)
                edges = read.readers_of(at, name) if name != _ROWS else []
                reached = [out for out, _ in edges] + [u.column for u in read.unresolved if u.column != WHOLE_ASSET]
                if at in rows_change or any(edge.kind == "indirect" for _, edge in edges):
                    reached += [out for out, upstream in read.columns.items() if not upstream]
                    if reader not in rows_change:
                        rows_change.add(reader)
                        frontier.append((reader, _ROWS))
                if any(u.column == WHOLE_ASSET for u in read.unresolved):
                    found |= {(below, WHOLE_ASSET) for below in index.graph.downstream_closure({reader})}
                for out in reached:
                    if (reader, out) not in found and (reader, WHOLE_ASSET) not in found:
                        found.add((reader, out))
                        frontier.append((reader, out))
        return found

    return derives


_ROWS = "\x00rows"
"""In the walk of :func:`through_column_lineage`: not a column, the rows of the asset changed."""


# -- reach: the mappings, downstream -------------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """The partitions that read the roots, directly or through others: ``keys[asset]`` in the
    definition's order (the roots themselves are not in it), and ``depth[asset]``, the fewest
    edges from the roots' asset (0 for that asset itself, when it reads its own past)."""

    asset: str
    roots: list[str]
    keys: dict[str, list[str]]
    depth: dict[str, int]

    def count(self) -> int:
        return sum(len(keys) for keys in self.keys.values())


def reach(
    graph: AssetGraph, asset: str, roots: Iterable[str], now: datetime | None,
    only: set[str] | None = None,
) -> Reach:
    """What reads ``asset``'s partitions ``roots``, through every mapping, recursively;
    ``only``: follow edges into these assets alone (what derives from a column)."""
    given = set(roots)
    reading: dict[str, set[str]] = {asset: set(given)}
    depth = {asset: 0}
    due: dict[PartitionsDefinition | None, list[str]] = {}
    for name in graph.order[graph.position[asset]:]:
        keys = reading.get(name)
        if not keys:
            continue
        for edge in graph.edges_in[name]:
            if edge.upstream == name:  # reads its own past: what follows the changed keys too
                keys |= _own_past(graph, edge, keys, now)
        for edge in graph.edges_out[name]:
            down = edge.downstream
            if down == name or (only is not None and down not in only):
                continue
            found = _downstream(graph, edge, keys, now, due)
            if found:
                reading.setdefault(down, set()).update(found)
                depth[down] = min(depth.get(down, depth[name] + 1), depth[name] + 1)
    affected: dict[str, list[str]] = {}
    for name in graph.order:
        keys = reading.get(name, set()) - (given if name == asset else set())
        if keys:
            definition = graph[name].partitions
            affected[name] = definition.sort_keys(keys) if definition is not None else sorted(keys)
    return Reach(asset, sorted(given, key=_order(graph, asset)), affected,
                 {name: depth[name] for name in affected})


def _order(graph: AssetGraph, asset: str) -> Callable[[str], tuple[int, str]]:
    definition = graph[asset].partitions
    return lambda key: ((definition.index_of(key) or 0) if definition is not None else 0, key)


def _downstream(
    graph: AssetGraph, edge: Edge, keys: set[str], now: datetime | None,
    due: dict[PartitionsDefinition | None, list[str]],
) -> set[str]:
    up, down = graph[edge.upstream].partitions, graph[edge.downstream].partitions
    mapping = edge.mapping
    if mapping.is_fan_in():  # every downstream partition reads the same keys: all of them or none
        every = mapping.upstream_keys("", up, down, now)
        if not keys.intersection(every):
            return set()
        if down not in due:
            due[down] = keys_of(down, now)
        return set(due[down])
    if isinstance(mapping, IdentityMapping):
        return set(keys)
    found: set[str] = set()
    for key in keys:
        found.update(mapping.downstream_keys(key, up, down, now))
    return found


def _own_past(graph: AssetGraph, edge: Edge, keys: set[str], now: datetime | None) -> set[str]:
    """Every key that reads one of ``keys`` through the asset's edge to itself, transitively."""
    definition = graph[edge.upstream].partitions
    found: set[str] = set()
    frontier = set(keys)
    while frontier:
        step = {k for key in frontier for k in edge.mapping.downstream_keys(key, definition, definition, now)}
        frontier = step - found - keys
        found |= frontier
    return found


# -- judge: the catalog's versions ---------------------------------------------------------------


@dataclass
class Judged:
    """One affected asset's partitions by what they were built from."""

    asset: str
    keys: list[str]
    depth: int
    stale: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    columns: list[str] | None = None
    """The columns that derive from ``--column`` (None: not asked, or not known)."""

    @property
    def current(self) -> int:
        return len(self.keys) - len(self.stale) - len(self.missing)

    def to_dict(self) -> dict[str, Any]:
        return {
            "asset": self.asset, "depth": self.depth, "partitions": self.keys, "count": len(self.keys),
            "current": self.current, "stale": len(self.stale), "missing": len(self.missing),
            "stale_partitions": self.stale, "missing_partitions": self.missing, "columns": self.columns,
        }


def judge(catalog: VersionLookup, found: Reach) -> list[Judged]:
    """Each affected asset (in graph order) with its stale and missing partitions: stale when
    some upstream partition it recorded reading is now at another version (or no longer
    published); missing when it is not published. The source versions a partition was built
    from (``assets observe``) are not compared here: ``assets status`` shows those."""
    published = {name: catalog.published_versions(name, keys) for name, keys in found.keys.items()}
    versions: dict[str, dict[str, str | None]] = {
        name: {key: v.data_version for key, v in states.items()} for name, states in published.items()
    }
    wanted: dict[str, set[str]] = {}  # what they read that is not affected: its current versions too
    for states in published.values():
        for state in states.values():
            for upstream, read in (state.inputs or {}).items():
                if upstream != OBSERVED:
                    known = versions.get(upstream, {})
                    wanted.setdefault(upstream, set()).update(k for k in read if k not in known)
    for upstream, missing in wanted.items():
        if missing:
            current = catalog.published_versions(upstream, sorted(missing))
            known = versions.setdefault(upstream, {})
            for key in missing:
                now = current.get(key)
                known[key] = None if now is None else now.data_version
    judged = []
    for name, keys in found.keys.items():
        item = Judged(name, keys, found.depth[name])
        for key in keys:
            built = published[name].get(key)
            if built is None:
                item.missing.append(key)
            elif _is_stale(built.inputs, versions):
                item.stale.append(key)
        judged.append(item)
    return judged


def _is_stale(inputs: Mapping[str, Mapping[str, str]] | None, versions: Mapping[str, Mapping[str, str | None]]) -> bool:
    for upstream, keys in (inputs or {}).items():
        if upstream == OBSERVED:
            continue
        current = versions.get(upstream, {})
        if any(current.get(key) != version for key, version in keys.items()):
            return True
    return False


# -- the command that rebuilds them ----------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    """One ``assets materialize`` call: its options (``--select``, ``--partitions``) and the
    partitions its plan rebuilds, as the planner computes it."""

    selection: str
    partitions: str | None
    rebuilds: frozenset[tuple[str, str]]

    def argv(self, prefix: tuple[str, ...] = ("assets",)) -> list[str]:
        options = ["--select", self.selection] + ([] if self.partitions is None else ["--partitions", self.partitions])
        return [*prefix, "materialize", *options]

    def line(self, prefix: tuple[str, ...] = ("assets",)) -> str:
        return shlex.join(self.argv(prefix))


@dataclass(frozen=True)
class Rebuild:
    """The commands to run in order; ``exact``: together their plans rebuild exactly the
    roots and every affected partition, each once."""

    commands: tuple[Command, ...]
    exact: bool


def rebuild_commands(graph: AssetGraph, found: Reach, now: datetime) -> Rebuild:
    """The roots and every affected partition, rebuilt: in one ``assets materialize`` when
    one plan holds exactly them (``--partitions`` names the roots; assets of the same
    partitions follow them by identity, the others follow what is rebuilt upstream of them),
    else in a sequence of commands, one per partitions definition and set of keys, upstream
    first, each naming its keys (an unpartitioned asset follows in the command of the last of
    its upstream assets)."""
    targets = {(found.asset, key) for key in found.roots} | {
        (name, key) for name, keys in found.keys.items() for key in keys
    }
    assets = [name for name in graph.order if name == found.asset or name in found.keys]
    single = _command(graph, assets, key_expression(graph, found.asset, found.roots), now, found.asset)
    if single is not None and single.rebuilds == targets:
        return Rebuild((single,), True)
    commands = _sequence(graph, found, assets, now)
    rebuilt = [c.rebuilds for c in commands]
    exact = set().union(*rebuilt) == targets and sum(map(len, rebuilt)) == len(targets)
    return Rebuild(tuple(commands), exact)


def _sequence(graph: AssetGraph, found: Reach, assets: list[str], now: datetime) -> list[Command]:
    keys = dict(found.keys)  # the roots' asset: its roots, and its later keys when it reads its past
    keys[found.asset] = sorted({*found.roots, *found.keys.get(found.asset, ())}, key=_order(graph, found.asset))
    groups: list[tuple[tuple[PartitionsDefinition, tuple[str, ...]] | None, list[str]]] = []  # in run order
    group_of: dict[str, int] = {}
    for name in assets:
        definition = graph[name].partitions
        before = [e.upstream for e in graph.edges_in[name] if e.upstream in group_of and e.upstream != name]
        if definition is None:  # follows in the command of the last of what it reads
            at = max((group_of[u] for u in before), default=None)
            if at is None:
                groups.append((None, [name]))
                at = len(groups) - 1
            else:
                groups[at][1].append(name)
            group_of[name] = at
            continue
        signature = (definition, tuple(keys[name]))
        earliest = max((group_of[u] if groups[group_of[u]][0] == signature else group_of[u] + 1 for u in before),
                       default=0)
        at = next((i for i in range(earliest, len(groups)) if groups[i][0] == signature), None)
        if at is None:
            groups.append((signature, [name]))
            at = len(groups) - 1
        else:
            groups[at][1].append(name)
        group_of[name] = at
    commands = []
    for _, names in groups:
        partitioned = [n for n in names if graph[n].partitions is not None]
        expression = None if not partitioned else key_expression(graph, partitioned[0], keys[partitioned[0]])
        command = _command(graph, names, expression, now, None)
        commands.append(command if command is not None else Command(" ".join(names), expression, frozenset()))
    return _merged(graph, commands, now)


def _merged(graph: AssetGraph, commands: list[Command], now: datetime) -> list[Command]:
    """Fewer commands: a later command's assets join an earlier one's as followers (assets of
    other partitions, not named by its ``--partitions``) when everything they read is rebuilt
    by then and the merged command's plan rebuilds exactly what the two did."""
    commands = list(commands)
    later = 1
    while later < len(commands):
        names = commands[later].selection.split()
        holding = {name: i for i, c in enumerate(commands) for name in c.selection.split()}
        reads = {e.upstream for n in names for e in graph.edges_in[n]} - set(names)
        lowest = max((holding[u] for u in reads if u in holding), default=0)
        for earlier in range(lowest, later):
            first = commands[earlier]
            if first.partitions is None or any(_holds(graph, n, first.partitions, now) for n in names):
                continue  # an asset that holds those keys would be rebuilt for them, not follow
            together = [n for n in graph.order if n in set(first.selection.split()) | set(names)]
            merged = _command(graph, together, first.partitions, now, None)
            if merged is not None and merged.rebuilds == first.rebuilds | commands[later].rebuilds:
                commands[earlier] = merged
                del commands[later]
                break
        else:
            later += 1
    return commands


def _holds(graph: AssetGraph, asset: str, expression: str, now: datetime) -> bool:
    """Whether ``--partitions expression`` names keys of ``asset`` (it is then rebuilt for them)."""
    definition = graph[asset].partitions
    if definition is None:
        return False
    try:
        definition.select(expression, asset, now)
    except PartitionError:
        return False
    return True


def _command(graph: AssetGraph, assets: list[str], expression: str | None, now: datetime,
             root: str | None) -> Command | None:
    """The command over ``assets`` with ``--partitions expression``, and what its plan
    rebuilds; None when no --partitions can be given (nothing partitioned), as then a plan
    rebuilds only what is not fresh, which the catalog decides, not the command."""
    from assets_core.errors import AssetsCoreError
    from assets_core.planning.selection import make_plan

    if expression is None:
        return None
    selection = " ".join(assets)
    if root is not None and set(assets) == select(graph, f"{root}+"):
        selection = f"{root}+"
    try:
        plan = make_plan(graph, CatalogSnapshot(), now, selection, expression)
    except AssetsCoreError:
        return None
    return Command(selection, expression, frozenset((step.asset, step.key) for step in plan.steps))


def key_expression(graph: AssetGraph, asset: str, keys: list[str]) -> str | None:
    """``--partitions`` for ``keys`` of ``asset``: runs of consecutive keys as ``A..B``."""
    definition = graph[asset].partitions
    if definition is None or not keys:
        return None
    items: list[str] = []
    run: list[str] = []
    last = -2
    for key in definition.sort_keys(keys):
        index = definition.index_of(key)
        if index is None or index != last + 1:
            items.extend(_run(run))
            run = []
        run.append(key)
        last = -2 if index is None else index
    items.extend(_run(run))
    return ",".join(items)


def _run(keys: list[str]) -> list[str]:
    return [f"{keys[0]}..{keys[-1]}"] if len(keys) > 2 else keys
