"""An asset's definition as ``describe`` and ``list --json`` give it: built from specs in
memory, no catalog, plain JSON types."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from assets_core import DailyPartitions, asset, lookback, not_null, sql_asset
from assets_core.graph import build_graph
from assets_core.reports.describe import asset_definition, code_location, query_line

DAILY = DailyPartitions("2025-01-01")


def test_a_definition_has_every_key_in_plain_json_types() -> None:
    @asset(partitions=DAILY, owner="ana", tags=["finance", "raw"], group="sales", freshness={"max_lag": "26h"},
           checks=[not_null("id", severity="warn")])
    def orders() -> pl.DataFrame:
        """Orders, one file a day."""

    @sql_asset(partitions=DAILY, ins={"orders": lookback(7)})
    def weekly() -> str:
        return "SELECT count(*) AS n FROM orders"

    graph = build_graph([orders, weekly])
    root = Path(__file__).resolve().parent
    first, second = asset_definition(graph, "orders", root), asset_definition(graph, "weekly", root)
    assert json.loads(json.dumps(first)) == first
    assert first["description"] == "Orders, one file a day." and first["owner"] == "ana"
    assert (first["group"], first["tags"], first["downstream"]) == ("sales", ["finance", "raw"], ["weekly"])
    assert first["checks"] == [{"name": "not_null(id)", "severity": "warn"}]
    assert first["freshness"] == {"max_lag_seconds": 93600.0, "max_lag": "26h", "warn_after": None, "error_after": 93600.0,
                                  "deadline": None, "timestamp_column": None, "allow_empty": False, "summary": "error 26h"}
    assert first["partitions"]["kind"] == "daily" and first["partitions"]["definition"]["kind"] == "daily"
    assert first["code"]["file"] == "test_asset_definition.py" and isinstance(first["code"]["line"], int)
    assert second["kind"] == "sql" and second["inputs"] == [
        {"asset": "orders", "param": "orders", "type": "arrow", "mapping": "lookback(7)"}]
    assert second["code"]["file"] == "test_asset_definition.py"  # an @sql_asset lives in its Python file


def test_code_locations_and_the_line_of_a_sql_files_query() -> None:
    assert code_location("/p/sql/x.sql:1", Path("/p")) == {"file": "sql/x.sql", "line": 1}
    assert code_location("/elsewhere/m.py:7", Path("/p")) == {"file": "/elsewhere/m.py", "line": 7}
    assert code_location("", None) == {"file": None, "line": None}
    assert query_line("-- io = 'duckdb'\n-- partitions = {}\n\nSELECT 1\n") == 4
    assert query_line("SELECT 1") == 1 and query_line("-- only a comment") == 1
