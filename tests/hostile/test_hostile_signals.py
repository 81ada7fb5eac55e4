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
