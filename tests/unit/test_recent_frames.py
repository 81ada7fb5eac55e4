"""Frames kept after staging (execution.recent): an input is read from memory only at exactly
the version the run resolved, only for types whose Parquet round trip is exact, and never
shared with the asset's code (it may change its frame in place)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest

from assets_core.execution.recent import RecentFrames
from assets_core.storage.store import Storage
from assets_core.storage.versions import content_version


def _frame(n: int) -> pl.DataFrame:
    return pl.DataFrame({"id": list(range(n)), "name": [f"n{i}" for i in range(n)]})


def test_a_frame_is_read_only_at_the_version_it_was_staged_at() -> None:
    recent = RecentFrames()
    recent.put("orders", "d1", "v1", _frame(3))
    recent.put("orders", "d2", "v2", _frame(4))
    assert [f.height for f in recent.get("orders", ["d1", "d2"], ["v1", "v2"]) or []] == [3, 4]
    assert recent.get("orders", ["d1", "d2"], ["v1", "v-other"]) is None, "another version: read the file"
    assert recent.get("orders", ["d1", "d3"], ["v1", "v3"]) is None, "one partition not kept: read the files"
    assert recent.get("other", ["d1"], ["v1"]) is None
    recent.put("orders", "d1", "v9", _frame(5))  # staged again: the new version replaces the old
    assert recent.get("orders", ["d1"], ["v1"]) is None
    assert [f.height for f in recent.get("orders", ["d1"], ["v9"]) or []] == [5]


def test_the_oldest_frames_go_first_past_the_limit() -> None:
    one = _frame(1000)
    recent = RecentFrames(limit_bytes=int(one.estimated_size() * 5))
    for day in range(8):
        recent.put("orders", f"d{day}", f"v{day}", _frame(1000))
        recent.get("orders", ["d0"], ["v0"])  # used: kept longer
    kept = [day for day in range(8) if recent.get("orders", [f"d{day}"], [f"v{day}"]) is not None]
    assert 0 in kept and 7 in kept and 1 not in kept and len(kept) <= 5


@pytest.mark.parametrize("column", [
    pl.Series("c", [[1, 2]]), pl.Series("c", ["a"], dtype=pl.Categorical), pl.Series("c", [None], dtype=pl.Null),
    pl.Series("c", [1], dtype=pl.Decimal(10, 2)),
])
def test_types_whose_parquet_round_trip_may_differ_are_never_kept(column: pl.Series) -> None:
    recent = RecentFrames()
    recent.put("orders", "d1", "v1", pl.DataFrame([column]))
    assert recent.get("orders", ["d1"], ["v1"]) is None


def test_the_kept_frame_equals_what_reading_the_published_file_gives(tmp_path: Path) -> None:
    frame = pl.DataFrame({
        "id": [1, 2, None], "amount": [1.5, None, 3.0], "ok": [True, False, None], "name": ["a", None, "ccc"],
        "day": [date(2025, 1, 1)] * 3, "at": [datetime(2025, 1, 1, 3, tzinfo=UTC)] * 3,
        "small": pl.Series([1, 2, 3], dtype=pl.UInt8),
    })
    storage = Storage(tmp_path / "data", tmp_path / "warehouse.duckdb")
    staged = storage.stage("run", "orders", "2025-01-01", frame)
    recent = RecentFrames()
    recent.put("orders", "2025-01-01", staged.data_version, frame)
    [kept] = recent.get("orders", ["2025-01-01"], [staged.data_version]) or []
    read = pl.read_parquet(staged.path)
    assert kept.schema == read.schema and kept.equals(read)
    assert content_version(staged.path) == staged.data_version


def test_the_asset_code_changing_its_input_in_place_does_not_change_what_is_kept() -> None:
    recent = RecentFrames()
    recent.put("orders", "d1", "v1", _frame(3))
    [given] = recent.get("orders", ["d1"], ["v1"]) or []
    given.insert_column(0, pl.Series("extra", [0, 0, 0]))
    [again] = recent.get("orders", ["d1"], ["v1"]) or []
    assert again.columns == ["id", "name"]
