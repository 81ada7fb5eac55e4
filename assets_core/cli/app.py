"""The ``assets`` typer app: its global options, and every command registered from the module
of its group. Imports point one way: this module imports the command modules, they import
:mod:`assets_core.cli.output`, and nothing imports this module but ``assets_core.cli.main``.

| module | commands |
| --- | --- |
| ``define`` | ``init``, ``list``, ``lineage``: the project's definitions, no catalog |
| ``describe`` | ``describe``, ``schema``: one asset's page, from its definition and the catalog |
| ``plan`` | ``status``, ``plan``, ``why``: the planner's views, from the same rules |
| ``materialize`` | ``materialize``: the one command that computes and publishes |
| ``data`` | ``show``: the published data, its rows |
| ``freshness`` | ``freshness``: freshness states, late partitions, the ledger's history, alerts |
| ``partitions`` | ``observe``, ``partitions list/add/remove``: source versions, dynamic keys |
| ``review`` | ``check``, ``quarantine list/show/release/discard``: data quality |
| ``runs`` | ``runs``, ``runs show``: run history |
| ``logs`` | ``logs``: what a run's attempts logged, printed and raised |
| ``impact`` | ``impact``: what reads some partitions, downstream, and the command that rebuilds it |
| ``report`` | ``report``: the self-contained HTML report |
| ``gc`` | ``gc``: delete what crashed runs left in the data directory (the bucket, staging) |

Command modules import only typer at the top; rich and the engine are imported inside the
commands, so that a no-op ``materialize`` stays fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from assets_core.cli import data, define, describe, freshness, gc, impact, logs, materialize, partitions, plan, report, review, runs
from assets_core.cli.output import STATE

app = typer.Typer(
    help="assets-core: partitioned software-defined assets, materialized through stage -> validate -> publish.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


_ECHO_LEVEL = "ASSETS_CORE_ECHO_LEVEL"
"""The level from which asset log records are printed live (``execution.capture.ECHO_LEVEL``)."""


def _version(shown: bool) -> None:
    if shown:
        from importlib.metadata import version

        sys.stdout.write(f"assets-core {version('assets-core')}\n")
        raise typer.Exit()


@app.callback()
def _options(
    project: Annotated[Path | None, typer.Option("--project", "-p", help="Project folder (default: found from the current folder upwards).")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for user errors too.")] = False,
    verbose: Annotated[int, typer.Option("--verbose", "-v", count=True, help="Print the assets' log records live to stderr: INFO and above (-vv: DEBUG).")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", help="Print only errors and the final summary line.")] = False,
    _shown: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the installed version and exit.")] = False,
) -> None:
    STATE.project = project
    STATE.debug = debug
    STATE.quiet = quiet and not verbose
    if verbose or quiet:  # read by execution.capture, in this process and in its worker processes
        os.environ[_ECHO_LEVEL] = "DEBUG" if verbose > 1 else "INFO" if verbose else "ERROR"
    else:
        os.environ.pop(_ECHO_LEVEL, None)


app.command()(define.init)
app.command("list")(define.list_assets)
app.command()(plan.status)
app.command()(plan.plan)
app.command()(plan.why)
app.command()(materialize.materialize)
app.command()(data.show)
app.command()(define.lineage)
app.command()(describe.describe)
app.command()(describe.schema)
app.command()(impact.impact)
app.command()(freshness.freshness)
app.command()(partitions.observe)
app.add_typer(partitions.partitions_app, name="partitions")
app.add_typer(runs.runs_app, name="runs")
app.command()(logs.logs)
app.command()(review.check)
app.add_typer(review.quarantine_app, name="quarantine")
app.command()(report.report)
app.command()(gc.gc)
