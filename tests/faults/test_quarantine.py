"""Invariant 3: validation gates publishing. Data failing a blocking check never reaches the
published location; it goes to quarantine with the check's result. A warning does not block."""

from __future__ import annotations

import signal

import duckdb
import pytest

from assets_core.storage.versions import content_version
from cli_project import DAY, DAYS, Project
from postgres_server import both_catalogs


def _landing_with(project: Project, day: str, extra: tuple[int, str, float]) -> None:
    rows = [(int(r["order_id"]), r["customer"], float(r["amount"])) for r in project.landing_rows(day)]
    project.write_landing(day, [*rows, extra])


def _attempts(project: Project, run_id: str) -> dict[tuple[str, str], dict]:
    shown = project.json("runs", "show", run_id)
    assert shown["run"]["run_id"] == run_id
    return {(a["asset"], a["partition"]): a for a in shown["attempts"]}


@both_catalogs
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


# -- a release killed half way, and quarantine by ranges ---------------------------------------


def _read(project: Project, asset: str, key: str) -> list[tuple]:
    return project.revenue_rows(key) if asset == "revenue" else project.parquet_rows(asset, key)


def _quarantine_new_data(project: Project, asset: str, day: str = DAY) -> list[tuple]:
    """A new version of ``day`` that fails ``asset``'s blocking check; returns its rows as staged."""
    with project.landing_csv(day).open("a") as landing:
        # clean: a duplicate order id fails unique(order_id); revenue: no customer fails not_null.
        landing.write(f"{project.landing_rows(day)[0]['order_id']},eve,3.0\n" if asset == "clean" else "999,,5.0\n")
    result = project.run("materialize", "--partitions", day, "--json")
    assert result.returncode == 1 and result.json()["counts"]["quarantined"] == 1, str(result)
    [kept] = project.files(f".quarantine/{asset}/{day}")
    columns = "order_id, customer, amount" if asset == "clean" else "day, customer, orders, revenue"
    with duckdb.connect() as db:
        return sorted(db.execute(f"SELECT {columns} FROM read_parquet(?)", [str(kept)]).fetchall(), key=repr)


@pytest.mark.parametrize("point", ["publish", "catalog"])
@pytest.mark.parametrize("asset", ["clean", "revenue"], ids=["parquet", "duckdb"])
def test_a_release_killed_half_way_is_healed_by_the_next_command(built_landing: Project, asset: str, point: str) -> None:
    project = built_landing
    old = _read(project, asset, DAY)
    bad = _quarantine_new_data(project, asset)
    assert bad != old
    [kept] = project.files(f".quarantine/{asset}/{DAY}")
    bad_version = content_version(kept)

    killed = project.run("quarantine", "release", asset, DAY, "--reason", "reviewed", fault=f"{point}:{asset}:{DAY}")
    assert killed.returncode == -signal.SIGKILL, str(killed)
    # The publish is atomic: killed before it, readers see the old data; after it (in the
    # catalog write), the released data.
    assert _read(project, asset, DAY) == (bad if point == "catalog" else old)

    # The next command (any of them) finds the dead release and makes the catalog say what is on disk.
    status = {entry["asset"]: entry for entry in project.json("status")}
    assert status[asset]["unknown"] == 0
    released = point == "catalog"
    assert status[asset]["quarantined"] == (0 if released else 1)
    runs = project.json("runs")
    assert (runs[0]["trigger"], runs[0]["status"]) == ("quarantine release", "interrupted")
    if released:
        assert project.published_versions()[(asset, DAY)] == bad_version
        assert project.json("quarantine", "list") == []
        assert project.files(f".quarantine/{asset}") == []
        [attempt] = project.json("runs", "show", runs[0]["run_id"])["attempts"]
        assert (attempt["status"], attempt["cause"], attempt["note"]) == ("published", "released", "reviewed")
    else:
        assert [(q["asset"], q["partition"]) for q in project.json("quarantine", "list")] == [(asset, DAY)]
        assert project.files(f".quarantine/{asset}/{DAY}") == [kept]
        project.ok("quarantine", "release", asset, DAY, "--reason", "reviewed again")
        assert project.published_versions()[(asset, DAY)] == bad_version
    assert _read(project, asset, DAY) == bad
    assert (asset, DAY) not in {(s["asset"], s["partition"]) for s in project.json("plan")["steps"]}
    assert project.files(".staging") == []
    if asset == "clean":  # downstream is rebuilt from the released data, and then all is fresh
        project.ok("materialize")
        assert project.json("plan")["steps"] == []
        assert _read(project, asset, DAY) == bad


def test_discard_works_when_the_quarantined_file_is_gone(built_landing: Project) -> None:
    project = built_landing
    before = project.partition_file("clean", DAY).read_bytes()
    _quarantine_new_data(project, "clean")
    [kept] = project.files(f".quarantine/clean/{DAY}")
    kept.unlink()

    refused = project.run("quarantine", "release", "clean", DAY, "--reason", "reviewed")
    assert refused.returncode == 2 and len(refused.error_lines) == 1, str(refused)
    assert f"assets quarantine discard clean {DAY}" in refused.stderr
    discarded = project.ok("quarantine", "discard", "clean", DAY)
    assert "Discarded 1" in discarded.stdout and "already gone" in discarded.stdout
    assert project.json("quarantine", "list") == []
    assert project.partition_file("clean", DAY).read_bytes() == before
    [attempt] = project.json("runs", "show", project.json("runs")[0]["run_id"])["attempts"]
    assert (attempt["status"], attempt["cause"]) == ("failed", "discarded")


def test_release_and_discard_take_ranges_lists_and_all(built_landing: Project) -> None:
    project = built_landing
    project.edit("sql/revenue.sql", "row_count = { min = 1 }", "row_count = { max = 1 }")  # every day fails
    result = project.run("materialize", "--select", "revenue", "--partitions", f"{DAYS[0]}..{DAYS[-1]}", "--json")
    assert result.returncode == 1 and result.json()["counts"]["quarantined"] == len(DAYS), str(result)
    published = {day: project.revenue_rows(day) for day in DAYS}
    first, second, third, fourth = DAYS

    released = project.ok("quarantine", "release", "revenue", f"{first}..{second}", "--reason", "the check was wrong")
    assert "Released 2 partitions of revenue" in released.stdout, str(released)
    run = project.json("runs")[0]
    assert (run["trigger"], run["status"], run["counts"]["published"]) == ("quarantine release", "succeeded", 2)
    assert {a["partition"] for a in project.json("runs", "show", run["run_id"])["attempts"]} == {first, second}

    # A key not in quarantine: one line naming it and `assets quarantine list`; nothing is done.
    no_keys = project.run("quarantine", "discard", "revenue")
    assert no_keys.returncode == 2 and "--all --select revenue" in no_keys.stderr, str(no_keys)
    refused = project.run("quarantine", "discard", "revenue", f"{second},{third}")
    assert refused.returncode == 2 and len(refused.error_lines) == 1, str(refused)
    assert f"revenue[{second}] is not in quarantine" in refused.stderr and "assets quarantine list" in refused.stderr
    assert {q["partition"] for q in project.json("quarantine", "list")} == {third, fourth}
    missing_reason = project.run("quarantine", "release", "--all", "--select", "revenue")
    assert missing_reason.returncode == 2 and "--reason is required" in missing_reason.stderr

    discarded = project.ok("quarantine", "discard", "revenue", third)  # the single-key form still works
    assert "Discarded 1 partition of revenue" in discarded.stdout, str(discarded)
    assert project.ok("quarantine", "release", "--all", "--select", "revenue", "--reason", "ok").stdout.startswith(
        "Released 1 partition of revenue")
    assert project.json("quarantine", "list") == []
    assert project.files(".quarantine") == []
    for day in (first, second, fourth):
        assert project.revenue_rows(day) == project.expected_revenue(day)
    assert project.revenue_rows(third) == published[third]
    nothing = project.run("quarantine", "release", "--all", "--reason", "ok")
    assert nothing.returncode == 2 and "Nothing in quarantine" in nothing.stderr


def test_release_all_over_many_partitions_takes_one_command(built_landing: Project) -> None:
    """The case of the issue: a check changed, every partition quarantined; one command each way."""
    project = built_landing
    project.edit("sql/revenue.sql", "row_count = { min = 1 }", "row_count = { max = 1 }")
    assert project.run("materialize", "--select", "revenue", "--partitions", f"{DAYS[0]}..{DAYS[-1]}").returncode == 1
    project.ok("quarantine", "discard", "--all", "--reason", "the new check is right")
    assert project.json("quarantine", "list") == []
    [attempt, *_] = project.json("runs", "show", project.json("runs")[0]["run_id"])["attempts"]
    assert (attempt["status"], attempt["cause"], attempt["note"]) == ("failed", "discarded", "the new check is right")
    assert project.json("runs")[0]["counts"]["failed"] == len(DAYS)
    both = project.run("quarantine", "release", "revenue", DAY, "--all", "--reason", "x")
    assert both.returncode == 2 and len(both.error_lines) == 1, str(both)


def test_a_release_of_many_killed_on_one_leaves_each_partition_released_or_quarantined(built_landing: Project) -> None:
    project = built_landing
    for day in DAYS:  # new data that fails not_null(customer) on every day
        with project.landing_csv(day).open("a") as landing:
            landing.write("999,,5.0\n")
    assert project.run("materialize", "--partitions", f"{DAYS[0]}..{DAYS[-1]}").returncode == 1
    assert len(project.json("quarantine", "list")) == len(DAYS)
    first, second, *rest = DAYS
    killed = project.run("quarantine", "release", "revenue", f"{DAYS[0]}..{DAYS[-1]}", "--reason", "r",
                         fault=f"catalog:revenue:{second}")
    assert killed.returncode == -signal.SIGKILL, str(killed)

    # The catalog as the kill left it: the first recorded, the second published but not recorded.
    last = "SELECT partition, last_status FROM partitions WHERE asset = 'revenue'"
    assert dict(project.catalog(last)) == {first: "published", **{d: "quarantined" for d in (second, *rest)}}
    assert project.revenue_rows(second) == project.expected_revenue(second)
    # The next command (`quarantine list` too) heals: the second recorded as released, the rest untouched.
    assert {q["partition"] for q in project.json("quarantine", "list")} == set(rest)
    [run] = [r for r in project.json("runs") if r["trigger"] == "quarantine release"]
    assert run["status"] == "interrupted"
    released = project.json("runs", "show", run["run_id"])["attempts"]
    assert sorted((a["partition"], a["status"], a["cause"]) for a in released) == [
        (first, "published", "released"), (second, "published", "released")]
    assert [f.parent.name for f in project.files(".quarantine/revenue")] == rest
    assert sum(e["unknown"] for e in project.json("status")) == 0
    project.ok("quarantine", "release", "revenue", ",".join(rest), "--reason", "r")
    assert project.json("quarantine", "list") == []
    assert project.files(".quarantine") == [] and project.files(".staging") == []
