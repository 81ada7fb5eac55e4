"""Data versions hash a partition's content: the same rows written by other writers, with other
metadata, row groups or compression, read in any batches, have one version; any change to a
value, a name, a type, the column order or the row count gives another."""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from polars.testing.parametric import dataframes

from assets_core.errors import StorageError
from assets_core.storage.store import Storage
from assets_core.storage.versions import (
    content_version,
    frame_version,
    schema_text,
    version_of_batches,
)

FRAME = pl.DataFrame({
    "order_id": [1, 2, 3, 4, 5, 6, 7],
    "customer": ["ann", None, "bo", "", "ann", "cy", "ann"],
    "amount": [9.5, 1.25, None, 0.0, -3.0, 1e9, 2.5],
    "paid": [True, False, None, True, True, False, True],
    "day": [dt.date(2025, 1, d) for d in range(1, 8)],
    "at": [dt.datetime(2025, 1, 1, h, tzinfo=dt.UTC) for h in range(7)],
    "price": [Decimal("1.10"), Decimal("2.00"), None, Decimal("0.01"), Decimal("3.30"), Decimal("4.00"), None],
    "tags": [["a", "b"], [], None, ["c"], [None, "d"], ["e"], ["f", "g", "h"]],
    "point": [{"x": i, "y": None if i % 3 == 0 else f"p{i}"} for i in range(7)],
}).with_columns(status=pl.Series(["new", "paid", "new", "sent", "paid", "new", "sent"], dtype=pl.Categorical))


def _version(tmp_path: Path, name: str, write: Callable[[Path], Any]) -> str:
    """The version the engine records for a file written by ``write`` (published as it is)."""
    path = tmp_path / f"{name}.parquet"
    write(path)
    return Storage(tmp_path, tmp_path / "w.duckdb").staged_from_file("orders", "2025-01-01", "run", path).data_version


WRITERS: dict[str, Callable[[Path], Any]] = {
    "polars, snappy": lambda p: FRAME.write_parquet(p, compression="snappy"),
    "polars, zstd, 2-row groups, no statistics": lambda p: FRAME.write_parquet(
        p, compression="zstd", row_group_size=2, statistics=False),
    "pyarrow, gzip, footer metadata": lambda p: pq.write_table(
        FRAME.to_arrow().replace_schema_metadata({"writer": "someone else", "created": "2020"}), p,
        compression="gzip", row_group_size=3, use_dictionary=False, data_page_size=64),
    "pyarrow, no Arrow schema, small types": lambda p: pq.write_table(
        pa.table({name: column.cast(_small(column.type)) for name, column in
                  zip(FRAME.columns, FRAME.to_arrow().columns)}), p, store_schema=False, version="2.6"),
    "pyarrow, format 1.0 writer, legacy nested names": lambda p: pq.write_table(
        FRAME.to_arrow(), p, use_compliant_nested_type=False, write_statistics=False, compression="none"),
}


def _small(kind: pa.DataType) -> pa.DataType:
    """``string`` for ``large_string`` and the like: another physical type for the same values."""
    if pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return pa.string()
    if pa.types.is_dictionary(kind):
        return _small(kind.value_type)
    if pa.types.is_large_list(kind):
        return pa.list_(_small(kind.value_type))
    if pa.types.is_struct(kind):
        return pa.struct([pa.field(f.name, _small(f.type)) for f in kind])
    return kind


def test_the_same_rows_written_by_other_writers_have_one_version(tmp_path: Path) -> None:
    versions = {name: _version(tmp_path, str(i), write) for i, (name, write) in enumerate(WRITERS.items())}
    files = {(tmp_path / f"{i}.parquet").read_bytes() for i in range(len(WRITERS))}
    assert len(files) == len(WRITERS)  # the bytes differ, every one
    assert len(set(versions.values())) == 1, versions
    staged = Storage(tmp_path, tmp_path / "w.duckdb").stage("run", "orders", "2025-01-01", FRAME)
    assert staged.data_version == versions["polars, snappy"]


def test_a_version_is_recognizable_and_as_long_as_before(tmp_path: Path) -> None:
    version = _version(tmp_path, "v", WRITERS["polars, snappy"])
    assert version.startswith("c1:") and len(version) == 32
    assert set(version[3:]) <= set("0123456789abcdef")


CHANGES: dict[str, Callable[[pl.DataFrame], pl.DataFrame]] = {
    "a value": lambda f: f.with_columns(amount=pl.when(pl.col("order_id") == 4).then(0.5).otherwise("amount")),
    "a null for a value": lambda f: f.with_columns(customer=pl.when(pl.col("order_id") == 1).then(None)
                                                   .otherwise("customer")),
    "an empty string for a null": lambda f: f.with_columns(customer=pl.col("customer").fill_null("")),
    "where a string is cut": lambda f: f.with_columns(tags=pl.Series([["ab"], [], None, ["c"], [None, "d"],
                                                                      ["e"], ["f", "g", "h"]])),
    "a list element moved to the next list": lambda f: f.with_columns(tags=pl.Series([
        ["a"], ["b"], None, ["c"], [None, "d"], ["e"], ["f", "g", "h"]])),
    "a struct field": lambda f: f.with_columns(point=pl.col("point").struct.with_fields(
        pl.field("x").cast(pl.Int32))),
    "a column's name": lambda f: f.rename({"amount": "total"}),
    "a column's type": lambda f: f.with_columns(pl.col("order_id").cast(pl.Int32)),
    "a time zone": lambda f: f.with_columns(pl.col("at").dt.convert_time_zone("Europe/Berlin")),
    "the column order": lambda f: f.select("customer", "order_id", *f.columns[2:]),
    "the row order": lambda f: f.reverse(),
    "a row added": lambda f: pl.concat([f, f.head(1)]),
    "a row removed": lambda f: f.head(6),
    "a column removed": lambda f: f.drop("paid"),
    "a null column added": lambda f: f.with_columns(note=pl.lit(None, dtype=pl.String)),
}


@pytest.mark.parametrize("change", CHANGES)
def test_any_change_to_the_content_changes_the_version(tmp_path: Path, change: str) -> None:
    changed = CHANGES[change](FRAME)
    before = _version(tmp_path, "before", lambda p: FRAME.write_parquet(p))
    after = _version(tmp_path, "after", lambda p: changed.write_parquet(p))
    assert before != after


@pytest.mark.parametrize("batch_rows", [1, 2, 3, 5, 1000])
def test_the_version_does_not_depend_on_how_the_file_is_read_in_batches(tmp_path: Path, batch_rows: int) -> None:
    path = tmp_path / "orders.parquet"
    FRAME.write_parquet(path, row_group_size=4)
    assert content_version(path, batch_rows=batch_rows) == content_version(path)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(st.none() | st.integers(-2**63, 2**63 - 1), st.none() | st.text(max_size=5),
                            st.none() | st.lists(st.none() | st.booleans(), max_size=3)), max_size=30),
    cuts=st.lists(st.integers(0, 30), max_size=6),
)
def test_any_cut_of_the_rows_into_batches_gives_the_same_version(
    rows: list[tuple[int | None, str | None, list[bool | None] | None]], cuts: list[int]
) -> None:
    table = pa.table({"n": [r[0] for r in rows], "s": [r[1] for r in rows], "b": [r[2] for r in rows]},
                     schema=pa.schema([("n", pa.int64()), ("s", pa.string()), ("b", pa.list_(pa.bool_()))]))
    bounds = sorted({0, len(rows), *(c for c in cuts if c <= len(rows))})
    pieces = [table.slice(a, b - a) for a, b in pairwise(bounds)]
    whole = version_of_batches(table.schema, iter(table.to_batches()))
    cut = version_of_batches(table.schema, (batch for piece in pieces for batch in piece.to_batches()))
    assert cut == whole


def test_parquet_and_duckdb_storage_of_the_same_rows_give_one_version(tmp_path: Path) -> None:
    """A DuckDB asset is versioned from its staged file, as a Parquet one; and the rows as
    DuckDB gives them back (other Arrow types: ``string``, not polars' views) hash the same."""
    frame = FRAME.select("order_id", "customer", "amount", "paid", "day", "tags")
    storage = Storage(tmp_path / "data", tmp_path / "warehouse.duckdb")
    try:
        as_file = storage.stage("run-1", "orders", "2025-01-01", frame)
        storage.publish(as_file, "parquet")
        in_table = storage.stage("run-1", "orders_db", "2025-01-01", frame)
        storage.publish(in_table, "duckdb")
        assert as_file.data_version == in_table.data_version

        db = storage.warehouse()
        try:
            rows = db.sql('SELECT * EXCLUDE (partition_key) FROM "orders_db"').to_arrow_table()
        finally:
            db.close()
        path = tmp_path / "from_duckdb.parquet"
        pq.write_table(rows, path)
        assert str(rows.schema.field("customer").type) != str(frame.to_arrow().schema.field("customer").type)
        assert content_version(path) == in_table.data_version
    finally:
        storage.close()


def test_every_kind_of_column_is_versioned_the_same_in_any_batches() -> None:
    """Types polars and DuckDB do not write today (maps, views, fixed sizes) are covered too."""
    n = 9
    table = pa.table({
        "m": pa.array([None if i == 4 else [(f"k{i}", i), ("z", None)][: i % 3] for i in range(n)],
                      pa.map_(pa.string(), pa.int64())),
        "fl": pa.array([None if i == 2 else [i, -i] for i in range(n)], pa.list_(pa.int16(), 2)),
        "fb": pa.array([None if i == 7 else bytes([i, i]) for i in range(n)], pa.binary(2)),
        "sv": pa.array([None if i == 1 else "x" * i for i in range(n)], pa.string_view()),
        "d": pa.array([["a", "b", None][i % 3] for i in range(n)]).dictionary_encode(),
        "t": pa.array([dt.time(i) for i in range(n)], pa.time64("us")),
        "du": pa.array([dt.timedelta(seconds=i) for i in range(n)], pa.duration("ms")),
        "nothing": pa.nulls(n),
    })
    whole = version_of_batches(table.schema, iter(table.to_batches()))
    for size in (1, 2, 4):
        assert version_of_batches(table.schema, iter(table.to_batches(max_chunksize=size))) == whole
    plain = table.set_column(3, "sv", table["sv"].cast(pa.large_string())).set_column(
        4, "d", table["d"].cast(pa.string()))
    assert version_of_batches(plain.schema, iter(plain.to_batches())) == whole
    other = table.set_column(0, "m", pa.array([[("k0", 1)]] * n, pa.map_(pa.string(), pa.int64())))
    assert version_of_batches(other.schema, iter(other.to_batches())) != whole


def test_the_encoding_is_pinned() -> None:
    """Every catalog holds versions made by this encoding: if this value changes (new code, or a
    pyarrow or polars that hands over other values), every partition rebuilt afterwards looks
    changed. Change the encoding only on purpose, with a new prefix and a README note."""
    table = FRAME.to_arrow()
    assert schema_text(table.schema).splitlines() == [
        '"order_id": int64', '"customer": string', '"amount": float64', '"paid": bool', '"day": date32',
        '"at": timestamp[us, UTC]', '"price": decimal128(38, 2)', '"tags": list<string>',
        '"point": struct<"x": int64, "y": string>', '"status": string',
    ]
    assert version_of_batches(table.schema, iter(table.to_batches())) == "c1:6bfc67201b4d4e7a1922a62ace3b7"


def test_a_column_pyarrow_cannot_read_fails_the_partition_with_the_fix(tmp_path: Path) -> None:
    frame = pl.DataFrame({"id": pl.Series([1, 2**100], dtype=pl.Int128)})
    with pytest.raises(StorageError, match=r"orders\[2025-01-01\] cannot be read as Arrow .* cast it \(to Int64"):
        Storage(tmp_path, tmp_path / "w.duckdb").stage("run", "orders", "2025-01-01", frame)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(dataframes(max_cols=4, max_size=40, allow_null=True, excluded_dtypes=[pl.Object, pl.Int128, pl.UInt128]))
def test_staging_versions_the_frame_as_the_file_it_writes_would_be(frame: pl.DataFrame) -> None:
    """Staging hashes the frame in memory (no second decode); a quarantined file released later
    is hashed from the file: for frames of every polars type, the two give one version."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "staged.parquet"
        frame.write_parquet(path, compression="snappy")
        assert frame_version(frame) == content_version(path)
