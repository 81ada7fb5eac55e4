"""``--executor dask`` on a ``distributed.LocalCluster`` (processes, 2 workers) on loopback:
the same data as the other executors, a worker killed mid-partition recorded and its partition
published once, and the one-line errors."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

from cli_project import DAYS, Project

from assets_core.execution.compute import Work
from assets_core.execution.dask_pool import task_key


def test_threads_processes_and_dask_publish_identical_data_versions(make_project: Callable[..., Project]) -> None:
    threads, processes, dask = (make_project("landing", name) for name in ("threads", "processes", "dask"))
    threads.ok("materialize", "--workers", "2")
    processes.ok("materialize", "--workers", "2", "--executor", "processes")
    result = dask.ok("materialize", "--workers", "2", "--executor", "dask")
    assert "13 published, 0 failed" in result.stdout, str(result)
    assert dask.published_versions() == threads.published_versions() == processes.published_versions()
    for day in DAYS:
        assert dask.revenue_rows(day) == threads.revenue_rows(day)
    assert dask.json("plan")["steps"] == []


_KILLED_ONCE = '''
    import os
    import signal
    from pathlib import Path

    import polars as pl

    from assets_core import AssetContext, DailyPartitions, asset

    MARKER = Path(__file__).parent / "killed"


    @asset(partitions=DailyPartitions(start="2025-01-01", end="2025-01-05"))
    def numbers(context: AssetContext) -> pl.DataFrame:
        """The worker computing 2025-01-03 dies the first time, as if killed or out of memory."""
        if context.partition_key == "2025-01-03" and not MARKER.exists():
            MARKER.write_text(str(os.getpid()))
            os.kill(os.getpid(), signal.SIGKILL)
        return pl.DataFrame({"day": [context.partition_key], "n": [int(context.partition_key[-2:])]})
'''


def _killed_once_project(root: Path) -> Project:
    root.mkdir()
    (root / "assets.toml").write_text('[project]\nname = "killed"\nmodules = ["killed_assets"]\n')
    (root / "killed_assets.py").write_text(textwrap.dedent(_KILLED_ONCE))
    return Project(root)


def test_a_worker_killed_mid_partition_is_recorded_and_the_partition_published_once(tmp_path: Path) -> None:
    project = _killed_once_project(tmp_path / "killed")
    result = project.ok("materialize", "--executor", "dask", "--workers", "2", "--json").json()
    assert (project.root / "killed").exists(), "the worker was never killed: the test proves nothing"
    assert result["status"] == "succeeded" and result["counts"]["published"] == 4, result

    attempts = [a for a in project.json("runs", "show", result["run_id"])["attempts"] if a["partition"] == "2025-01-03"]
    statuses = sorted(a["status"] for a in attempts)
    assert statuses == ["published", "retried"], attempts
    [lost] = [a for a in attempts if a["status"] == "retried"]
    assert "its Dask worker was lost" in lost["error"]
    published = project.catalog("SELECT count(*) FROM materializations WHERE partition = '2025-01-03' AND status = 'published'")
    assert published == [(1,)]
    assert project.parquet_rows("numbers", "2025-01-03") == [("2025-01-03", 3)]
    assert project.json("plan")["steps"] == []


def test_an_unreachable_scheduler_is_one_line_naming_it(landing: Project) -> None:
    result = landing.run("materialize", "--executor", "dask", "--dask-address", "tcp://127.0.0.1:9")
    assert result.returncode != 0
    assert result.error_lines == [result.error_lines[0]] and "tcp://127.0.0.1:9" in result.stderr, str(result)
    assert "Traceback" not in result.stderr
    assert landing.run("materialize", "--dask-address", "tcp://127.0.0.1:9").returncode == 2


def test_task_keys_are_deterministic_per_run_asset_partition_and_submission() -> None:
    work = Work(asset="clean", key="2025-01-02", run_id="r1", slices=())
    assert task_key(work, 1) == task_key(Work(asset="clean", key="2025-01-02", run_id="r1", slices=()), 1)
    keys = {task_key(work, 1), task_key(work, 2), task_key(Work(asset="clean", key="2025-01-03", run_id="r1", slices=()), 1),
            task_key(Work(asset="clean", key="2025-01-02", run_id="r2", slices=()), 1)}
    assert len(keys) == 4
