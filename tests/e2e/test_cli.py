"""The CLI end to end: init, materialize, the --json outputs, show, lineage, dry runs, workers,
freshness, and idempotent re-materialization (invariant 2)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from cli_project import DAY, DAYS, Project

STATUS_KEYS = {"asset", "partitions", "fresh", "stale", "missing", "failed", "quarantined", "unknown", "waiting",
               "upstream_stale", "warned", "last_published_at", "freshness"}
PLAN_KEYS = {"reference_time", "planning_seconds", "steps", "waiting", "retire"}
STEP_KEYS = {"asset", "partition", "cause", "detail", "upstream", "upstream_schema_changes"}
RUN_KEYS = {"run_id", "status", "counts", "reference_time", "started_at", "ended_at"}
COUNT_KEYS = {"published", "failed", "quarantined", "skipped", "up_to_date", "retired"}
FRESHNESS_KEYS = {"asset", "state", "lag_seconds", "reason", "warn_after_seconds", "error_after_seconds", "deadline",
                  "error", "counts", "partitions", "ranges"}
LANDING_ASSETS = ["raw", "clean", "revenue", "summary"]


def _everything(project: Project) -> dict[str, list[tuple]]:
    """Every published row of the landing project, read from the documented layout."""
    return {
        "raw": project.parquet_rows("raw", every_partition=True),
        "clean": project.parquet_rows("clean", every_partition=True),
        "revenue": project.table_rows("revenue"),
        "summary": project.parquet_rows("summary"),
    }


def test_init_then_materialize_makes_everything_fresh(tmp_path: Path) -> None:
    created = Project(tmp_path).run("init", "shop")
    assert created.returncode == 0, str(created)
    assert "assets materialize" in created.stdout
    project = Project(tmp_path / "shop")
    assert (project.root / "assets.toml").is_file()

    before = project.json("status")
    assert before and all(entry["missing"] == entry["partitions"] for entry in before)
    result = project.run("materialize")
    assert result.returncode == 0, str(result)

    status = project.json("status")
    assert {entry["asset"] for entry in status} == {"page_views", "daily_views", "top_pages"}
    for entry in status:
        assert set(entry) == STATUS_KEYS
        assert entry["partitions"] >= 1
        assert entry["fresh"] == entry["partitions"], entry
        assert entry["stale"] == entry["missing"] == entry["failed"] == entry["quarantined"] == entry["unknown"] == 0
        assert entry["last_published_at"] is not None
    assert project.json("plan")["steps"] == []
    assert project.run("freshness").returncode == 0

    again = Project(tmp_path).run("init", "shop")
    assert again.returncode == 2 and "is not empty" in again.stderr, str(again)


def test_json_outputs_have_the_documented_keys(landing: Project) -> None:
    plan = landing.json("plan")
    assert set(plan) == PLAN_KEYS
    assert isinstance(plan["planning_seconds"], float)
    assert len(plan["steps"]) == 3 * len(DAYS) + 1
    for step in plan["steps"]:
        assert set(step) == STEP_KEYS
        assert step["cause"] == "missing" and step["upstream"] is None
    assert [s["asset"] for s in plan["steps"]] == [a for a in LANDING_ASSETS for _ in (DAYS if a != "summary" else [""])]

    freshness = landing.run("freshness", "--json")
    assert freshness.returncode == 0, str(freshness)  # summary was never published: nothing to judge yet
    assert freshness.json() == [{"asset": "summary", "state": "unknown", "lag_seconds": None, "reason": "never published",
                                 "warn_after_seconds": None, "error_after_seconds": 86400.0, "deadline": None,
                                 "error": None, "counts": {"published": 0, "missing": 1}, "partitions": None,
                                 "ranges": None}]

    run = landing.json("materialize")
    assert RUN_KEYS <= set(run)
    assert set(run["counts"]) == COUNT_KEYS
    assert run["counts"]["published"] == len(plan["steps"])
    assert run["status"] == "succeeded"

    runs = landing.json("runs")
    assert len(runs) == 1
    assert RUN_KEYS <= set(runs[0])
    assert set(runs[0]["counts"]) == COUNT_KEYS
    assert runs[0]["run_id"] == run["run_id"] and runs[0]["ended_at"] is not None

    shown = landing.json("runs", "show", run["run_id"][:17])
    assert shown["run"]["run_id"] == run["run_id"]
    assert len(shown["attempts"]) == len(plan["steps"])
    assert {a["status"] for a in shown["attempts"]} == {"published"}

    status = landing.json("status")
    assert [entry["asset"] for entry in status] == LANDING_ASSETS
    assert all(set(entry) == STATUS_KEYS for entry in status)
    detailed = landing.json("status", "--partitions")
    assert [d["partition"] for d in detailed[0]["detail"]] == DAYS
    assert {d["status"] for entry in detailed for d in entry["detail"]} == {"fresh"}

    fresh = landing.json("freshness")
    assert len(fresh) == 1 and set(fresh[0]) == FRESHNESS_KEYS
    assert fresh[0]["state"] == "pass" and 0 <= fresh[0]["lag_seconds"] <= fresh[0]["error_after_seconds"]

    listed = landing.json("list")
    assert [a["asset"] for a in listed] == LANDING_ASSETS
    assert {a["asset"]: a["io"] for a in listed}["revenue"] == "duckdb"


def test_freshness_fails_when_data_lags_behind(tmp_path: Path) -> None:
    assert Project(tmp_path).run("init", "shop").returncode == 0
    project = Project(tmp_path / "shop")
    project.ok("materialize", "--select", "page_views", "--partitions", "2025-01-01..2025-01-03")
    result = project.run("freshness", "--json")
    assert result.returncode == 1, str(result)
    (page_views,) = [r for r in result.json() if r["asset"] == "page_views"]
    assert page_views["state"] == "error"
    assert page_views["lag_seconds"] == 4 * 86400  # data reaches 2025-01-04, the definition ends 2025-01-08
    assert page_views["error_after_seconds"] == 2 * 86400
    plain = project.run("freshness")
    assert plain.returncode == 1 and "error   page_views" in plain.stdout


def test_show_prints_published_rows_as_csv_and_json(built_landing: Project) -> None:
    project = built_landing
    expected = project.expected_clean(DAY)

    text = project.ok("show", "clean", "--partition", DAY, "--format", "csv").stdout
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["order_id", "customer", "amount"]
    assert sorted(((int(i), c, float(a)) for i, c, a in rows[1:]), key=repr) == expected

    records = project.ok("show", "clean", "--partition", DAY, "--format", "json")
    parsed = records.json()
    assert sorted(((r["order_id"], r["customer"], r["amount"]) for r in parsed), key=repr) == expected

    summary = project.ok("show", "summary", "--format", "json").json()
    assert sorted(((r["customer"], r["orders"], r["revenue"]) for r in summary), key=repr) == project.expected_summary()

    revenue = project.ok("show", "revenue", "--partition", DAY, "--format", "json").json()
    assert sorted(((r["customer"], r["orders"], r["revenue"]) for r in revenue), key=repr) == [
        row[1:] for row in project.expected_revenue(DAY)]

    limited = list(csv.reader(io.StringIO(project.ok("show", "clean", "--limit", "3", "--format", "csv").stdout)))
    assert limited[0] == ["order_id", "customer", "amount", "partition_key"]
    assert len(limited) == 4 and {row[3] for row in limited[1:]} == {DAYS[0]}

    table = project.ok("show", "clean", "--partition", DAY).stdout
    assert "order_id" in table and "customer" in table


def test_lineage_as_mermaid_and_json(landing: Project) -> None:
    mermaid = landing.ok("lineage", "clean", "--format", "mermaid").stdout.splitlines()
    assert mermaid[0] == "flowchart LR"
    edges = {line.strip() for line in mermaid if "-->" in line}
    assert edges == {'raw -->|"identity"| clean', 'clean -->|"identity"| revenue', 'clean -->|"all"| summary'}
    assert any(line.strip().startswith('summary["summary') and "unpartitioned" in line for line in mermaid)

    tree = landing.ok("lineage", "summary", "--upstream", "--format", "json").json()
    assert tree == {"upstream": {"asset": "summary", "mapping": None, "children": [
        {"asset": "clean", "mapping": "all", "children": [{"asset": "raw", "mapping": "identity", "children": []}]}]}}
    down = landing.ok("lineage", "raw", "--downstream", "--format", "json").json()
    assert set(down) == {"downstream"}
    assert [c["asset"] for c in down["downstream"]["children"]] == ["clean"]
    assert {c["asset"] for c in down["downstream"]["children"][0]["children"]} == {"revenue", "summary"}
    assert "clean" in landing.ok("lineage", "raw").stdout


def test_dry_run_writes_nothing(landing: Project, built_landing: Project) -> None:
    plain = landing.ok("materialize", "--dry-run")
    assert f"{3 * len(DAYS) + 1} partitions to materialize" in plain.stdout
    dry = landing.json("materialize", "--dry-run")
    assert dry["dry_run"] is True and len(dry["steps"]) == 3 * len(DAYS) + 1
    assert not landing.data.exists()
    assert landing.json("runs") == []

    project = built_landing
    project.change_landing(DAY)
    files = {p: p.read_bytes() for p in project.data.rglob("*") if p.is_file()}
    runs = project.json("runs")
    dry = project.json("materialize", "--partitions", DAY, "--dry-run")
    assert {(s["asset"], s["partition"]) for s in dry["steps"]} == {
        ("raw", DAY), ("clean", DAY), ("revenue", DAY), ("summary", "")}
    assert {p: p.read_bytes() for p in project.data.rglob("*") if p.is_file()} == files
    assert project.json("runs") == runs


def test_two_workers_publish_the_same_data_as_one(make_project: Callable[..., Project]) -> None:
    one, two = make_project("landing", "one"), make_project("landing", "two")
    one.ok("materialize", "--workers", "1")
    two.ok("materialize", "--workers", "2")
    assert _everything(one) == _everything(two)
    assert one.published_versions() == two.published_versions()
    assert two.json("plan")["steps"] == []
    assert two.parquet_rows("summary") == two.expected_summary()


def test_materializing_twice_is_idempotent(built_landing: Project) -> None:
    project = built_landing
    first = _everything(project)
    versions = project.published_versions()
    assert len(versions) == 3 * len(DAYS) + 1

    again = project.run("materialize", "--partitions", f"{DAYS[0]}..{DAYS[-1]}", "--json")
    assert again.returncode == 0, str(again)
    assert again.json()["counts"]["published"] == 3 * len(DAYS)
    again = project.run("materialize", "--partitions", f"{DAYS[1]}..{DAYS[2]},{DAYS[2]}", "--workers", "2", "--json")
    assert again.returncode == 0, str(again)
    assert again.json()["counts"]["published"] == 3 * 2

    second = _everything(project)
    assert second == first
    for asset, rows in second.items():
        assert len(rows) == len(set(rows)), f"duplicate rows in {asset}"
    for day in DAYS:
        assert project.parquet_rows("clean", day) == project.expected_clean(day)
        assert project.revenue_rows(day) == project.expected_revenue(day)
    assert project.files("clean") == [project.partition_file("clean", day) for day in DAYS]

    # One current record per partition, with the same version; the attempts are history.
    assert project.published_versions() == versions
    assert project.catalog("SELECT count(*) FROM partitions") == [(len(versions),)]
    assert project.catalog("SELECT DISTINCT last_status FROM partitions") == [("published",)]
    attempts = project.catalog("SELECT count(*) FROM materializations WHERE asset = 'clean' AND partition = ?", (DAY,))
    assert attempts == [(3,)]
    assert project.json("plan")["steps"] == []
