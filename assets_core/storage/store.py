"""Stage -> publish for Parquet files and DuckDB tables, quarantine, and reading published data.

Layout under the project's data directory::

    <asset>/partition_key=<key>/data.parquet   a published partition (Parquet assets)
    <asset>/data.parquet                       an unpartitioned Parquet asset
    warehouse.duckdb                           DuckDB assets: one table per asset, with a
                                               partition_key column for partitioned ones
    .staging/<run_id>/<asset>/<key>.parquet    staged output, scoped to the run and partition
    .quarantine/<asset>/<key>/<run_id>.parquet data that failed a blocking check

Every partition is staged as one Parquet file; its data version hashes that file's content
(``storage.versions``: computed from the frame being staged), so a Parquet and a DuckDB asset
holding the same rows have the same version. Publishing is one ``os.replace`` (Parquet) or
one DuckDB transaction, so a reader sees the old or the new partition, never a mix.

With ``data_dir = "s3://bucket/prefix"`` the Parquet assets live in a bucket instead
(``storage.remote``: an immutable object per published version, the catalog commit as the
switch); everything else above stays in the local ``data`` folder.
"""

from __future__ import annotations

import errno
import os
import shutil
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from assets_core.errors import DefinitionError, StorageError, TransientStorageError
from assets_core.partitions import UNPARTITIONED, partition_ref
from assets_core.storage.versions import content_version, frame_version

if TYPE_CHECKING:
    import duckdb
    import polars as pl

    from assets_core.storage.remote import RemoteParquet

KEY_COLUMN = "partition_key"
OWNED_TABLE = "published by assets-core"
"""The comment on each warehouse table an asset's publish made: a table without it (made by
hand, or by another tool) is never taken over."""
PARQUET_FILE = "data.parquet"
Fault = Callable[[str, str, str], None]
Fence = Callable[[Callable[[], Any]], Any]
"""Runs a publish's switch (the rename, the warehouse commit) and returns what it returns, or
refuses it: the run passes one that calls ``Catalog.fence`` with the partition's lease."""


def unfenced(switch: Callable[[], Any]) -> Any:
    return switch()


@dataclass(frozen=True)
class StagedPartition:
    asset: str
    key: str
    run_id: str
    path: Path
    rows: int
    bytes: int
    data_version: str
    schema: tuple[tuple[str, str, bool], ...]
    """Each column's name, polars type (as text) and whether it may hold nulls."""
    frame: pl.DataFrame | None = field(default=None, compare=False, repr=False)
    """The frame the staged file was written from, while this process holds it: a publish
    into the warehouse inserts it rather than decode the file again (same rows, same version).
    Never pickled: a worker process hands back the file."""

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(name for name, _, _ in self.schema)

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "frame": None}


# DuckDB warns that Arrow output of a DB-API result copies; for one partition that is cheapest.
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")


def _version_of(asset: str, key: str, staged: Path | pl.DataFrame) -> str:
    """The content version of a staged file, or of the frame just staged; or why there is none."""
    import pyarrow as pa

    try:
        return content_version(staged) if isinstance(staged, Path) else frame_version(staged)
    except (pa.ArrowException, OSError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise StorageError(
            f"The staged data of {partition_ref(asset, key)} cannot be read as Arrow to compute its data version ({first}): "
            "if a column has a type pyarrow does not read (Int128, UInt128), cast it (to Int64 or a Decimal)."
        ) from None


def frame_schema(frame: pl.DataFrame) -> tuple[tuple[str, str, bool], ...]:
    """The schema recorded for a partition staged from ``frame``. A polars column has no
    not-null constraint (the Parquet file polars writes declares every column nullable), so
    every column of a frame is nullable; a file staged as it is keeps what its schema declares."""
    return tuple((name, str(dtype), True) for name, dtype in frame.schema.items())


FULL_DISK = frozenset({errno.ENOSPC, errno.EDQUOT})


def _write_failed(what: str, exc: Exception) -> StorageError:
    """Why a file could not be written, as one line: a full disk may pass (transient), the rest
    (a read-only folder, a name too long, a type Parquet cannot hold) does not."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, OSError) and exc.errno in FULL_DISK:
        return TransientStorageError(f"{what}: the disk is full ({first}); free space, the partition is tried again.")
    if isinstance(exc, OSError):
        return StorageError(f"{what} ({type(exc).__name__}: {first}): check that the data directory is writable.")
    return StorageError(f"{what} ({type(exc).__name__}: {first}): return only columns Parquet can hold "
                        "(cast or drop Object columns).")


def _unopenable(path: Path, exc: Exception) -> StorageError:
    """Why DuckDB cannot open the warehouse: another process holding its lock passes once that
    process is done (transient); a file that is not a DuckDB database does not."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if "Could not set lock" in first or "Conflicting lock" in first:
        return TransientStorageError(
            f"Cannot open the DuckDB warehouse {path}: another process holds it ({first}); the partition is "
            "tried again, and planned again by the next run, once that process has closed it."
        )
    return StorageError(
        f"Cannot open the DuckDB warehouse {path} ({first}): the file is damaged or not a warehouse; move it "
        f"aside (mv {path.name} {path.name}.broken) and rebuild the DuckDB assets with "
        "`assets materialize --select ASSET --partitions ...`."
    )


def _slot(key: str) -> str:
    return key if key != UNPARTITIONED else "_all"


class Storage:
    """Where an asset's partitions live; one object per process, safe across threads."""

    def __init__(
        self, data_dir: Path, warehouse: Path, fault: Fault = lambda *_: None, remote: RemoteParquet | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.remote = remote
        """Where Parquet assets are published and read when they live in a bucket (None: ``data_dir``)."""
        self.warehouse_path = warehouse
        self.fault = fault
        self._warehouse: duckdb.DuckDBPyConnection | None = None
        self._warehouse_lock = threading.Lock()
        self._publish_lock = threading.Lock()  # DuckDB: one writing transaction at a time
        self._read_only = False
        self._table_columns: dict[str, set[str]] = {}  # DuckDB tables this process has seen
        self._made_dirs: set[Path] = set()

    # -- paths ---------------------------------------------------------------------------

    def parquet_path(self, asset: str, key: str) -> Path:
        if key == UNPARTITIONED:
            return self.data_dir / asset / PARQUET_FILE
        return self.data_dir / asset / f"{KEY_COLUMN}={key}" / PARQUET_FILE

    def staging_dir(self, run_id: str) -> Path:
        return self.data_dir / ".staging" / run_id

    def quarantine_path(self, asset: str, key: str, run_id: str) -> Path:
        return self.data_dir / ".quarantine" / asset / _slot(key) / f"{run_id}.parquet"

    def _mkdir(self, path: Path) -> None:
        if path not in self._made_dirs:
            path.mkdir(parents=True, exist_ok=True)
            self._made_dirs.add(path)

    # -- stage / publish / quarantine ----------------------------------------------------

    def stage(self, run_id: str, asset: str, key: str, data: pl.DataFrame) -> StagedPartition:
        if KEY_COLUMN in data.columns and key != UNPARTITIONED:
            raise DefinitionError([
                f"Asset '{asset}' returned a column named '{KEY_COLUMN}', which the engine writes for each "
                "partition (readers across partitions take it from the folder name, not the file): rename that column."
            ])
        import polars as pl

        path = self.staging_dir(run_id) / asset / f"{_slot(key)}.parquet"
        try:
            self._mkdir(path.parent)
            data.write_parquet(path, compression="snappy")
            size = path.stat().st_size
        except (OSError, pl.exceptions.PolarsError) as exc:
            if path.parent.is_dir():  # a partly written file
                path.unlink(missing_ok=True)
            raise _write_failed(f"{partition_ref(asset, key)} cannot be staged to {path}", exc) from exc
        # A copy (polars shares the columns): the rows the file holds, whatever the asset's code
        # later does in place to the frame it returned.
        return StagedPartition(
            asset, key, run_id, path, data.height, size, _version_of(asset, key, data), frame_schema(data), data.clone()
        )

    def staged_from_file(self, asset: str, key: str, run_id: str, path: Path) -> StagedPartition:
        """A Parquet file kept aside (quarantine) described as staged, to publish it as it is."""
        import polars as pl

        import pyarrow.parquet as pq

        frame = pl.scan_parquet(path, hive_partitioning=False)
        types = frame.collect_schema()
        declared = pq.read_schema(path)
        schema = tuple((name, str(dtype), declared.field(name).nullable) for name, dtype in types.items())
        rows = frame.select(pl.len()).collect().item()
        return StagedPartition(asset, key, run_id, path, rows, path.stat().st_size, _version_of(asset, key, path), schema)

    def publish(self, staged: StagedPartition, io: str, fence: Fence = unfenced) -> str:
        """Make the staged partition the published one, atomically; returns where it went.
        The switch itself (the rename, the warehouse's COMMIT, after its rows are written) runs
        inside ``fence``, which may refuse it by raising: then nothing is published."""
        if io == "duckdb":
            return self._publish_duckdb([staged], fence)
        if self.remote is not None:  # an immutable object: the catalog's record is the switch
            return self.remote.publish(staged, self.fault)
        target = self.parquet_path(staged.asset, staged.key)
        try:
            self._mkdir(target.parent)
        except OSError as exc:
            raise _write_failed(f"{partition_ref(staged.asset, staged.key)} cannot be published to {target}", exc) from exc
        self.fault("publish", staged.asset, staged.key)
        try:
            fence(lambda: os.replace(staged.path, target))
        except OSError as exc:
            raise _write_failed(f"{partition_ref(staged.asset, staged.key)} cannot be published to {target}", exc) from exc
        return str(target.relative_to(self.data_dir))

    def quarantine(self, staged: StagedPartition) -> Path:
        target = self.quarantine_path(staged.asset, staged.key, staged.run_id)
        try:
            self._mkdir(target.parent)
            os.replace(staged.path, target)
        except OSError as exc:
            raise _write_failed(f"{partition_ref(staged.asset, staged.key)} cannot be kept in quarantine at {target}", exc) from exc
        return target

    def discard_staging(self, run_id: str) -> None:
        shutil.rmtree(self.staging_dir(run_id), ignore_errors=True)

    def discard_dead_staging(self, live_runs: set[str]) -> None:
        """Staging left behind by runs that died; never published, so safe to remove."""
        root = self.data_dir / ".staging"
        if root.is_dir():
            for run_dir in root.iterdir():
                if run_dir.name not in live_runs:
                    shutil.rmtree(run_dir, ignore_errors=True)

    # -- DuckDB --------------------------------------------------------------------------

    def warehouse(self, read_only: bool = False) -> duckdb.DuckDBPyConnection:
        """The DuckDB file, opened once per process (DuckDB allows one writing process)."""
        import duckdb

        with self._warehouse_lock:
            if self._warehouse is None or (self._read_only and not read_only):
                if read_only and not self.warehouse_path.exists():
                    raise StorageError(f"No DuckDB warehouse at {self.warehouse_path}: materialize a DuckDB asset first.")
                self.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
                try:
                    self._warehouse = duckdb.connect(str(self.warehouse_path), read_only=read_only)
                except duckdb.Error as exc:
                    raise _unopenable(self.warehouse_path, exc) from None
                self._read_only = read_only
            return self._warehouse.cursor()

    def publish_group(self, group: list[StagedPartition], fence: Fence = unfenced) -> str:
        """Replace the rows of several partitions of one DuckDB asset in ONE transaction (a
        group commit), committed inside ``fence``: a reader sees every partition of the group
        old, or every one new, each whole. ``fence`` may refuse by raising: then nothing is
        published (the caller publishes again without the partitions it refused)."""
        if group[0].key == UNPARTITIONED:
            assert len(group) == 1, "an unpartitioned asset is one partition"
        return self._publish_duckdb(group, fence)

    def _publish_duckdb(self, group: list[StagedPartition], fence: Fence = unfenced) -> str:
        """Replace the partitions' rows in one transaction (one writer at a time), committed
        inside ``fence``."""
        import duckdb
        from sqlglot import exp

        first = group[0]
        table = exp.to_identifier(first.asset, quoted=True).sql("duckdb")
        db = self.warehouse()
        try:
            with self._publish_lock:
                db.execute("BEGIN TRANSACTION")
                try:
                    if first.key == UNPARTITIONED:
                        db.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM read_parquet(?)", [str(first.path)])
                        db.execute(f"COMMENT ON TABLE {table} IS '{OWNED_TABLE}'")
                        self.fault("publish", first.asset, first.key)
                    else:
                        for staged in group:
                            self._ensure_columns(db, table, staged)
                        db.execute(f"DELETE FROM {table} WHERE list_contains(?, {KEY_COLUMN})", [[s.key for s in group]])
                        for staged in group:
                            self.fault("publish", staged.asset, staged.key)
                        _insert_partitions(db, table, group)
                    fence(lambda: db.execute("COMMIT"))
                except BaseException:
                    db.execute("ROLLBACK")
                    raise
        except duckdb.Error as exc:
            what = partition_ref(first.asset, first.key) if len(group) == 1 else f"{len(group)} partitions of '{first.asset}'"
            line = str(exc).strip().splitlines()[0]
            if "No space left" in line or "Disk quota" in line:
                raise TransientStorageError(
                    f"Publishing {what} into the DuckDB table failed: the disk is full "
                    f"({line}); the published rows are unchanged. Free space: the partition is tried again."
                ) from None
            raise StorageError(
                f"Publishing {what} into the DuckDB table failed ({line}); the "
                "published rows are unchanged. If a column changed type, drop the table and rebuild the asset."
            ) from None
        finally:
            db.close()
        for staged in group:
            staged.path.unlink(missing_ok=True)
        return f"{self.warehouse_path.name}:{first.asset}"

    def unowned_tables(self, assets: set[str]) -> dict[str, str]:
        """Tables and views of the warehouse that no publish made, named like one of ``assets``
        (ignoring case, as DuckDB does): {asset: the table's name}. Opens no warehouse that
        does not exist."""
        if not assets or not self.warehouse_path.exists():
            return {}
        by_folded = {asset.casefold(): asset for asset in assets}
        db = self.warehouse()
        try:
            rows = db.execute(
                """SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'main'
                   UNION ALL SELECT view_name, NULL FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal"""
            ).fetchall()
        finally:
            db.close()
        return {by_folded[name.casefold()]: name for name, comment in rows
                if name.casefold() in by_folded and comment != OWNED_TABLE}

    def adopt_tables(self, assets: list[str]) -> None:
        """Mark the tables of ``assets`` as published by them (those of a version before the mark)."""
        from sqlglot import exp

        db = self.warehouse()
        try:
            for asset in assets:
                db.execute(f"COMMENT ON TABLE {exp.to_identifier(asset, quoted=True).sql('duckdb')} IS '{OWNED_TABLE}'")
        finally:
            db.close()

    def _ensure_columns(self, db: duckdb.DuckDBPyConnection, table: str, staged: StagedPartition) -> None:
        """Create the table on first publish; add columns a new code version introduced."""
        known = self._table_columns.get(staged.asset)
        if known is not None and known.issuperset(staged.columns):
            return
        source = [str(staged.path)]
        db.execute(
            f"CREATE TABLE IF NOT EXISTS {table} AS SELECT *, ''::VARCHAR AS {KEY_COLUMN} "
            "FROM read_parquet(?) LIMIT 0",
            source,
        )
        db.execute(f"COMMENT ON TABLE {table} IS '{OWNED_TABLE}'")
        existing = {row[0] for row in db.execute(f"DESCRIBE {table}").fetchall()}
        for name, kind, *_ in db.execute("DESCRIBE SELECT * FROM read_parquet(?)", source).fetchall():
            if name not in existing:
                from sqlglot import exp

                column = exp.to_identifier(name, quoted=True).sql("duckdb")
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
                existing.add(name)
        self._table_columns[staged.asset] = existing

    # -- reading published data ----------------------------------------------------------

    def published_files(self, asset: str, keys: list[str]) -> list[Path]:
        if self.remote is not None:
            return self.remote.local_files(asset, keys)
        paths = [self.parquet_path(asset, key) for key in keys]
        missing = next((p for p in paths if not p.exists()), None)
        if missing is not None:
            raise _missing_file(asset, missing)
        return paths

    def _opened(self, asset: str, keys: list[str]) -> list[IO[bytes]]:
        """Each published file of ``keys``, opened once. polars, pyarrow and DuckDB, handed a
        path, open it more than once per read, so a publish renaming a new version over it in
        between breaks the read (an error, or a panic in polars); handed an open file (polars
        duplicates its descriptor), they read the version it was when opened, to the end."""
        paths = (self.remote.local_files(asset, keys) if self.remote is not None  # immutable local copies
                 else [self.parquet_path(asset, key) for key in keys])
        files: list[IO[bytes]] = []
        try:
            for path in paths:
                try:
                    files.append(path.open("rb"))
                except FileNotFoundError:
                    raise _missing_file(asset, path) from None
                except OSError as exc:
                    raise _unreadable(asset, path, exc) from None
        except BaseException:
            _close(files)
            raise
        return files

    def read_column(self, asset: str, io: str, column: str) -> pl.Series:
        """One column over every published partition of ``asset`` (for referential checks)."""
        import polars as pl

        if io == "duckdb":
            from sqlglot import exp

            table = exp.to_identifier(asset, quoted=True).sql("duckdb")
            name = exp.to_identifier(column, quoted=True).sql("duckdb")
            db = self.warehouse()
            try:
                return pl.from_arrow(db.execute(f"SELECT {name} FROM {table}").to_arrow_table()).to_series()  # type: ignore[union-attr]
            finally:
                db.close()
        paths = (self.remote.all_files(asset) if self.remote is not None
                 else sorted((self.data_dir / asset).glob(f"**/{PARQUET_FILE}")))
        files: list[IO[bytes]] = []
        try:
            for path in paths:
                try:  # opened once: see _opened
                    files.append(path.open("rb"))
                except FileNotFoundError:  # removed since it was listed
                    continue
                except OSError as exc:
                    raise _unreadable(asset, path, exc) from None
            if not files:
                raise StorageError(f"'{asset}' has no published data to check against: materialize it first.")
            return pl.scan_parquet(files, hive_partitioning=False).select(column).collect().to_series()
        finally:
            _close(files)

    def input_query(self, asset: str, io: str, with_key: bool, param: str, partitioned: bool = True) -> str:
        """A DuckDB SELECT over published partitions of ``asset``, listed in ``$param``.

        The parameter is bound to :meth:`input_value` (file paths, or partition keys for
        DuckDB tables), so a query is rendered once per asset and reused for every partition.
        """
        from sqlglot import exp

        if io == "duckdb":
            table = f"main.{exp.to_identifier(asset, quoted=True).sql('duckdb')}"
            if not partitioned:
                return f"SELECT * FROM {table} WHERE len(${param}) > 0"
            columns = "*" if with_key else f"* EXCLUDE ({KEY_COLUMN})"
            return f"SELECT {columns} FROM {table} WHERE list_contains(${param}, {KEY_COLUMN})"
        if with_key and partitioned:
            options = f"hive_partitioning = true, hive_types = {{'{KEY_COLUMN}': VARCHAR}}"
        else:
            options = "hive_partitioning = false"
        return f"SELECT * FROM read_parquet(${param}, {options})"

    def input_value(self, asset: str, io: str, keys: list[str]) -> list[str]:
        return keys if io == "duckdb" else [str(p) for p in self.published_files(asset, keys)]

    def scan(self, asset: str, io: str, keys: list[str], with_key: bool, read_only: bool = False) -> pl.LazyFrame:
        """Published partitions as a polars LazyFrame (Parquet is scanned, not loaded)."""
        import polars as pl

        if io == "duckdb":
            db = self.warehouse(read_only=read_only)
            try:
                query = self.input_query(asset, io, with_key, "keys", partitioned=keys != [UNPARTITIONED])
                return pl.from_arrow(db.execute(query, {"keys": keys}).to_arrow_table()).lazy()  # type: ignore[union-attr]
            finally:
                db.close()
        files = self._opened(asset, keys)
        try:  # the frame holds its own descriptors: ours are closed at once
            if with_key and keys != [UNPARTITIONED] and files:
                return _with_keys(asset, files, keys)
            return pl.scan_parquet(files, hive_partitioning=False)
        finally:
            _close(files)

    def read(self, asset: str, io: str, keys: list[str], with_key: bool, read_only: bool = False) -> pl.DataFrame:
        """Published rows of ``keys``; ``with_key`` adds the partition key as a column."""
        import polars as pl

        try:
            return self.scan(asset, io, keys, with_key, read_only).collect(engine="in-memory")
        except (pl.exceptions.ComputeError, pl.exceptions.SchemaError, OSError) as exc:
            raise _not_readable(asset, exc) from None
        except Exception as exc:
            if io != "duckdb" or type(exc).__module__.split(".")[0] not in ("duckdb", "_duckdb"):
                raise
            # A DuckDB error (duckdb is not imported for Parquet assets): a table dropped,
            # replaced by a view, or its key column gone.
            first = str(exc).strip().splitlines()[0]
            kind = "VIEW" if self._is_view(asset) else "TABLE"  # DROP TABLE refuses a view
            raise StorageError(
                f"The warehouse {kind.lower()} of '{asset}' is not what its publishes made ({first}; changed by hand?): "
                f"drop it (DROP {kind} IF EXISTS \"{asset}\"), delete the warehouse file to rebuild every DuckDB "
                "asset, or restore it from a backup."
            ) from None

    def _is_view(self, asset: str) -> bool:
        """Whether the warehouse holds a view named ``asset`` (made by hand: a publish makes tables)."""
        db = self.warehouse(read_only=True)
        try:
            query = "SELECT count(*) FROM duckdb_views() WHERE schema_name = 'main' AND lower(view_name) = lower(?)"
            return bool(db.execute(query, [asset]).fetchone()[0])  # type: ignore[index]
        finally:
            db.close()

    def close(self) -> None:
        with self._warehouse_lock:
            if self._warehouse is not None:
                self._warehouse.close()
                self._warehouse = None


PLAIN_TYPES = frozenset({"Int8", "Int16", "Int32", "Int64", "UInt8", "UInt16", "UInt32", "UInt64", "Float32",
                         "Float64", "Boolean", "String", "Date"})


def is_plain(kind: str) -> bool:
    """Whether DuckDB reads a column of this polars type (as text) alike from polars' Arrow and
    from polars' Parquet file, and polars reads it back from that file as it was: numbers,
    booleans, text, dates and datetimes (of any unit and time zone). A staged frame of only
    such columns is used as it is; any other type is read from the staged file (a type whose
    Arrow and Parquet readings may differ never takes the shortcut)."""
    return kind in PLAIN_TYPES or kind.startswith("Datetime(")


def _insert_partitions(db: duckdb.DuckDBPyConnection, table: str, group: list[StagedPartition]) -> None:
    """INSERT the staged rows of every partition of ``group``, each tagged with its key: in one
    statement from the frames in memory when every one is held, of plain types and of one
    schema; otherwise one statement per partition from its staged file."""
    frames = [s.frame for s in group]
    schema = group[0].schema
    if all(f is not None for f in frames) and all(s.schema == schema for s in group) and all(
        is_plain(kind) for _, kind, _ in schema
    ):
        import polars as pl

        rows = pl.concat([f.with_columns(pl.lit(s.key, pl.String).alias(KEY_COLUMN))  # type: ignore[union-attr]
                          for s, f in zip(group, frames)], how="vertical", rechunk=False)
        db.register("__assets_core_staged", rows.to_arrow())
        try:
            db.execute(f"INSERT INTO {table} BY NAME SELECT * FROM __assets_core_staged")
        finally:
            db.unregister("__assets_core_staged")
        return
    for staged in group:
        db.execute(f"INSERT INTO {table} BY NAME SELECT *, ?::VARCHAR AS {KEY_COLUMN} FROM read_parquet(?)",
                   [staged.key, str(staged.path)])


def _not_readable(asset: str, exc: Exception) -> StorageError:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return StorageError(
        f"Published data of '{asset}' is not readable ({first}): delete what is left of it "
        f"(data/{asset}/ for Parquet) and `assets materialize --select {asset}` rebuilds it."
    )


def _missing_file(asset: str, path: Path) -> StorageError:
    return StorageError(
        f"Published file {path} of '{asset}' is missing: delete its folder ({path.parent}) "
        f"and `assets materialize --select {asset}` rebuilds it."
    )


def _unreadable(asset: str, path: Path, exc: OSError) -> StorageError:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if exc.errno in (errno.EMFILE, errno.ENFILE):
        return StorageError(f"Cannot open the published file {path} of '{asset}' ({first}): this read opens one "
                            "file per partition; raise the limit of open files (`ulimit -n`) or read fewer partitions.")
    return StorageError(f"Cannot open the published file {path} of '{asset}' ({first}): check that the data "
                        "directory is readable.")


_ROW = "__assets_core_row"


def _with_keys(asset: str, files: list[IO[bytes]], keys: list[str]) -> pl.LazyFrame:
    """The open files of ``keys`` scanned as one frame, with the partition key column hive
    partitioning gives (an open file has no folder name to take it from): each row's key is
    found from the files' row counts (their footers) and the scan's row index, which filters
    and slices pushed into the scan leave right. A query that does not use the key does not
    compute it."""
    import polars as pl
    import pyarrow as pa
    import pyarrow.parquet as pq

    ends, total = [], 0
    for handle in files:
        try:
            total += pq.read_metadata(handle).num_rows
        except (pa.ArrowException, OSError) as exc:
            raise _not_readable(asset, exc) from None
        handle.seek(0)
        ends.append(total)
    frame = pl.scan_parquet(files, hive_partitioning=False, row_index_name=_ROW)
    which = pl.lit(pl.Series(ends, dtype=pl.Int64)).search_sorted(pl.col(_ROW).cast(pl.Int64), side="right")
    key = pl.lit(pl.Series(KEY_COLUMN, keys, dtype=pl.String)).gather(which).alias(KEY_COLUMN)
    return frame.with_columns(key).drop(_ROW)


def _close(files: list[IO[bytes]]) -> None:
    for handle in files:
        handle.close()


def file_versions(paths: list[Path]) -> tuple[tuple[int, ...] | None, ...]:
    """What tells each file's version from the next one renamed over it (its inode, size and
    times), None for a missing file: a read by path that failed while this changed was
    broken by a concurrent publish, and is worth doing again."""
    versions: list[tuple[int, ...] | None] = []
    for path in paths:
        try:
            st = path.stat()
        except OSError:
            versions.append(None)
            continue
        versions.append((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns))
    return tuple(versions)


def to_polars(value: Any, asset: str) -> pl.DataFrame:
    """An asset's return value as a polars DataFrame, or a clear error naming the type."""
    import polars as pl

    if isinstance(value, pl.DataFrame):
        return value
    if isinstance(value, pl.LazyFrame):
        return value.collect()  # a user's lazy plan may be large: let polars pick the engine
    kind = type(value)
    module = kind.__module__.split(".")[0]
    if module == "pyarrow" and kind.__name__ == "Table":
        return pl.from_arrow(value)  # type: ignore[return-value]
    if module in ("duckdb", "_duckdb") and kind.__name__ == "DuckDBPyRelation":
        frame: pl.DataFrame = value.pl()
        return frame
    raise DefinitionError([
        f"Asset '{asset}' returned {kind.__module__}.{kind.__qualname__}: return a polars "
        "DataFrame or LazyFrame, a pyarrow Table or a DuckDB relation."
    ])
