"""The project and its definitions, without the catalog: ``assets init``, ``assets list`` and
``assets lineage``."""

from __future__ import annotations

import json
import shutil
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any

import typer

from assets_core.cli.output import Exclusion, Selection, choice, console, open_project, print_json, selection, styled, user_errors
from assets_core.errors import AssetsCoreError, UsageError


def _template_dir() -> Path:
    package = Path(__file__).resolve().parents[1]  # assets_core/: the template is in it when installed
    for candidate in (package / "project_template", package.parent / "project_template"):
        if candidate.is_dir():
            return candidate
    raise AssetsCoreError("The project template is missing from this installation: reinstall assets-core.")


@user_errors
def init(directory: Annotated[Path, typer.Argument(help="Folder to create the project in.")]) -> None:
    """Create a working project from the bundled template, named after its folder."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} is a file, not a folder: pick a new folder for the project.")
    if directory.exists() and any(p.name != ".git" for p in directory.iterdir()):  # a fresh `git init` is fine
        raise UsageError(f"{directory} is not empty: pick a new folder for the project.")
    try:
        shutil.copytree(_template_dir(), directory, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("__pycache__", ".assets", "data"))
        config = directory / "assets.toml"
        name = json.dumps(directory.resolve().name)  # a TOML basic string
        config.write_text(config.read_text().replace('name = "my_project"', f"name = {name}", 1))
        (directory / ".gitignore").write_text("# The catalog and the published data: made by `assets materialize`.\n.assets/\ndata/\n")
    except OSError as exc:  # shutil.Error is one too
        reason = exc.strerror or str(exc).splitlines()[0]
        raise AssetsCoreError(f"Cannot create the project in {directory} ({reason}): pick a folder you can write.") from None
    console().print(f"Created project in {directory}. Next:\n  cd {directory}\n  assets materialize\n  assets status")


@user_errors
def list_assets(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """Assets with their kind, partitions and inputs; --json: every asset's definition, as
    `assets describe --json` gives it without the catalog's part."""
    from assets_core.project.loading import load_graph
    from assets_core.reports.describe import asset_definition

    project = open_project()
    # --json: the real definitions, as `describe` reads them (the cached manifest keeps only
    # the checks' names): the project's code is imported, the dicts themselves cost ~50 ms per 1,000 assets.
    graph = load_graph(project, use_manifest=not as_json)
    if as_json:
        return print_json([asset_definition(graph, name, project.root) for name in graph.order])
    from rich.table import Table

    table = Table("asset", "kind", "io", "partitions", "inputs", "group", "checks")
    for spec in (graph[name] for name in graph.order):
        table.add_row(spec.name, "source" if spec.is_source else spec.kind, spec.io, spec.partitions.describe() if spec.partitions else "unpartitioned",
                      ", ".join(spec.upstream) or "-", spec.group, str(len(spec.checks)))
    console().print(table)


class LineageFormat(str, Enum):
    """``assets lineage --format``."""

    tree = "tree"
    json = "json"
    mermaid = "mermaid"
    dot = "dot"


@user_errors
def lineage(
    asset: Annotated[str | None, typer.Argument(
        help="Asset name, or ASSET.COLUMN for one column's lineage (default: the whole project).")] = None,
    upstream: Annotated[bool, typer.Option("--upstream", help="Only what it reads.")] = False,
    downstream: Annotated[bool, typer.Option("--downstream", help="Only what reads it.")] = False,
    fmt: Annotated[LineageFormat, typer.Option("--format", parser=choice(LineageFormat, "--format"),
                                               help="tree, json, mermaid or dot.")] = LineageFormat.tree,
    columns: Annotated[bool, typer.Option("--columns", help="Column lineage: each column's upstream columns.")] = False,
    selects: Selection = None,
    exclude: Exclusion = None,
    partition: Annotated[str | None, typer.Option("--partition", help="What this published partition was built from, partition by partition.")] = None,
    depth: Annotated[int | None, typer.Option("--depth", help="With --partition: levels up (default: down to the sources).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output (--format json).")] = False,
) -> None:
    """Asset lineage, with the partition mapping of every edge: one asset's, or the project's
    graph; column lineage with --columns or ASSET.COLUMN; with --partition, the exact upstream
    partitions and versions one partition was built from."""
    select_ = selection(selects, exclude)
    if partition is not None:
        from assets_core.cli.lineage_partitions import partition_lineage

        if asset is None:
            raise UsageError("--partition needs an asset: `assets lineage ASSET --partition KEY`.")
        return partition_lineage(asset, partition, depth, as_json)
    if depth is not None:
        raise UsageError("--depth goes with --partition KEY: `assets lineage ASSET --partition KEY --depth N`.")
    if as_json:
        fmt = LineageFormat.json
    from assets_core.project.loading import load_graph

    directions = [d for d, on in (("upstream", upstream), ("downstream", downstream)) if on] or ["upstream", "downstream"]
    if asset is not None and (columns or "." in asset):
        from assets_core.cli import columns as column_lineage

        if select_ is not None:
            raise UsageError("--select narrows the whole project's graph: give an asset or --select, not both.")
        return column_lineage.show(asset, directions, fmt.value)
    if columns:
        raise UsageError("--columns needs an asset: `assets lineage ASSET --columns`.")
    graph = load_graph(open_project())
    if asset is None:
        if upstream or downstream:
            raise UsageError("--upstream and --downstream need an asset: `assets lineage ASSET --upstream`.")
        return _project_lineage(graph, select_, fmt)
    if select_ is not None:
        raise UsageError("--select narrows the whole project's graph: give an asset or --select, not both.")
    graph.require(asset)
    _asset_lineage(graph, asset, directions, fmt)


def _asset_lineage(graph: Any, asset: str, directions: list[str], fmt: LineageFormat) -> None:
    """One asset's trees, upstream and downstream (or one of them)."""
    from assets_core.reports.lineage import graph_lineage, lineage as build, members

    trees = {d: build(graph, asset, d) for d in directions}  # type: ignore[arg-type]
    if fmt is LineageFormat.json:
        return print_json({d: t.to_dict() for d, t in trees.items()})
    if fmt in (LineageFormat.mermaid, LineageFormat.dot):
        return _write_drawing(graph_lineage(graph, set().union(*(members(t) for t in trees.values()))), fmt)
    from rich.tree import Tree

    out = console()
    for direction, node in trees.items():
        root = Tree(styled(f"{asset} ({direction})", "bold"))

        def add(parent: Any, child: Any) -> None:
            spec = graph[child.asset]
            parts = spec.partitions.kind if spec.partitions else "unpartitioned"
            branch = parent.add(f"{child.asset} ({parts}, {child.mapping})")
            for grandchild in child.children:
                add(branch, grandchild)

        for child in node.children:
            add(root, child)
        out.print(root)


def _project_lineage(graph: Any, selection: str | None, fmt: LineageFormat) -> None:
    """The graph of the selected assets (all of them without ``--select``)."""
    from assets_core.graph import select
    from assets_core.reports.lineage import graph_lineage

    view = graph_lineage(graph, select(graph, selection))
    if fmt is LineageFormat.json:
        return print_json(view.to_dict())
    if fmt in (LineageFormat.mermaid, LineageFormat.dot):
        return _write_drawing(view, fmt)
    from rich.tree import Tree

    root = Tree(styled(f"{len(view.assets)} assets, {len(view.edges)} edges (each asset with what it reads)", "bold"))
    for node in view.assets:
        branch = root.add(styled(f"{node.asset} ({node.partitions})", "bold"))
        for edge in view.inputs_of(node.asset):
            branch.add(f"<- {edge.upstream} ({edge.mapping})")
    console().print(root)


def _write_drawing(view: Any, fmt: LineageFormat) -> None:
    from assets_core.reports.lineage import dot, mermaid

    sys.stdout.write((mermaid(view) if fmt is LineageFormat.mermaid else dot(view)) + "\n")
