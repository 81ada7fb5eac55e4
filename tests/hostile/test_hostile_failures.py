"""Hostile failures: whatever asset code or the disk does, a failure is that partition's,
named as such, and the run goes on with the others."""

from __future__ import annotations

import errno
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cli_project import DAY, DAYS, EXECUTORS, Project



@pytest.mark.parametrize("executor", EXECUTORS)
def test_sys_exit_in_asset_code_is_that_partitions_failure(landing: Project, executor: str) -> None:
    """`sys.exit(3)` ended `materialize` with exit 3 and no message (threads, inline), or "a
    worker process died (killed, or out of memory?)" (processes)."""
    landing.edit("landing_assets.py", '    """The landing file of the partition\'s day, as it is."""\n',
                 '    """The landing file of the partition\'s day, as it is."""\n'
                 f'    if context.partition_key == "{DAY}":\n        import sys\n        sys.exit(3)\n')
    result = landing.run("materialize", "--select", "raw", *EXECUTORS[executor])
    assert result.returncode == 1, str(result)
    assert "called sys.exit(3)" in result.stdout + result.stderr, str(result)
    assert "Traceback" not in result.stderr and "out of memory" not in result.stderr, str(result)
    for day in DAYS:
        if day != DAY:
            assert landing.partition_file("raw", day).exists(), day
    assert not landing.partition_file("raw", DAY).exists()
    run = landing.json("runs")[0]
    assert run["status"] == "failed", run


def test_a_column_parquet_cannot_hold_fails_that_partition_only(landing: Project) -> None:
    """A polars `Object` column made staging raise a polars error: a traceback, and no other
    partition published."""
    landing.edit("landing_assets.py", '    return pl.read_csv(LANDING / f"{context.partition_key}.csv", schema=SCHEMA)\n',
                 '    frame = pl.read_csv(LANDING / f"{context.partition_key}.csv", schema=SCHEMA)\n'
                 f'    if context.partition_key == "{DAY}":\n'
                 '        frame = frame.with_columns(pl.Series("thing", [object()] * frame.height, dtype=pl.Object))\n'
                 '    return frame\n')
    result = landing.run("materialize", "--select", "raw")
    assert result.returncode == 1, str(result)
    assert "Traceback" not in result.stderr, str(result)
    assert f"raw[{DAY}]" in result.stdout + result.stderr, str(result)
    assert "cannot be staged" in result.stdout + result.stderr, str(result)
    for day in DAYS:
        assert landing.partition_file("raw", day).exists() == (day != DAY), day


def test_a_staging_folder_that_cannot_be_made_fails_the_partitions_with_one_line(landing: Project) -> None:
    """An OSError while staging (full disk, read-only data dir, a name too long) killed the run
    with a traceback; here `.staging` is a file, so no staging folder can be made."""
    landing.data.mkdir(parents=True, exist_ok=True)
    (landing.data / ".staging").write_text("not a folder")
    result = landing.run("materialize", "--select", "raw", "--partitions", DAY)
    assert result.returncode == 1, str(result)
    assert "Traceback" not in result.stderr, str(result)
    assert "cannot be staged" in result.stdout + result.stderr, str(result)
    run = landing.json("runs")[0]
    assert run["status"] == "failed", run


READS_REVENUE = '''

@asset(partitions=DAYS)
def per_day(revenue: pl.DataFrame) -> pl.DataFrame:
    """The warehouse's rows of the day, as a Parquet asset (it opens the warehouse to read)."""
    return revenue
'''


def _holding_the_warehouse(project: Project) -> subprocess.Popen[str]:
    """Another process that holds the DuckDB warehouse open (DuckDB lets one process write)."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time\n"
         f"db = duckdb.connect({str(project.warehouse)!r})\nprint('held', flush=True)\ntime.sleep(120)"],
        stdout=subprocess.PIPE, text=True,
    )
    project.processes.append(holder)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def test_a_locked_warehouse_is_a_transient_failure_retried_and_planned_again(landing: Project) -> None:
    """Another process holding the warehouse failed partitions "retry when its run has
    finished", recorded as permanent: they then waited for `--retry-failed`."""
    landing.ok("materialize")
    (landing.root / "assets.toml").write_text((landing.root / "assets.toml").read_text()
                                              + "\n[retry]\nmax_attempts = 2\ndelay = 0.2\n")
    (landing.root / "landing_assets.py").write_text((landing.root / "landing_assets.py").read_text() + READS_REVENUE)
    holder = _holding_the_warehouse(landing)
    result = landing.run("materialize", "--select", "per_day", "--partitions", DAY)
    holder.kill()
    holder.communicate(timeout=30)
    assert result.returncode == 1, str(result)
    assert "another process holds it" in result.stdout + result.stderr, str(result)
    run_id = landing.json("runs")[0]["run_id"]
    attempts = landing.json("runs", "show", run_id)["attempts"]
    assert [(a["status"], a["attempt"]) for a in attempts] == [("retried", 1), ("failed", 2)], attempts
    plan = landing.json("plan", "--select", "per_day", "--partitions", DAY)
    assert [s["partition"] for s in plan["steps"]] == [DAY] and plan["waiting"] == [], plan
    landing.ok("materialize", "--select", "per_day", "--partitions", DAY)
    assert landing.partition_file("per_day", DAY).exists()


def test_a_corrupt_warehouse_says_so_and_how_to_recover(landing: Project) -> None:
    """A warehouse file that is not a DuckDB database was reported as "another process may be
    writing it; retry when its run has finished"."""
    landing.ok("materialize", "--select", "+clean")
    landing.data.mkdir(parents=True, exist_ok=True)
    landing.warehouse.write_bytes(b"not a database" * 1000)
    result = landing.run("materialize", "--select", "revenue", "--partitions", DAY)
    assert result.returncode == 1, str(result)
    message = result.stdout + result.stderr
    assert "another process" not in message, message
    assert "not a valid DuckDB database" in message and "move it aside" in message, message


def test_a_hanging_webhook_neither_holds_the_leases_nor_delays_the_end_per_failure(landing: Project) -> None:
    """A webhook that never answers held up the run's end 5 s per failed partition (8
    failures: 40 s), with the run's leases held all along."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []

    def accept() -> None:  # takes connections and never answers
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    (landing.root / "assets.toml").write_text((landing.root / "assets.toml").read_text()
                                              + f'\n[hooks]\non_failure = ["{url}"]\n')
    landing.edit("landing_assets.py", '    """The landing file of the partition\'s day, as it is."""\n',
                 '    """The landing file of the partition\'s day, as it is."""\n    raise ValueError("broken")\n')
    try:
        started = time.monotonic()
        process = landing.popen("materialize", "--select", "raw")
        landing.wait_for("the first hook to be sent", lambda: len(accepted) >= 1)
        landing.wait_for("the run to end in the catalog", lambda: landing.catalog(
            "SELECT 1 FROM runs WHERE status != 'running'") != [], timeout=3)
        assert landing.catalog("SELECT asset, partition FROM leases") == []
        process.communicate(timeout=60)
        elapsed = time.monotonic() - started
    finally:
        listener.close()
        for connection in accepted:
            connection.close()
    assert process.returncode == 1
    assert elapsed < 12, f"{len(DAYS)} failures with a hanging webhook took {elapsed:.1f} s"


def test_a_full_disk_while_staging_is_a_transient_storage_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A full disk (ENOSPC) cannot be made on demand through the CLI: the write fails here
    as the kernel would make it fail, and staging says so as a failure that may pass."""
    import polars as pl

    from assets_core.errors import TransientStorageError
    from assets_core.storage.store import Storage

    def full(self: pl.DataFrame, path: object, **_: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(pl.DataFrame, "write_parquet", full)
    storage = Storage(tmp_path / "data", tmp_path / "data" / "warehouse.duckdb")
    with pytest.raises(TransientStorageError, match=r"raw\[2025-01-02\] cannot be staged .*the disk is full"):
        storage.stage("run", "raw", DAY, pl.DataFrame({"a": [1]}))
