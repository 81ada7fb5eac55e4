"""Group commit: the partitions of a DuckDB asset that each passed their own checks are
published together, in one warehouse transaction fenced by all their leases at once, and each
is recorded on its own.

- A partition that fails its checks is never in the group: the others publish, it is absent
  from the table and recorded quarantined, each partition with one attempt of its own.
- A kill -9 inside a group commit applies none of it: every partition of the group is whole
  and old for a reader; a rerun converges with no duplicates.
- A partition of the group whose lease was taken over is left out (recorded as failure
  ``lease``) and the rest of the group is still published.
"""

from __future__ import annotations

import signal

import pytest
from cli_project import DAY, DAYS, EXECUTORS, Project
from test_leases import DAYS as LEASE_DAYS
from test_leases import _leased_by, _rows, _started, _use, _wait_past

LAST = DAYS[-1]


def _attempts(project: Project, run_id: str, asset: str) -> list[tuple[str, str]]:
    return sorted((p, s) for p, s in project.catalog(
        "SELECT partition, status FROM materializations WHERE run_id = ? AND asset = ?", (run_id, asset)))


@pytest.mark.parametrize("executor", ["inline", "threads"])
def test_a_partition_failing_its_checks_stays_out_of_the_group_and_the_others_publish(
    landing: Project, executor: str,
) -> None:
    project = landing
    rows = [(int(r["order_id"]), r["customer"], float(r["amount"])) for r in project.landing_rows(DAY)]
    project.write_landing(DAY, [*rows, (99, "", 5.0)])  # a null customer: revenue's not_null fails on DAY only

    result = project.run("materialize", *EXECUTORS[executor], "--json")
    assert result.returncode == 1, str(result)
    run = result.json()
    assert run["counts"].get("quarantined") == 1 and not run["counts"].get("failed"), run["counts"]

    published = [d for d in DAYS if d != DAY]
    assert project.table_rows("revenue", DAY) == []  # never reached the table
    for day in published:
        assert project.revenue_rows(day) == project.expected_revenue(day)
    assert sorted({row[-1] for row in project.table_rows("revenue")}) == published
    # One attempt per partition, each with its own outcome and its own version.
    assert _attempts(project, run["run_id"], "revenue") == sorted(
        (d, "quarantined" if d == DAY else "published") for d in DAYS)
    versions = project.catalog("SELECT partition, data_version, rows FROM partitions WHERE asset = 'revenue'")
    assert sorted(p for p, v, _ in versions if v is not None) == published
    assert len({v for _, v, _ in versions if v is not None}) == len(published)
    shown = {(a["asset"], a["partition"]): a for a in project.json("runs", "show", run["run_id"])["attempts"]}
    assert [c["check"] for c in shown[("revenue", DAY)]["checks"] if not c["passed"]] == ["not_null(customer)"]
    assert project.files(".staging") == []


@pytest.mark.parametrize("executor", ["inline", "threads"])
def test_a_kill_inside_a_group_commit_leaves_every_partition_of_the_group_whole_and_old(
    built_landing: Project, executor: str,
) -> None:
    project = built_landing
    old = {d: project.revenue_rows(d) for d in DAYS}
    for day in DAYS:
        project.change_landing(day)
    new = {d: project.expected_revenue(d) for d in DAYS}
    assert all(new[d] != old[d] for d in DAYS)

    # Killed at the last partition's step of the group's transaction: the other partitions'
    # rows are already replaced in it, uncommitted.
    every_day = f"{DAYS[0]}..{LAST}"
    killed = project.run("materialize", "--partitions", every_day, *EXECUTORS[executor], fault=f"publish:revenue:{LAST}")
    assert killed.returncode == -signal.SIGKILL, str(killed)
    assert {d: project.revenue_rows(d) for d in DAYS} == old, "a group commit was half applied"
    assert len(project.table_rows("revenue")) == sum(len(rows) for rows in old.values())

    healed = project.run("materialize")
    assert healed.returncode == 0, str(healed)
    assert project.json("plan")["steps"] == []
    assert {d: project.revenue_rows(d) for d in DAYS} == new
    assert len(project.table_rows("revenue")) == sum(len(rows) for rows in new.values()), "duplicated rows"
    healed_run = project.json("runs")[0]["run_id"]
    assert _attempts(project, healed_run, "revenue") == [(d, "published") for d in DAYS]


def test_a_lease_lost_inside_a_group_leaves_only_that_partition_out(make_project) -> None:
    project = make_project("leases")
    module = _use(project, "duckdb")
    days = LEASE_DAYS[:4]
    project.root.joinpath("hold-v1").touch()
    paused = project.popen("materialize", "--partitions", f"{days[0]}..{days[-1]}", "--workers", "1")
    first = _leased_by(project, paused, len(days))
    project.wait_for("its first partition to compute", lambda: {days[0]} <= _started(project))
    paused.send_signal(signal.SIGSTOP)
    try:
        _wait_past(project, first)
        # Another run takes over one partition of the four, and publishes it with new code.
        project.edit(module, 'VERSION = "v1"', 'VERSION = "v2"')
        second = project.run("materialize", "--partitions", days[1])
        assert second.returncode == 0, str(second)
        second_id = project.json("runs")[0]["run_id"]
        project.root.joinpath("hold-v1").unlink()
    finally:
        paused.send_signal(signal.SIGCONT)
    out, err = paused.communicate(timeout=120)
    assert paused.returncode == 1, f"{out}\n{err}"

    # The first run's group: the three partitions it still held are published, the one taken
    # over is the second run's, untouched.
    assert sorted(_rows(project)) == sorted([(d, "v1", d) for d in days if d != days[1]] + [(days[1], "v2", days[1])])
    attempts = {a["partition"]: a for a in project.json("runs", "show", first)["attempts"]}
    assert sorted(attempts) == days, "one attempt per partition"
    assert attempts[days[1]]["status"] == "failed" and attempts[days[1]]["failure"] == "lease"
    assert attempts[days[1]]["error"].startswith(f"lease lost: taken over by run {second_id} at 20")
    assert all(attempts[d]["status"] == "published" for d in days if d != days[1])
    state = dict(project.catalog("SELECT partition, published_run FROM partitions WHERE asset = 'tagged'"))
    assert state == {**{d: first for d in days}, days[1]: second_id}
    assert project.files(".staging") == []
    assert project.catalog("SELECT count(*) FROM leases") == [(0,)]
