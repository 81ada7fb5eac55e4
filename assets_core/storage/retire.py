"""Removing retired partitions from the published location, as atomically as publishing them.

A retired partition is one whose key the asset's partitions definition no longer holds. Its
data leaves the published location in one step a reader sees whole:

- Parquet: each partition's folder (``<asset>/partition_key=<key>/``, or an unpartitioned
  asset's ``<asset>/data.parquet``) is moved by one ``os.replace`` under the run's staging
  folder (``.staging/<run_id>/.retired/``), which the end of the run, or the next run when
  this one dies, deletes. A glob reader sees the partition whole or not at all.
- DuckDB: one transaction deletes the rows of every retired key of the asset (an
  unpartitioned asset's retirement drops its table), or none of them.

The fault point ``retire`` is inside that step: after the data left (Parquet: the last
folder moved) and before the catalog records it. Removing what is already gone does
nothing, so a retirement killed at any point is simply done again by the next run.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from assets_core.errors import StorageError
from assets_core.partitions import UNPARTITIONED
from assets_core.storage.store import KEY_COLUMN, Storage

RETIRED_FOLDER = ".retired"
"""Under a run's staging folder: not an asset name (those are identifiers)."""


def remove_partitions(storage: Storage, asset: str, io: str, keys: Sequence[str], run_id: str) -> None:
    """Remove the published data of ``keys`` of ``asset``; what is not there is skipped."""
    if io == "duckdb":
        _delete_rows(storage, asset, keys)
    else:
        _move_folders(storage, asset, keys, run_id)


def _move_folders(storage: Storage, asset: str, keys: Sequence[str], run_id: str) -> None:
    aside = storage.staging_dir(run_id) / RETIRED_FOLDER / asset
    for i, key in enumerate(keys):
        source = storage.parquet_path(asset, key)
        if key != UNPARTITIONED:
            source = source.parent  # the partition's folder, with whatever it holds
        if not source.exists():
            continue
        target = aside / (source.name if key == UNPARTITIONED else f"{i}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(source, target)
        except OSError as exc:
            raise StorageError(
                f"Cannot retire {asset}[{key}]: moving {source} aside failed ({exc.strerror or exc}); "
                "check that the data directory is writable, the next run tries again."
            ) from None
    if keys:
        storage.fault("retire", asset, keys[-1])  # every folder moved aside, nothing recorded yet


def _delete_rows(storage: Storage, asset: str, keys: Sequence[str]) -> None:
    import duckdb
    from sqlglot import exp

    if not storage.warehouse_path.exists():
        return
    table = exp.to_identifier(asset, quoted=True).sql("duckdb")
    db = storage.warehouse()
    try:
        # The catalog holds published partitions of it: the table is the asset's (made before
        # tables were marked, perhaps). Gone: nothing of it left to retire.
        if not db.execute("SELECT 1 FROM duckdb_tables() WHERE schema_name = 'main' AND lower(table_name) = lower(?)",
                          [asset]).fetchall():
            return
        db.execute("BEGIN TRANSACTION")
        try:
            if UNPARTITIONED in keys:
                db.execute(f"DROP TABLE {table}")
            else:
                db.execute(f"DELETE FROM {table} WHERE list_contains(?, {KEY_COLUMN})", [list(keys)])
            storage.fault("retire", asset, keys[-1])
            db.execute("COMMIT")
            storage._table_columns.pop(asset, None)  # its columns, as this process knew them, may be gone
        except BaseException:
            db.execute("ROLLBACK")
            raise
    except duckdb.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise StorageError(
            f"Cannot retire {len(keys)} partitions of {asset} from the DuckDB table ({first}); its rows are "
            "unchanged, the next run tries again."
        ) from None
    finally:
        db.close()
