"""Backfills through the real CLI: recorded with their reason, planned per asset, resumed
after an interruption."""

from __future__ import annotations

from collections.abc import Callable

from cli_project import Project
from postgres_server import both_catalogs

ALL_DAYS = "2025-01-01..2025-01-06"


def test_a_backfill_is_recorded_with_its_reason_and_the_dry_run_counts_per_asset(make_project: Callable[..., Project]) -> None:
    project = make_project("quality")
    dry = project.json("materialize", "--select", "flaky broken", "--partitions", "2025-01-01..2025-01-03", "--dry-run")
    assert dry["counts"] == {"flaky": 3, "broken": 3}
    text = project.ok("materialize", "--select", "flaky broken", "--partitions", "2025-01-01..2025-01-03", "--dry-run").stdout
    assert "6 partitions to materialize (broken 3, flaky 3)." in text
    project.ok("materialize", "--select", "flaky", "--partitions", "2025-01-01..2025-01-03", "--reason", "fix TZ bug")
    run = project.json("runs")[0]
    assert (run["trigger"], run["reason"], run["partitions"]) == ("backfill", "fix TZ bug", "2025-01-01..2025-01-03")
    assert project.json("runs")[0]["counts"]["published"] == 3


@both_catalogs
def test_an_interrupted_backfill_continues_where_it_stopped(make_project: Callable[..., Project]) -> None:
    project = make_project("quality")
    project.ok("materialize", "--select", "pooled")  # everything published once
    killed = project.run("materialize", "--select", "pooled", "--partitions", ALL_DAYS, "--reason", "rebuild",
                         fault="publish:pooled:2025-01-05")
    assert killed.returncode == -9
    first = project.json("runs")[0]
    done_before = {a["partition"] for a in project.json("runs", "show", first["run_id"])["attempts"]
                   if a["status"] == "published"}
    assert done_before and "2025-01-05" not in done_before  # records of the first days were written

    resumed = project.run("materialize", "--select", "pooled", "--partitions", ALL_DAYS, "--json")
    assert resumed.returncode == 0, str(resumed)
    assert f"Resuming the interrupted backfill {first['run_id']}" in resumed.stderr
    second = resumed.json()
    assert second["reason"] == "rebuild" and second["reference_time"] == first["reference_time"]
    redone = {a["partition"] for a in project.json("runs", "show", second["run_id"])["attempts"]}
    assert redone == {f"2025-01-0{d}" for d in range(1, 7)} - done_before
    assert project.json("plan", "--select", "pooled")["steps"] == []

    # Once finished, the same command is a new backfill that rebuilds every partition again.
    again = project.json("materialize", "--select", "pooled", "--partitions", ALL_DAYS)
    assert again["counts"]["published"] == 6


def test_a_batched_sql_backfill_publishes_the_same_rows_as_one_query_per_partition(make_project: Callable[..., Project]) -> None:
    single, batched = make_project("landing", "single"), make_project("landing", "batched")
    query = batched.root / "sql" / "revenue.sql"
    query.write_text("-- batch_size = 3\n" + query.read_text())
    single.ok("materialize")
    result = batched.json("materialize", "--partitions", "2025-01-01..2025-01-04")
    assert result["counts"]["published"] == 13

    assert batched.table_rows("revenue") == single.table_rows("revenue")
    assert batched.published_versions() == single.published_versions()
    attempts = [a for a in batched.json("runs", "show", result["run_id"])["attempts"] if a["asset"] == "revenue"]
    # Recorded, checked and published one partition at a time ...
    assert sorted(a["partition"] for a in attempts) == ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"]
    assert all(a["status"] == "published" and len(a["checks"]) == 2 for a in attempts)
    # ... from batches of at most three: partitions of one query share its time equally.
    shares: dict[float, int] = {}
    for a in attempts:
        shares[a["timings"]["compute"]] = shares.get(a["timings"]["compute"], 0) + 1
    assert max(shares.values()) >= 2 and max(shares.values()) <= 3


def test_a_partition_that_breaks_a_batch_fails_alone(make_project: Callable[..., Project]) -> None:
    project = make_project("landing")
    query = project.root / "sql" / "revenue.sql"
    failing_day = "FROM clean WHERE CASE WHEN $partition_key = '2025-01-03' THEN error('bad day') ELSE true END"
    query.write_text("-- batch_size = 4\n" + query.read_text().replace("FROM clean", failing_day))
    result = project.run("materialize")
    assert result.returncode == 1
    assert "failed: revenue[2025-01-03]" in result.stdout and "bad day" in result.stdout
    assert [len(project.table_rows("revenue", day)) > 0 for day in ("2025-01-01", "2025-01-02", "2025-01-04")] == [True] * 3
