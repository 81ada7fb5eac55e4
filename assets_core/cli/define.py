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

from assets_core.cli.output import choice, console, open_project, print_json, styled, user_errors
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
    shutil.copytree(_template_dir(), directory, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", ".assets", "data"))
    config = directory / "assets.toml"
    name = json.dumps(directory.resolve().name)  # a TOML basic string
    config.write_text(config.read_text().replace('name = "my_project"', f"name = {name}", 1))
    (directory / ".gitignore").write_text("# The catalog and the published data: made by `assets materialize`.\n.assets/\ndata/\n")
    console().print(f"Created project in {directory}. Next:\n  cd {directory}\n  assets materialize\n  assets status")


@user_errors
def list_assets(as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """Assets with their kind, partitions and inputs."""
    from assets_core.project.loading import load_graph

    graph = load_graph(open_project())
    rows = [
        {
            "asset": spec.name, "kind": spec.kind, "io": spec.io,
            "partitions": spec.partitions.describe() if spec.partitions else "unpartitioned",
            "inputs": list(spec.upstream), "group": spec.group, "checks": len(spec.checks),
        }
        for spec in (graph[name] for name in graph.order)
    ]
    if as_json:
        return print_json(rows)
    from rich.table import Table

    table = Table("asset", "kind", "io", "partitions", "inputs", "group", "checks")
    for row in rows:
        table.add_row(row["asset"], row["kind"], row["io"], row["partitions"], ", ".join(row["inputs"]) or "-",
                      row["group"], str(row["checks"]))
    console().print(table)


class LineageFormat(str, Enum):
    """``assets lineage --format``."""

    tree = "tree"
    json = "json"
    mermaid = "mermaid"


@user_errors
def lineage(
    asset: Annotated[str, typer.Argument(help="Asset name, or ASSET.COLUMN for one column's lineage.")],
    upstream: Annotated[bool, typer.Option("--upstream", help="Only what it reads.")] = False,
    downstream: Annotated[bool, typer.Option("--downstream", help="Only what reads it.")] = False,
    fmt: Annotated[LineageFormat, typer.Option("--format", parser=choice(LineageFormat, "--format"),
                                               help="tree, json or mermaid.")] = LineageFormat.tree,
    columns: Annotated[bool, typer.Option("--columns", help="Column lineage: each column's upstream columns.")] = False,
    partition: Annotated[str | None, typer.Option("--partition", help="What this published partition was built from, partition by partition.")] = None,
    depth: Annotated[int | None, typer.Option("--depth", help="With --partition: levels up (default: down to the sources).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="With --partition: machine-readable output.")] = False,
) -> None:
    """Asset lineage, with the partition mapping of every edge; column lineage with --columns
    or ASSET.COLUMN; with --partition, the exact upstream partitions and versions one
    partition was built from."""
    if partition is not None:
        from assets_core.cli.lineage_partitions import partition_lineage

        return partition_lineage(asset, partition, depth, as_json)
    if depth is not None or as_json:
        raise UsageError("--depth and --json go with --partition KEY; for the asset tree use --format json.")
    from assets_core.project.loading import load_graph
    from assets_core.reports.lineage import lineage as build, members, mermaid

    directions = [d for d, on in (("upstream", upstream), ("downstream", downstream)) if on] or ["upstream", "downstream"]
    if columns or "." in asset:
        from assets_core.cli import columns as column_lineage

        return column_lineage.show(asset, directions, fmt.value)
    graph = load_graph(open_project())
    graph.require(asset)
    trees = {d: build(graph, asset, d) for d in directions}  # type: ignore[arg-type]
    if fmt is LineageFormat.json:
        return print_json({d: t.to_dict() for d, t in trees.items()})
    if fmt is LineageFormat.mermaid:
        everything = set().union(*(members(t) for t in trees.values()))
        sys.stdout.write(mermaid(graph, everything) + "\n")
        return
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
