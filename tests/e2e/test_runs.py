"""Runs: the reference time a run plans against, retrying a run, the executors, and the
progress display on a terminal."""

from __future__ import annotations

from datetime import datetime

from cli_project import DAYS, Project


def test_as_of_plans_only_the_partitions_due_then(landing: Project) -> None:
    # The daily partitions of 2025-01-01..04 end one after another; at 02T12:00 only the 1st is due.
    plan = landing.json("plan", "--as-of", "2025-01-02T12:00:00+00:00")
    assert {(s["asset"], s["partition"]) for s in plan["steps"] if s["asset"] != "summary"} == {
        ("raw", "2025-01-01"), ("clean", "2025-01-01"), ("revenue", "2025-01-01")
    }
    assert plan["reference_time"].startswith("2025-01-02T12:00:00")


def test_a_retry_replans_with_the_runs_selection_partitions_and_reference_time(landing: Project) -> None:
    landing.ok("materialize", "--select", "raw", "--partitions", "2025-01-01..2025-01-02", "--as-of", "2025-03-01T00:00:00+00:00")
    first = landing.json("runs")[0]
    assert first["selection"] == "raw" and first["partitions"] == "2025-01-01..2025-01-02"
    assert first["reference_time"].startswith("2025-03-01T00:00:00")

    landing.ok("materialize", "--retry", first["run_id"])
    retried = landing.json("runs")[0]
    assert retried["run_id"] != first["run_id"]
    assert (retried["selection"], retried["partitions"]) == (first["selection"], first["partitions"])
    assert retried["reference_time"] == first["reference_time"]
    attempts = landing.json("runs", "show", retried["run_id"])["attempts"]
    assert sorted((a["asset"], a["partition"]) for a in attempts) == [("raw", "2025-01-01"), ("raw", "2025-01-02")]

    unknown = landing.run("materialize", "--retry", "no-such-run")
    assert unknown.returncode == 2 and "No run 'no-such-run'" in unknown.stderr


def test_the_processes_executor_publishes_what_the_inline_one_does(make_project) -> None:  # type: ignore[no-untyped-def]
    inline, processes = make_project("landing", "inline"), make_project("landing", "processes")
    inline.ok("materialize")
    result = processes.ok("materialize", "--workers", "2", "--executor", "processes")
    assert "13 published, 0 failed" in result.stdout
    assert processes.published_versions() == inline.published_versions()
    for day in DAYS:
        assert processes.revenue_rows(day) == inline.revenue_rows(day)
    assert processes.json("plan")["steps"] == []

    bad = processes.run("materialize", "--executor", "fibers")
    assert bad.returncode == 2 and "--executor 'fibers'" in bad.stderr


def test_on_a_terminal_materialize_shows_progress_per_asset(landing: Project) -> None:
    code, text = landing.on_a_terminal("materialize", columns=120)
    assert code == 0
    assert "all assets" in text and "━" in text  # the overall bar
    for asset in ("raw", "clean", "revenue", "summary"):
        assert asset in text
    assert "13 published" in text


def test_a_worker_killed_mid_partition_interrupts_the_run_and_the_next_run_heals(landing: Project) -> None:
    killed = landing.run("materialize", "--workers", "2", "--executor", "processes", fault="stage:clean:2025-01-02")
    assert killed.returncode == 1, str(killed)
    assert "A worker process died while computing" in killed.stderr and "Traceback" not in killed.stderr
    assert landing.json("runs")[0]["status"] == "interrupted"
    assert not (landing.data / "clean" / "partition_key=2025-01-02").exists()

    landing.ok("materialize")
    assert landing.json("plan")["steps"] == []
    assert landing.parquet_rows("clean", "2025-01-02") == landing.expected_clean("2025-01-02")


def test_ctrl_c_interrupts_with_one_line_and_the_next_run_resumes(make_project) -> None:  # type: ignore[no-untyped-def]
    import signal

    project = make_project("slow")
    (project.root / "hold").touch()  # the last partition waits, so the run is surely still going
    process = project.popen("materialize")
    project.wait_for("the first partition to be published",
                     lambda: project.catalog_path.exists() and _published(project) >= 1)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert "interrupted:" in err and "Traceback" not in err
    assert project.json("runs")[0]["status"] == "interrupted"
    (project.root / "hold").unlink()
    project.ok("materialize")
    assert project.json("plan")["steps"] == []


def test_ctrl_c_leaves_unknown_only_what_the_run_was_writing(make_project) -> None:  # type: ignore[no-untyped-def]
    """Ctrl-C made every never-published planned partition `unknown` ("a run died while
    writing it") instead of `missing`, and the status table had no `unknown` column."""
    import signal

    project = make_project("slow")
    process = project.popen("materialize")
    project.wait_for("the first partition to be published",
                     lambda: project.catalog_path.exists() and _published(project) >= 1)
    process.send_signal(signal.SIGINT)
    process.communicate(timeout=60)
    assert process.returncode == 130
    [slow, total] = project.json("status")
    assert slow["unknown"] <= 1, slow  # the one partition being computed, at most
    assert slow["fresh"] + slow["missing"] + slow["unknown"] == 20 and slow["missing"] >= 1
    assert total["missing"] == 1 and total["unknown"] == 0
    header = project.ok("status").stdout.splitlines()[1]
    for key in ("fresh", "upstream stale", "stale", "missing", "failed", "quarantined", "unknown", "waiting"):
        assert key in header, header


def _published(project: Project) -> int:
    try:
        return len(project.catalog("SELECT 1 FROM partitions WHERE data_version IS NOT NULL"))
    except Exception:  # the catalog's tables may not exist yet
        return 0


def test_every_attempt_records_where_its_time_went(landing: Project) -> None:
    landing.ok("materialize", "--partitions", "2025-01-01")
    run = landing.json("runs")[0]
    attempts = {a["asset"]: a for a in landing.json("runs", "show", run["run_id"])["attempts"]}
    # Python assets read inputs then compute; a SQL query reads its own inputs (all compute);
    # every published partition was staged, validated and published.
    assert set(attempts["clean"]["timings"]) == {"inputs", "compute", "stage", "validate", "publish"}
    assert set(attempts["raw"]["timings"]) == {"inputs", "compute", "stage", "validate", "publish"}
    assert set(attempts["revenue"]["timings"]) == {"compute", "stage", "validate", "publish"}
    for name in ("raw", "clean", "revenue"):
        timings, attempt = attempts[name]["timings"], attempts[name]
        assert all(seconds >= 0 for seconds in timings.values())
        wall = (datetime.fromisoformat(attempt["ended_at"]) - datetime.fromisoformat(attempt["started_at"]))
        assert sum(timings.values()) <= wall.total_seconds() + 0.01
