"""Hostile SQL: a query that passes as one SELECT but writes. Refused at load wherever the
write hides in the tree, and a query that got past would still commit nothing to the
warehouse (it runs in a transaction that is rolled back)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from assets_core.definitions.sql import parse_select
from cli_project import Project

WHERE = "SQL asset 'sneaky' (sql/sneaky.sql:1)"


@pytest.mark.parametrize(("sql", "kind"), [
    ("WITH gone AS (DELETE FROM main.clean RETURNING *) SELECT * FROM gone", "DELETE"),
    ("WITH x AS (INSERT INTO main.t VALUES (1) RETURNING *) SELECT * FROM x", "INSERT"),
    ("WITH x AS (UPDATE main.clean SET amount = 0 RETURNING *) SELECT * FROM x", "UPDATE"),
    ("SELECT * INTO main.t FROM clean", "SELECT ... INTO"),
    ("SELECT * FROM (WITH d AS (DELETE FROM main.clean RETURNING 1) SELECT * FROM d) AS s", "DELETE"),
])
def test_a_write_anywhere_in_the_tree_is_refused(sql: str, kind: str) -> None:
    parsed = parse_select(sql, WHERE)
    assert parsed.problem is not None and parsed.problem.startswith(
        f"{WHERE}: a SQL asset only reads, but its query holds {kind} ("
    ), parsed.problem
    assert parsed.problem.endswith("remove it; the engine writes the asset's rows.")


def test_a_delete_in_a_cte_is_refused_by_the_cli_and_deletes_nothing(landing: Project) -> None:
    """`WITH gone AS (DELETE FROM main.clean RETURNING *) SELECT ...` passed the check and
    deleted a published table's rows."""
    landing.edit("landing_assets.py", "@asset(\n    partitions=DAYS,\n    checks", "@asset(\n    io=\"duckdb\",\n    partitions=DAYS,\n    checks")
    landing.ok("materialize")  # clean lives in the warehouse
    before = duckdb.connect(str(landing.warehouse), read_only=True).execute("SELECT count(*) FROM main.clean").fetchone()
    (landing.root / "sql" / "sneaky.sql").write_text(
        "WITH gone AS (DELETE FROM main.clean RETURNING *) SELECT count(*) AS n FROM gone\n"
    )
    result = landing.run("materialize", "--select", "sneaky")
    assert result.returncode == 1, str(result)
    [line] = result.error_lines
    assert "SQL asset 'sneaky' (" in line and "sneaky.sql:1): a SQL asset only reads, but its query holds DELETE" in line
    after = duckdb.connect(str(landing.warehouse), read_only=True).execute("SELECT count(*) FROM main.clean").fetchone()
    assert after == before and before is not None and before[0] > 0


def test_a_write_that_got_past_the_check_commits_nothing(tmp_path: Path) -> None:
    """The second wall: the warehouse cursor runs each asset query in a transaction rolled back."""
    from assets_core.execution.compute import _query_leaving_no_trace

    db = duckdb.connect(str(tmp_path / "w.duckdb"))
    db.execute("CREATE TABLE clean AS SELECT 1 AS id")
    cursor = db.cursor()
    rows = _query_leaving_no_trace(cursor, "WITH gone AS (DELETE FROM clean RETURNING *) SELECT count(*) AS n FROM gone", {})
    assert rows.to_pylist() == [{"n": 1}]
    assert db.execute("SELECT count(*) FROM clean").fetchone() == (1,)
