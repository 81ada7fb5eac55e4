"""``assets lineage ASSET --columns`` and ``assets lineage ASSET.COLUMN``, through the real CLI on
the landing project: raw -> clean (Python, inferred pass-through) -> revenue (SQL file) and
summary (Python, declared or not)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from cli_project import Project, cli_env


def tree(node: dict[str, Any]) -> list[tuple[int, str, Any, Any]]:
    """A JSON lineage tree flattened: (depth, asset.column, kind, how)."""
    rows = []

    def walk(n: dict[str, Any], depth: int) -> None:
        rows.append((depth, f"{n['asset']}.{n['column']}", n["kind"], n["how"]))
        for child in n["children"]:
            walk(child, depth + 1)

    walk(node, 0)
    return rows


def test_the_columns_of_a_sql_asset_with_their_types_and_edges(built_landing: Project) -> None:
    report = built_landing.ok("lineage", "revenue", "--columns", "--format", "json").json()
    grouped = {"asset": "clean", "column": "customer", "kind": "indirect", "how": "sql", "via": ["group_by"]}
    assert report == {
        "asset": "revenue",
        "columns": [
            {"column": "day", "type": "Date", "upstream": [grouped]},
            {"column": "customer", "type": "String", "upstream": [
                {"asset": "clean", "column": "customer", "kind": "direct", "how": "sql", "via": ["identity"]}]},
            {"column": "orders", "type": "Int64", "upstream": [grouped]},
            {"column": "revenue", "type": "Float64", "upstream": [
                {"asset": "clean", "column": "amount", "kind": "direct", "how": "sql", "via": ["aggregation"]}, grouped]},
        ],
        "unresolved": [],
    }


def test_the_table_shows_direct_indirect_and_what_is_unresolved(built_landing: Project) -> None:
    out = built_landing.ok("lineage", "summary", "--columns").stdout
    assert "clean.customer (identity, inferred)" in out
    assert "unresolved: orders: no input has a column 'orders' of type UInt32: declare it in column_lineage=." in out
    revenue = built_landing.ok("lineage", "revenue", "--columns").stdout
    row = next(line for line in revenue.splitlines() if "│ revenue " in line)
    assert "clean.amount (aggregation)" in row and "clean.customer (group_by)" in row


def test_one_column_upstream_to_the_source_across_assets(built_landing: Project) -> None:
    body = built_landing.ok("lineage", "revenue.revenue", "--upstream", "--format", "json").json()
    assert set(body) == {"asset", "column", "upstream"}
    assert tree(body["upstream"]) == [
        (0, "revenue.revenue", None, None),
        (1, "clean.amount", "direct", "sql"),
        (2, "raw.amount", "direct", "inferred"),
        (1, "clean.customer", "indirect", "sql"),
        (2, "raw.customer", "direct", "inferred"),
    ]
    assert body["upstream"]["children"][0]["via"] == ["aggregation"]


def test_one_column_downstream_names_readers_it_cannot_follow(built_landing: Project) -> None:
    body = built_landing.ok("lineage", "raw.amount", "--downstream", "--format", "json").json()
    assert tree(body["downstream"]) == [
        (0, "raw.amount", None, None),
        (1, "clean.amount", "direct", "inferred"),
        (2, "revenue.revenue", "direct", "sql"),
    ]
    clean = body["downstream"]["children"][0]
    assert clean["unresolved"] == [
        "summary.orders may read it: no input has a column 'orders' of type UInt32: declare it in column_lineage=.",
        "summary.revenue may read it: no input has a column 'revenue' of type Float64: declare it in column_lineage=.",
    ]
    text = built_landing.ok("lineage", "raw.amount", "--downstream").stdout.splitlines()
    assert text[0] == "raw.amount (downstream)"
    assert any(line.endswith("clean.amount (direct, identity, inferred)") for line in text)
    assert any(line.endswith("revenue.revenue (direct, aggregation)") for line in text)
    assert any("unresolved: summary.orders may read it" in line for line in text)


def test_both_directions_by_default(built_landing: Project) -> None:
    body = built_landing.ok("lineage", "clean.customer", "--format", "json").json()
    assert [c["column"] for c in body["upstream"]["children"]] == ["customer"]
    assert {(c["asset"], c["column"]) for c in body["downstream"]["children"]} == {
        ("revenue", "customer"), ("revenue", "day"), ("revenue", "orders"), ("revenue", "revenue"), ("summary", "customer"),
    }


def test_declared_lineage_of_a_python_asset(built_landing: Project) -> None:
    built_landing.edit("landing_assets.py", '@asset(freshness={"max_lag": "1d"})',
                       '@asset(freshness={"max_lag": "1d"}, column_lineage={"revenue": ["clean.amount"], '
                       '"orders": ["clean.order_id"]})')
    body = built_landing.ok("lineage", "summary.revenue", "--upstream", "--format", "json").json()
    assert tree(body["upstream"]) == [
        (0, "summary.revenue", None, None), (1, "clean.amount", "direct", "declared"), (2, "raw.amount", "direct", "inferred"),
    ]
    down = built_landing.ok("lineage", "clean.order_id", "--downstream", "--format", "json").json()["downstream"]
    assert tree(down) == [(0, "clean.order_id", None, None), (1, "summary.orders", "direct", "declared")]
    assert down["unresolved"] == []


def test_a_declared_column_that_does_not_exist_is_shown_with_the_closest(built_landing: Project) -> None:
    built_landing.edit("landing_assets.py", '@asset(freshness={"max_lag": "1d"})',
                       '@asset(freshness={"max_lag": "1d"}, column_lineage={"revenue": ["clean.amout"]})')
    report = built_landing.ok("lineage", "summary", "--columns", "--format", "json").json()
    assert {"column": "revenue", "reason": (
        "Asset 'summary' declares 'revenue' from 'clean.amout': 'clean' has no column 'amout'. Did you mean 'amount'?"
    )} in report["unresolved"]


def test_a_declaration_naming_an_asset_that_is_not_an_input_fails_at_load(built_landing: Project) -> None:
    built_landing.edit("landing_assets.py", '@asset(freshness={"max_lag": "1d"})',
                       '@asset(freshness={"max_lag": "1d"}, column_lineage={"revenue": ["cleen.amount"]})')
    result = built_landing.run("lineage", "summary", "--columns")
    assert result.returncode == 1
    assert result.error_lines == [(
        "error: Asset 'summary' has column_lineage 'revenue' from 'cleen.amount', but 'cleen' is not one of its "
        "inputs. Did you mean 'clean'?"
    )]


def test_a_sql_asset_in_python_with_a_cte_and_a_star(built_landing: Project) -> None:
    with (built_landing.root / "landing_assets.py").open("a") as module:
        module.write(
            "\n\nfrom assets_core import sql_asset\n\n\n@sql_asset(partitions=DAYS)\ndef big_orders():\n"
            "    return \"WITH big AS (SELECT * FROM clean WHERE amount > 10) SELECT * EXCLUDE (amount) FROM big\"\n"
        )
    report = built_landing.ok("lineage", "big_orders", "--columns", "--format", "json").json()
    filtered = {"asset": "clean", "column": "amount", "kind": "indirect", "how": "sql", "via": ["filter"]}
    assert [(c["column"], c["type"], c["upstream"]) for c in report["columns"]] == [
        (name, None, [{"asset": "clean", "column": name, "kind": "direct", "how": "sql", "via": ["identity"]}, filtered])
        for name in ("order_id", "customer")
    ]
    down = built_landing.ok("lineage", "clean.amount", "--downstream", "--format", "json").json()["downstream"]
    assert ("big_orders", "order_id", "indirect") in {(c["asset"], c["column"], c["kind"]) for c in down["children"]}


def test_before_anything_is_published(landing: Project) -> None:
    report = landing.ok("lineage", "revenue", "--columns", "--format", "json").json()
    assert [(c["column"], c["type"]) for c in report["columns"]] == [
        ("day", None), ("customer", None), ("orders", None), ("revenue", None)]
    assert report["columns"][3]["upstream"][0] == {
        "asset": "clean", "column": "amount", "kind": "direct", "how": "sql", "via": ["aggregation"]}
    summary = landing.ok("lineage", "summary", "--columns", "--format", "json").json()
    assert summary["columns"] == [] and [u["column"] for u in summary["unresolved"]] == ["*"]
    result = landing.run("lineage", "summary.customer")
    assert result.returncode == 2
    assert result.error_lines == [
        "error: The columns of 'summary' are not known yet: `assets materialize summary` records its schema."]


def test_an_unknown_column_or_asset_is_one_line_with_the_closest(built_landing: Project) -> None:
    for target, line in [
        ("revenue.revnue", "error: Asset 'revenue' has no column 'revnue'. Did you mean 'revenue'?"),
        ("revenu.revenue", "error: No asset is named 'revenu'. Did you mean 'revenue'? `assets list` shows them all."),
        ("revenue.", "error: 'revenue.' names no column: write ASSET.COLUMN, such as revenue.id, or ASSET --columns."),
    ]:
        result = built_landing.run("lineage", target)
        assert (result.returncode, result.error_lines) == (2, [line]), str(result)
        assert "Traceback" not in result.stderr
    result = built_landing.run("lineage", "revenue", "--columns", "--format", "mermaid")
    assert (result.returncode, result.error_lines) == (
        2, ["error: --format mermaid draws assets only: column lineage prints as tree or json."])


def test_asset_lineage_is_unchanged(built_landing: Project) -> None:
    body = built_landing.ok("lineage", "revenue", "--format", "json").json()
    assert body["upstream"]["children"][0]["asset"] == "clean"


def test_loading_planning_and_materializing_never_compute_column_lineage(landing: Project) -> None:
    """Column lineage is computed when a report asks for it, never when the project loads, plans
    or runs: the module and sqlglot's qualify are not even imported."""
    for command in (["plan"], ["materialize"], ["status"]):
        done = subprocess.run([sys.executable, "-X", "importtime", "-m", "assets_core.cli", *command],
                              cwd=landing.root, env=cli_env(), capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")]
        assert "assets_core.definitions.sql" in imported or command != ["plan"]  # the SQL file was read
        assert [m for m in imported if "column_lineage" in m or m in ("sqlglot.optimizer.qualify", "sqlglot.lineage")] == [], command
