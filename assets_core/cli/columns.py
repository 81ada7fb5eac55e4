"""Column lineage in the terminal: ``assets lineage ASSET --columns`` and
``assets lineage ASSET.COLUMN [--upstream|--downstream]``, called by ``define.lineage``.
The values come from :mod:`assets_core.reports.columns`; this module only opens the project
and the catalog (for the recorded schemas) and prints."""

from __future__ import annotations

from typing import Any

from assets_core.cli.output import (
    console,
    open_catalog,
    open_project,
    print_json,
    styled,
)
from assets_core.errors import UsageError


def show(target: str, directions: list[str], fmt: str) -> None:
    """``ASSET`` (every column of it) or ``ASSET.COLUMN`` (traced across assets), as a tree
    or table (``fmt`` tree) or JSON (``fmt`` json)."""
    from assets_core.project.loading import load_graph
    from assets_core.reports.columns import ColumnIndex, schemas_of

    if fmt not in ("tree", "json"):
        raise UsageError(f"--format {fmt} draws assets only: column lineage prints as tree or json.")
    as_json = fmt == "json"
    asset, dot, column = target.partition(".")
    if dot and not column:
        raise UsageError(f"'{target}' names no column: write ASSET.COLUMN, such as {asset}.id, or ASSET --columns.")
    project = open_project()
    graph = load_graph(project)
    graph.require(asset)
    catalog = open_catalog(project)
    try:
        index = ColumnIndex(graph, schemas_of(catalog.latest_schemas()))
    finally:
        catalog.close()
    if column:
        _show_column(index, asset, column, directions, as_json)
    else:
        _show_asset(index, asset, as_json)


def _show_asset(index: Any, asset: str, as_json: bool) -> None:
    from rich.table import Table

    from assets_core.reports.columns import columns_report

    report = columns_report(index, asset)
    if as_json:
        return print_json(report)
    table = Table("column", "type", "direct", "indirect", title=f"{asset}: column lineage")
    for entry in report["columns"]:
        kinds = {k: ", ".join(_edge(e) for e in entry["upstream"] if e["kind"] == k) or "-" for k in ("direct", "indirect")}
        table.add_row(entry["column"], entry["type"] or "?", kinds["direct"], kinds["indirect"])
    out = console()
    out.print(table)
    for item in report["unresolved"]:
        out.print(styled("unresolved:", "yellow"), f"{item['column']}: {item['reason']}")


def _edge(edge: dict[str, Any]) -> str:
    label = "/".join(edge["via"])
    how = "" if edge["how"] == "sql" else f", {edge['how']}"
    return f"{edge['asset']}.{edge['column']} ({label}{how})" if label or how else f"{edge['asset']}.{edge['column']}"


def _show_column(index: Any, asset: str, column: str, directions: list[Any], as_json: bool) -> None:
    from rich.tree import Tree

    from assets_core.reports.columns import trace

    index.require(asset, column)
    trees = {d: trace(index, asset, column, d) for d in directions}
    if as_json:
        return print_json({"asset": asset, "column": column, **{d: t.to_dict() for d, t in trees.items()}})
    out = console()
    for direction, root in trees.items():
        shown = Tree(styled(f"{asset}.{column} ({direction})", "bold"))

        def add(parent: Any, node: Any) -> None:
            for reason in node.unresolved:
                parent.add(styled(f"unresolved: {reason}", "yellow"))
            for child in node.children:
                via = "/".join(child.via)
                how = "" if child.how == "sql" else f", {child.how}"
                add(parent.add(f"{child.asset}.{child.column} ({child.kind}{', ' + via if via else ''}{how})"), child)

        add(shown, root)
        out.print(shown)
