"""Invariant 6: a bad definition or a bad argument gives one line with the cause and the fix,
a non-zero exit, no traceback (unless --debug), and changes no data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cli_project import DAY, Project

# (id, project, command, exit code, words the one line must hold)
DEFINITION_ERRORS = [
    ("cycle", "broken_cycle", ["plan"], 1,
     ["Cycle in the asset graph: orders -> revenue -> orders.", "Remove one of these inputs."]),
    ("unknown_input", "broken_unknown_input", ["list"], 1,
     ["Asset 'clean_orders' reads 'raw_ordrs', which no asset defines.", "Did you mean 'raw_orders'?"]),
    ("duplicate_name", "broken_duplicate", ["status"], 1,
     ["Two assets are named 'orders'", "duplicate_assets.py:", "sql/orders.sql:1", "rename one"]),
    ("bad_partition_key", "broken_partition_key", ["plan"], 1,
     ["region_assets.py:7", "'us/east' is not allowed", "use letters, digits"]),
    ("sql_ddl", "broken_sql_ddl", ["plan"], 1,
     ["SQL asset 'totals'", "sql/totals.sql:1", "a SQL asset holds one SELECT, found CREATE", "remove it"]),
    ("sql_two_statements", "broken_sql_two_statements", ["materialize"], 1,
     ["SQL asset 'totals'", "sql/totals.sql:1", "found 2 statements"]),
    ("malformed_toml", "broken_toml", ["status"], 1,
     ["assets.toml is not valid TOML", "line 3", "Fix that line"]),
]

# (id, command, exit code, words) on the good landing project, nothing materialized. Exit codes of
# bad partition keys (None here) are pinned by test_a_bad_partitions_argument_exits_2_like_every_usage_error.
ARGUMENT_ERRORS = [
    ("show_unknown_asset", ["show", "claen"], 2, ["No asset is named 'claen'.", "Did you mean 'clean'?"]),
    ("why_unknown_asset", ["why", "revenu", DAY], 2, ["No asset is named 'revenu'.", "Did you mean 'revenue'?"]),
    ("select_unknown_asset", ["materialize", "--select", "claen"], 2,
     ["Selection 'claen' matches no asset.", "Did you mean 'clean'?"]),
    ("plan_select_unknown_asset", ["plan", "--select", "+summry"], 2, ["matches no asset", "Did you mean 'summary'?"]),
    ("reversed_range", ["materialize", "--partitions", "2025-01-03..2025-01-01"], None,
     ["Range '2025-01-03..2025-01-01'", "is empty: put the earlier key first."]),
    ("key_outside_range", ["plan", "--partitions", "2025-01-01..2025-02-30"], None,
     ["'2025-02-30' is not a partition of", "expected YYYY-MM-DD"]),
    ("show_format", ["show", "clean", "--format", "xml"], 2, ["--format 'xml' is not one of table, csv, json."]),
    ("lineage_format", ["lineage", "clean", "--format", "svg"], 2,
     ["--format 'svg' is not one of tree, json, mermaid, dot."]),
    ("lineage_unknown_asset", ["lineage", "claen"], 2, ["No asset is named 'claen'.", "Did you mean 'clean'?"]),
    ("lineage_select_unknown", ["lineage", "--select", "+summry"], 2, ["matches no asset", "Did you mean 'summary'?"]),
    ("lineage_asset_and_select", ["lineage", "clean", "--select", "raw"], 2, ["give an asset or --select, not both"]),
    ("lineage_upstream_without_asset", ["lineage", "--upstream"], 2, ["--upstream and --downstream need an asset"]),
    ("lineage_columns_without_asset", ["lineage", "--columns"], 2, ["--columns needs an asset"]),
    ("lineage_column_and_select", ["lineage", "clean.amount", "--select", "raw"], 2, ["not both"]),
    ("describe_unknown_asset", ["describe", "revnue"], 2, ["No asset is named 'revnue'.", "Did you mean 'revenue'?"]),
    ("schema_unknown_asset", ["schema", "sumary", "--history"], 2,
     ["No asset is named 'sumary'.", "Did you mean 'summary'?"]),
    ("unknown_run", ["runs", "show", "nope"], 2, ["No single run 'nope'", "`assets runs` lists them"]),
    ("why_without_key", ["why", "clean"], 2,
     ["'clean' is daily from 2025-01-01", "name one of its partitions, e.g. `assets why clean 2025-01-04`"]),
    ("why_key_of_unpartitioned", ["why", "summary", DAY], 2, ["'summary' is not partitioned: ask `assets why summary`"]),
    ("why_key_before_start", ["why", "clean", "2024-12-31"], 2, ["'2024-12-31' is not a partition", "before the start 2025-01-01"]),
]


def assert_one_line(result, code: int | None, words: list[str]) -> str:
    """One ``error:`` line on stderr holding ``words``, the exit code, and no traceback anywhere."""
    assert result.returncode != 0, str(result)
    if code is not None:
        assert result.returncode == code, str(result)
    assert len(result.error_lines) == 1, str(result)
    line = result.error_lines[0]
    assert line.startswith("error: "), str(result)
    for word in words:
        assert word in line, f"{word!r} is not in {line!r}"
    assert "Traceback" not in result.stderr + result.stdout
    return line


@pytest.mark.parametrize(("project_name", "command", "code", "words"),
                         [case[1:] for case in DEFINITION_ERRORS], ids=[case[0] for case in DEFINITION_ERRORS])
def test_a_bad_definition_is_one_line_naming_the_cause(make_project: Callable[..., Project], project_name: str,
                                                      command: list[str], code: int, words: list[str]) -> None:
    project = make_project(project_name)
    assert_one_line(project.run(*command), code, words)
    assert not project.data.exists()


@pytest.mark.parametrize(("command", "code", "words"), [case[1:] for case in ARGUMENT_ERRORS],
                         ids=[case[0] for case in ARGUMENT_ERRORS])
def test_a_bad_argument_is_one_line_naming_the_cause(landing: Project, command: list[str], code: int | None,
                                                    words: list[str]) -> None:
    assert_one_line(landing.run(*command), code, words)
    assert not landing.data.exists()
    if landing.catalog_path.exists():
        assert landing.catalog("SELECT count(*) FROM runs") == [(0,)]


@pytest.mark.parametrize("command", [
    ["plan", "--partitions", "2025-13-01"],
    ["materialize", "--partitions", "2025-01-03..2025-01-01"],
    ["show", "clean", "--partition", "yesterday"],
])
def test_a_bad_partitions_argument_exits_2_like_every_usage_error(landing: Project, command: list[str]) -> None:
    """A bad key on the command line is a bad argument (UsageError: exit 2), as a bad --select is."""
    result = landing.run(*command)
    assert result.returncode == 2, str(result)
    assert len(result.error_lines) == 1, str(result)


def test_outside_a_project_says_how_to_get_one(tmp_path: Path) -> None:
    result = Project(tmp_path).run("status")
    line = assert_one_line(result, 1, ["Not in an assets-core project: no assets.toml in", "assets init DIR"])
    assert str(tmp_path.resolve()) in line
    missing = Project(tmp_path).run("--project", str(tmp_path / "nowhere"), "plan")
    assert_one_line(missing, 1, ["nowhere has no assets.toml"])
    assert list(tmp_path.iterdir()) == []


def test_a_foreign_catalog_file_is_one_line(landing: Project) -> None:
    landing.catalog_path.parent.mkdir()
    landing.catalog_path.write_text("not a database")
    assert_one_line(landing.run("status"), 1, ["catalog.db cannot be used", "not an assets-core catalog"])
    assert landing.catalog_path.read_text() == "not a database"


def test_an_unknown_key_in_assets_toml_is_named(landing: Project) -> None:
    landing.edit("assets.toml", 'modules = ["landing_assets"]', 'modles = ["landing_assets"]')
    assert_one_line(landing.run("plan"), 1, ["assets.toml [project]: unknown key 'modles'. Did you mean 'modules'?"])


def test_an_unsupported_return_type_fails_that_partition_only(make_project: Callable[..., Project]) -> None:
    project = make_project("broken_return_type")
    result = project.run("materialize")
    assert result.returncode == 1, str(result)
    assert "Traceback" not in result.stdout + result.stderr
    failed = [line for line in result.stdout.splitlines() if line.startswith("failed:")]
    assert len(failed) == 1, str(result)
    assert "sales[us]" in failed[0] and "Asset 'sales' returned builtins.dict" in failed[0]
    assert "return a polars DataFrame" in failed[0]
    assert project.parquet_rows("sales", "eu") == [("eu", 1.0)]
    assert not project.partition_file("sales", "us").exists()

    run = project.json("runs")[0]
    assert run["status"] == "failed"
    assert run["counts"]["published"] == 1 and run["counts"]["failed"] == 1
    attempts = {a["partition"]: a for a in project.json("runs", "show", run["run_id"])["attempts"]}
    assert attempts["us"]["status"] == "failed"
    assert "sales" in attempts["us"]["error"] and "dict" in attempts["us"]["error"]
    sales = project.json("status")[0]
    assert (sales["fresh"], sales["failed"]) == (1, 1)


@pytest.mark.parametrize(("project_name", "command"), [
    ("broken_cycle", ["plan"]),
    ("broken_toml", ["status"]),
    ("landing", ["materialize", "--partitions", "2025-01-03..2025-01-01"]),
])
def test_debug_adds_the_traceback(make_project: Callable[..., Project], project_name: str, command: list[str]) -> None:
    project = make_project(project_name)
    plain = project.run(*command)
    assert "Traceback" not in plain.stderr
    debug = project.run("--debug", *command)
    assert debug.returncode != 0, str(debug)
    assert "Traceback (most recent call last)" in debug.stderr, str(debug)


def test_messages_keep_a_static_partition_in_brackets(make_project: Callable[..., Project]) -> None:
    """``sales[us]`` is how every message names a partition; the brackets are text, not markup."""
    project = make_project("broken_return_type")
    assert_one_line(project.run("show", "sales", "--partition", "us"), 1,
                    ["sales[us] is not published", "--select sales --partitions us"])
    project.run("materialize")
    assert project.ok("why", "sales", "us").stdout.startswith("sales[us]: waiting: last attempt failed")
    assert project.ok("why", "sales", "eu").stdout.strip() == "sales[eu] is fresh."
