"""Backfills through the real CLI: recorded with their reason, planned per asset, resumed
after an interruption."""

from __future__ import annotations

from collections.abc import Callable

from cli_project import Project

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
