"""The project's graph (`assets lineage` without an asset), one asset's page (`assets describe`,
`assets list --json`), its schema and history (`assets schema`), and an upstream's schema change
told by `plan` and `why`: end to end through the CLI on the landing project."""

from __future__ import annotations

import re

from cli_project import DAY, DAYS, Project

LANDING = ["raw", "clean", "revenue", "summary"]
EDGES = {("raw", "clean", "identity"), ("clean", "revenue", "identity"), ("clean", "summary", "all")}
DEFINITION_KEYS = ["asset", "description", "owner", "group", "tags", "kind", "io", "partitions", "inputs",
                   "downstream", "checks", "freshness", "code_version", "code"]
CATALOG_KEYS = ["schema", "last_publish", "check_results", "status"]
QUOTED = r'"((?:[^"\\]|\\.)*)"'


# -- the graph ------------------------------------------------------------------------------------


def test_lineage_without_an_asset_is_the_whole_project_in_every_format(landing: Project) -> None:
    graph = landing.ok("lineage", "--format", "json").json()
    assert [a["asset"] for a in graph["assets"]] == LANDING
    assert {(e["upstream"], e["downstream"], e["mapping"]) for e in graph["edges"]} == EDGES
    assert graph["assets"][3] == {"asset": "summary", "kind": "python", "partitions": "unpartitioned",
                                  "group": "default"}

    dot = landing.ok("lineage", "--format", "dot").stdout
    nodes = set(re.findall(rf"^  {QUOTED} \[label=", dot, flags=re.M))
    edges = set(re.findall(rf"^  {QUOTED} -> {QUOTED} \[label={QUOTED}\];$", dot, flags=re.M))
    assert nodes == set(LANDING) and edges == EDGES
    assert dot.startswith("digraph lineage {") and dot.rstrip().endswith("}")

    mermaid = landing.ok("lineage", "--format", "mermaid").stdout.splitlines()
    assert mermaid[0] == "flowchart LR"
    assert {re.match(r"    (\w+)\[", line).group(1) for line in mermaid[1:] if "-->" not in line} == set(LANDING)  # type: ignore[union-attr]
    assert {tuple(re.fullmatch(r'    (\w+) -->\|"(.*)"\| (\w+)', line).groups()) for line in mermaid if "-->" in line} \
        == {(u, m, d) for u, d, m in EDGES}  # type: ignore[union-attr]

    tree = landing.ok("lineage").stdout
    assert "4 assets, 3 edges" in tree and "<- clean (all)" in tree


def test_select_narrows_the_graph_with_the_dbt_grammar(landing: Project) -> None:
    graph = landing.ok("lineage", "--select", "+revenue", "--format", "json").json()
    assert [a["asset"] for a in graph["assets"]] == ["raw", "clean", "revenue"]
    assert {e["downstream"] for e in graph["edges"]} == {"clean", "revenue"}
    only = landing.ok("lineage", "-s", "summary clean", "--format", "dot").stdout
    assert '"clean" -> "summary" [label="all"];' in only and '"raw"' not in only


def test_one_assets_lineage_draws_as_dot_too(landing: Project) -> None:
    dot = landing.ok("lineage", "summary", "--upstream", "--format", "dot").stdout
    assert set(re.findall(rf"^  {QUOTED} -> {QUOTED}", dot, flags=re.M)) == {("raw", "clean"), ("clean", "summary")}
    assert '"revenue"' not in dot


# -- describe and list ------------------------------------------------------------------------------


def test_describe_before_anything_is_published(landing: Project) -> None:
    page = landing.json("describe", "clean")
    assert list(page) == DEFINITION_KEYS + CATALOG_KEYS
    assert page["schema"] is None and page["last_publish"] is None and page["check_results"] == []
    assert page["status"]["missing"] == len(DAYS) and page["status"]["fresh"] == 0
    assert page["code"] == {"file": "landing_assets.py", "line": 20}
    assert page["checks"][3] == {"name": "plausible_amount", "severity": "warn"}
    assert page["inputs"] == [{"asset": "raw", "param": "raw", "type": "polars", "mapping": "identity"}]
    assert page["downstream"] == ["revenue", "summary"]
    text = landing.ok("describe", "clean").stdout
    assert "Orders with an amount, sorted by id." in text and "landing_assets.py:20" in text
    assert "none recorded yet" in text


def test_describe_after_a_build_has_the_schema_last_publish_checks_and_status(built_landing: Project) -> None:
    page = built_landing.json("describe", "revenue")
    assert page["kind"] == "sql" and page["io"] == "duckdb"
    assert page["description"] == "Per day and customer: orders and revenue."
    assert page["code"] == {"file": "sql/revenue.sql", "line": 5}  # the SELECT, after the options block
    assert page["partitions"]["kind"] == "daily" and page["partitions"]["definition"]["start"].startswith("2025-01-01")
    assert page["schema"] == [{"name": "day", "type": "Date", "nullable": True},
                              {"name": "customer", "type": "String", "nullable": True},
                              {"name": "orders", "type": "Int64", "nullable": True},
                              {"name": "revenue", "type": "Float64", "nullable": True}]
    (run_id,) = [r[0] for r in built_landing.catalog("SELECT run_id FROM runs")]
    last = page["last_publish"]
    assert last["run_id"] == run_id and last["partition"] in DAYS and last["rows"] > 0
    assert {r["check"]: r["passed"] for r in page["check_results"]} == {"not_null(customer)": True,
                                                                         "row_count(min=1)": True}
    status = built_landing.json("status", "--select", "revenue")
    assert page["status"] == status[0]
    summary = built_landing.json("describe", "summary")
    assert summary["partitions"] is None and summary["freshness"]["max_lag_seconds"] == 86400.0
    assert summary["freshness"]["summary"] == "error 24h"
    assert summary["inputs"][0]["mapping"] == "all"
    text = built_landing.ok("describe", "revenue").stdout
    assert f"by run {run_id}" in text and "4 partitions: 4 fresh" in text and "Float64" in text


def test_a_stale_partition_counts_in_describe_as_in_status(built_landing: Project) -> None:
    built_landing.change_landing(DAY)
    built_landing.ok("materialize", "--select", "raw", "--partitions", DAY)
    page = built_landing.json("describe", "clean")
    assert page["status"]["stale"] == 1 and page["status"]["fresh"] == len(DAYS) - 1
    assert page["status"] == built_landing.json("status", "--select", "clean")[0]


def test_list_json_carries_the_definition_part_of_describe(built_landing: Project) -> None:
    listed = built_landing.json("list")
    assert [a["asset"] for a in listed] == LANDING
    for entry in listed:
        assert list(entry) == DEFINITION_KEYS
        page = built_landing.json("describe", entry["asset"])
        assert {k: page[k] for k in DEFINITION_KEYS} == entry
    assert listed == built_landing.json("list")  # the same with the manifest cached
    assert listed[1]["checks"][0] == {"name": "not_null(order_id)", "severity": "blocking"}


def test_describe_prints_user_text_as_written(landing: Project) -> None:
    """Markup, emoji codes and HTML in a description are text (control characters are refused
    at load, with one line)."""
    text = "Orders [bold]x[/bold] user:x:1000 <script>alert(1)</script> end."
    landing.edit("landing_assets.py", '"""Orders with an amount, sorted by id."""', f'"""{text}"""')
    out = landing.ok("describe", "clean").stdout
    assert "Orders [bold]x[/bold] user:x:1000 <script>alert(1)</script>" in out
    assert landing.json("describe", "clean")["description"] == text
    landing.edit("landing_assets.py", f'"""{text}"""', '"""Orders \\x1b[31mred."""')
    result = landing.run("describe", "clean")
    assert result.returncode == 1 and len(result.error_lines) == 1 and "no control characters" in result.stderr


# -- schema history and the upstream schema change in plan and why ----------------------------------

NEW_CLEAN = ('return raw.filter(pl.col("amount").is_not_null()).sort("order_id")'
             '.with_columns(vip=pl.lit(True), amount=pl.col("amount").cast(pl.Float32))')
NOTE = "(schema: amount Float64 -> Float32, +vip Boolean)"


def change_clean_schema(project: Project) -> str:
    """Edit clean (amount retyped, vip added) and republish it alone; returns that run's id."""
    project.edit("landing_assets.py", 'return raw.filter(pl.col("amount").is_not_null()).sort("order_id")', NEW_CLEAN)
    return str(project.json("materialize", "--select", "clean")["run_id"])


def test_schema_and_its_history_name_each_change_with_the_run_and_partition(built_landing: Project) -> None:
    assert built_landing.json("schema", "clean") == {"asset": "clean", "columns": [
        {"name": "order_id", "type": "Int64", "nullable": True}, {"name": "customer", "type": "String", "nullable": True},
        {"name": "amount", "type": "Float64", "nullable": True}]}
    run_id = change_clean_schema(built_landing)
    body = built_landing.json("schema", "clean", "--history")
    assert [c["name"] for c in body["columns"]] == ["order_id", "customer", "amount", "vip"]
    first, second = body["history"]
    assert first["changes"] == [] and first["attempts"] == len(DAYS)
    assert (second["run_id"], second["partition"], second["attempts"]) == (run_id, DAYS[0], len(DAYS))
    assert second["changes"] == [
        {"change": "retyped", "column": "amount", "old_type": "Float64", "new_type": "Float32",
         "old_nullable": True, "new_nullable": True, "text": "amount Float64 -> Float32"},
        {"change": "added", "column": "vip", "old_type": None, "new_type": "Boolean", "old_nullable": None,
         "new_nullable": True, "text": "+vip Boolean"},
    ]
    text = built_landing.ok("schema", "clean", "--history").stdout
    assert f"run {run_id}, partition {DAYS[0]}" in text and "+vip Boolean" in text and "amount Float64 -> Float32" in text
    assert "history" not in built_landing.json("schema", "clean")


def test_schema_of_an_asset_never_published(landing: Project) -> None:
    assert landing.json("schema", "clean", "--history") == {"asset": "clean", "columns": None, "history": []}
    assert "none recorded yet" in landing.ok("schema", "clean").stdout


def test_plan_and_why_say_how_the_upstreams_schema_changed(built_landing: Project) -> None:
    change_clean_schema(built_landing)
    plan = built_landing.json("plan")
    assert {(s["asset"], s["cause"]) for s in plan["steps"]} == {("revenue", "upstream changed"),
                                                                ("summary", "upstream changed")}
    for step in plan["steps"]:
        assert step["detail"].endswith(NOTE), step
        assert [c["text"] for c in step["upstream_schema_changes"]] == ["amount Float64 -> Float32", "+vip Boolean"]
    assert NOTE in built_landing.ok("plan").stdout
    dry = built_landing.json("materialize", "--dry-run")
    assert [(s["detail"], s["upstream_schema_changes"]) for s in dry["steps"]] == \
        [(s["detail"], s["upstream_schema_changes"]) for s in plan["steps"]]
    assert NOTE in built_landing.ok("materialize", "--dry-run").stdout

    why = built_landing.json("why", "revenue", DAY)
    assert why[0]["detail"] == next(s["detail"] for s in plan["steps"] if s["partition"] == DAY)
    assert why[0]["upstream"] == f"clean[{DAY}]" and why[0]["upstream_schema_changes"] == plan["steps"][1]["upstream_schema_changes"]
    assert why[1] == {"asset": "clean", "partition": DAY, "cause": None, "detail": None, "upstream": None,
                      "upstream_schema_changes": None}
    assert NOTE in built_landing.ok("why", "summary").stdout


def test_an_upstream_change_that_keeps_the_schema_adds_no_note(built_landing: Project) -> None:
    built_landing.change_landing(DAY)
    built_landing.ok("materialize", "--select", "raw clean", "--partitions", DAY)
    plan = built_landing.json("plan")
    assert plan["steps"] and all(s["upstream_schema_changes"] is None for s in plan["steps"])
    assert "schema:" not in built_landing.ok("plan").stdout + built_landing.ok("why", "revenue", DAY).stdout


def test_lineage_json_is_format_json_for_every_view(built_landing: Project) -> None:
    """Every lineage view that prints data takes --json, and it is the --format json output."""
    for args in (["lineage"], ["lineage", "clean"], ["lineage", "revenue", "--columns"], ["lineage", "clean.amount"]):
        assert built_landing.json(*args) == built_landing.ok(*args, "--format", "json").json()
