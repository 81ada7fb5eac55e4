"""One asset's page, from its definition and the catalog: ``assets describe`` and
``assets schema [--history]``. The values are built in :mod:`assets_core.reports.describe` and
:mod:`assets_core.reports.schema`; this module only renders them."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from assets_core.cli.output import console, open_context, print_json, styled, user_errors


@user_errors
def describe(
    asset: Annotated[str, typer.Argument(help="Asset name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Everything about one asset: its definition, where its code lives, its latest schema,
    last publish, check results and counts by status."""
    from assets_core.execution.clock import utc_now
    from assets_core.reports.describe import describe_asset

    project, graph, catalog, snapshot = open_context(full=True, reads_only=True)
    graph.require(asset)
    page = describe_asset(graph, catalog, snapshot, asset, utc_now(), project.root)
    if as_json:
        return print_json(page)
    _render_page(page)


def _text(value: Any) -> str:
    return "-" if value is None or value == [] else str(value)


def _render_page(page: dict[str, Any]) -> None:
    from rich.table import Table

    out = console()
    out.print(styled(page["asset"], "bold"), _text(page["description"]) if page["description"] else "")
    code = page["code"]
    parts = page["partitions"]
    fields = [
        ("kind", f"{page['kind']}, io {page['io']}"),
        ("group", page["group"]), ("owner", page["owner"]), ("tags", ", ".join(page["tags"]) or None),
        ("partitions", parts["description"] if parts else "unpartitioned"),
        ("inputs", ", ".join(f"{i['asset']} ({i['mapping']})" for i in page["inputs"]) or None),
        ("downstream", ", ".join(page["downstream"]) or None),
        ("checks", ", ".join(c["name"] + (f" [{c['severity']}]" if c["severity"] else "") for c in page["checks"]) or None),
        ("freshness", None if page["freshness"] is None else page["freshness"]["summary"]),
        ("code version", page["code_version"]),
        ("code", None if code["file"] is None else f"{code['file']}:{code['line']}" if code["line"] else code["file"]),
    ]
    last = page["last_publish"]
    fields.append(("last publish", None if last is None else
                   f"{last['at']} by run {last['run_id']}"
                   + (f", partition {last['partition']}" if last["partition"] else "") + f", {last['rows']} rows"))
    status = page["status"]
    counts = ", ".join(f"{status[s]} {s}" for s in ("fresh", "stale", "missing", "failed", "quarantined", "unknown")
                       if status[s])
    fields.append(("status", f"{status['partitions']} partitions" + (f": {counts}" if counts else "")
                   + (f" ({status['waiting']} waiting)" if status["waiting"] else "")))
    table = Table(show_header=False, box=None)
    for name, value in fields:
        table.add_row(styled(name, "bold"), _text(value))
    out.print(table)
    _render_columns(page["schema"], "schema of the latest partition")
    if page["check_results"]:
        checks = Table("check", "severity", "last result", "partition", "run", "message", title="check results")
        for r in page["check_results"]:
            checks.add_row(_text(r["check"]), r["severity"], styled("passed" if r["passed"] else "failed",
                           "green" if r["passed"] else "red"), _text(r["partition"]), r["run_id"], _text(r["message"]))
        out.print(checks)


def _render_columns(columns: list[dict[str, Any]] | None, title: str) -> None:
    from rich.table import Table

    out = console()
    if columns is None:
        out.print(f"{title}: none recorded yet (`assets materialize` records it).")
        return
    table = Table("column", "type", "nullable", title=title)
    for c in columns:
        table.add_row(c["name"], c["type"], "yes" if c["nullable"] else "no")
    out.print(table)


@user_errors
def schema(
    asset: Annotated[str, typer.Argument(help="Asset name.")],
    history: Annotated[bool, typer.Option("--history", help="Every schema change, with where it first appeared.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The latest recorded schema of an asset; with --history, every change: columns added,
    removed or retyped (and nullability changed), each with the run and partition where it
    first appeared."""
    from assets_core.cli.output import open_catalog, open_project
    from assets_core.project.loading import load_graph
    from assets_core.reports.schema import columns_json, schema_history

    project = open_project()
    load_graph(project).require(asset)
    catalog = open_catalog(project)
    latest = catalog.latest_schemas([asset]).get(asset)
    columns = None if latest is None else columns_json(latest)
    steps = schema_history(catalog.schema_history(asset)) if history else None
    if as_json:
        body: dict[str, Any] = {"asset": asset, "columns": columns}
        if steps is not None:
            body["history"] = [step.to_dict() for step in steps]
        return print_json(body)
    _render_columns(columns, f"{asset}: latest schema")
    if steps is None:
        return
    out = console()
    for i, step in enumerate(steps):
        v = step.version
        where = f"run {v.run_id}" + (f", partition {v.partition}" if v.partition else "") + f", {v.published_at}"
        if i == 0:
            out.print(f"{where}: first schema, {len(v.columns)} columns ({v.attempts} attempts published it)")
            continue
        out.print(f"{where}: {len(step.changes)} changes ({v.attempts} attempts published it)")
        for change in step.changes:
            out.print(f"  {change.text()}")
