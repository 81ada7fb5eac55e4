"""Reading SQL assets: one SELECT, its tables, its bound values, its fingerprint; table rewriting."""

from __future__ import annotations

import duckdb
import pytest

from assets_core.definitions.sql import BOUND_VALUES, parse_select
from assets_core.storage.sql import replace_tables

WHERE = "models/daily_revenue.sql"


def test_tables_and_params_are_found() -> None:
    parsed = parse_select(
        """SELECT o.day, sum(o.amount) AS revenue
           FROM clean_orders AS o JOIN customers c ON c.id = o.customer_id
           WHERE o.day >= $start AND o.day < $end AND o.region = $partition_key
           GROUP BY o.day""",
        where=WHERE,
    )
    assert parsed.problem is None
    assert set(parsed.tables) == {"clean_orders", "customers"}
    assert set(parsed.params) == set(BOUND_VALUES) == {"start", "end", "partition_key"}
    assert len(parsed.fingerprint) == 16


def test_each_table_is_listed_once() -> None:
    parsed = parse_select("SELECT * FROM a JOIN a AS a2 USING (id) WHERE id IN (SELECT id FROM a)", WHERE)
    assert parsed.tables == ("a",)


def test_cte_names_are_not_tables() -> None:
    parsed = parse_select(
        """WITH recent AS (SELECT * FROM orders WHERE day >= $start),
                big AS (SELECT * FROM recent WHERE amount > 100)
           SELECT * FROM big JOIN customers USING (customer_id)""",
        WHERE,
    )
    assert parsed.problem is None
    assert set(parsed.tables) == {"orders", "customers"}
    assert parsed.params == ("start",)


def test_tables_in_subqueries_and_set_operations_are_found() -> None:
    parsed = parse_select(
        "SELECT id FROM eu_orders UNION ALL SELECT id FROM (SELECT id FROM us_orders) AS u", WHERE
    )
    assert parsed.problem is None
    assert set(parsed.tables) == {"eu_orders", "us_orders"}


def test_a_query_with_no_table_reads_nothing() -> None:
    parsed = parse_select("SELECT 1 AS one, $partition_key AS key", WHERE)
    assert parsed.problem is None
    assert parsed.tables == ()
    assert parsed.params == ("partition_key",)


def test_table_function_is_not_an_upstream_asset() -> None:
    parsed = parse_select("SELECT * FROM read_parquet('seed/*.parquet') JOIN orders USING (id)", WHERE)
    assert parsed.problem is None
    assert parsed.tables == ("orders",)


@pytest.mark.parametrize(
    ("sql", "kind"),
    [
        ("CREATE TABLE revenue AS SELECT * FROM orders", "CREATE"),
        ("INSERT INTO revenue SELECT * FROM orders", "INSERT"),
        ("DELETE FROM orders WHERE amount < 0", "DELETE"),
        ("UPDATE orders SET amount = 0", "UPDATE"),
        ("DROP TABLE orders", "DROP"),
    ],
)
def test_ddl_and_dml_are_rejected_naming_the_statement(sql: str, kind: str) -> None:
    parsed = parse_select(sql, WHERE)
    assert parsed.problem == f"{WHERE}: a SQL asset holds one SELECT, found {kind}: remove it."
    assert parsed.tables == ()


def test_several_statements_are_rejected() -> None:
    parsed = parse_select("SELECT 1; SELECT 2", WHERE)
    assert parsed.problem == f"{WHERE}: a SQL asset holds exactly one SELECT, found 2 statements."
    parsed = parse_select("SELECT * FROM orders; DROP TABLE orders", WHERE)
    assert parsed.problem is not None and "found 2 statements" in parsed.problem


def test_empty_file_is_rejected() -> None:
    parsed = parse_select("-- nothing here\n", WHERE)
    assert parsed.problem == f"{WHERE}: a SQL asset holds exactly one SELECT, found 0 statements."


def test_query_that_does_not_parse_gives_one_line() -> None:
    parsed = parse_select("SELECT * FROM", WHERE)
    assert parsed.problem is not None
    assert parsed.problem.startswith(f"{WHERE}: the query does not parse: ")
    assert "\n" not in parsed.problem


def test_unknown_parameter_is_rejected_with_the_known_ones() -> None:
    parsed = parse_select("SELECT * FROM orders WHERE day >= $start AND region = $region", WHERE)
    assert parsed.problem == f"{WHERE}: $region is not a bound value: use $start, $end or $partition_key."


def test_fingerprint_ignores_comments_whitespace_and_keyword_case() -> None:
    one = parse_select("SELECT day, sum(amount) AS revenue FROM orders GROUP BY day", WHERE)
    two = parse_select(
        """-- revenue per day
        select day,
               SUM(amount) as revenue   /* gross */
        from orders
        group by day
        """,
        "other.sql",
    )
    assert one.fingerprint == two.fingerprint


def test_fingerprint_changes_with_the_query() -> None:
    one = parse_select("SELECT day, sum(amount) AS revenue FROM orders GROUP BY day", WHERE)
    two = parse_select("SELECT day, sum(amount) AS revenue FROM orders WHERE amount > 0 GROUP BY day", WHERE)
    three = parse_select("SELECT day, max(amount) AS revenue FROM orders GROUP BY day", WHERE)
    assert len({one.fingerprint, two.fingerprint, three.fingerprint}) == 3


# -- replace_tables ----------------------------------------------------------------------


def test_replace_tables_keeps_the_alias() -> None:
    rewritten = replace_tables(
        "SELECT o.id FROM orders AS o JOIN customers c ON c.id = o.customer_id",
        {"orders": "SELECT 1 AS id, 2 AS customer_id"},
    )
    assert "(SELECT 1 AS id, 2 AS customer_id) AS o" in rewritten
    assert "JOIN customers AS c" in rewritten or "JOIN customers c" in rewritten


def test_replace_tables_without_alias_uses_the_table_name() -> None:
    rewritten = replace_tables("SELECT orders.id FROM orders", {"orders": "SELECT 1 AS id"})
    assert rewritten == "SELECT orders.id FROM (SELECT 1 AS id) AS orders"


def test_replace_tables_leaves_ctes_and_qualified_tables_alone() -> None:
    rewritten = replace_tables(
        "WITH orders AS (SELECT 5 AS id) SELECT * FROM orders JOIN other.orders USING (id)",
        {"orders": "SELECT 1 AS id"},
    )
    assert "SELECT 1 AS id" not in rewritten
    assert "other.orders" in rewritten


def test_rewritten_query_gives_the_same_rows_as_a_hand_written_one() -> None:
    sql = """SELECT c.name, sum(o.amount) AS total
             FROM orders o JOIN customers AS c ON c.id = o.customer_id
             GROUP BY c.name ORDER BY c.name"""
    sources = {
        "orders": "SELECT * FROM (VALUES (1, 10.0), (1, 5.0), (2, 7.0)) AS t(customer_id, amount)",
        "customers": "SELECT * FROM (VALUES (1, 'ana'), (2, 'bo')) AS t(id, name)",
    }
    connection = duckdb.connect()
    try:
        got = connection.execute(replace_tables(sql, sources)).fetchall()
        connection.execute("CREATE TABLE orders AS " + sources["orders"])
        connection.execute("CREATE TABLE customers AS " + sources["customers"])
        expected = connection.execute(sql).fetchall()
    finally:
        connection.close()
    assert got == expected == [("ana", 15.0), ("bo", 7.0)]
