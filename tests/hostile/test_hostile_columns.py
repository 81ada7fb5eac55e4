"""Hostile columns: data whose column names collide with what the engine writes."""

from __future__ import annotations

import polars as pl
import pytest

from cli_project import DAY, Project


@pytest.mark.parametrize("io", ["parquet", "duckdb"])
def test_a_column_named_partition_key_fails_its_partition_with_one_line(landing: Project, io: str) -> None:
    """Parquet readers across partitions silently replaced its values with the folder's key;
    DuckDB publishes failed late with a wrong hint."""
    landing.edit("landing_assets.py", 'return raw.filter(pl.col("amount").is_not_null()).sort("order_id")',
                 'return raw.filter(pl.col("amount").is_not_null()).sort("order_id").with_columns(partition_key=pl.lit("mine"))')
    landing.edit("landing_assets.py", "@asset(\n    partitions=DAYS,\n    checks", f"@asset(\n    io={io!r},\n    partitions=DAYS,\n    checks")
    result = landing.run("materialize", "--select", "+clean", "--partitions", DAY)
    assert result.returncode == 1, str(result)
    assert "Asset 'clean' returned a column named 'partition_key'" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not landing.partition_file("clean", DAY).exists()
    status = {a["asset"]: a for a in landing.json("status")}
    assert status["clean"]["failed"] == 1
    raw = pl.read_parquet(landing.partition_file("raw", DAY))  # the upstream published as usual
    assert raw.height > 0
