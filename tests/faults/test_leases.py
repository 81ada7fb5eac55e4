"""Leases that fence (invariants 5 and 8), through the real CLI on real files.

The leases project's leases last 2 s. Its partitions wait while ``hold-<version>`` exists, so a
test holds a run where it wants; waiting here is synchronisation on a condition (a file, a row,
an expiry passed), never an assertion about time.

- Concurrent runs over overlapping ranges: one holds the partitions, the others say who holds
  which and until when, and write nothing; every partition is published exactly once.
- A holder killed (-9) on another machine (its pid cannot be checked) is taken over after its
  expiry, not before.
- A holder paused (SIGSTOP) past its expiry is taken over; resumed (SIGCONT), it does not
  publish: the data and the catalog are the second run's, and its refusal is recorded.
- A run and a lease of pid 1 on this host (a dead run in a container) are taken over after
  their expiry instead of blocking every later run forever (issue 13, item 15).
"""

from __future__ import annotations

import signal
import socket
import subprocess
from datetime import datetime, timedelta, timezone

import pytest

from cli_project import Project
from postgres_server import both_catalogs

DAYS = [f"2025-01-0{d}" for d in range(1, 7)]


def _rows(project: Project) -> list[tuple]:
    """Every published row of ``tagged`` with its key: its Parquet files read with their folders'
    keys, or its warehouse table (plain DuckDB readers of the documented layout)."""
    if "lease_table_assets" in (project.root / "assets.toml").read_text():
        return project.table_rows("tagged") if project.warehouse.exists() else []
    return project.parquet_rows("tagged", every_partition=True)


MODULES = {"parquet": "lease_assets.py", "duckdb": "lease_table_assets.py"}


def _use(project: Project, io: str) -> str:
    """The module of ``tagged`` published as ``io``; the file a test edits to change its code."""
    if io == "duckdb":
        project.edit("assets.toml", 'modules = ["lease_assets"]', 'modules = ["lease_table_assets"]')
    return MODULES[io]


def _count(project: Project, query: str, params: tuple = ()) -> int:
    if project.catalog_url is None and not project.catalog_path.exists():
        return 0
    try:
        return project.catalog(query, params)[0][0]
    except Exception:  # the catalog's tables are not created yet
        return 0


def _leased_by(project: Project, process: subprocess.Popen[str], n: int) -> str:
    """Wait for ``process`` to hold ``n`` leases; its run id."""
    project.wait_for(f"pid {process.pid} to take {n} leases",
                     lambda: _count(project, "SELECT count(*) FROM leases WHERE pid = ?", (process.pid,)) == n)
    return project.catalog("SELECT DISTINCT run_id FROM leases WHERE pid = ?", (process.pid,))[0][0]


def _started(project: Project) -> set[str]:
    folder = project.root / "started"
    return {p.name.split(".")[0] for p in folder.iterdir()} if folder.is_dir() else set()


def _wait_past(project: Project, run_id: str) -> None:
    """Wait until every lease of ``run_id`` (and its run row) is past its expiry."""
    def passed() -> bool:
        expiries = [row[0] for row in project.catalog(
            "SELECT expires_at FROM leases WHERE run_id = ? UNION ALL SELECT expires_at FROM runs WHERE run_id = ?",
            (run_id, run_id))]
        now = datetime.now(timezone.utc)
        return bool(expiries) and all(datetime.fromisoformat(e) < now for e in expiries)
    project.wait_for(f"the leases of {run_id} to expire", passed, timeout=30)


def _published_attempts(project: Project) -> dict[str, int]:
    return dict(project.catalog(
        "SELECT partition, count(*) FROM materializations WHERE asset = 'tagged' AND status = 'published' GROUP BY partition"))


def _assert_files_equal_catalog(project: Project, version: str, days: list[str]) -> None:
    rows = _rows(project)
    assert sorted(rows) == sorted((d, version, d) for d in days), rows
    published = project.catalog("SELECT partition FROM partitions WHERE asset = 'tagged' AND data_version IS NOT NULL")
    assert sorted(p for (p,) in published) == sorted(days)
    assert [s for s in project.json("plan")["steps"] if s["partition"] in days] == []


@pytest.mark.parametrize("ranges", [
    [(0, 4), (2, 6)],
    [(0, 4), (2, 6), (1, 5)],
], ids=["two", "three"])
@both_catalogs
def test_concurrent_runs_over_overlapping_ranges_publish_each_partition_once(make_project, ranges) -> None:
    project = make_project("leases")
    project.root.joinpath("hold-v1").touch()
    first, *others = ranges
    holder = project.popen("materialize", "--partitions", f"{DAYS[first[0]]}..{DAYS[first[1] - 1]}")
    run_id = _leased_by(project, holder, first[1] - first[0])
    # The others start while it holds its partitions, all at once.
    started = [project.popen("materialize", "--partitions", f"{DAYS[a]}..{DAYS[b - 1]}") for a, b in others]
    for process in started:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 1, f"{out}\n{err}"
        lines = [line for line in err.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: "), err
        # Who holds which partitions, until when, and how to take over.
        assert f"run {run_id} (pid {holder.pid} on {socket.gethostname()}) holds tagged[" in err, err
        assert " until 20" in err and "taken over by the first run started after that time" in err, err
    project.root.joinpath("hold-v1").unlink()
    out, err = holder.communicate(timeout=120)
    assert holder.returncode == 0, f"{out}\n{err}"

    # The refused runs wrote nothing and hold nothing; a plain run then builds what is left.
    refused = project.catalog("SELECT run_id FROM runs WHERE run_id != ?", (run_id,))
    assert len(refused) == len(others)
    assert project.catalog("SELECT count(*) FROM materializations WHERE run_id != ?", (run_id,)) == [(0,)]
    project.ok("materialize")
    assert project.catalog("SELECT count(*) FROM leases") == [(0,)]
    assert _published_attempts(project) == dict.fromkeys(DAYS, 1)
    rows = _rows(project)
    assert len(rows) == len(set(rows)) == len(DAYS)
    _assert_files_equal_catalog(project, "v1", DAYS)


@both_catalogs
def test_a_killed_holder_on_another_machine_is_taken_over_after_its_expiry(make_project) -> None:
    project = make_project("leases")
    project.root.joinpath("hold-v1").touch()
    holder = project.popen("materialize", "--partitions", f"{DAYS[0]}..{DAYS[1]}", env={"ASSETS_LEASE_SECONDS": "8"})
    run_id = _leased_by(project, holder, 2)
    holder.kill()
    holder.communicate(timeout=30)
    project.processes.remove(holder)  # killed on purpose: no failure to report
    project.root.joinpath("hold-v1").unlink()
    # As if it ran on another machine: its pid says nothing here, only its expiry counts.
    db_host = "another-machine"
    project.catalog("UPDATE leases SET host = ? WHERE run_id = ?", (db_host, run_id))
    project.catalog("UPDATE runs SET host = ? WHERE run_id = ?", (db_host, run_id))
    [(expires,)] = project.catalog("SELECT max(expires_at) FROM leases WHERE run_id = ?", (run_id,))
    early = project.run("materialize", "--partitions", DAYS[1])
    if datetime.fromisoformat(expires) > datetime.now(timezone.utc):  # it asked before the expiry
        assert early.returncode == 1, str(early)
        assert f"run {run_id} (pid {holder.pid} on {db_host}) holds tagged[{DAYS[1]}] until {expires}" in early.stderr, str(early)

    _wait_past(project, run_id)
    taken = project.run("materialize", "--partitions", f"{DAYS[0]}..{DAYS[1]}")
    assert taken.returncode == 0, str(taken)
    assert project.json("runs")[-1]["status"] == "interrupted"
    grants = project.catalog("SELECT partition, generation, run_id FROM lease_grants ORDER BY partition")
    second = project.json("runs")[0]["run_id"]
    assert grants == [(DAYS[0], 2, second), (DAYS[1], 2, second)]
    _assert_files_equal_catalog(project, "v1", DAYS[:2])


@pytest.mark.parametrize(("io", "executor", "catalog_backend"), [
    ("parquet", ("--workers", "1"), "sqlite"), ("parquet", ("--workers", "2", "--executor", "threads"), "sqlite"),
    ("parquet", ("--workers", "2", "--executor", "processes"), "sqlite"), ("duckdb", ("--workers", "1"), "sqlite"),
    ("duckdb", ("--workers", "2", "--executor", "processes"), "sqlite"),
    ("parquet", ("--workers", "2", "--executor", "processes"), "postgresql"),
], ids=["parquet-inline", "parquet-threads", "parquet-processes", "duckdb-inline", "duckdb-processes",
        "parquet-processes-postgresql"], indirect=["catalog_backend"])
def test_a_paused_holder_taken_over_never_publishes_when_resumed(make_project, io, executor) -> None:
    project = make_project("leases")
    module = _use(project, io)
    project.root.joinpath("hold-v1").touch()
    paused = project.popen("materialize", "--partitions", f"{DAYS[0]}..{DAYS[1]}", *executor)
    first = _leased_by(project, paused, 2)
    project.wait_for("its partitions to compute", lambda: {DAYS[0]} <= _started(project))
    paused.send_signal(signal.SIGSTOP)
    try:
        _wait_past(project, first)
        # New code, run while the first one sleeps: it takes over and publishes.
        project.edit(module, 'VERSION = "v1"', 'VERSION = "v2"')
        second = project.run("materialize", "--partitions", f"{DAYS[0]}..{DAYS[1]}", *executor)
        assert second.returncode == 0, str(second)
        _assert_files_equal_catalog(project, "v2", DAYS[:2])
        second_id = project.json("runs")[0]["run_id"]
        project.root.joinpath("hold-v1").unlink()  # the old code may go on once resumed
    finally:
        paused.send_signal(signal.SIGCONT)
    out, err = paused.communicate(timeout=120)
    assert paused.returncode == 1, f"{out}\n{err}"
    assert "lease lost: taken over by run " + second_id in out + err, f"{out}\n{err}"

    # Its publishes were refused, recorded as such, and changed nothing.
    _assert_files_equal_catalog(project, "v2", DAYS[:2])
    state = project.catalog("SELECT partition, published_run, last_run, last_status FROM partitions ORDER BY partition")
    assert state == [(DAYS[0], second_id, second_id, "published"), (DAYS[1], second_id, second_id, "published")]
    refused = project.json("runs", "show", first)["attempts"]
    assert refused and all(a["status"] == "failed" and a["failure"] == "lease" for a in refused), refused
    assert all(a["error"].startswith(f"lease lost: taken over by run {second_id} at 20") for a in refused), refused
    assert {a["partition"] for a in refused} <= set(DAYS[:2])
    assert project.files(".staging") == [], "the refused run's staged data was left behind"
    assert project.catalog("SELECT count(*) FROM leases") == [(0,)]
    assert project.json("runs", "show", first)["run"]["status"] == "failed"


@both_catalogs
def test_a_dead_run_with_pid_1_is_taken_over_after_its_expiry(make_project) -> None:
    """Liveness was ``kill(pid, 0)``: pid 1 always exists, so a dead run of a container blocked
    every later run forever (issue 13, item 15)."""
    project = make_project("leases")
    project.ok("materialize", "--partitions", DAYS[0])
    expires = (datetime.now(timezone.utc) + timedelta(seconds=5)).isoformat(timespec="milliseconds")
    host = socket.gethostname()
    project.catalog("INSERT INTO runs (run_id, trigger, reference_time, started_at, status, pid, host, counts, expires_at) "
                    "VALUES ('20250101T000000-dead01', 'cli', ?, ?, 'running', 1, ?, '{}', ?)",
                    (expires, expires, host, expires))
    project.catalog("INSERT INTO leases (asset, partition, run_id, pid, host, acquired_at, expires_at, generation) "
                    "VALUES ('tagged', ?, '20250101T000000-dead01', 1, ?, ?, ?, 1)", (DAYS[1], host, expires, expires))

    blocked = project.run("materialize", "--partitions", DAYS[1])
    if datetime.fromisoformat(expires) > datetime.now(timezone.utc):
        assert blocked.returncode == 1, str(blocked)
        assert f"run 20250101T000000-dead01 (pid 1 on {host}) holds tagged[{DAYS[1]}] until {expires}" in blocked.stderr
    project.wait_for("the dead run's expiry", lambda: datetime.now(timezone.utc) > datetime.fromisoformat(expires))
    taken = project.run("materialize", "--partitions", DAYS[1])
    assert taken.returncode == 0, str(taken)
    dead = [r for r in project.json("runs") if r["run_id"] == "20250101T000000-dead01"]
    assert dead[0]["status"] == "interrupted"
    _assert_files_equal_catalog(project, "v1", DAYS[:2])


def test_the_lease_duration_comes_from_the_environment_over_assets_toml(make_project) -> None:
    project = make_project("leases")
    project.root.joinpath("hold-v1").touch()
    process = project.popen("materialize", "--partitions", DAYS[0], env={"ASSETS_LEASE_SECONDS": "40"})
    run_id = _leased_by(project, process, 1)
    [(acquired, expires)] = project.catalog("SELECT acquired_at, expires_at FROM leases WHERE run_id = ?", (run_id,))
    seconds = (datetime.fromisoformat(expires) - datetime.fromisoformat(acquired)).total_seconds()
    assert 39 <= seconds <= 41, seconds
    project.root.joinpath("hold-v1").unlink()
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, f"{out}\n{err}"
