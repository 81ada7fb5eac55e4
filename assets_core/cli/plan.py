"""The planner's three views: ``assets status``, ``assets plan`` and ``assets why``.

All three read the same rules (``planning.plan``), so they never disagree; ``materialize``
prints its dry run with :func:`render_plan` and :func:`plan_rows` from here.
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assets_core.cli.output import Exclusion, Selection, Yes, check_key, console, number, open_context, open_reading, partition_limit, print_json, ref, safe, selection, styled, user_errors
from assets_core.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from assets_core.catalog import Catalog
    from assets_core.graph import AssetGraph
    from assets_core.planning.plan import Plan, Reason, Step
    from assets_core.reports.schema import ColumnChange
    from assets_core.reports.status import AssetStatus


@user_errors
def status(
    selects: Selection = None,
    exclude: Exclusion = None,
    partitions: Annotated[bool, typer.Option("--partitions", help="One line per partition.")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Reference time (default: now).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Per asset: fresh / stale / missing / failed / quarantined counts and the last publish."""
    from assets_core.graph import select
    from assets_core.reports.status import asset_statuses
    select_ = selection(selects, exclude)

    from dataclasses import replace

    from assets_core.reports.freshness import evaluate_freshness, read_facts

    now = parse_as_of(as_of)
    _, catalog, reading = open_reading(now, summaries=True)
    graph, snapshot = reading.graph, reading.snapshot
    names = select(graph, select_)
    report = asset_statuses(graph, snapshot, names, now, reading.published or {}, partitions, reading.warned)
    states = {r.asset: r.state for r in evaluate_freshness(graph, read_facts(catalog, graph, names, now), names, now)}
    report = [replace(entry, freshness=states.get(entry.asset)) for entry in report]
    reading.save()
    if as_json:
        return print_json([entry.to_json() for entry in report])
    render_status(report, partitions)


def render_status(report: list[AssetStatus], per_partition: bool) -> None:
    from assets_core.cli.output import Col, print_fitted

    out = console()
    if per_partition:
        print_fitted(out, [Col("asset", whole=True), Col("partition", whole=True), Col("status"), Col("reason")],
                     [[entry.asset, row.partition or "-", _coloured(row.status), row.reason or ""]
                      for entry in report for row in entry.detail or ()])
        return
    counts = ("fresh", "upstream stale", "stale", "missing", "failed", "quarantined", "unknown", "waiting", "warned")
    rows = [[e.asset, str(e.partitions), _freshness(e.freshness), str(e.count("fresh")), number(e.upstream_stale, "yellow"),
             number(e.count("stale"), "yellow"), number(e.count("missing"), "yellow"),
             number(e.count("failed"), "red"), number(e.count("quarantined"), "red"),
             number(e.count("unknown"), "yellow"), number(e.waiting, "red"), number(e.warned, "yellow"), e.last_published_at or "never"]
            for e in report]
    zero = {h for i, h in enumerate(counts, start=3) if rows and all(str(getattr(r[i], "plain", r[i])) == "0" for r in rows)}
    columns = [Col("asset", whole=True), Col("partitions", justify="right"), Col("freshness", drop=1),
               *(Col(h, justify="right", zero=h in zero and h != "fresh", drop=2 if h == "waiting" else 0) for h in counts),
               Col("last publish", drop=1)]  # waiting first: the line under the table gives its total
    print_fitted(out, columns, rows)
    waiting = sum(e.waiting for e in report)
    if waiting:
        out.print(f"{waiting} failed or quarantined partitions wait: nothing that could change their result "
                  "changed since. `assets status --partitions` says why; `assets materialize --retry-failed` forces them.")


def _freshness(state: str | None) -> Any:
    """A freshness state as ``assets freshness`` colours it; ``-`` without a policy."""
    if state is None:
        return "-"
    return styled(state, {"pass": "green", "warn": "yellow", "error": "red"}.get(state, ""))


def _coloured(state: str) -> Any:
    colour = {"fresh": "green", "stale": "yellow", "missing": "yellow", "unknown": "yellow"}.get(state, "red")
    return styled(state, colour)


def parse_as_of(value: str | None) -> datetime:
    """``--as-of``: an ISO time (UTC when it names no zone), or now."""
    if value is None:
        from assets_core.execution.clock import utc_now

        return utc_now()
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(f"--as-of '{value}' is not a time: write it like 2026-01-01T00:00:00+00:00.") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def plan_rows(steps: list[Step], schema_changes: Mapping[Reason, list[ColumnChange]] | None = None) -> list[dict[str, Any]]:
    """Steps as the ``steps`` and ``waiting`` lists of ``plan --json`` and ``materialize --json``;
    with ``schema_changes`` (``plan --json``), each also says how the schema of the upstream
    partition it names changed (``upstream_schema_changes``, None when it did not)."""
    return [_reason_row(s.asset, s.key, s.reason, schema_changes) for s in steps]


def _reason_row(asset: str, key: str, reason: Reason, schema_changes: Mapping[Reason, list[ColumnChange]] | None) -> dict[str, Any]:
    row: dict[str, Any] = {"asset": asset, "partition": key, "cause": reason.cause.value, "detail": reason.detail,
           "upstream": None if reason.upstream is None else ref(*reason.upstream)}
    if schema_changes is not None:
        from assets_core.reports.schema import with_schema_note

        changes = schema_changes.get(reason)
        row["detail"] = with_schema_note(reason, schema_changes)
        row["upstream_schema_changes"] = None if changes is None else [c.to_dict() for c in changes]
    return row


def plan_schema_changes(catalog: Catalog, the_plan: Plan) -> dict[Reason, list[ColumnChange]]:
    """Of the plan's reasons, those whose upstream partition was republished with another
    schema, and how it changed (the catalog is asked only when some upstream changed)."""
    from assets_core.planning.rules import Cause

    reasons = [s.reason for s in (*the_plan.steps, *the_plan.waiting) if s.reason.cause is Cause.UPSTREAM_CHANGED]
    if not reasons:  # the no-op run's path: nothing more imported or asked
        return {}
    from assets_core.reports.schema import upstream_schema_changes

    return upstream_schema_changes(catalog, reasons)


def _with_schema_notes(steps: list[Step], schema_changes: Mapping[Reason, list[ColumnChange]]) -> list[Step]:
    """The steps whose upstream's schema changed, with the change in their detail (the table's)."""
    if not schema_changes:
        return steps
    from assets_core.reports.schema import with_schema_note

    return [replace(s, reason=replace(s.reason, detail=with_schema_note(s.reason, schema_changes)))
            if s.reason in schema_changes else s for s in steps]


def retire_rows(the_plan: Plan) -> list[dict[str, Any]]:
    """The plan's retirements as the ``retire`` list of ``plan --json`` and ``materialize --dry-run --json``."""
    return [{"asset": r.asset, "partitions": list(r.keys), "count": len(r.keys), "cause": r.reason.cause.value,
             "detail": r.reason.detail} for r in the_plan.retire]


def _render_retire(the_plan: Plan) -> None:
    """One line per asset whose published partitions its definition no longer holds."""
    for r in the_plan.retire:
        what = f"{len(r.keys)} partitions" if len(r.keys) != 1 else "1 partition"
        sys.stdout.write(safe(f"Retire {what} of {r.asset} no longer in its partitions definition: {r.span} "
                              f"({r.reason.detail.split(': ', 1)[-1].split(';')[0]}).") + "\n")


def _render_waiting(the_plan: Plan) -> None:
    """Failed or quarantined partitions left out, and why, so nobody wonders where they went."""
    for step in the_plan.waiting[:20]:
        sys.stdout.write(safe(f"Waiting: {ref(step.asset, step.key)}: {step.reason.detail}.") + "\n")
    if len(the_plan.waiting) > 20:
        sys.stdout.write(f"... and {len(the_plan.waiting) - 20} more waiting; `assets plan --json` lists them all.\n")


_ASSETS_LISTED = 12  # in the plan's last line; `assets plan --json` has them all


def render_plan(graph: AssetGraph, the_plan: Plan, schema_changes: Mapping[Reason, list[ColumnChange]] | None = None) -> None:
    """Consecutive partitions with the same cause are shown as one range; a cause whose
    upstream's schema changed says how (``schema_changes``, from :func:`plan_schema_changes`)."""
    if schema_changes:
        the_plan = replace(the_plan, steps=_with_schema_notes(the_plan.steps, schema_changes),
                           waiting=_with_schema_notes(the_plan.waiting, schema_changes))
    if not the_plan.steps:  # the no-op run's path: no rich import needed
        fresh = "everything else selected is fresh" if the_plan.waiting else "everything selected is fresh"
        sys.stdout.write(f"{'Nothing to compute' if the_plan.retire else 'Nothing to materialize'}: {fresh}.\n")
        _render_retire(the_plan)
        _render_waiting(the_plan)
        return
    from rich.table import Table

    from assets_core.reports.plan import step_ranges

    out = console()
    table = Table("asset", "partitions", "count", "cause", "detail")
    for r in step_ranges(graph, the_plan.steps):
        table.add_row(r.asset, r.keys, str(r.count), r.cause.value, r.detail)
    out.print(table)
    counts = list(the_plan.counts_by_asset().items())
    per_asset = ", ".join(f"{a} {n}" for a, n in counts[:_ASSETS_LISTED])
    if len(counts) > _ASSETS_LISTED:
        per_asset += f", and {len(counts) - _ASSETS_LISTED} more assets"
    out.print(f"{len(the_plan.steps)} partitions to materialize ({per_asset}).")
    _render_retire(the_plan)
    _render_waiting(the_plan)


@user_errors
def plan(
    selects: Selection = None,
    exclude: Exclusion = None,
    partitions: Annotated[str | None, typer.Option("--partitions", help="Keys: A..B ranges and comma lists.")] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Reference time (default: now).")] = None,
    retry_failed: Annotated[bool, typer.Option("--retry-failed", help="Also retry failed and quarantined partitions that nothing changed for.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    yes: Yes = False,
) -> None:
    """What `materialize` would run, with the cause of each partition."""
    from assets_core.planning.selection import make_plan
    select_ = selection(selects, exclude)

    now = parse_as_of(as_of)
    if partitions is None:  # what changed since the stored verdict; requested keys are judged as they are
        _, catalog, reading = open_reading(now)
        graph, snapshot = reading.graph, reading.snapshot
    else:
        _, graph, catalog, snapshot = open_context(reads_only=True)
    started = time.perf_counter()
    the_plan = make_plan(graph, snapshot, now, select_, partitions, retry_failed, limit=partition_limit(yes))
    elapsed = time.perf_counter() - started
    if partitions is None:
        reading.save()
    changes = plan_schema_changes(catalog, the_plan)
    if as_json:
        return print_json({"reference_time": the_plan.reference_time.isoformat(),
                           "planning_seconds": round(elapsed, 6), "steps": plan_rows(the_plan.steps, changes),
                           "waiting": plan_rows(the_plan.waiting, changes), "retire": retire_rows(the_plan)})
    render_plan(graph, the_plan, changes)


def _why_retired(spec: Any, snapshot: Any, key: str, as_json: bool) -> bool:
    """``why`` of a published partition the definition no longer holds: its retirement, said
    by the rule the plan applies (``rules.retired_reason``). False for any other key."""
    from assets_core.planning.rules import retired_reason

    state = snapshot.state(spec.name, key)
    reason = retired_reason(spec, key) if state is not None and state.is_published else None
    if reason is None:
        return False
    if as_json:
        print_json([{**_reason_row(spec.name, key, reason, None), "upstream_schema_changes": None}])
    else:
        console().print(f"{ref(spec.name, key)}: {reason.cause.value}: {reason.detail}")
    return True


@user_errors
def why(
    asset: Annotated[str, typer.Argument(help="Asset name.")],
    key: Annotated[str, typer.Argument(help="Partition key ('-' for an unpartitioned asset).")] = "-",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Why a partition is (or is not) due: the chain of causes down to the root."""
    from assets_core.execution.clock import utc_now
    from assets_core.planning.plan import explain
    from assets_core.reports.schema import upstream_schema_changes, with_schema_note

    now = utc_now()
    _, catalog, reading = open_reading(now)
    graph, snapshot = reading.graph, reading.snapshot
    spec = graph.require(asset)
    if key not in ("-", "") and _why_retired(spec, snapshot, key, as_json):
        return
    if spec.partitions is None and key not in ("-", ""):
        raise UsageError(f"'{asset}' is not partitioned: ask `assets why {asset}`, without a key.")
    if spec.partitions is not None and key in ("-", ""):
        example = next(iter(spec.partitions.keys(utc_now())[-1:]), None)
        hint = f", e.g. `assets why {asset} {example}`" if example else ""
        raise UsageError(f"'{asset}' is {spec.partitions.describe()}: name one of its partitions{hint}.")
    key = "" if spec.partitions is None else key
    check_key(spec, key)
    chain = explain(graph, snapshot, asset, key, now)
    reading.save()
    changes = upstream_schema_changes(catalog, (reason for _, _, reason in chain if reason is not None))
    if as_json:
        return print_json([
            {"asset": name, "partition": k, "cause": None, "detail": None, "upstream": None,
             "upstream_schema_changes": None} if reason is None else _reason_row(name, k, reason, changes)
            for name, k, reason in chain
        ])
    out = console()
    for depth, (name, k, reason) in enumerate(chain):
        indent = "  " * depth + ("<- " if depth else "")
        if reason is None:
            state = snapshot.state(name, k)
            if depth == 0:
                out.print(f"{indent}{ref(name, k)} is fresh.")
            elif state is not None and state.is_published:
                out.print(f"{indent}{ref(name, k)} is fresh: republished by run {state.last_run} "
                          f"at {state.published_at} as version {str(state.data_version)[:10]} (root cause).")
            else:
                out.print(f"{indent}{ref(name, k)}")
        else:
            out.print(f"{indent}{ref(name, k)}: {reason.cause.value}: {with_schema_note(reason, changes)}")
