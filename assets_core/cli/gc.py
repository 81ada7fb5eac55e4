"""``assets gc``: delete what crashed runs left behind in the data directory."""

from __future__ import annotations

from typing import Annotated

import typer

from assets_core.cli.output import console, open_context, print_json, user_errors


@user_errors
def gc(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Delete garbage a crash left: objects in the bucket no catalog entry names, and staging of dead runs."""
    from assets_core.execution.runs import live_run_ids
    from assets_core.execution.stores import open_storage, run_is_finished

    project, graph, catalog, _ = open_context()
    running = live_run_ids(catalog)  # runs whose process died are marked interrupted first
    storage = open_storage(project, catalog=catalog)
    try:
        storage.discard_dead_staging(running)
        removed: list[str] = []
        if storage.remote is not None:
            assets = sorted(name for name, spec in graph.specs.items() if spec.io == "parquet")
            removed = storage.remote.collect_garbage(assets, run_is_finished(catalog))
    finally:
        storage.close()
    where = project.data_url or str(project.data_dir)
    if as_json:
        return print_json({"data_dir": where, "removed": removed})
    out = console()
    for url in removed:
        out.print(f"removed {url}")
    out.print(f"{len(removed)} object{'s' if len(removed) != 1 else ''} removed from {where}.")
