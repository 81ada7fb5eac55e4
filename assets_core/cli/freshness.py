"""``assets freshness``: each asset's freshness state, its late and missing partitions, its
record over a period (``--history``), and alerts on change (``[hooks] on_freshness``).

It reads the catalog's freshness ledger, not the whole snapshot: an evaluation of a million
partitions must stay quick enough to run from cron every minute.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assets_core.cli.output import (
    Exclusion,
    Selection,
    choice,
    console,
    open_catalog,
    open_project,
    print_json,
    selection,
    styled,
    user_errors,
)
from assets_core.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable
    from datetime import datetime, timedelta

    from assets_core.reports.freshness import AssetFreshness
    from assets_core.reports.freshness_history import Compliance


class FailOn(str, Enum):
    """``assets freshness --fail-on``."""

    warn = "warn"
    error = "error"


_COLOURS = {"pass": "green", "warn": "yellow", "error": "red", "unknown": ""}


@user_errors
def freshness(
    selects: Selection = None,
    exclude: Exclusion = None,
    partitions: Annotated[bool, typer.Option("--partitions", help="List late and missing partitions, grouped into ranges.")] = False,
    as_of: Annotated[str | None, typer.Option("--as-of", metavar="T", help="Reference time (default: now).")] = None,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", parser=choice(FailOn, "--fail-on"),
                                            help="Exit 1 when an asset reaches this state: warn or error.")] = FailOn.error,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    history: Annotated[bool, typer.Option("--history", help="Each asset's record from the ledger: share on time, lateness, streaks.")] = False,
    since: Annotated[str, typer.Option("--since", help="With --history: how far back, a duration such as 30d.")] = "30d",
) -> None:
    """Evaluate each asset's freshness policy: pass, warn, error or unknown, with its lag and
    reason. Exit 1 when one reaches --fail-on (default error)."""
    from assets_core.cli.plan import parse_as_of
    from assets_core.graph import select
    from assets_core.project.loading import load_graph

    select_ = selection(selects, exclude)
    now = parse_as_of(as_of)
    project = open_project()
    catalog = open_catalog(project)
    graph = load_graph(project, use_manifest=True).with_dynamic_keys(catalog.dynamic_keys())
    names = select(graph, select_)
    if history:
        return _history(catalog, graph, names, now, _since(since, now), as_json)
    from assets_core.execution.freshness_alerts import claim_transitions, send_alerts
    from assets_core.reports.freshness import due_rows, evaluate_freshness, read_facts

    results = evaluate_freshness(graph, read_facts(catalog, graph, names, now, late_rows=partitions), names, now)
    catalog.record_due(due_rows(results))
    alerts = send_alerts(project, claim_transitions(catalog, project.config.name, results, now))
    if as_json:
        print_json([_entry(r, partitions) for r in results])
    else:
        _render(results, partitions)
    if alerts.problems:  # (rich is imported only to say something)
        err = console(stderr=True)
        for problem in alerts.problems:
            err.print(styled("warning:", "yellow"), problem)
    if any(r.reaches(fail_on.value) for r in results):
        raise typer.Exit(1)


def _since(text: str, now: datetime) -> datetime:
    from assets_core.definitions.freshness import parse_duration
    from assets_core.errors import DefinitionError

    try:
        return now - parse_duration(text)
    except DefinitionError:
        raise UsageError(f"--since {text!r} is not a duration: write it like 30d, 12h or 2w.") from None


def _entry(result: AssetFreshness, partitions: bool) -> dict[str, Any]:
    body = result.to_json()
    if not partitions:  # a million late partitions are not printed unless asked for
        body["partitions"] = body["ranges"] = None
    return body


def _render(results: list[AssetFreshness], partitions: bool) -> None:
    from assets_core.definitions.freshness import human_duration, policy_summary
    from assets_core.reports.freshness import late_ranges

    out = console()
    if not results:
        out.print("No asset has a freshness policy.")
    for r in results:
        out.print(styled(f"{r.state:<7}", _COLOURS[r.state]), f"{r.asset}: {r.reason} ({policy_summary(r.policy)})")
        if not partitions:
            continue
        for span in late_ranges(r.late):
            first, last = span["first"], span["last"]
            keys = first if first == last else f"{first}..{last}"
            worst = max(p.lateness for p in r.late if p.status == span["status"])
            what = "published late" if span["status"] == "late" else "missing"
            out.print(f"    {what} {keys} ({span['count']}), up to {human_duration(worst)} past due")


def _history(catalog: Any, graph: Any, names: Iterable[str], now: datetime, since: datetime, as_json: bool) -> None:
    from assets_core.definitions.deadlines import utc_text
    from assets_core.reports.freshness_history import compliance

    judged = [n for n in graph.order if n in set(names) and graph[n].freshness is not None]
    rows = catalog.ledger_history(judged, utc_text(since))
    records = [compliance(name, rows.get(name, []), since, now) for name in judged]
    if as_json:
        return print_json([r.to_json() for r in records])
    _render_history(records, since)


def _render_history(records: list[Compliance], since: datetime) -> None:
    from assets_core.cli.output import Col, print_fitted
    from assets_core.definitions.freshness import human_duration

    out = console()
    if not records:
        out.print("No asset has a freshness policy.")
        return

    def duration(delta: timedelta | None) -> str:
        return "-" if delta is None else human_duration(delta)

    rows = [[r.asset, str(r.due), "-" if r.on_time_share is None else f"{r.on_time_share:.0%}",
             duration(r.lateness_p50), duration(r.lateness_p95), duration(r.lateness_max),
             str(r.longest_late_streak), r.sparkline,
             ", ".join(f"{p} ({human_duration(d)})" for p, _, d in r.worst[:3])] for r in records]
    out.print(f"Since {since.isoformat(timespec='seconds')}:")
    print_fitted(out, [Col("asset", whole=True), Col("due", justify="right"), Col("on time", justify="right"),
                       Col("p50", justify="right"), Col("p95", justify="right"), Col("max", justify="right"),
                       Col("late streak", justify="right"), Col("trend", drop=2), Col("worst", drop=1)], rows)
