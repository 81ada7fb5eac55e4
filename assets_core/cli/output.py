"""What every command module shares: the console and JSON on stdout, styles, errors as one
line on stderr, choice options, and opening the project, its catalog and snapshot.

rich and the heavy parts of the engine are imported inside the functions that need them: a
no-op ``materialize`` or ``plan`` prints one plain line and should not pay for them.
"""

from __future__ import annotations

import functools
import gc
import json
import os
import re
import sys
from collections.abc import Callable
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from assets_core.errors import AssetsCoreError, UsageError

if TYPE_CHECKING:
    from datetime import datetime

    from assets_core.execution.incremental import Reading
    from rich.console import Console

    from assets_core.catalog import CatalogSnapshot, Run, Catalog
    from assets_core.graph import AssetGraph


class _State:
    """The global options, set by the app's callback before any command runs."""

    project: Path | None = None
    debug: bool = False
    quiet: bool = False
    """``--quiet``: commands print only errors and their final summary line."""


STATE = _State()
F = TypeVar("F", bound=Callable[..., Any])
E = TypeVar("E", bound=Enum)


# -- printing ------------------------------------------------------------------------------------


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""Control characters but tab and line feed (C0, DEL, C1): escape sequences that clear the
screen, set the window title or move the cursor."""


def safe(text: str) -> str:
    """User text (names, messages, values) as it may reach a terminal: each control character
    shown escaped (``\\x1b``), never sent.

    >>> safe("ok\x1b]0;title\x07")
    'ok\\x1b]0;title\\x07'
    """
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def console(stderr: bool = False) -> Console:
    from rich.console import Console
    from rich.text import Text

    class SafeConsole(Console):
        """Every string it renders (table cells too) goes through :func:`safe` first."""

        def render_str(self, text: str, **options: Any) -> Text:
            return super().render_str(safe(text), **options)

    # markup=False, emoji=False: user text such as "sales[us]", "[project]" or "user:x:1000"
    # is printed as written.
    made = SafeConsole(stderr=stderr, highlight=False, soft_wrap=True, markup=False, emoji=False)
    if not made.is_terminal:  # logs and pipes: wide enough that tables do not wrap
        made.width = int(os.environ.get("COLUMNS", "200"))
    return made


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=_jsonable) + "\n")


def _jsonable(value: Any) -> Any:
    """What ``json`` cannot write itself: a Decimal (a DuckDB ``sum()``) as a number, the rest as text."""
    from decimal import Decimal

    if isinstance(value, Decimal) and value.is_finite():
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)


def row_count(n: int) -> str:
    """``4``, ``12,345``, ``6.4 M``: a number of rows as a person reads it.

    >>> row_count(6_412_345), row_count(12_345), row_count(20)
    ('6.4 M', '12,345', '20')
    """
    for size, unit in ((10**9, "G"), (10**6, "M")):
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n:,}"


def styled(text: str, style: str) -> Any:
    from rich.text import Text

    return Text(safe(text), style=style)


def number(n: int, colour: str) -> Any:
    """A count, coloured only when it is not zero."""
    return styled(str(n), colour if n else "")


def ref(asset: str, key: str) -> str:
    """``orders[2025-01-01]``, or ``orders`` for an unpartitioned asset."""
    from assets_core.partitions import partition_ref

    return partition_ref(asset, key)


def run_json(run: Run, elapsed: float | None = None) -> dict[str, Any]:
    """A run as ``runs --json`` and ``materialize --json`` print it: every count present."""
    body: dict[str, Any] = run.model_dump()
    body["counts"] = {k: run.counts.get(k, 0) for k in ("published", "failed", "quarantined", "skipped", "up_to_date", "retired")}
    if elapsed is not None:
        body["seconds"] = round(elapsed, 3)
    return body


def run_duration(run: Run) -> str:
    """``1.2s``: from the run's recorded start to its end (``-`` while it runs), the same in
    ``runs``, ``runs show`` and the summary line of ``materialize``."""
    from datetime import datetime

    if not run.ended_at:
        return "-"
    seconds = (datetime.fromisoformat(run.ended_at) - datetime.fromisoformat(run.started_at)).total_seconds()
    return f"{seconds:.1f}s"


# -- errors --------------------------------------------------------------------------------------


def fail(exc: Exception) -> NoReturn:
    """A user mistake as red ``error:`` lines on stderr, then its exit code (1, or 2 for usage)."""
    err = console(stderr=True)
    for line in str(exc).splitlines() or ["error"]:
        err.print(styled("error:", "red"), line)
    raise typer.Exit(getattr(exc, "exit_code", 1)) from None


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
            fail(exc)
        except KeyboardInterrupt:
            if STATE.debug:
                raise
            console(stderr=True).print(
                styled("interrupted:", "red"),
                "the run is marked interrupted; `assets materialize` again resumes what is left.",
            )
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def choice(kind: type[E], flag: str) -> Callable[[Any], E]:
    """The parser of an enum option: a value that is none of its members is one ``error:``
    line with exit 2, like every usage error (typer's own message is a framed box).

    >>> typer.Option("--format", parser=choice(ShowFormat, "--format"))  # doctest: +SKIP
    """

    def parse(value: Any) -> E:
        if isinstance(value, kind):
            return value
        try:
            return kind(value)
        except ValueError:
            fail(UsageError(f"{flag} {value!r} is not one of {', '.join(str(m.value) for m in kind)}."))

    return parse


def check_key(spec: Any, key: str) -> None:
    """A partition key given on the command line: a bad one is a usage error (exit 2)."""
    from assets_core.errors import PartitionError

    if spec.partitions is not None:
        try:
            spec.partitions.check_key(key, spec.name)
        except PartitionError as exc:
            raise UsageError(str(exc)) from None


# -- selection options, shared by every command that takes --select -----------------------------

Selection = Annotated[list[str] | None, typer.Option(
    "--select", "-s", metavar="S", help="dbt-style selection: names, globs, +name, name+, @name, group:x, tag:x; "
                           "a space or a repeated -s is a union, a comma an intersection.")]
Exclusion = Annotated[list[str] | None, typer.Option(
    "--exclude", metavar="S", help="Leave out what this selects (the --select grammar; repeatable).")]
Yes = Annotated[bool, typer.Option(
    "--yes", help="Go on when the selection holds more partitions than the limit (see README).")]


def selection(selects: list[str] | None, excludes: list[str] | None) -> str | None:
    """The one selection expression of ``--select`` and ``--exclude`` as given, which the run
    records and ``--retry`` replays (``a b --exclude c``); None when neither was given.

    >>> select_ = selection(selects, exclude)   # doctest: +SKIP
    """
    from assets_core.graph import selection_expression

    return selection_expression(selects, excludes)


def partition_limit(yes: bool) -> int | None:
    """The most partitions ``--partitions`` may request without ``--yes`` (None: no limit)."""
    from assets_core.planning.selection import MAX_PARTITIONS

    return None if yes else MAX_PARTITIONS


# -- the project ---------------------------------------------------------------------------------


def open_project() -> Any:
    """The project of ``--project``, or found from the current folder upwards."""
    from assets_core.project.loading import find_project

    return find_project(explicit=STATE.project)


def open_catalog(project: Any) -> Catalog:
    from assets_core.catalog import open_catalog as open_backend

    return open_backend(project.config.catalog, project.root)


def open_context(
    full: bool = False, reads_only: bool = False, bind_keys: bool = True
) -> tuple[Any, AssetGraph, Catalog, CatalogSnapshot]:
    """The project, its graph (``full``: the real functions, not the cached manifest; bound
    to the catalog's dynamic keys unless ``bind_keys`` is false: the commands that edit the keys
    work even when the catalog holds a key refused now), its catalog, and a snapshot in which
    dead runs' leases mark their partitions interrupted and published data gone from disk is
    missing (:mod:`assets_core.execution.presence`)."""
    from assets_core.execution.incremental import read_whole
    from assets_core.project.loading import load_graph

    project = open_project()
    graph = load_graph(project, use_manifest=not full)
    catalog = open_catalog(project)
    bound, snapshot, _ = read_whole(project, graph, catalog, bind_keys=bind_keys)
    # The snapshot and the plan live as long as the command and hold no cycles: the cyclic
    # garbage collector, walking them again and again, frees nothing (a sixth of a plan over
    # a million partitions). Set here, in the main thread before any worker starts, never in
    # the pure planner: the snapshot is frozen out of it; a command that only reads
    # (``reads_only``: status, plan, why), runs no user code and exits when it has printed
    # does without it, reference counting frees its garbage.
    gc.freeze()
    if reads_only:
        gc.disable()
    return project, bound, catalog, snapshot  # bound is the graph itself without bind_keys


def open_reading(now: datetime, summaries: bool = False) -> tuple[Any, Catalog, Reading]:
    """The project, its catalog and what ``plan``, ``status`` and ``why`` read at ``now``:
    only what changed since the stored verdict, when it holds (:mod:`assets_core.execution.incremental`)."""
    from assets_core.execution.incremental import read_for_planning
    from assets_core.project.loading import load_graph

    project = open_project()
    catalog = open_catalog(project)
    reading = read_for_planning(project, load_graph(project, use_manifest=True), catalog, now, summaries)
    gc.freeze()  # as open_context does for a command that only reads: see there
    gc.disable()
    return project, catalog, reading


# -- tables that fit the terminal ----------------------------------------------------------------


class Col:
    """A column of :func:`fitted_table`. ``whole``: ids and names, never cut nor folded (a
    person copies them into the next command); ``drop``: left out when the table does not fit,
    higher first (0: never). Other columns wrap at spaces."""

    def __init__(self, header: str, whole: bool = False, drop: int = 0, justify: str = "left", zero: bool = False) -> None:
        self.header, self.whole, self.drop, self.justify = header, whole, drop, justify
        self.zero = zero
        """A count that is 0 in every row: left out before any other column, said as such."""


def _least_width(col: Col, cells: list[str]) -> int:
    """A column's least width: the whole text of a ``whole`` column; else its longest word,
    up to 10 (a longer word, a timestamp, folds)."""
    from rich.cells import cell_len

    if col.whole:
        return max([cell_len(col.header), *map(cell_len, cells)])
    words = [w for c in [col.header, *cells] for w in c.split()] or [""]
    return max(3, min(10, max(map(cell_len, words))))


def _plain(cell: Any) -> str:
    return cell if isinstance(cell, str) else str(getattr(cell, "plain", cell))


def fitted_table(out: Console, columns: list[Col], rows: list[list[Any]]) -> tuple[Any, list[str]] | None:
    """A rich table as wide as ``out`` allows, and the headers of the columns left out for it;
    None when even without them it does not fit (print the rows as records then).

    While the least widths do not fit, the droppable column of highest ``drop`` goes, ties by
    the rightmost."""
    from rich.table import Table

    least = [_least_width(col, [_plain(row[i]) for row in rows]) for i, col in enumerate(columns)]
    kept = list(range(len(columns)))

    def too_wide() -> bool:  # each column: its text, a space either side and a border; one more border
        return sum(least[i] + 3 for i in kept) + 1 > out.width

    def rank(i: int) -> tuple[bool, int, int]:
        return columns[i].zero, columns[i].drop, i

    while too_wide() and any(columns[i].drop or columns[i].zero for i in kept):
        kept.remove(max((i for i in kept if columns[i].drop or columns[i].zero), key=rank))
    if too_wide():
        return None
    table = Table()
    for i in kept:
        col = columns[i]
        table.add_column(col.header, justify=col.justify, no_wrap=col.whole,  # type: ignore[arg-type]
                         min_width=least[i] if col.whole else None, overflow="fold")
    for row in rows:
        table.add_row(*(row[i] for i in kept))
    return table, [columns[i].header for i in range(len(columns)) if i not in kept]


def print_fitted(out: Console, columns: list[Col], rows: list[list[Any]]) -> None:
    """:func:`fitted_table` printed, with a line naming the columns left out; on a terminal
    too narrow for it, one record per row: its whole columns on a line, then ``header value``
    pairs of the cells that are not empty, indented."""
    from rich.text import Text

    fitted = fitted_table(out, columns, rows)
    if fitted is not None:
        table, dropped = fitted
        out.print(table)
        zero = [c.header for c in columns if c.zero and c.header in dropped]
        cut = [h for h in dropped if h not in zero]
        notes = [f"{', '.join(zero)}: 0 in every row"] if zero else []
        notes += [f"{', '.join(cut)} left out to fit {out.width} columns; `--json` has every field"] if cut else []
        if notes:
            out.print(f"({'; '.join(notes)})")
        return
    for row in rows:
        out.print(Text("  ").join(styled(_plain(cell), "bold") for col, cell in zip(columns, row, strict=True) if col.whole))
        pairs = Text("  ").join(Text.assemble(f"{col.header} ", cell if isinstance(cell, Text) else safe(_plain(cell)))
                                for col, cell in zip(columns, row, strict=True) if not col.whole and _plain(cell))
        out.print(Text("  ") + pairs, soft_wrap=False)
