"""The ``assets`` command line. The only module that prints.

Heavy libraries (polars, DuckDB, sqlglot) are imported only by the commands that compute:
an unchanged project plans from its cached manifest, so a no-op ``materialize`` stays fast.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

# pydantic looks for plugins through importlib.metadata on its first model (~30 ms of every
# command's start-up); the CLI uses none.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

import typer  # noqa: E402

from assets_core.errors import AssetsCoreError, UsageError  # noqa: E402

if TYPE_CHECKING:
    from rich.console import Console

    from assets_core.graph import AssetGraph
    from assets_core.planning.plan import Plan
    from assets_core.catalog import CatalogSnapshot, SqliteCatalog

app = typer.Typer(
    help="assets-core: partitioned software-defined assets, materialized through stage -> validate -> publish.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class _State:
    project: Path | None = None
    debug: bool = False


STATE = _State()
F = TypeVar("F", bound=Callable[..., Any])


def _console(stderr: bool = False) -> Console:
    from rich.console import Console

    # markup=False: user text such as "sales[us]" or "[project]" is printed as written.
    console = Console(stderr=stderr, highlight=False, soft_wrap=True, markup=False)
    if not console.is_terminal:  # logs and pipes: wide enough that tables do not wrap
        console.width = int(os.environ.get("COLUMNS", "200"))
    return console


def user_errors(fn: F) -> F:
    """A user mistake becomes one red line on stderr and a non-zero exit; --debug adds the traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from assets_core.catalog import CatalogError

        try:
            return fn(*args, **kwargs)
        except (AssetsCoreError, CatalogError) as exc:
            if STATE.debug:
                raise
            code = getattr(exc, "exit_code", 1)
            console = _console(stderr=True)
            for line in str(exc).splitlines() or ["error"]:
                console.print(_styled("error:", "red"), line)
            raise typer.Exit(code) from None
        except KeyboardInterrupt:
            if STATE.debug:
                raise
            _console(stderr=True).print(
                _styled("interrupted:", "red"),
                "the run is marked interrupted; `assets materialize` again resumes what is left.",
            )
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


@app.callback()
def _options(
    project: Annotated[Path | None, typer.Option("--project", "-p", help="Project folder (default: found from the current folder upwards).")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for user errors too.")] = False,
) -> None:
    STATE.project = project
    STATE.debug = debug


# -- shared loading ------------------------------------------------------------------------------


def _project() -> Any:
    from assets_core.project.loading import find_project

    return find_project(explicit=STATE.project)


def _catalog(project: Any) -> SqliteCatalog:
    from assets_core.catalog import open_catalog

    return open_catalog(project.config.catalog, project.root)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _parse_as_of(value: str | None) -> datetime:
    if value is None:
        return _now()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--as-of '{value}' is not a time: write it like 2026-01-01T00:00:00+00:00.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _context(full: bool = False) -> tuple[Any, AssetGraph, SqliteCatalog, CatalogSnapshot]:
    from assets_core.execution.dynamic import bind_dynamic_partitions
    from assets_core.execution.runs import live_snapshot
    from assets_core.project.loading import load_graph

    project = _project()
    graph = load_graph(project, use_manifest=not full)
    catalog = _catalog(project)
    bind_dynamic_partitions(graph, catalog)
    return project, graph, catalog, live_snapshot(catalog)


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def _check_key(spec: Any, key: str) -> None:
    """A partition key given on the command line: a bad one is a usage error (exit 2)."""
    from assets_core.errors import PartitionError

    if spec.partitions is not None:
        try:
            spec.partitions.check_key(key, spec.name)
        except PartitionError as exc:
            raise UsageError(str(exc)) from None


def _ref(asset: str, key: str) -> str:
    return f"{asset}[{key}]" if key else asset


# -- init and list -----------------------------------------------------------------------------


def _template_dir() -> Path:
    package = Path(__file__).resolve().parents[1]  # assets_core/: the template is in it when installed
    for candidate in (package / "project_template", package.parent / "project_template"):
        if candidate.is_dir():
            return candidate
    raise AssetsCoreError("The project template is missing from this installation: reinstall assets-core.")


@app.command()
@user_errors
def init(directory: Annotated[Path, typer.Argument(help="Folder to create the project in.")]) -> None:
    """Create a working project from the bundled template."""
    if directory.exists() and any(directory.iterdir()):
        raise UsageError(f"{directory} is not empty: pick a new folder for the project.")
    shutil.copytree(_template_dir(), directory, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", ".assets", "data"))
    console = _console()
    console.print(f"Created project in {directory}. Next:\n  cd {directory}\n  assets materialize\n  assets status")


@app.command("list")
@user_errors
def list_assets(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """Assets with their kind, partitions and inputs."""
    from assets_core.project.loading import load_graph

    graph = load_graph(_project())
    rows = [
        {
            "asset": spec.name, "kind": spec.kind, "io": spec.io,
            "partitions": spec.partitions.describe() if spec.partitions else "unpartitioned",
            "inputs": list(spec.upstream), "group": spec.group, "checks": len(spec.checks),
        }
        for spec in (graph[name] for name in graph.order)
    ]
    if as_json:
        return _print_json(rows)
    from rich.table import Table

    table = Table("asset", "kind", "io", "partitions", "inputs", "group", "checks")
    for row in rows:
        table.add_row(row["asset"], row["kind"], row["io"], row["partitions"], ", ".join(row["inputs"]) or "-",
                      row["group"], str(row["checks"]))
    _console().print(table)


# -- status, plan, why ---------------------------------------------------------------------------


@app.command()
@user_errors
def status(
    select_: Annotated[str | None, typer.Option("--select", "-s", help="dbt-style selection.")] = None,
    partitions: Annotated[bool, typer.Option("--partitions", help="One line per partition.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Per asset: fresh / stale / missing / failed / quarantined counts and the last publish."""
    from assets_core.graph import select
    from assets_core.planning.plan import Cause, statuses

    _, graph, catalog, snapshot = _context()
    now = _now()
    chosen = select(graph, select_)
    summary = catalog.published_summary()
    report = []
    for name, rows in statuses(graph, snapshot, chosen, now).items():
        counts = {k: 0 for k in ("fresh", "stale", "missing", "failed", "quarantined", "unknown")}
        for _, state, _ in rows:
            counts[state] += 1
        waiting = sum(1 for _, _, r in rows if r is not None and r.cause == Cause.WAITING)
        entry: dict[str, Any] = {"asset": name, "partitions": len(rows), **counts, "waiting": waiting,
                                 "last_published_at": summary.get(name, (0, None))[1]}
        if partitions:
            entry["detail"] = [
                {"partition": key, "status": state, "reason": None if r is None else r.detail}
                for key, state, r in rows
            ]
        report.append(entry)
    if as_json:
        return _print_json(report)
    _render_status(report, partitions)


def _render_status(report: list[dict[str, Any]], per_partition: bool) -> None:
    from rich.table import Table

    console = _console()
    if per_partition:
        table = Table("asset", "partition", "status", "reason")
        for entry in report:
            for row in entry["detail"]:
                table.add_row(entry["asset"], row["partition"] or "-", _colour(row["status"]), row["reason"] or "")
        console.print(table)
        return
    table = Table("asset", "partitions", "fresh", "stale", "missing", "failed", "quarantined", "waiting", "last publish")
    for e in report:
        table.add_row(e["asset"], str(e["partitions"]), str(e["fresh"]), _num(e["stale"] + e["unknown"], "yellow"),
                      _num(e["missing"], "yellow"), _num(e["failed"], "red"), _num(e["quarantined"], "red"),
                      _num(e["waiting"], "red"), e["last_published_at"] or "never")
    console.print(table)
    waiting = sum(e["waiting"] for e in report)
    if waiting:
        console.print(f"{waiting} failed or quarantined partitions wait: nothing that could change their result "
                      "changed since. `assets status --partitions` says why; `assets materialize --retry-failed` forces them.")


def _styled(text: str, style: str) -> Any:
    from rich.text import Text

    return Text(text, style=style)


def _num(n: int, colour: str) -> Any:
    return _styled(str(n), colour if n else "")


def _colour(state: str) -> Any:
    colour = {"fresh": "green", "stale": "yellow", "missing": "yellow", "unknown": "yellow"}.get(state, "red")
    return _styled(state, colour)


def _plan_rows(steps: list[Any]) -> list[dict[str, Any]]:
    return [
        {"asset": s.asset, "partition": s.key, "cause": s.reason.cause.value, "detail": s.reason.detail,
         "upstream": None if s.reason.upstream is None else _ref(*s.reason.upstream)}
        for s in steps
    ]


def _render_waiting(the_plan: Plan) -> None:
    """Failed or quarantined partitions left out, and why, so nobody wonders where they went."""
    for step in the_plan.waiting[:20]:
        sys.stdout.write(f"Waiting: {_ref(step.asset, step.key)}: {step.reason.detail}.\n")
    if len(the_plan.waiting) > 20:
        sys.stdout.write(f"... and {len(the_plan.waiting) - 20} more waiting; `assets plan --json` lists them all.\n")


_ASSETS_LISTED = 12  # in the plan's last line; `assets plan --json` has them all


def _render_plan(graph: AssetGraph, the_plan: Plan) -> None:
    """Consecutive partitions with the same cause are shown as one range."""
    if not the_plan.steps:  # the no-op run's path: no rich import needed
        fresh = "everything else selected is fresh" if the_plan.waiting else "everything selected is fresh"
        sys.stdout.write(f"Nothing to materialize: {fresh}.\n")
        _render_waiting(the_plan)
        return
    from rich.table import Table

    console = _console()
    table = Table("asset", "partitions", "count", "cause", "detail")
    groups: list[list[Any]] = []
    for step in the_plan.steps:
        last = groups[-1] if groups else None
        definition = graph[step.asset].partitions
        position = definition.index_of(step.key) if definition is not None else None
        if (last and last[0] == step.asset and last[3] == step.reason.cause and position is not None
                and last[4] is not None and position == last[4] + 1):
            last[2] = step.key
            last[4] = position
            last[5] += 1
            continue
        groups.append([step.asset, step.key, step.key, step.reason.cause, position, 1, step.reason.detail])
    for asset, first, last, cause, _, count, detail in groups:
        keys = "-" if not first else (first if first == last else f"{first}..{last}")
        table.add_row(asset, keys, str(count), cause.value, detail if count == 1 else _general(detail, cause))
    console.print(table)
    counts = list(the_plan.counts_by_asset().items())
    per_asset = ", ".join(f"{a} {n}" for a, n in counts[:_ASSETS_LISTED])
    if len(counts) > _ASSETS_LISTED:
        per_asset += f", and {len(counts) - _ASSETS_LISTED} more assets"
    console.print(f"{len(the_plan.steps)} partitions to materialize ({per_asset}).")
    _render_waiting(the_plan)


def _general(detail: str, cause: Any) -> str:
    from assets_core.planning.plan import Cause

    return {
        Cause.MISSING: "never published",
        Cause.REQUESTED: "requested with --partitions",
        Cause.UPSTREAM_PLANNED: "upstream rebuilt in this run",
    }.get(cause, detail)


@app.command()
@user_errors
def plan(
    select_: Annotated[str | None, typer.Option("--select", "-s", help="dbt-style selection.")] = None,
    partitions: Annotated[str | None, typer.Option("--partitions", help="Keys: A..B ranges and comma lists.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Reference time (default: now).")] = None,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Also retry failed and quarantined partitions that nothing changed for.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """What `materialize` would run, with the cause of each partition."""
    from assets_core.planning.selection import make_plan

    _, graph, _, snapshot = _context()
    started = time.perf_counter()
    the_plan = make_plan(graph, snapshot, _parse_as_of(as_of), select_, partitions, retry_failed)
    elapsed = time.perf_counter() - started
    if as_json:
        return _print_json({"reference_time": the_plan.reference_time.isoformat(),
                            "planning_seconds": round(elapsed, 6), "steps": _plan_rows(the_plan.steps),
                            "waiting": _plan_rows(the_plan.waiting)})
    _render_plan(graph, the_plan)


@app.command()
@user_errors
def why(
    asset: Annotated[str, typer.Argument(help="Asset name.")],
    key: Annotated[str, typer.Argument(help="Partition key ('-' for an unpartitioned asset).")] = "-",
) -> None:
    """Why a partition is (or is not) due: the chain of causes down to the root."""
    from assets_core.planning.plan import explain

    _, graph, _, snapshot = _context()
    spec = graph.require(asset)
    key = "" if key == "-" or spec.partitions is None else key
    _check_key(spec, key)
    chain = explain(graph, snapshot, asset, key, _now())
    console = _console()
    for depth, (name, k, reason) in enumerate(chain):
        indent = "  " * depth + ("<- " if depth else "")
        if reason is None:
            state = snapshot.state(name, k)
            if depth == 0:
                console.print(f"{indent}{_ref(name, k)} is fresh.")
            elif state is not None and state.is_published:
                console.print(f"{indent}{_ref(name, k)} is fresh: republished by run {state.last_run} "
                              f"at {state.published_at} as version {str(state.data_version)[:10]} (root cause).")
            else:
                console.print(f"{indent}{_ref(name, k)}")
        else:
            console.print(f"{indent}{_ref(name, k)}: {reason.cause.value}: {reason.detail}")


# -- materialize -------------------------------------------------------------------------------


@app.command()
@user_errors
def materialize(
    select_: Annotated[str | None, typer.Option("--select", "-s", help="dbt-style selection: names, globs, +name, name+, group:, tag:.")] = None,
    partitions: Annotated[str | None, typer.Option("--partitions", help="Keys: A..B ranges and comma lists; rebuilt even when fresh.")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the plan and stop.")] = False,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="Partitions computed side by side.")] = 1,
    executor: Annotated[str, typer.Option("--executor", help="threads or processes (used when --workers > 1).")] = "threads",
    as_of: Annotated[str | None, typer.Option("--as-of", help="Reference time to plan against (default: now).")] = None,
    retry: Annotated[str | None, typer.Option("--retry", help="Re-plan a run: its selection, partitions and reference time.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (recorded with the run; a run with --partitions is a backfill).")] = None,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Also retry failed and quarantined partitions that nothing changed for.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary.")] = False,
) -> None:
    """Materialize every missing, stale or failed partition that is due."""
    from assets_core.execution.dynamic import bind_dynamic_partitions
    from assets_core.execution.runs import interrupted_backfill
    from assets_core.planning.selection import make_plan
    from assets_core.project.loading import load_graph

    started = time.perf_counter()
    if executor not in ("threads", "processes"):
        raise UsageError(f"--executor {executor!r} is not one of threads, processes.")
    project, graph, catalog, snapshot = _context()
    trigger = "retry" if retry is not None else "backfill" if partitions else "cli"
    if retry is not None:
        select_, partitions, as_of = _retry_options(catalog, retry)
    resumed = interrupted_backfill(catalog, select_, partitions) if partitions and retry is None else None
    if resumed is not None:  # the same backfill again: continue it, at its reference time
        as_of, reason = as_of or resumed.reference_time, reason or resumed.reason
        print(f"Resuming the interrupted backfill {resumed.run_id}.", file=sys.stderr)
    now = _parse_as_of(as_of)
    resume = None if resumed is None else resumed.run_id
    the_plan = make_plan(graph, snapshot, now, select_, partitions, retry_failed, resume)
    if dry_run or not the_plan.steps:
        if as_json:
            return _print_json({"dry_run": dry_run, "reference_time": now.isoformat(),
                                "counts": the_plan.counts_by_asset(),
                                "steps": _plan_rows(the_plan.steps), "waiting": _plan_rows(the_plan.waiting)})
        return _render_plan(graph, the_plan)
    graph = load_graph(project, use_manifest=False)  # the real functions and checks
    bind_dynamic_partitions(graph, catalog)
    the_plan = make_plan(graph, snapshot, now, select_, partitions, retry_failed, resume)
    result = _run_with_progress(project, graph, catalog, the_plan, workers, executor, select_, partitions,
                                quiet=as_json, trigger=trigger, reason=reason)
    elapsed = time.perf_counter() - started
    if as_json:
        _print_json(_run_json(result.run, elapsed))
    else:
        _print_summary(result, elapsed)
    if not result.ok:
        raise typer.Exit(1)


def _retry_options(catalog: SqliteCatalog, run_id: str) -> tuple[str | None, str | None, str]:
    run = catalog.run(run_id)
    if run is None:
        raise UsageError(f"No run '{run_id}': `assets runs` lists them.")
    return run.selection, run.partitions, run.reference_time


def _run_with_progress(project: Any, graph: AssetGraph, catalog: SqliteCatalog, the_plan: Plan, workers: int,
                       executor: str, select_: str | None, partitions: str | None, quiet: bool,
                       trigger: str = "cli", reason: str | None = None) -> Any:
    from assets_core.execution.run import EXECUTORS, Event, materialize

    assert executor in EXECUTORS
    run_plan = functools.partial(
        materialize, project, graph, catalog, the_plan, workers, select_, partitions, executor=executor,  # type: ignore[arg-type]
        trigger=trigger, reason=reason,
    )
    console = _console()
    if quiet:
        return run_plan()
    if not console.is_terminal:
        remaining = the_plan.counts_by_asset()
        done: dict[str, dict[str, int]] = {asset: {} for asset in remaining}

        def plain(event: Event) -> None:
            """One line per failure, and one per asset when its last partition is done."""
            if event.kind == "started":
                return
            if event.kind in ("failed", "quarantined"):
                print(f"{event.kind}: {_ref(event.asset, event.key)}: {event.message}", flush=True)
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
                  console=console, transient=False) as progress:
        overall = progress.add_task("all assets", total=len(the_plan.steps))
        tasks = {asset: progress.add_task(f"  {asset}", total=n) for asset, n in per_asset.items()}

        def show(event: Event) -> None:
            if event.kind == "started":
                return
            progress.advance(overall)
            progress.advance(tasks[event.asset])
            if event.kind in ("failed", "quarantined"):
                progress.console.print(_styled(event.kind, "red"), f"{_ref(event.asset, event.key)}: {event.message}")

        return run_plan(on_event=show)


def _print_summary(result: Any, elapsed: float) -> None:
    c = result.counts
    line = (f"Run {result.run.run_id}: {c.get('published', 0)} published, {c.get('failed', 0)} failed, "
            f"{c.get('quarantined', 0)} quarantined, {c.get('skipped', 0)} skipped, "
            f"{c.get('up_to_date', 0)} already up to date in {elapsed:.1f}s")
    _console().print(_styled(line, "green" if result.ok else "red"))


def _run_json(run: Any, elapsed: float | None = None) -> dict[str, Any]:
    body: dict[str, Any] = run.model_dump()
    counts = {k: run.counts.get(k, 0) for k in ("published", "failed", "quarantined", "skipped", "up_to_date")}
    body["counts"] = counts
    if elapsed is not None:
        body["seconds"] = round(elapsed, 3)
    return body


# -- show --------------------------------------------------------------------------------------


@app.command()
@user_errors
def show(
    asset: Annotated[str, typer.Argument(help="Asset name.")],
    partition: Annotated[str | None, typer.Option("--partition", help="One partition (default: all published).")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, help="Rows to print.")] = 20,
    fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
) -> None:
    """The published rows of an asset."""
    from assets_core.storage.store import Storage

    if fmt not in ("table", "csv", "json"):
        raise UsageError(f"--format {fmt!r} is not one of table, csv, json.")
    project, graph, _, snapshot = _context()
    spec = graph.require(asset)
    published = [k for k, s in snapshot.partitions.get(asset, {}).items() if s.is_published]
    if partition is not None:
        _check_key(spec, partition)
        if partition not in published:
            raise AssetsCoreError(f"{_ref(asset, partition)} is not published: `assets materialize --select {asset} --partitions {partition}`.")
        keys = [partition]
    else:
        if not published:
            raise AssetsCoreError(f"'{asset}' has no published partition: run `assets materialize --select +{asset}`.")
        keys = spec.partitions.sort_keys(published) if spec.partitions else published
    storage = Storage(project.data_dir, project.warehouse_path)
    frame = storage.read(asset, spec.io, keys, with_key=len(keys) > 1, read_only=True).head(limit)
    storage.close()
    if fmt == "csv":
        sys.stdout.write(frame.write_csv())
    elif fmt == "json":
        sys.stdout.write(frame.write_json() + "\n")
    else:
        from rich.table import Table

        table = Table(*frame.columns)
        for row in frame.iter_rows():
            table.add_row(*("" if v is None else str(v) for v in row))
        _console().print(table)


# -- lineage and freshness -------------------------------------------------------------------


@app.command()
@user_errors
def lineage(
    asset: Annotated[str, typer.Argument(help="Asset name.")],
    upstream: Annotated[bool, typer.Option("--upstream", help="Only what it reads.")] = False,
    downstream: Annotated[bool, typer.Option("--downstream", help="Only what reads it.")] = False,
    fmt: Annotated[str, typer.Option("--format", help="tree, json or mermaid.")] = "tree",
) -> None:
    """Asset lineage, with the partition mapping of every edge."""
    from assets_core.reports.lineage import lineage as build, members, mermaid
    from assets_core.project.loading import load_graph

    if fmt not in ("tree", "json", "mermaid"):
        raise UsageError(f"--format {fmt!r} is not one of tree, json, mermaid.")
    graph = load_graph(_project())
    graph.require(asset)
    directions = [d for d, on in (("upstream", upstream), ("downstream", downstream)) if on] or ["upstream", "downstream"]
    trees = {d: build(graph, asset, d) for d in directions}  # type: ignore[arg-type]
    if fmt == "json":
        return _print_json({d: t.to_dict() for d, t in trees.items()})
    if fmt == "mermaid":
        everything = set().union(*(members(t) for t in trees.values()))
        sys.stdout.write(mermaid(graph, everything) + "\n")
        return
    from rich.tree import Tree

    console = _console()
    for direction, node in trees.items():
        root = Tree(_styled(f"{asset} ({direction})", "bold"))

        def add(parent: Any, child: Any) -> None:
            spec = graph[child.asset]
            parts = spec.partitions.kind if spec.partitions else "unpartitioned"
            branch = parent.add(f"{child.asset} ({parts}, {child.mapping})")
            for grandchild in child.children:
                add(branch, grandchild)

        for child in node.children:
            add(root, child)
        console.print(root)


@app.command()
@user_errors
def freshness(
    select_: Annotated[str | None, typer.Option("--select", "-s", help="dbt-style selection.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Evaluate each asset's freshness policy; exit 1 when one fails."""
    from assets_core.definitions.freshness import human_duration
    from assets_core.reports.freshness import evaluate
    from assets_core.graph import select

    _, graph, _, snapshot = _context()
    now = _now()
    chosen = select(graph, select_)
    results = []
    for name in graph.order:
        spec = graph[name]
        if name not in chosen or spec.freshness is None:
            continue
        published = {k: s for k, s in snapshot.partitions.get(name, {}).items() if s.is_published}
        newest_end = expected_end = None
        definition = spec.partitions
        if definition is not None:  # time windows (of a time dimension, too): lag of the data itself
            expected_end = _latest_end(definition, definition.keys(now))
            newest_end = _latest_end(definition, [k for k in published if definition.is_key(k)])
        last = max((s.published_at for s in published.values() if s.published_at), default=None)
        results.append(evaluate(name, spec.freshness, now, newest_end, expected_end,
                                None if last is None else datetime.fromisoformat(last)))
    if as_json:
        _print_json([{"asset": r.asset, "passed": r.passed, "lag_seconds": None if r.lag is None else r.lag.total_seconds(),
                      "max_lag_seconds": r.max_lag.total_seconds(), "reason": r.reason} for r in results])
    else:
        console = _console()
        if not results:
            console.print("No asset has a freshness policy.")
        for r in results:
            mark = _styled("pass", "green") if r.passed else _styled("FAIL", "red")
            console.print(mark, f" {r.asset}: {r.reason} (max lag {human_duration(r.max_lag)})")
    if any(not r.passed for r in results):
        raise typer.Exit(1)


def _latest_end(definition: Any, keys: list[str]) -> datetime | None:
    """The latest end of the keys' data intervals; None for keys without one (static)."""
    ends = [interval.end for key in keys if (interval := definition.data_interval(key)) is not None]
    return max(ends, default=None)


def main() -> None:
    import assets_core.cli.partitions  # noqa: F401 - registers `observe` and `partitions`
    import assets_core.cli.runs  # noqa: F401 - registers `runs`
    import assets_core.cli.review  # noqa: F401 - registers `check` and `quarantine`

    app()

