"""Hostile signals: Ctrl-C stops the run wherever it is, and what it stopped is not a failure."""

from __future__ import annotations

import signal
import time

import pytest

from cli_project import Project

SLOW_QUERY = """-- description = "A query that runs for minutes: Ctrl-C must stop it."
SELECT count(*) AS n FROM range(20000000000) t(i) WHERE i % 7 = 3
"""


def _leases(project: Project) -> int:
    try:
        return len(project.catalog("SELECT 1 FROM leases"))
    except Exception:  # the catalog's tables may not exist yet
        return 0


@pytest.mark.parametrize("executor", [("--workers", "1"), ("--workers", "2", "--executor", "threads"),
                                      ("--workers", "2", "--executor", "processes")], ids=["inline", "threads", "processes"])
def test_ctrl_c_during_a_duckdb_query_interrupts_the_run(landing: Project, executor: tuple[str, ...]) -> None:
    """Ctrl-C during a DuckDB query was recorded as an ordinary failure and the run went on,
    exiting 1; with one worker or threads the query even ran to its end first."""
    (landing.root / "sql" / "slow_count.sql").write_text(SLOW_QUERY)
    process = landing.popen("materialize", "--select", "slow_count", *executor)
    landing.wait_for("the run to take its lease", lambda: landing.catalog_path.exists() and _leases(landing) >= 1)
    time.sleep(1.0)  # well into the query
    sent = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert time.monotonic() - sent < 10, "the query ran on after Ctrl-C"
    assert process.returncode == 130, err
    assert "interrupted:" in err and "Traceback" not in err, err
    run = landing.json("runs")[0]
    assert run["status"] == "interrupted", run
    attempts = landing.json("runs", "show", run["run_id"])["attempts"]
    assert [a for a in attempts if a["status"] == "failed"] == [], attempts


def _alive(pids: set[int]) -> set[int]:
    """The processes among ``pids`` still running (a zombie waiting for its reaper is not)."""
    import psutil

    alive = set()
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.add(pid)
        except psutil.NoSuchProcess:
            continue
    return alive


def test_a_killed_run_leaves_no_worker_to_publish_old_code_over_a_newer_run(make_project) -> None:
    """Issue 13, item 1: SIGKILL the main process under --executor processes and its workers
    kept computing; one published its partition after the next run had rebuilt it with new
    code, so the file held old-code data while the catalog said the new version was fresh."""
    import psutil

    project = make_project("leases")
    days = ["2025-01-01", "2025-01-02"]
    project.root.joinpath("hold-v1").touch()  # the old code waits on it, the new code does not
    main = project.popen("materialize", "--partitions", f"{days[0]}..{days[1]}", "--executor", "processes",
                         "--workers", "2")
    started = project.root / "started"
    project.wait_for("both partitions to compute in workers",
                     lambda: started.is_dir() and {p.name.split(".")[0] for p in started.iterdir()} == set(days))
    workers = {p.pid for p in psutil.Process(main.pid).children(recursive=True)}
    computing = {int(p.name.split(".")[1]) for p in started.iterdir()}
    assert computing and computing <= workers, (computing, workers)
    main.kill()
    main.wait(timeout=30)  # not communicate: an orphaned worker would keep its output pipes open
    project.processes.remove(main)
    for pipe in (main.stdout, main.stderr):
        assert pipe is not None
        pipe.close()

    # Its workers die with it, though their partitions still wait (they would for two minutes).
    project.wait_for("every worker of the killed run to end", lambda: not _alive(workers), timeout=30)

    project.edit("lease_assets.py", 'VERSION = "v1"', 'VERSION = "v2"')
    rerun = project.run("materialize", "--partitions", f"{days[0]}..{days[1]}", "--executor", "processes",
                        "--workers", "2")
    assert rerun.returncode == 0, str(rerun)
    project.root.joinpath("hold-v1").unlink()  # an orphan of the killed run would go on now
    assert not _alive(workers)

    rows = project.parquet_rows("tagged", every_partition=True)
    assert sorted(rows) == [(d, "v2", d) for d in days], rows
    new_run = project.json("runs")[0]["run_id"]
    assert project.catalog("SELECT partition, published_run FROM partitions ORDER BY partition") == [
        (d, new_run) for d in days]
    assert [s for s in project.json("plan")["steps"] if s["partition"] in days] == []


SLEEPY = '''

@asset(partitions=DAYS)
def sleepy(raw: pl.DataFrame, context: AssetContext) -> pl.DataFrame:
    """Minutes per partition: Ctrl-C must stop it."""
    import time
    from pathlib import Path

    (Path(__file__).parent / f"sleeping-{context.partition_key}").touch()
    time.sleep(300)
    return raw
'''


def test_ctrl_c_from_the_terminal_with_worker_processes_is_one_line(landing: Project) -> None:
    """A terminal's Ctrl-C reaches every process of its group: each worker printed its own
    KeyboardInterrupt traceback before the run's one line."""
    import os
    import subprocess

    from cli_project import assets_command, cli_env

    landing.ok("materialize", "--select", "raw")
    with (landing.root / "landing_assets.py").open("a") as module:
        module.write(SLEEPY)
    process = subprocess.Popen([*assets_command(), "materialize", "--executor", "processes", "--workers", "2"],
                               cwd=landing.root, env=cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, start_new_session=True)  # a group of its own, as a terminal's job
    landing.processes.append(process)
    try:
        landing.wait_for("both workers in the asset's code", lambda: len(list(landing.root.glob("sleeping-*"))) >= 2)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    [line] = [line for line in err.splitlines() if line.strip()]
    assert line.startswith("interrupted:"), err
