"""The published data itself: its rows (``assets show``)."""

from __future__ import annotations

import sys
from enum import Enum
from typing import Annotated, Any

import typer

from assets_core.cli.output import check_key, choice, console, open_context, ref, row_count, user_errors
from assets_core.errors import AssetsCoreError


class ShowFormat(str, Enum):
    """``assets show --format``."""

    table = "table"
    csv = "csv"
    json = "json"


@user_errors
def show(
    asset: Annotated[str, typer.Argument(help="Asset name.")],
    partition: Annotated[str | None, typer.Option("--partition", help="One partition (default: all published).")] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=0, help="Rows to print.")] = 20,
    fmt: Annotated[ShowFormat, typer.Option("--format", parser=choice(ShowFormat, "--format"),
                                            help="table, csv or json.")] = ShowFormat.table,
) -> None:
    """The published rows of an asset."""
    from assets_core.execution.stores import open_storage

    project, graph, catalog, snapshot = open_context()
    spec = graph.require(asset)
    from assets_core.planning.rules import retired_reason

    # Keys the definition no longer holds are not shown: the next materialize retires them.
    published = [k for k, s in snapshot.partitions.get(asset, {}).items()
                 if s.is_published and retired_reason(spec, k) is None]
    if partition is not None:
        check_key(spec, partition)
        if partition not in published:
            raise AssetsCoreError(f"{ref(asset, partition)} is not published: `assets materialize --select {asset} --partitions {partition}`.")
        keys = [partition]
    else:
        if not published:
            raise AssetsCoreError(f"'{asset}' has no published partition: run `assets materialize --select +{asset}`.")
        keys = spec.partitions.sort_keys(published) if spec.partitions else published
    storage = open_storage(project, catalog=catalog)
    everything = _in_key_order(storage.read(asset, spec.io, keys, with_key=len(keys) > 1, read_only=True), keys)
    storage.close()
    frame = everything.head(min(limit, sys.maxsize))
    if fmt is ShowFormat.csv:
        sys.stdout.write(frame.write_csv())
    elif fmt is ShowFormat.json:  # a DECIMAL (a DuckDB sum()) as a JSON number, not the text polars writes
        import polars as pl

        sys.stdout.write(frame.with_columns(pl.col(pl.Decimal).cast(pl.Float64)).write_json() + "\n")
    else:
        from rich.table import Table

        table = Table(*frame.columns)
        for row in frame.iter_rows():
            table.add_row(*("" if v is None else str(v) for v in row))
        out = console()
        out.print(table)
        out.print(f"{frame.height} of {row_count(everything.height)} rows")


def _in_key_order(frame: Any, keys: list[str]) -> Any:
    """Rows by partition key, in the partitions' order (a DuckDB table holds them in the order
    they were written), each partition's rows as they were published."""
    import polars as pl

    from assets_core.storage.store import KEY_COLUMN

    if len(keys) < 2 or KEY_COLUMN not in frame.columns:
        return frame
    rank = pl.col(KEY_COLUMN).replace_strict(keys, list(range(len(keys))), default=len(keys))
    return frame.sort(rank, maintain_order=True)
