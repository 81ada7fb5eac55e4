"""``assets materialize``: the one command that computes and publishes, with its progress
display and its summary line. Its dry run prints the plan as ``assets plan`` does."""

from __future__ import annotations

import functools
import sys
import time
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assets_core.cli.output import STATE, Exclusion, Selection, Yes, choice, console, open_context, partition_limit, print_json, ref, run_duration, run_json, safe, selection, styled, user_errors
from assets_core.cli.plan import parse_as_of, plan_rows, plan_schema_changes, render_plan, retire_rows
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
    dask = "dask"


@user_errors
def materialize(
    selects: Selection = None,
    exclude: Exclusion = None,
    partitions: Annotated[str | None, typer.Option("--partitions", help="Keys: A..B ranges and comma lists; rebuilt even when fresh.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan and stop.")] = False,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Partitions computed side by side.")] = 1,
    executor: Annotated[ExecutorChoice | None, typer.Option(
        "--executor", parser=choice(ExecutorChoice, "--executor"),
        help="threads or processes (used when --workers > 1), or dask; default: [execution] executor, else threads.")] = None,
    dask_address: Annotated[str | None, typer.Option(
        "--dask-address", help="With --executor dask: the scheduler, such as tcp://HOST:8786 (default: a local cluster).")] = None,
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
        if not STATE.quiet:
            print(f"Resuming the interrupted backfill {resumed.run_id}.", file=sys.stderr)
    now = parse_as_of(as_of)
    resume = None if resumed is None else resumed.run_id
    the_plan = make_plan(graph, snapshot, now, select_, partitions, retry_failed, resume, partition_limit(yes))
    if dry_run or not (the_plan.steps or the_plan.retire):
        changes = plan_schema_changes(catalog, the_plan)  # asks nothing of a plan without upstream changes
        if as_json:
            return print_json({"dry_run": dry_run, "reference_time": now.isoformat(),
                               "counts": the_plan.counts_by_asset(),
                               "steps": plan_rows(the_plan.steps, changes),
                               "waiting": plan_rows(the_plan.waiting, changes), "retire": retire_rows(the_plan)})
        return render_plan(graph, the_plan, changes)
    if as_of is not None and resumed is None and retry is None and not force:
        _refuse_regressions(graph, snapshot, catalog, the_plan)
    graph = load_graph(project, use_manifest=False).with_dynamic_keys(snapshot.dynamic_keys or {})  # the real functions
    the_plan = make_plan(graph, snapshot, now, select_, partitions, retry_failed, resume, partition_limit(yes))
    execution = project.settings.execution
    chosen = executor or ExecutorChoice(execution.executor)
    if dask_address is not None and chosen is not ExecutorChoice.dask:
        raise UsageError("--dask-address is for --executor dask: add it, or leave the address out.")
    result = _run_with_progress(project, graph, catalog, the_plan, workers, chosen, select_, partitions,
                                quiet=as_json, trigger=trigger, reason=reason,
                                dask_address=dask_address or execution.dask_address)
    elapsed = time.perf_counter() - started
    if as_json:
        lineage = result.openlineage
        print_json({**run_json(result.run, elapsed), "openlineage": None if lineage is None else lineage.to_json()})
    else:
        _print_summary(result)
    for message in result.retire_failures:
        print(safe(f"not retired: {message}"), file=sys.stderr)
    if not result.ok:
        raise typer.Exit(1)


def _retry_options(catalog: Catalog, run_id: str) -> tuple[str | None, str | None, str]:
    run = catalog.run(run_id)
    if run is None:
        raise UsageError(f"No run '{run_id}': `assets runs` lists them.")
    return run.selection, run.partitions, run.reference_time


def _run_with_progress(project: Any, graph: AssetGraph, catalog: Catalog, the_plan: Plan, workers: int,
                       executor: ExecutorChoice, select_: str | None, partitions: str | None, quiet: bool,
                       trigger: str = "cli", reason: str | None = None, dask_address: str | None = None) -> Any:
    from assets_core.execution.run import Event, materialize as run

    run_plan = functools.partial(
        run, project, graph, catalog, the_plan, workers, select_, partitions, executor=executor.value,
        trigger=trigger, reason=reason, dask_address=dask_address,
    )
    out = console()
    if quiet:
        return run_plan()
    tally = _Tally(the_plan.counts_by_asset())
    if STATE.quiet:  # --quiet: the failures only, then the summary line

        def failures(event: Event) -> None:
            if event.kind in ("failed", "quarantined"):
                print(safe(tally.add(event)[0]), flush=True)

        return run_plan(on_event=failures)
    if not out.is_terminal:

        def plain(event: Event) -> None:
            """One line per failure, quarantine, warning and skip, and one per asset when its
            last partition is done."""
            if event.kind == "started":
                return
            for line in tally.add(event):
                print(safe(line), flush=True)
            if tally.remaining[event.asset] == 0:
                for line in tally.asset_lines(event.asset):
                    print(safe(line), flush=True)

        return run_plan(on_event=plain)

    from rich.progress import MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description:<28}"), _outcome_bar(tally), MofNCompleteColumn(),
                  TextColumn("{task.fields[outcomes]}"), TimeElapsedColumn(), console=out, transient=False) as progress:
        overall = progress.add_task("all assets", total=len(the_plan.steps), outcomes="", asset=None)
        tasks = {asset: progress.add_task(f"  {asset}", total=n, outcomes="", asset=asset)
                 for asset, n in tally.remaining.items()}

        def show(event: Event) -> None:
            if event.kind == "started":
                return
            for line in tally.add(event, skips=False):
                kind, _, rest = line.partition(": ")
                progress.console.print(styled(kind + ":", _COLOURS.get(kind, "red")), rest)
            progress.update(overall, advance=1, outcomes=tally.outcomes(None))
            progress.update(tasks[event.asset], advance=1, outcomes=tally.outcomes(event.asset))

        result = run_plan(on_event=show)
    for asset in tally.remaining:  # what the piped output says, once the bars are done
        for line in tally.final_lines(asset):
            out.print(styled(line, _COLOURS.get(line.partition(":")[0], "")))
    return result


_COLOURS = {"published": "green", "up_to_date": "green", "failed": "red", "quarantined": "magenta",
            "skipped": "yellow", "warning": "yellow"}
_SKIPS_SHOWN = 10
"""Skipped partitions named per asset; the others are counted (``runs show`` lists them)."""


class _Tally:
    """What a run's events add up to, per asset: counts by outcome, and the lines that name
    the partitions that failed, were quarantined, warned or were skipped (with the reason).
    The piped output and the terminal's final screen print the same lines."""

    def __init__(self, per_asset: dict[str, int]) -> None:
        self.remaining = dict(per_asset)
        self.counts: dict[str | None, dict[str, int]] = {None: {}, **{asset: {} for asset in per_asset}}
        self.skips: dict[str, list[str]] = {asset: [] for asset in per_asset}
        self.failures: dict[str, list[str]] = {asset: [] for asset in per_asset}

    def add(self, event: Any, skips: bool = True) -> list[str]:
        """Count one finished partition; the lines to print now (a skip's only when ``skips``)."""
        for where in (None, event.asset):
            self.counts[where][event.kind] = self.counts[where].get(event.kind, 0) + 1
        self.remaining[event.asset] -= 1
        name = ref(event.asset, event.key)
        lines = [f"warning: {name}: {w}" for w in event.warnings]
        if event.kind in ("failed", "quarantined"):
            lines.insert(0, f"{event.kind}: {name}: {event.message}")
            self.failures[event.asset].append(lines[0])
        elif event.kind == "skipped":
            self.skips[event.asset].append(f"skipped: {name}: {event.message}")
            if skips and len(self.skips[event.asset]) <= _SKIPS_SHOWN:
                lines.append(self.skips[event.asset][-1])
        return lines

    def outcomes(self, asset: str | None) -> Any:
        """``1 failed 2 skipped``, each in its colour (the published count is the bar's)."""
        from rich.text import Text

        counts = self.counts[asset]
        return Text(" ").join(Text(f"{counts[k]} {k.replace('_', ' ')}", style=_COLOURS[k])
                              for k in ("failed", "quarantined", "skipped") if counts.get(k))

    def asset_lines(self, asset: str) -> list[str]:
        """``asset: 1 published, 1 skipped``, then the skips not named yet (at most ten in all)."""
        counts = self.counts[asset]
        lines = [f"{asset}: " + ", ".join(f"{n} {kind.replace('_', ' ')}" for kind, n in sorted(counts.items()))]
        skipped = self.skips[asset]
        if len(skipped) > _SKIPS_SHOWN:
            lines.append(f"  and {len(skipped) - _SKIPS_SHOWN} more skipped partitions of {asset}: `assets runs show` lists them")
        return lines

    def final_lines(self, asset: str) -> list[str]:
        """The asset's lines for the end of a run on a terminal (the lines printed above the
        bars may have scrolled away): its summary, then its failures and skips, ten of each."""
        failures = self.failures[asset]
        more = [(f"  and {len(failures) - _SKIPS_SHOWN} more failed or quarantined partitions of {asset}: "
                 "`assets runs show` lists them")] if len(failures) > _SKIPS_SHOWN else []
        return [self.asset_lines(asset)[0], *failures[:_SKIPS_SHOWN], *more, *self.skips[asset][:_SKIPS_SHOWN],
                *self.asset_lines(asset)[1:]]


def _outcome_bar(tally: _Tally, width: int = 40) -> Any:
    """A progress column: the bar in segments, published (and up to date) green, failed red,
    quarantined magenta, skipped yellow, what is left grey (rich is imported only here)."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    segments = ((("published", "up_to_date"), "green"), (("failed",), "red"),
                (("quarantined",), "magenta"), (("skipped",), "yellow"))

    class OutcomeBar(ProgressColumn):
        def render(self, task: Any) -> Text:
            counts = tally.counts[task.fields["asset"]]
            bar, used = Text(), 0
            for kinds, colour in segments:
                n = sum(counts.get(k, 0) for k in kinds)
                cells = min(max(round(width * n / (task.total or 1)), 1) if n else 0, width - used)  # one of many still shows
                bar.append("━" * cells, style=colour)
                used += cells
            bar.append("━" * (width - used), style="grey23")
            return bar

    return OutcomeBar()


def _print_summary(result: Any) -> None:
    c = result.counts
    line = (f"Run {result.run.run_id}: {c.get('published', 0)} published, {c.get('failed', 0)} failed, "
            f"{c.get('quarantined', 0)} quarantined, {c.get('skipped', 0)} skipped, "
            f"{c.get('up_to_date', 0)} already up to date in {run_duration(result.run)}")
    if c.get("retired"):
        line += f"; {c['retired']} retired (no longer in their partitions definition)"
    if result.openlineage is not None:  # a failing endpoint is counted here, never a failed run
        line += f"; OpenLineage: {result.openlineage.events} events, {result.openlineage.failed} not delivered"
    console().print(styled(line, "green" if result.ok else "red"))
