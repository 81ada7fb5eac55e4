"""Two processes on one project: readers work while a run writes (SQLite WAL), and a second
writer of the same partitions reports the conflict instead of writing (invariant 5).

A file named ``hold`` in the slow project makes its run wait at its last partition, so the
first run is still going when the second process starts: waiting here is synchronisation,
never an assertion about time."""

from __future__ import annotations

import sqlite3

from cli_project import Project

DAYS = 20


def _count(project: Project, query: str) -> int:
    """A count from the catalog, 0 while the first run has not created it yet."""
    if not project.catalog_path.exists():
        return 0
    try:
        return project.catalog(query)[0][0]
    except sqlite3.OperationalError:  # the catalog's tables are not created yet
        return 0


def _held_run(project: Project) -> tuple[str, object]:
    project.root.joinpath("hold").touch()
    process = project.popen("materialize")
    project.wait_for("the first run to take its leases", lambda: _count(project, "SELECT count(*) FROM leases") > 0)
    (run_id,) = {row[0] for row in project.catalog("SELECT run_id FROM leases")}
    return run_id, process


def _release(project: Project, process) -> None:
    project.root.joinpath("hold").unlink()
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, f"{out}\n{err}"


def test_status_works_while_materialize_runs(make_project) -> None:
    project = make_project("slow")
    run_id, first = _held_run(project)
    project.wait_for("a partition to be published",
                     lambda: _count(project, "SELECT count(*) FROM partitions WHERE data_version IS NOT NULL") > 0)

    for _ in range(2):
        table = project.run("status")
        assert table.returncode == 0, str(table)
        assert "slow" in table.stdout
        report = project.run("status", "--json")
        assert report.returncode == 0, str(report)
        slow = {entry["asset"]: entry for entry in report.json()}["slow"]
        assert slow["partitions"] == DAYS
        assert 0 < slow["fresh"] < DAYS
        assert sum(slow[k] for k in ("fresh", "stale", "missing", "failed", "quarantined", "unknown")) == DAYS
        runs = project.run("runs", "--json")
        assert runs.returncode == 0, str(runs)
        assert [(r["run_id"], r["status"]) for r in runs.json()] == [(run_id, "running")]
    assert first.poll() is None, "the first run ended before the readers ran"

    _release(project, first)
    assert project.json("plan")["steps"] == []
    slow = {entry["asset"]: entry for entry in project.json("status")}["slow"]
    assert slow["fresh"] == DAYS


def test_a_second_materialize_on_leased_partitions_reports_the_conflict(make_project) -> None:
    project = make_project("slow")
    run_id, first = _held_run(project)

    second = project.run("materialize")
    assert second.returncode != 0, str(second)
    assert len(second.error_lines) == 1, str(second)
    assert second.error_lines[0].startswith("error: ")
    assert run_id in second.stderr
    assert "Traceback" not in second.stderr
    assert first.poll() is None, "the first run ended before the second one started"

    # The second run wrote nothing: no attempt, no lease, no file of its own.
    others = project.catalog("SELECT run_id, status FROM runs WHERE run_id != ?", (run_id,))
    assert [status for _, status in others] in ([], ["failed"])
    for other, _ in others:
        assert project.catalog("SELECT count(*) FROM materializations WHERE run_id = ?", (other,)) == [(0,)]
        assert project.catalog("SELECT count(*) FROM leases WHERE run_id = ?", (other,)) == [(0,)]

    _release(project, first)
    published = project.catalog("SELECT count(*), count(DISTINCT published_run), max(published_run) "
                                "FROM partitions WHERE asset = 'slow' AND data_version IS NOT NULL")
    assert published == [(DAYS, 1, run_id)]
    assert project.catalog("SELECT count(*) FROM materializations WHERE asset = 'slow'") == [(DAYS,)]
    assert len(project.files("slow")) == DAYS
    rows = project.parquet_rows("slow", every_partition=True)
    assert len(rows) == len(set(rows)) == DAYS
    assert project.parquet_rows("slow_total") == [(DAYS, sum(10 * d for d in range(1, DAYS + 1)))]
    assert project.json("plan")["steps"] == []
