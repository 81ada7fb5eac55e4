"""``assets logs RUN_ID [ASSET [KEY]]``: what the attempts of a run logged, printed and raised,
as the catalog keeps them (``execution.capture``), and the short form ``runs show`` prints
under a failed attempt."""

from __future__ import annotations

import difflib
import shlex
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assets_core.cli.output import (
    open_catalog,
    open_project,
    print_json,
    ref,
    safe,
    user_errors,
)
from assets_core.errors import UsageError

if TYPE_CHECKING:
    from assets_core.catalog import AttemptLogs, Catalog, Materialization

TAIL_RECORDS = 5
"""Log records ``runs show`` prints under a failed attempt (the last ones)."""
FAILED_SHOWN = 10
"""Failed attempts ``runs show`` prints the traceback of."""


def resolve_run(catalog: Catalog, run_id: str) -> str:
    """The one run whose id starts with ``run_id``, as ``runs show`` takes it."""
    matches = catalog.run_ids_like(run_id)
    if len(matches) != 1:
        hint = "`assets runs` lists them" if not matches else f"it matches {len(matches)} runs; give more characters"
        raise UsageError(f"No single run '{run_id}': {hint}.")
    return matches[0]


@user_errors
def logs(
    run_id: Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")],
    asset: Annotated[str | None, typer.Argument(help="Only this asset's attempts.")] = None,
    key: Annotated[str | None, typer.Argument(help="Only this partition's attempts.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """What each attempt of a run logged, printed to stdout and stderr, and its traceback."""
    catalog = open_catalog(open_project())
    run = resolve_run(catalog, run_id)
    attempts = catalog.materializations(run_id=run)
    _check_names(run, attempts, asset, key)
    logged = catalog.attempt_logs(run, asset, key)
    if as_json:
        return print_json({"run_id": run, "attempts": [attempt_json(a) for a in logged]})
    wanted = [a for a in attempts if (asset is None or a.asset == asset) and (key is None or a.partition == key)]
    out = sys.stdout
    for a in logged:
        out.write(safe(_heading(a)) + "\n")
        assert a.logs is not None
        for title, text in _parts(a.logs):
            out.write(f"  {title}:\n" + safe(_indent(text, "    ")) + "\n")
    silent = len(wanted) - len(logged)
    if silent:
        which = f" of {ref(asset, key or '')}" if asset else ""
        out.write(f"{silent} of {len(wanted)} attempts{which} in run {run} logged nothing "
                  "(no records, no output, no traceback).\n")


def attempt_json(a: Materialization) -> dict[str, Any]:
    """One attempt's logs as ``assets logs --json`` prints them."""
    logs = a.logs
    assert logs is not None
    return {"asset": a.asset, "partition": a.partition, "attempt": a.attempt, "status": a.status,
            "started_at": a.started_at, "ended_at": a.ended_at, "error": a.error,
            "records": [r.model_dump() for r in logs.records], "stdout": logs.stdout, "stderr": logs.stderr,
            "traceback": logs.traceback}


def _check_names(run: str, attempts: list[Materialization], asset: str | None, key: str | None) -> None:
    """An asset or key the run has no attempt of is a usage error naming the closest one."""
    if asset is None:
        return
    names = sorted({a.asset for a in attempts})
    if asset not in names:
        close = difflib.get_close_matches(asset, names, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else f" It computed {', '.join(names[:5]) or 'nothing'}."
        raise UsageError(f"Run {run} has no attempt of '{asset}'.{hint}")
    if key is None:
        return
    keys = sorted({a.partition for a in attempts if a.asset == asset})
    if key not in keys:
        close = difflib.get_close_matches(key, keys, n=1)
        hint = f" Did you mean '{close[0]}'?" if close else f" Its partitions in that run: {', '.join(keys[:5])}."
        raise UsageError(f"Run {run} has no attempt of {asset}[{key}].{hint}")


def _heading(a: Materialization) -> str:
    error = f": {a.error}" if a.error else ""
    return f"{ref(a.asset, a.partition)} attempt {a.attempt} {a.status}{error}"


def _parts(logs: AttemptLogs, records: int | None = None) -> list[tuple[str, str]]:
    """(title, text) of each part an attempt has: its log (the last ``records`` of it), stdout,
    stderr, traceback."""
    parts: list[tuple[str, str]] = []
    kept = logs.records if records is None else logs.records[-records:]
    if kept:
        parts.append(("log", "\n".join(f"{r.time} {r.level} {r.message}" for r in kept)))
    if records is None:
        parts.extend((title, text) for title, text in (("stdout", logs.stdout), ("stderr", logs.stderr)) if text)
    if logs.traceback:
        parts.append(("traceback", logs.traceback))
    return parts


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.rstrip("\n").splitlines())


def print_failed_tails(run: str, logged: list[Materialization]) -> None:
    """Under ``runs show``'s table: per failed attempt that said something (the first
    :data:`FAILED_SHOWN`), the end of its log and its traceback, and the command for the rest."""
    failed = [a for a in logged if a.status in ("failed", "retried") and a.logs is not None]
    if len(failed) > FAILED_SHOWN:
        sys.stdout.write(f"\n{len(failed)} failed attempts logged something; the first {FAILED_SHOWN} below, "
                         f"all of them: `assets logs {run}`\n")
    for a in failed[:FAILED_SHOWN]:
        assert a.logs is not None
        sys.stdout.write("\n" + safe(_heading(a)) + "\n")
        shown = _parts(a.logs, TAIL_RECORDS)
        for title, text in shown:
            more = len(a.logs.records) - TAIL_RECORDS
            label = f"log (last {TAIL_RECORDS} of {len(a.logs.records)} records)" if title == "log" and more > 0 else title
            sys.stdout.write(f"  {label}:\n" + safe(_indent(text, "    ")) + "\n")
        key = f" {shlex.quote(a.partition)}" if a.partition else ""
        sys.stdout.write(safe(f"  all of it: `assets logs {run} {shlex.quote(a.asset)}{key}`") + "\n")
