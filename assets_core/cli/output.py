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
    from rich.console import Console

    from assets_core.catalog import CatalogSnapshot, Run, Catalog
    from assets_core.graph import AssetGraph


class _State:
    """The global options, set by the app's callback before any command runs."""

    project: Path | None = None
    debug: bool = False


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
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")


def styled(text: str, style: str) -> Any:
    from rich.text import Text

    return Text(safe(text), style=style)


def number(n: int, colour: str) -> Any:
    """A count, coloured only when it is not zero."""
    return styled(str(n), colour if n else "")


def ref(asset: str, key: str) -> str:
    """``orders[2025-01-01]``, or ``orders`` for an unpartitioned asset."""
    return f"{asset}[{key}]" if key else asset


def run_json(run: Run, elapsed: float | None = None) -> dict[str, Any]:
    """A run as ``runs --json`` and ``materialize --json`` print it: every count present."""
    body: dict[str, Any] = run.model_dump()
    body["counts"] = {k: run.counts.get(k, 0) for k in ("published", "failed", "quarantined", "skipped", "up_to_date")}
    if elapsed is not None:
        body["seconds"] = round(elapsed, 3)
    return body


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


def _forget_missing_data(project: Any, graph: AssetGraph, snapshot: CatalogSnapshot) -> None:
    """Published data deleted from disk is missing in ``snapshot``; what the check found whole
    is remembered in ``.assets/presence.json`` (a cache: a damaged one is rebuilt)."""
    from assets_core.execution.presence import forget_missing_data
    from assets_core.storage.store import Storage

    path = project.root / ".assets" / "presence.json"
    try:
        seen = json.loads(path.read_text())
        if not isinstance(seen, dict):
            seen = {}
    except (OSError, ValueError):
        seen = {}
    before = dict(seen)
    forget_missing_data(graph, snapshot, Storage(project.data_dir, project.warehouse_path), seen)
    if seen != before:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            temporary = path.with_suffix(f".{os.getpid()}.tmp")
            temporary.write_text(json.dumps(seen))
            os.replace(temporary, path)
        except OSError:  # a read-only project still plans; the check runs whole next time
            pass


def open_context(
    full: bool = False, reads_only: bool = False, bind_keys: bool = True
) -> tuple[Any, AssetGraph, Catalog, CatalogSnapshot]:
    """The project, its graph (``full``: the real functions, not the cached manifest; bound
    to the catalog's dynamic keys unless ``bind_keys`` is false: the commands that edit the keys
    work even when the catalog holds a key refused now), its catalog, and a snapshot in which
    dead runs' leases mark their partitions interrupted and published data gone from disk is
    missing (:mod:`assets_core.execution.presence`)."""
    from assets_core.execution.runs import live_snapshot
    from assets_core.project.loading import load_graph

    project = open_project()
    graph = load_graph(project, use_manifest=not full)
    catalog = open_catalog(project)
    snapshot = live_snapshot(catalog)
    if snapshot.interrupted:  # a release killed half way: said as it is on disk before anything
        from assets_core.execution.quarantine import heal_releases

        if heal_releases(project, graph, catalog, snapshot):
            snapshot = live_snapshot(catalog)
    _forget_missing_data(project, graph, snapshot)
    # The snapshot and the plan live as long as the command and hold no cycles: the cyclic
    # garbage collector, walking them again and again, frees nothing (a sixth of a plan over
    # a million partitions). Set here, in the main thread before any worker starts, never in
    # the pure planner: the snapshot is frozen out of it; a command that only reads
    # (``reads_only``: status, plan, why), runs no user code and exits when it has printed
    # does without it, reference counting frees its garbage.
    gc.freeze()
    if reads_only:
        gc.disable()
    if not bind_keys:
        return project, graph, catalog, snapshot
    return project, graph.with_dynamic_keys(snapshot.dynamic_keys or {}), catalog, snapshot
