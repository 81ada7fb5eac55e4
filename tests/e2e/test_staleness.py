"""Staleness per partition, from upstream data and from code: after a change, the plan lists
exactly the partitions that read it (transitively) and nothing else; after a run it is empty."""

from __future__ import annotations

from cli_project import DAY, DAYS, Project
from postgres_server import both_catalogs

CLEAN_BODY = 'return raw.filter(pl.col("amount").is_not_null()).sort("order_id")'


def _steps(project: Project, *args: str) -> dict[tuple[str, str], tuple[str, str | None]]:
    """The plan as {(asset, partition): (cause, upstream)}, checking no partition is listed twice."""
    steps = project.json("plan", *args)["steps"]
    planned = {(s["asset"], s["partition"]): (s["cause"], s["upstream"]) for s in steps}
    assert len(planned) == len(steps), steps
    return planned


@both_catalogs
def test_a_changed_raw_partition_makes_exactly_its_downstream_stale(built_landing: Project) -> None:
    project = built_landing
    versions = project.published_versions()
    project.change_landing(DAY)
    rebuilt = project.run("materialize", "--select", "raw", "--partitions", DAY, "--json")
    assert rebuilt.returncode == 0, str(rebuilt)
    assert rebuilt.json()["counts"]["published"] == 1

    changed = project.published_versions()
    assert {ref for ref in versions if versions[ref] != changed[ref]} == {("raw", DAY)}
    assert _steps(project) == {
        ("clean", DAY): ("upstream changed", f"raw[{DAY}]"),
        ("revenue", DAY): ("upstream rebuilt in this run", f"clean[{DAY}]"),
        ("summary", ""): ("upstream rebuilt in this run", f"clean[{DAY}]"),
    }
    status = {entry["asset"]: entry for entry in project.json("status")}
    assert (status["raw"]["fresh"], status["clean"]["fresh"], status["clean"]["stale"]) == (4, 3, 1)

    why = project.ok("why", "revenue", DAY).stdout
    assert f"clean[{DAY}]: upstream changed: raw[{DAY}] changed" in why
    assert f"raw[{DAY}] is fresh: republished by run {rebuilt.json()['run_id']}" in why
    assert f"raw[{DAY}]" in project.ok("why", "summary").stdout
    assert project.ok("why", "revenue", "2025-01-03").stdout.strip() == "revenue[2025-01-03] is fresh."

    # One level at a time: rebuilding clean alone leaves exactly its readers due, now as changed.
    project.ok("materialize", "--select", "clean")
    assert _steps(project) == {
        ("revenue", DAY): ("upstream changed", f"clean[{DAY}]"),
        ("summary", ""): ("upstream changed", f"clean[{DAY}]"),
    }
    project.ok("materialize")
    assert _steps(project) == {}
    assert project.parquet_rows("clean", DAY) == project.expected_clean(DAY)
    assert project.revenue_rows(DAY) == project.expected_revenue(DAY)
    assert project.parquet_rows("summary") == project.expected_summary()
    final = project.published_versions()
    assert {ref for ref in versions if versions[ref] != final[ref]} == {
        ("raw", DAY), ("clean", DAY), ("revenue", DAY), ("summary", "")}


def test_changed_code_makes_its_partitions_and_their_downstream_stale(built_landing: Project) -> None:
    project = built_landing
    project.edit("landing_assets.py", CLEAN_BODY,
                 CLEAN_BODY + '.with_columns(cents=(pl.col("amount") * 100).cast(pl.Int64))')

    planned = _steps(project)
    assert set(planned) == ({("clean", d) for d in DAYS} | {("revenue", d) for d in DAYS} | {("summary", "")})
    assert {planned[("clean", d)][0] for d in DAYS} == {"code changed"}
    assert {planned[("revenue", d)] for d in DAYS} == {("upstream rebuilt in this run", f"clean[{d}]") for d in DAYS}
    assert planned[("summary", "")][0] == "upstream rebuilt in this run"
    assert _steps(project, "--select", "raw") == {}

    assert "code changed: code of clean changed" in project.ok("why", "clean", DAY).stdout
    why = project.ok("why", "revenue", DAY).stdout
    assert f"clean[{DAY}] will be rebuilt first" in why and "code of clean changed" in why
    clean = {entry["asset"]: entry for entry in project.json("status")}["clean"]
    assert (clean["stale"], clean["fresh"]) == (len(DAYS), 0)

    project.ok("materialize")
    assert _steps(project) == {}
    expected = sorted(((*row, round(row[2] * 100)) for row in project.expected_clean(DAY)), key=repr)
    assert project.parquet_rows("clean", DAY) == expected
    assert project.revenue_rows(DAY) == project.expected_revenue(DAY)


def test_a_comment_or_docstring_edit_is_not_a_code_change(built_landing: Project) -> None:
    project = built_landing
    project.edit("landing_assets.py", '"""Orders with an amount, sorted by id."""',
                 '"""Orders that have an amount, in order id order."""\n    # a comment changes nothing')
    project.edit("sql/revenue.sql", "FROM clean", "FROM clean  -- the checked orders")
    assert _steps(project) == {}


def test_a_changed_query_makes_only_that_sql_asset_stale(built_landing: Project) -> None:
    project = built_landing
    project.edit("sql/revenue.sql", "round(sum(amount), 2) AS revenue", "round(sum(amount), 1) AS revenue")
    planned = _steps(project)
    assert planned == {("revenue", d): ("code changed", None) for d in DAYS}
    project.ok("materialize")
    assert _steps(project) == {}


def test_materialize_on_a_fresh_project_does_nothing(built_landing: Project) -> None:
    project = built_landing
    versions = project.published_versions()
    runs = project.json("runs")
    result = project.ok("materialize")
    assert "Nothing to materialize" in result.stdout
    assert project.json("runs") == runs
    assert project.published_versions() == versions
