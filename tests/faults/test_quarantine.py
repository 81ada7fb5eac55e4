"""Invariant 3: validation gates publishing. Data failing a blocking check never reaches the
published location; it goes to quarantine with the check's result. A warning does not block."""

from __future__ import annotations


import duckdb

from cli_project import DAY, DAYS, Project


def _landing_with(project: Project, day: str, extra: tuple[int, str, float]) -> None:
    rows = [(int(r["order_id"]), r["customer"], float(r["amount"])) for r in project.landing_rows(day)]
    project.write_landing(day, [*rows, extra])


def _attempts(project: Project, run_id: str) -> dict[tuple[str, str], dict]:
    shown = project.json("runs", "show", run_id)
    assert shown["run"]["run_id"] == run_id
    return {(a["asset"], a["partition"]): a for a in shown["attempts"]}


def test_a_failing_blocking_check_quarantines_and_leaves_the_published_partition_untouched(built_landing: Project) -> None:
    project = built_landing
    published = project.partition_file("clean", DAY)
    before = published.read_bytes()
    revenue_before = project.revenue_rows(DAY)
    summary_before = project.partition_file("summary", None).read_bytes()
    duplicate_id = int(project.landing_rows(DAY)[0]["order_id"])
    _landing_with(project, DAY, (duplicate_id, "eve", 3.0))  # fails unique(order_id)

    result = project.run("materialize", "--partitions", DAY, "--json")
    assert result.returncode == 1, str(result)
    run = result.json()
    assert run["status"] == "failed"
    assert run["counts"]["quarantined"] == 1
    assert run["counts"]["published"] == 1  # raw, which has no checks
    assert run["counts"]["skipped"] == 2  # revenue[DAY] and summary, downstream of the quarantined one

    # Published data: byte for byte what it was, downstream included.
    assert published.read_bytes() == before
    assert project.files(f"clean/partition_key={DAY}") == [published]
    assert project.revenue_rows(DAY) == revenue_before
    assert project.partition_file("summary", None).read_bytes() == summary_before

    # The check result is recorded with the attempt, and downstream was skipped.
    attempts = _attempts(project, run["run_id"])
    clean = attempts[("clean", DAY)]
    assert clean["status"] == "quarantined"
    failed = [c for c in clean["checks"] if not c["passed"]]
    assert [(c["check"], c["severity"]) for c in failed] == [("unique(order_id)", "blocking")]
    assert "unique(order_id)" in clean["error"]
    assert attempts[("revenue", DAY)]["status"] == "skipped"
    assert f"clean[{DAY}]" in attempts[("revenue", DAY)]["error"]
    assert attempts[("summary", "")]["status"] == "skipped"
    assert attempts[("raw", DAY)]["status"] == "published"

    # The staged data is kept in quarantine, as staged.
    kept = project.data / ".quarantine" / "clean" / DAY / f"{run['run_id']}.parquet"
    assert project.files(".quarantine") == [kept]
    with duckdb.connect() as db:
        rows = db.execute("SELECT order_id, customer, amount FROM read_parquet(?)", [str(kept)]).fetchall()
    assert sorted(rows, key=repr) == project.expected_clean(DAY)
    assert project.files(".staging") == []

    status = {entry["asset"]: entry for entry in project.json("status")}
    assert status["clean"]["quarantined"] == 1
    assert status["clean"]["fresh"] == len(DAYS) - 1
    # Nothing it depends on changed: rebuilding would quarantine again, so it waits, and says so.
    planned = project.json("plan")
    assert ("clean", DAY) not in {(s["asset"], s["partition"]) for s in planned["steps"]}
    [waiting] = planned["waiting"]
    assert (waiting["asset"], waiting["partition"], waiting["cause"]) == ("clean", DAY, "waiting")
    assert "--retry-failed" in waiting["detail"]
    assert f"Waiting: clean[{DAY}]" in project.ok("plan").stdout
    forced = project.json("plan", "--retry-failed")["steps"]
    assert {(s["asset"], s["partition"]): s["cause"] for s in forced}[("clean", DAY)] == "quarantined"
    assert "quarantined" in project.ok("why", "clean", DAY).stdout

    # Fixing the landing file and rebuilding that day publishes it and empties the plan.
    project.write_landing(DAY, [(int(r["order_id"]), r["customer"], float(r["amount"]))
                                for r in project.landing_rows(DAY)[:-1]])
    project.ok("materialize", "--partitions", DAY)
    assert project.json("plan")["steps"] == []
    assert project.parquet_rows("clean", DAY) == project.expected_clean(DAY)


def test_a_partition_never_published_that_fails_a_check_is_not_published(make_project) -> None:
    project = make_project("landing")
    _landing_with(project, DAY, (777, "eve", -5.0))  # fails non_negative_amount

    result = project.run("materialize")
    assert result.returncode == 1, str(result)
    assert f"quarantined: clean[{DAY}]" in result.stdout
    assert "non_negative_amount" in result.stdout
    assert not project.partition_file("clean", DAY).exists()
    assert [p.parent.name for p in project.files(".quarantine/clean")] == [DAY]
    for day in DAYS:
        if day != DAY:
            assert project.parquet_rows("clean", day) == project.expected_clean(day)
    assert project.table_rows("revenue", DAY) == []
    assert not project.partition_file("summary", None).exists()  # it reads every day, one is missing
    status = {entry["asset"]: entry for entry in project.json("status")}
    assert status["clean"]["quarantined"] == 1


def test_a_failing_warn_check_is_recorded_but_does_not_block(built_landing: Project) -> None:
    project = built_landing
    _landing_with(project, DAY, (555, "eve", 5000.0))  # fails plausible_amount (severity warn)

    result = project.run("materialize", "--partitions", DAY, "--json")
    assert result.returncode == 0, str(result)
    run = result.json()
    assert run["status"] == "succeeded"
    assert run["counts"]["quarantined"] == 0
    assert (555, "eve", 5000.0) in project.parquet_rows("clean", DAY)
    assert project.parquet_rows("clean", DAY) == project.expected_clean(DAY)
    assert project.revenue_rows(DAY) == project.expected_revenue(DAY)

    clean = _attempts(project, run["run_id"])[("clean", DAY)]
    assert clean["status"] == "published"
    failed = [(c["check"], c["severity"]) for c in clean["checks"] if not c["passed"]]
    assert failed == [("plausible_amount", "warn")]
    assert project.files(".quarantine") == []
    status = {entry["asset"]: entry for entry in project.json("status")}
    assert all(entry["fresh"] == entry["partitions"] for entry in status.values())


def test_a_publish_the_warehouse_refuses_fails_that_partition_and_changes_nothing(built_landing: Project) -> None:
    project = built_landing
    before = {day: project.revenue_rows(day) for day in DAYS}
    project.edit("sql/revenue.sql", "count(*) AS orders", "count(*) || ' orders' AS orders")

    result = project.run("materialize", "--select", "revenue")
    assert result.returncode == 1, str(result)
    assert "Publishing revenue[2025-01-01] into the DuckDB table failed" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr
    assert {day: project.revenue_rows(day) for day in DAYS} == before
    statuses = {row["asset"]: row for row in project.json("status")}
    assert statuses["revenue"]["failed"] == len(DAYS)
