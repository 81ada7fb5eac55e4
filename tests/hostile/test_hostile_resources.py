"""Hostile resources: a run never takes more than its work needs."""

from __future__ import annotations

import time
from pathlib import Path

from assets_core.execution.workers import WorkerPool
from cli_project import DAY, Project


def test_a_pool_starts_no_process_before_it_has_work(tmp_path: Path) -> None:
    """`--workers 16` started 16 processes for one partition (40 used 2.8 GB): a worker process
    starts with its first partition."""
    pool = WorkerPool(4, str(tmp_path))
    try:
        time.sleep(0.5)  # the feeders are running; before, each had spawned its process by now
        assert pool._workers == {}
    finally:
        pool.shutdown()


def test_processes_for_one_partition_start_one_worker(landing: Project) -> None:
    """Each process that loads the project (the run's own, and each worker's) imports the
    asset module: its pid, written at import, counts the processes."""
    module = landing.root / "landing_assets.py"
    module.write_text("import os, pathlib\n"
                      "with open(pathlib.Path(__file__).with_name('pids'), 'a') as f: f.write(f'{os.getpid()}\\n')\n"
                      + module.read_text())
    landing.ok("materialize", "--select", "raw", "--partitions", DAY, "--executor", "processes", "--workers", "8")
    pids = set((landing.root / "pids").read_text().split())
    assert len(pids) == 2, pids  # the run's process and one worker
