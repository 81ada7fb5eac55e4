"""``assets report``: the self-contained HTML report, written from the definitions and the catalog."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated

import typer

from assets_core.cli.output import Exclusion, Selection, console, open_context, selection, user_errors
from assets_core.errors import AssetsCoreError


@user_errors
def report(
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")] = Path("report.html"),
    selects: Selection = None,
    exclude: Exclusion = None,
) -> None:
    """Write one HTML file (no network needed to view it): the graph coloured by status,
    every partition, and each asset's page with its checks and runs."""
    from assets_core.execution.clock import utc_now
    from assets_core.graph import select
    from assets_core.reports.html.data import report_data
    from assets_core.reports.html.render import render
    select_ = selection(selects, exclude)

    project, graph, catalog, snapshot = open_context(reads_only=True)
    chosen = select(graph, select_)
    data = report_data(graph, snapshot, catalog, chosen, utc_now(), project.config.name, select_, project.root)
    size = write_atomically(output, render(data))
    partitions = sum(len(entry["strip"]) for entry in data["assets"])
    console().print(f"Wrote {output}: {len(data['assets'])} assets, {partitions} partitions, {size / 1024:.0f} KB.")


def write_atomically(path: Path, text: str) -> int:
    """Write ``text`` to ``path`` whole or not at all (a report attached half-written helps
    nobody); a folder that is missing or not writable is one line naming it."""
    folder = path.parent if str(path.parent) else Path(".")
    if folder.exists() and not folder.is_dir():
        raise AssetsCoreError(f"Cannot write {path}: {folder} is not a folder. Give another --output.")
    if not folder.is_dir():
        raise AssetsCoreError(f"Cannot write {path}: folder {folder} does not exist. Create it, or give another --output.")
    if path.is_dir():
        raise AssetsCoreError(f"Cannot write {path}: it is a folder. Give a file name, such as --output {path / 'report.html'}.")
    data = text.encode("utf-8")
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise AssetsCoreError(f"Cannot write {path}: {exc.strerror} in {folder}. Give another --output.") from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as exc:
        Path(temporary).unlink(missing_ok=True)
        raise AssetsCoreError(f"Cannot write {path}: {exc.strerror}. Give another --output.") from None
    return len(data)
