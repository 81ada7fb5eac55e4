"""``assets lineage ASSET --partition KEY [--depth N] [--json]``: what one published partition
was built from, partition by partition, down to the sources (see
:mod:`assets_core.reports.provenance`). ``lineage`` in :mod:`assets_core.cli.define` hands
over here when ``--partition`` is given."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assets_core.cli.output import (
    check_key,
    console,
    open_catalog,
    open_project,
    print_json,
    ref,
    safe,
    styled,
)
from assets_core.errors import UsageError

if TYPE_CHECKING:
    from assets_core.reports.provenance import Node, Provenance

VERSION_CHARS = 12
"""How much of a data version the tree shows (``--json`` gives them whole)."""


def partition_key(spec: Any, key: str, flag: str = "--partition") -> str:
    """The key of ``spec`` given with ``flag``: a bad one is a usage error naming what was
    expected; an unpartitioned asset's one partition is ``''``."""
    if spec.partitions is None:
        if key:
            raise UsageError(f"'{spec.name}' is unpartitioned: give {flag} '' (its one partition), or drop it.")
        return key
    check_key(spec, key)
    return key


def partition_lineage(asset: str, key: str, depth: int | None, as_json: bool) -> None:
    from assets_core.project.loading import load_graph
    from assets_core.reports.provenance import provenance

    if depth is not None and depth < 0:
        raise UsageError(f"--depth {depth} is negative: give 0 (the partition alone) or more levels.")
    project = open_project()
    graph = load_graph(project)
    partition_key(graph.require(asset), key)
    catalog = open_catalog(project)
    try:
        found = provenance(catalog, asset, key, depth)
    finally:
        catalog.close()
    if as_json:
        return print_json(found.to_dict())
    render(found)


def render(found: Provenance) -> None:
    """The walk as a tree, breadth first: each (partition, version) is expanded once, where it
    is fewest steps from the partition (its ``depth``); its other mentions point there. A loop
    rather than recursion: an asset reading its own past makes a tree as deep as its history."""
    from collections import deque

    from rich.tree import Tree

    out = console()
    deepest = max(node.depth for node in found.nodes)
    if deepest * 4 + 60 > out.width:  # the tree's indentation would leave no room for the lines
        out.print(f"{deepest} levels: too deep to draw as a tree here, listed level by level "
                  "(--json gives what each one read).")
        for node in found.nodes:
            out.print(styled(f"{node.depth:>4}  ", "dim"), _line(node))
        return
    nodes = found.by_ref()
    root = found.root
    tree = Tree(_line(root))
    shown = {root.ref}
    queue: deque[tuple[Any, Node]] = deque([(tree, root)])
    while queue:
        parent, node = queue.popleft()
        for upstream in node.inputs:
            child = nodes.get(upstream)
            if child is None:
                text = f"{ref(upstream[0], upstream[1])} {_short(upstream[2])} (deeper than --depth)"
                parent.add(styled(text, "dim"))
            elif child.ref in shown:
                text = f"{ref(child.asset, child.partition)} {_short(child.data_version)} (expanded at depth {child.depth})"
                parent.add(styled(text, "dim"))
            else:
                shown.add(child.ref)
                queue.append((parent.add(_line(child)), child))
    out.print(tree)


def _line(node: Node) -> Any:
    """One partition at one version; every piece of it through :func:`safe` (a pinned version
    or a run id is text from outside)."""
    from rich.text import Text

    text = Text(safe(ref(node.asset, node.partition)), style="bold")
    text.append(safe(f" {_short(node.data_version)}"))
    if node.run_id is not None:
        text.append(safe(f" run {node.run_id} at {node.published_at}"))
    else:
        text.append(" (no published attempt recorded)", style="dim")
    if node.observed is not None:
        text.append(safe(f", source version {_short(node.observed)}"))
    if node.current:
        text.append("  current", style="green")
    elif node.replaced_by is not None:
        by = node.replaced_by
        text.append(safe(f"  replaced by {_short(by.data_version)} (run {by.run_id} at {by.published_at})"),
                    style="yellow")
    else:
        text.append("  no longer published", style="red")
    return text


def _short(version: str) -> str:
    return version if len(version) <= VERSION_CHARS else version[:VERSION_CHARS] + "…"
