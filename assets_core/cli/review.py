"""Reviewing data quality: ``assets check`` (an audit of published data) and ``assets
quarantine ...`` (what failed a blocking check: list, show, release, discard)."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer

from assets_core.cli.output import Exclusion, Selection, console, open_context, print_json, ref, selection, styled, user_errors
from assets_core.errors import UsageError

quarantine_app = typer.Typer(help="Quarantined partitions: list, show, release or discard them.", no_args_is_help=True)


@quarantine_app.command("list")
@user_errors
def quarantine_list(
    selects: Selection = None,
    exclude: Exclusion = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Partitions held in quarantine, with the checks that failed."""
    _, graph, catalog, _ = open_context()  # heals a release killed half way first
    found = _selected(catalog.quarantined(), graph, selection(selects, exclude))
    if as_json:
        return print_json([_attempt_json(a) for a in found])
    if not found:
        sys.stdout.write("Nothing in quarantine.\n")
        return
    from rich.table import Table

    table = Table("asset", "partition", "run", "since", "rows", "failed checks")
    for a in found:
        failed = ", ".join(c.check for c in a.checks if not c.passed and c.severity == "blocking")
        table.add_row(a.asset, a.partition or "-", a.run_id, a.ended_at, str(a.rows or 0), failed)
    console().print(table)


@quarantine_app.command("show")
@user_errors
def quarantine_show(
    asset: Annotated[str, typer.Argument(help="Asset name.")],
    key: Annotated[str, typer.Argument(help="Partition key ('-' for an unpartitioned asset).")] = "-",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """One quarantined partition: every check result and a sample of the failing rows."""
    from assets_core.execution.quarantine import find

    _, graph, catalog, _ = open_context()
    attempt = find(catalog, graph, asset, key)
    if as_json:
        return print_json(_attempt_json(attempt))
    out = console()
    out.print(f"{ref(asset, attempt.partition)} quarantined by run {attempt.run_id} at {attempt.ended_at}: "
                  f"{attempt.rows} rows kept in {attempt.location}")
    for c in attempt.checks:
        mark = styled("ok  ", "green") if c.passed else styled("FAIL", "red" if c.severity == "blocking" else "yellow")
        out.print(mark, f"{c.check} ({c.severity}): {c.message}")
        for row in (c.sample or [])[:20]:
            out.print(f"       {json.dumps(row, default=str)}")
    out.print(f"Release it with `assets quarantine release {asset} {attempt.partition or '-'} --reason TEXT`, "
                  f"or drop it with `assets quarantine discard {asset} {attempt.partition or '-'}`.")


_KEYS_HELP = "A key, A..B ranges and comma lists as --partitions ('-' for an unpartitioned asset)."
_ALL_HELP = "Every quarantined partition (of the assets --select names)."
_SELECT_HELP = "With --all: dbt-style selection of the assets."


@quarantine_app.command("release")
@user_errors
def quarantine_release(
    asset: Annotated[str | None, typer.Argument(help="Asset name.")] = None,
    keys: Annotated[str | None, typer.Argument(help=_KEYS_HELP)] = None,
    every: Annotated[bool, typer.Option("--all", help=_ALL_HELP)] = False,
    select_: Annotated[str | None, typer.Option("--select", "-s", help=_SELECT_HELP)] = None,
    reason: Annotated[str, typer.Option("--reason", help="Why it may be published (recorded).")] = "",
) -> None:
    """Publish the quarantined data as it is, after a person reviewed it; each partition atomically."""
    from assets_core.execution.quarantine import pick, release, summary

    if not reason.strip():
        raise UsageError("--reason is required: say why the data may be published, e.g. --reason 'refunds are expected'.")
    project, graph, catalog, _ = open_context()
    attempts = pick(catalog, graph, asset, keys, every, select_)
    done = release(project, graph, catalog, attempts, reason)
    if len(done) == 1:
        record = done[0]
        sys.stdout.write(f"Released {summary(done)}: {ref(record.asset, record.partition)} published {record.rows} "
                         f"rows as version {str(record.data_version)[:10]} (run {record.run_id}).\n")
    else:
        sys.stdout.write(f"Released {summary(done)}: each published as it was quarantined (run {done[0].run_id}).\n")


@quarantine_app.command("discard")
@user_errors
def quarantine_discard(
    asset: Annotated[str | None, typer.Argument(help="Asset name.")] = None,
    keys: Annotated[str | None, typer.Argument(help=_KEYS_HELP)] = None,
    every: Annotated[bool, typer.Option("--all", help=_ALL_HELP)] = False,
    select_: Annotated[str | None, typer.Option("--select", "-s", help=_SELECT_HELP)] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (recorded).")] = None,
) -> None:
    """Delete the quarantined data; the published partitions stay as they are."""
    from pathlib import Path

    from assets_core.execution.quarantine import discard, pick, summary

    project, graph, catalog, _ = open_context()
    attempts = pick(catalog, graph, asset, keys, every, select_)
    gone = sum(1 for a in attempts if a.location is None or not Path(a.location).is_file())
    done = discard(project, catalog, attempts, reason)
    note = f" ({gone} quarantined file{'s were' if gone > 1 else ' was'} already gone)" if gone else ""
    sys.stdout.write(f"Discarded {summary(done)}{note} (run {done[0].run_id}); "
                     "they wait until their code, upstream data or checks change.\n")


@user_errors
def check(
    selects: Selection = None,
    exclude: Exclusion = None,
    partitions: Annotated[str | None, typer.Option("--partitions", help="Keys: A..B ranges and comma lists.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Audit: run the checks against published data, without materializing. Exit 1 on a blocking failure."""
    from assets_core.execution.audit import audit, requested_keys
    from assets_core.planning.selection import parse_partitions
    from assets_core.graph import select
    select_ = selection(selects, exclude)

    project, graph, catalog, snapshot = open_context(full=True)
    assets = [a for a in graph.order if a in select(graph, select_)]
    requested = requested_keys(graph, assets, parse_partitions(partitions, graph, assets) if partitions is not None else None)
    run, audited = audit(project, graph, catalog, snapshot, requested)
    failing = [a for a in audited if a.blocks]
    if as_json:
        print_json({"run_id": run.run_id, "audited": len(audited), "failed": len(failing), "results": [
            {"asset": a.asset, "partition": a.key, "checks": [{**r.__dict__} for r in a.results]} for a in audited
        ]})
    else:
        out = console()
        for a in audited:
            for r in a.results:
                if not r.passed:
                    colour = "red" if r.blocks else "yellow"
                    out.print(styled("FAIL" if r.blocks else "WARN", colour), f"{ref(a.asset, a.key)}: {r.check}: {r.message}")
        out.print(f"Checked {len(audited)} published partitions: {len(failing)} with a blocking failure (run {run.run_id}).")
    if failing:
        raise typer.Exit(1)


def _selected(found: list[Any], graph: Any, expression: str | None) -> list[Any]:
    """The quarantined attempts of the assets ``expression`` selects (all without one)."""
    if expression is None:
        return found
    from assets_core.graph import select

    chosen = select(graph, expression)
    return [attempt for attempt in found if attempt.asset in chosen]


def _attempt_json(attempt: Any) -> dict[str, Any]:
    return dict(attempt.model_dump(include={"asset", "partition", "run_id", "ended_at", "rows", "location", "error", "checks"}))
