"""Run history: ``assets runs``, ``assets runs show`` and ``assets runs --asset``."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assets_core.cli.output import console, open_catalog, open_context, open_project, print_json, run_duration, run_json, styled, user_errors

if TYPE_CHECKING:
    from assets_core.catalog import Catalog

runs_app = typer.Typer(help="Runs: list them, or show one run's attempts.", invoke_without_command=True)


@runs_app.callback()
@user_errors
def runs(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many runs.")] = 20,
    asset: Annotated[str | None, typer.Option("--asset", help="One asset's duration and row-count history, with its trend.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The latest runs, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    from assets_core.execution.runs import live_run_ids

    catalog = open_catalog(open_project())
    live_run_ids(catalog)  # runs that stopped (heartbeat past, process gone) are marked interrupted
    if asset is not None:
        return _asset_history(catalog, asset, limit, as_json)
    found = catalog.runs(limit=limit)
    if as_json:
        return print_json([run_json(r) for r in found])
    from assets_core.cli.output import Col, print_fitted

    columns = [Col("run", whole=True), Col("trigger", drop=3), Col("status"), Col("started", drop=2), Col("duration"),
               Col("selection"), *(Col(k, justify="right") for k in ("published", "failed", "quarantined", "skipped")),
               Col("reason", drop=1)]
    print_fitted(console(), columns, [
        [run.run_id, run.trigger, _colour_run(run.status), run.started_at, run_duration(run),
         " ".join(filter(None, [run.selection, run.partitions])) or "all",
         *(str(run.counts.get(k, 0)) for k in ("published", "failed", "quarantined", "skipped")), run.reason or ""]
        for run in found])


def _asset_history(catalog: Catalog, asset: str, limit: int, as_json: bool) -> None:
    """Per run: the asset's time, rows and partitions, and whether it is getting slower."""
    from assets_core.reports.history import asset_history, rows_trend, trend

    points = asset_history(asset, catalog.runs(), catalog.materializations(asset=asset), limit)
    if not points:
        graph = open_context()[1]
        graph.require(asset)  # an unknown name gets the closest-name hint
        sys.stdout.write(f"No runs have materialized {asset} yet.\n")
        return
    speed, volume = trend(points), rows_trend(points)
    newest_first = list(reversed(points))  # as every run list; the trends read them oldest first
    if as_json:
        return print_json({"asset": asset, "runs": [p.__dict__ for p in newest_first],
                            "duration_trend": speed.__dict__, "rows_trend": volume.__dict__})
    from rich.table import Table

    table = Table("run", "started", "partitions", "seconds", "ms/partition", "rows", "failed")
    for p in newest_first:
        per = 1000 * p.seconds / p.partitions if p.partitions else 0.0
        table.add_row(p.run_id, p.started_at, str(p.partitions), f"{p.seconds:.2f}", f"{per:.1f}", str(p.rows), str(p.failed))
    out = console()
    out.print(table)
    change = "" if speed.change_pct is None else f" ({speed.change_pct:+.0f}% per partition, newer runs vs older)"
    out.print(f"duration per partition {speed.sparkline}  {speed.direction}{change}")
    rows_change = "" if volume.change_pct is None else f" ({volume.change_pct:+.0f}%)"
    direction = {"slower": "growing", "faster": "shrinking"}.get(volume.direction, volume.direction)
    out.print(f"rows per partition     {volume.sparkline}  {direction}{rows_change}")


def _colour_run(state: str) -> Any:
    return styled(state, {"succeeded": "green", "published": "green", "running": "cyan", "retired": "cyan"}.get(state, "red"))


@runs_app.command("show")
@user_errors
def runs_show(
    run_id: Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Every attempt of one run, with rows, timing, errors and check results."""
    from assets_core.cli.logs import print_failed_tails, resolve_run

    catalog = open_catalog(open_project())
    run_id = resolve_run(catalog, run_id)
    run = catalog.run(run_id)
    assert run is not None
    attempts = list(reversed(catalog.materializations(run_id=run_id)))
    logged = catalog.attempt_logs(run_id)
    if as_json:
        logs = {(a.asset, a.partition, a.attempt, a.status, a.started_at): a.logs for a in logged}
        return print_json({"run": run_json(run), "attempts": [
            a.model_copy(update={"logs": logs.get((a.asset, a.partition, a.attempt, a.status, a.started_at))}).model_dump()
            for a in attempts]})
    from assets_core.cli.output import Col, print_fitted

    out = console()
    out.print(f"Run {run.run_id}:", _colour_run(run.status),
                  f"started {run.started_at}, {run_duration(run)}, reference time {run.reference_time}"
                  + (f", reason: {run.reason}" if run.reason else ""))
    rows = []
    for a in attempts:
        ms = (datetime.fromisoformat(a.ended_at) - datetime.fromisoformat(a.started_at)).total_seconds() * 1000
        code_ms = f"{a.timings['compute'] * 1000:.0f}" if a.timings and "compute" in a.timings else ""
        checks = ", ".join(f"{c.check} {'ok' if c.passed else 'FAILED'}" for c in a.checks)
        rows.append([a.asset, a.partition or "-", _colour_run(a.status), str(a.attempt), a.cause or "",
                     "" if a.rows is None else str(a.rows), f"{ms:.0f}", code_ms, checks, a.error or ""])
    print_fitted(out, [Col("asset", whole=True), Col("partition", whole=True), Col("status"), Col("attempt", drop=3),
                       Col("cause", drop=1), Col("rows", justify="right"), Col("ms", justify="right"),
                       Col("code ms", justify="right", drop=2), Col("checks"), Col("error")], rows)
    print_failed_tails(run_id, logged)
