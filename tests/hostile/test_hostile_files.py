"""Hostile files: what is already on disk when the engine arrives (a table made by hand, by
another tool, or by an older version of assets-core)."""

from __future__ import annotations

import duckdb

from cli_project import DAY, Project


def test_a_new_duckdb_asset_does_not_take_over_a_table_it_did_not_publish(landing: Project) -> None:
    """A new DuckDB asset replaced the rows of an existing table nobody's asset owned: 1,000
    rows lost without a word."""
    landing.warehouse.parent.mkdir(parents=True)
    db = duckdb.connect(str(landing.warehouse))
    db.execute("CREATE TABLE Revenue AS SELECT range AS id FROM range(1000)")
    db.close()
    result = landing.run("materialize")
    assert result.returncode == 1, str(result)
    [line] = result.error_lines
    assert "already has a table or view 'Revenue' that asset 'revenue' did not publish" in line
    assert 'DROP TABLE "Revenue"' in line
    db = duckdb.connect(str(landing.warehouse), read_only=True)
    assert db.execute("SELECT count(*) FROM Revenue").fetchone() == (1000,)
    db.close()
    assert landing.json("runs") == [] and not landing.partition_file("raw", DAY).exists()  # nothing ran


def test_tables_published_before_they_were_marked_are_adopted(built_landing: Project) -> None:
    db = duckdb.connect(str(built_landing.warehouse))
    rows = db.execute("SELECT count(*) FROM revenue").fetchone()
    db.execute("COMMENT ON TABLE revenue IS NULL")  # as an older version left it
    db.close()
    built_landing.edit("sql/revenue.sql", "count(*) AS orders", "count(*) + 0 AS orders")  # a code change
    built_landing.ok("materialize", "--select", "revenue", "--partitions", DAY)
    db = duckdb.connect(str(built_landing.warehouse), read_only=True)
    assert db.execute("SELECT count(*) FROM revenue").fetchone() == rows
    assert db.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'revenue'").fetchone() == (
        "published by assets-core",)
    db.close()
