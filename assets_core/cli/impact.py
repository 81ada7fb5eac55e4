"""``assets impact ASSET [--partition KEY|RANGE] [--column COL] [--json]``: the blast radius of
some partitions of one asset (every downstream partition that reads them, through every
mapping, recursively), what each was built from, and the command that rebuilds them (see
:mod:`assets_core.reports.impact`); with ``--column``, only what column lineage derives from it."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assets_core.cli.output import (
    STATE,
    console,
    number,
    open_catalog,
    open_project,
    print_json,
    ref,
    user_errors,
)
from assets_core.errors import AssetsCoreError, PartitionError, UsageError

if TYPE_CHECKING:
    from datetime import datetime

    from assets_core.catalog import Catalog
    from assets_core.graph import AssetGraph
    from assets_core.reports.impact import Derives


@user_errors
def impact(
    asset: Annotated[str, typer.Argument(help="Asset name.")],
    partition: Annotated[str | None, typer.Option("--partition", help="A key, A..B ranges or a comma list (default: every published partition).")] = None,
    column: Annotated[str | None, typer.Option("--column", help="Only what derives from this column of the asset.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Every downstream partition that reads these partitions, whether each was built from
    the current versions, and the `assets materialize` command that rebuilds them."""
    from assets_core.cli.plan import parse_as_of
    from assets_core.project.loading import load_graph
    from assets_core.reports.impact import (
        judge,
        reach,
        rebuild_commands,
    )

    project = open_project()
    graph = load_graph(project)
    graph.require(asset)
    catalog = open_catalog(project)
    try:
        graph = graph.with_dynamic_keys(catalog.dynamic_keys())
        now = parse_as_of(None)
        roots = _roots(graph, catalog, asset, partition, now)
        only, columns = _derived(graph, catalog, asset, column)
        found = reach(graph, asset, roots, now, only)
        judged = judge(catalog, found)
    finally:
        catalog.close()
    for item in judged:
        item.columns = None if columns is None else sorted(columns.get(item.asset, ()))
    rebuild = rebuild_commands(graph, found, now) if found.keys else None
    prefix = ("assets", *(("--project", str(STATE.project)) if STATE.project is not None else ()))
    commands = [] if rebuild is None else [c.line(prefix) for c in rebuild.commands]
    totals = {"assets": len(judged), "partitions": found.count(), "current": sum(i.current for i in judged),
              "stale": sum(len(i.stale) for i in judged), "missing": sum(len(i.missing) for i in judged)}
    if as_json:
        return print_json({
            "asset": asset, "partitions": found.roots, "column": column, "reference_time": now.isoformat(),
            "affected": totals, "assets": [item.to_dict() for item in judged],
            "commands": commands, "exact": True if rebuild is None else rebuild.exact,
        })
    _render(graph, asset, found.roots, totals, judged, commands, rebuild is None or rebuild.exact)


def _roots(graph: AssetGraph, catalog: Catalog, asset: str, partition: str | None, now: datetime) -> list[str]:
    """The keys of ``--partition``, or every published partition of the asset."""
    definition = graph[asset].partitions
    if partition is not None:
        if definition is None:
            raise UsageError(f"'{asset}' is unpartitioned: drop --partition.")
        try:
            return definition.select(partition, asset, now)
        except PartitionError as exc:
            raise UsageError(str(exc)) from None
    published = list(catalog.published_versions(asset))
    if not published:
        raise AssetsCoreError(
            f"'{asset}' has no published partition yet: give --partition KEY for what would read one."
        )
    return definition.sort_keys(published) if definition is not None else published


def _derived(
    graph: AssetGraph, catalog: Catalog, asset: str, column: str | None,
) -> tuple[set[str] | None, dict[str, set[str]] | None]:
    """With ``--column``: the assets whose columns derive from it (column lineage over the
    catalog's latest schemas), and those columns ('*': every one of that asset)."""
    if column is None:
        return None, None
    schemas = catalog.latest_schemas()
    schema = schemas.get(asset)
    if schema is None:
        raise UsageError(
            f"'{asset}' has no recorded schema (nothing published since schemas are recorded): "
            "materialize it, or drop --column."
        )
    names = [c.name for c in schema]
    if column not in names:
        close = difflib.get_close_matches(column, names, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else f" Its columns: {', '.join(names)}."
        raise UsageError(f"'{asset}' has no column '{column}'.{hint}")
    return derived_columns(graph, schemas, asset, column)


def derived_columns(
    graph: AssetGraph, schemas: Any, asset: str, column: str, derives: Derives | None = None,
) -> tuple[set[str], dict[str, set[str]]]:
    """The assets and columns ``derives`` says come from ``asset.column`` (by default column
    lineage's answer)."""
    if derives is None:
        from assets_core.reports.columns import ColumnIndex, schemas_of
        from assets_core.reports.impact import through_column_lineage

        derives = through_column_lineage(ColumnIndex(graph, schemas_of(schemas)))
    columns: dict[str, set[str]] = {}
    for name, derived in derives(asset, column):
        columns.setdefault(name, set()).add(derived)
    return set(columns), columns


def _render(graph: AssetGraph, asset: str, roots: list[str], totals: dict[str, int], judged: list[Any],
            commands: list[str], exact: bool) -> None:
    from rich.table import Table

    from assets_core.reports.impact import key_expression

    out = console()
    what = ref(asset, key_expression(graph, asset, roots) or "")
    if not judged:
        out.print(f"Nothing reads {what}.")
        return
    out.print(f"{what}: {_count(totals['partitions'], 'partition')} of "
              f"{_count(totals['assets'], 'downstream asset')} read it "
              f"({totals['current']} current, {totals['stale']} stale, {totals['missing']} missing).")
    table = Table("asset", "depth", "partitions", "current", "stale", "missing", "keys")
    for item in judged:
        table.add_row(item.asset, str(item.depth), str(len(item.keys)), str(item.current),
                      number(len(item.stale), "yellow"), number(len(item.missing), "red"),
                      key_expression(graph, item.asset, item.keys) or "(unpartitioned)")
    out.print(table)
    out.print("Rebuild them with:" if len(commands) == 1 else "Rebuild them with, in this order:")
    for line in commands:
        out.print(f"  {line}")
    if not exact:
        out.print("(no materialize command rebuilds exactly these partitions: these rebuild what they can)")


def _count(n: int, thing: str) -> str:
    return f"{n} {thing}" if n == 1 else f"{n} {thing}s"
