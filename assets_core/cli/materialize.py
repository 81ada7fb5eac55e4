"""``assets materialize``: the one command that computes and publishes, with its progress
display and its summary line. Its dry run prints the plan as ``assets plan`` does."""

from __future__ import annotations

import functools
import sys
import time
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assets_core.cli.output import Exclusion, Selection, Yes, choice, console, open_context, partition_limit, print_json, ref, run_json, safe, selection, styled, user_errors
from assets_core.cli.plan import parse_as_of, plan_rows, plan_schema_changes, render_plan
from assets_core.errors import UsageError

if TYPE_CHECKING:
    from assets_core.catalog import Catalog
    from assets_core.graph import AssetGraph
    from assets_core.planning.plan import Plan


def _refuse_regressions(graph: AssetGraph, snapshot: Any, catalog: Catalog, the_plan: Plan) -> None:
    """``--as-of`` in the past must not quietly republish live data from fewer partitions."""
    from assets_core.execution.runs import regressed_by

    regressed = regressed_by(graph, snapshot, catalog, the_plan)
    if regressed:
        asset, built_at = regressed[0]
        more = f" (and {len(regressed) - 1} more)" if len(regressed) > 1 else ""
        raise UsageError(
            f"--as-of {the_plan.reference_time.isoformat()} is older than the reference time {built_at} that "
            f"'{asset}'{more} was published at: it would be republished from fewer partitions. Pass --force "
            "to do so anyway, or narrow --select."
        )


class ExecutorChoice(str, Enum):
    """``--executor``: where partitions are computed when ``--workers`` > 1."""

    threads = "threads"
    processes = "processes"


@user_errors
def materialize(
    selects: Selection = None,
    exclude: Exclusion = None,
    partitions: Annotated[str | None, typer.Option("--partitions", help="Keys: A..B ranges and comma lists; rebuilt even when fresh.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan and stop.")] = False,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Partitions computed side by side.")] = 1,
    executor: Annotated[ExecutorChoice, typer.Option("--executor", parser=choice(ExecutorChoice, "--executor"),
                                                     help="threads or processes (used when --workers > 1).")] = ExecutorChoice.threads,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Reference time to plan against (default: now).")] = None,
    retry: Annotated[str | None, typer.Option("--retry", help="Re-plan a run: its selection, partitions and reference time.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (recorded with the run; a run with --partitions is a backfill).")] = None,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Also retry failed and quarantined partitions that nothing changed for.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
    force: Annotated[bool, typer.Option("--force", help="With --as-of: republish even what a later reference time built.")] = False,
    yes: Yes = False,
) -> None:
    """Materialize every missing, stale or failed partition that is due."""
    from assets_core.execution.runs import interrupted_backfill
    from assets_core.planning.selection import make_plan
    from assets_core.project.loading import load_graph
    select_ = selection(selects, exclude)

    started = time.perf_counter()
    project, graph, catalog, snapshot = open_context()
    trigger = "retry" if retry is not None else "backfill" if partitions else "cli"
    if retry is not None:
        select_, partitions, as_of = _retry_options(catalog, retry)
    resumed = interrupted_backfill(catalog, select_, partitions) if partitions and retry is None else None
    if resumed is not None:  # the same backfill again: continue it, at its reference time
        as_of, reason = as_of or resumed.reference_time, reason or resumed.reason
        print(f"Resuming the interrupted backfill {resumed.run_id}.", file=sys.stderr)
    now = parse_as_of(as_of)
    resume = None if resumed is None else resumed.run_id
    the_plan = make_plan(graph, snapshot, now, select_, partitions, retry_failed, resume, partition_limit(yes))
    if dry_run or not the_plan.steps:
        changes = plan_schema_changes(catalog, the_plan)  # asks nothing of a plan without upstream changes
        if as_json:
            return print_json({"dry_run": dry_run, "reference_time": now.isoformat(),
                               "counts": the_plan.counts_by_asset(),
                               "steps": plan_rows(the_plan.steps, changes),
                               "waiting": plan_rows(the_plan.waiting, changes)})
        return render_plan(graph, the_plan, changes)
    if as_of is not None and resumed is None and retry is None and not force:
        _refuse_regressions(graph, snapshot, catalog, the_plan)
    graph = load_graph(project, use_manifest=False).with_dynamic_keys(snapshot.dynamic_keys or {})  # the real functions
    the_plan = make_plan(graph, snapshot, now, select_, partitions, retry_failed, resume, partition_limit(yes))
    result = _run_with_progress(project, graph, catalog, the_plan, workers, executor, select_, partitions,
                                quiet=as_json, trigger=trigger, reason=reason)
    elapsed = time.perf_counter() - started
    if as_json:
        lineage = result.openlineage
        print_json({**run_json(result.run, elapsed), "openlineage": None if lineage is None else lineage.to_json()})
    else:
        _print_summary(result, elapsed)
    if not result.ok:
        raise typer.Exit(1)


def _retry_options(catalog: Catalog, run_id: str) -> tuple[str | None, str | None, str]:
    run = catalog.run(run_id)
    if run is None:
        raise UsageError(f"No run '{run_id}': `assets runs` lists them.")
    return run.selection, run.partitions, run.reference_time


def _run_with_progress(project: Any, graph: AssetGraph, catalog: Catalog, the_plan: Plan, workers: int,
                       executor: ExecutorChoice, select_: str | None, partitions: str | None, quiet: bool,
                       trigger: str = "cli", reason: str | None = None) -> Any:
    from assets_core.execution.run import Event, Executor, materialize as run

    kind: Executor = "processes" if executor is ExecutorChoice.processes else "threads"
    run_plan = functools.partial(
        run, project, graph, catalog, the_plan, workers, select_, partitions, executor=kind,
        trigger=trigger, reason=reason,
    )
    out = console()
    if quiet:
        return run_plan()
    if not out.is_terminal:
        remaining = the_plan.counts_by_asset()
        done: dict[str, dict[str, int]] = {asset: {} for asset in remaining}

        def plain(event: Event) -> None:
            """One line per failure, and one per asset when its last partition is done."""
            if event.kind == "started":
                return
            if event.kind in ("failed", "quarantined"):
                print(safe(f"{event.kind}: {ref(event.asset, event.key)}: {event.message}"), flush=True)
            counts = done[event.asset]
            counts[event.kind] = counts.get(event.kind, 0) + 1
            remaining[event.asset] -= 1
            if remaining[event.asset] == 0:
                summary = ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(counts.items()))
                print(f"{event.asset}: {summary}", flush=True)

        return run_plan(on_event=plain)

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    per_asset = the_plan.counts_by_asset()
    with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=out, transient=False) as progress:
        overall = progress.add_task("all assets", total=len(the_plan.steps))
        tasks = {asset: progress.add_task(f"  {asset}", total=n) for asset, n in per_asset.items()}

        def show(event: Event) -> None:
            if event.kind == "started":
                return
            progress.advance(overall)
            progress.advance(tasks[event.asset])
            if event.kind in ("failed", "quarantined"):
                progress.console.print(styled(event.kind, "red"), f"{ref(event.asset, event.key)}: {event.message}")

        return run_plan(on_event=show)


def _print_summary(result: Any, elapsed: float) -> None:
    c = result.counts
    line = (f"Run {result.run.run_id}: {c.get('published', 0)} published, {c.get('failed', 0)} failed, "
            f"{c.get('quarantined', 0)} quarantined, {c.get('skipped', 0)} skipped, "
            f"{c.get('up_to_date', 0)} already up to date in {elapsed:.1f}s")
    if result.openlineage is not None:  # a failing endpoint is counted here, never a failed run
        line += f"; OpenLineage: {result.openlineage.events} events, {result.openlineage.failed} not delivered"
    console().print(styled(line, "green" if result.ok else "red"))
