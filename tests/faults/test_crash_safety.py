"""Kill -9 at every fault point, for a Parquet asset and a DuckDB asset.

Invariant 1 (atomic publish): a reader sees the old complete partition or the new complete
one, never a mix, a partial file or doubled rows. A plain rerun converges: the plan is empty
afterwards and the data is the new content.
"""

from __future__ import annotations

import signal

import pytest

from assets_core.execution import FAULT_POINTS
from cli_project import DAY, DAYS, Project

OTHER_DAYS = [d for d in DAYS if d != DAY]


def _read(project: Project, asset: str, key: str) -> list[tuple]:
    """What a reader of the published data sees, from the documented layout only."""
    if asset == "revenue":
        return project.revenue_rows(key)
    return project.parquet_rows(asset, key)


def _expected(project: Project, asset: str, key: str) -> list[tuple]:
    return project.expected_revenue(key) if asset == "revenue" else project.expected_clean(key)


MATRIX = [
    *(pytest.param(asset, point, "sqlite", id=f"{kind}-{point}")
      for asset, kind in (("clean", "parquet"), ("revenue", "duckdb")) for point in FAULT_POINTS),
    # On PostgreSQL one storage kind (the catalog's part is the same for both), and the points
    # where the catalog's state differs: before the publish (validate leaves it as stage does),
    # after the publish, and inside the catalog's own transaction.
    *(pytest.param("clean", point, "postgresql", id=f"parquet-{point}-postgresql")
      for point in ("stage", "publish", "catalog")),
]


@pytest.mark.parametrize(("asset", "point", "catalog_backend"), MATRIX, indirect=["catalog_backend"])
def test_a_kill_at_any_point_shows_old_or_new_and_a_rerun_heals(built_landing: Project, asset: str, point: str) -> None:
    project = built_landing
    old = _read(project, asset, DAY)
    others = {d: _read(project, asset, d) for d in OTHER_DAYS}
    assert old == _expected(project, asset, DAY)

    project.change_landing(DAY)
    new = _expected(project, asset, DAY)
    assert new != old

    killed = project.run("materialize", "--partitions", DAY, fault=f"{point}:{asset}:{DAY}")
    assert killed.returncode == -signal.SIGKILL, str(killed)

    seen = _read(project, asset, DAY)
    assert seen in (old, new), f"partial or doubled partition after a kill at {point}: {seen}"
    # Publishing happens before the catalog write: only a kill in the catalog step shows the new data.
    assert seen == (new if point == "catalog" else old)
    assert {d: _read(project, asset, d) for d in OTHER_DAYS} == others
    if asset == "clean":
        # A reader of the whole asset (every file under its folder) sees each row once.
        every = project.parquet_rows("clean", every_partition=True)
        assert len(every) == len(set(every)) == sum(len(v) for v in others.values()) + len(seen)

    # The next command notices the dead run; `runs` then shows it as interrupted.
    status = project.json("status")
    assert sum(entry["unknown"] for entry in status) >= 1
    runs = project.json("runs")
    assert [r["status"] for r in runs] == ["interrupted", "succeeded"]
    assert runs[0]["partitions"] == DAY

    healed = project.run("materialize")
    assert healed.returncode == 0, str(healed)
    assert project.json("plan")["steps"] == []
    assert _read(project, asset, DAY) == new
    assert project.parquet_rows("clean", DAY) == project.expected_clean(DAY)
    assert project.revenue_rows(DAY) == project.expected_revenue(DAY)
    assert project.parquet_rows("summary") == project.expected_summary()
    assert {d: _read(project, asset, d) for d in OTHER_DAYS} == others
    assert project.files(".staging") == [], "staging of the killed run was left behind"


def test_a_kill_during_the_first_publish_leaves_no_partition_behind(make_project) -> None:
    """Nothing published yet: a kill right before the publish leaves no file behind; a rerun builds it."""
    project = make_project("landing")
    killed = project.run("materialize", fault=f"publish:clean:{DAY}")
    assert killed.returncode == -signal.SIGKILL, str(killed)
    assert not project.partition_file("clean", DAY).exists()
    assert project.files(f"clean/partition_key={DAY}") == []
    assert project.parquet_rows("raw", DAY) == project.expected_clean(DAY)  # published before the kill

    healed = project.run("materialize")
    assert healed.returncode == 0, str(healed)
    assert project.json("plan")["steps"] == []
    for day in DAYS:
        assert project.parquet_rows("clean", day) == project.expected_clean(day)
        assert project.revenue_rows(day) == project.expected_revenue(day)
    assert project.parquet_rows("summary") == project.expected_summary()
    runs = project.json("runs")
    assert [r["status"] for r in runs] == ["succeeded", "interrupted"]



def test_a_corrupt_published_file_is_one_line_and_a_rebuild_replaces_it(built_landing: Project) -> None:
    project = built_landing
    project.partition_file("clean", DAY).write_bytes(b"not a parquet file")
    shown = project.run("show", "clean", "--partition", DAY)
    assert shown.returncode == 1, str(shown)
    assert len(shown.error_lines) == 1 and "Traceback" not in shown.stderr, str(shown)
    assert "Published data of 'clean' is not readable" in shown.stderr
    assert "assets materialize --select clean" in shown.stderr

    project.ok("materialize", "--select", "clean", "--partitions", DAY)
    assert project.parquet_rows("clean", DAY) == project.expected_clean(DAY)
    assert project.ok("show", "clean", "--partition", DAY, "--format", "csv").stdout.startswith("order_id,")


@pytest.mark.parametrize("point", FAULT_POINTS)
def test_a_kill_at_any_point_on_a_bucket_shows_old_and_a_rerun_heals(s3_built_landing: Project, point: str) -> None:
    """On object storage the catalog commit is the switch: a kill anywhere before it (the
    catalog point included) leaves the old version to every reader of the manifest; what it
    uploaded is garbage the next run deletes."""
    project, bucket = s3_built_landing, s3_built_landing.bucket  # type: ignore[attr-defined]
    old = bucket.rows("clean", DAY)
    others = {d: bucket.rows("clean", d) for d in OTHER_DAYS}
    assert old == project.expected_clean(DAY)
    project.change_landing(DAY)
    new = project.expected_clean(DAY)

    killed = project.run("materialize", "--partitions", DAY, fault=f"{point}:clean:{DAY}")
    assert killed.returncode == -signal.SIGKILL, str(killed)
    assert bucket.rows("clean", DAY) == old, f"a reader of the manifest saw new data after a kill at {point}"
    assert {d: bucket.rows("clean", d) for d in OTHER_DAYS} == others
    every = bucket.rows("clean", every_partition=True)
    assert len(every) == len(set(every)) == sum(len(v) for v in others.values()) + len(old)
    show = project.ok("show", "clean", "--partition", DAY, "--format", "csv").stdout.splitlines()
    assert len(show) == 1 + len(old)  # the project's own reader: the catalog's version
    folder = f"clean/partition_key={DAY}/"
    # A listing reader sees the upload that was never committed next to the current object.
    assert len([n for n in bucket.names(folder) if n.endswith(".parquet")]) == (2 if point == "catalog" else 1)
    assert [r["status"] for r in project.json("runs")] == ["interrupted", "succeeded"]

    healed = project.run("materialize")
    assert healed.returncode == 0, str(healed)
    assert project.json("plan")["steps"] == []
    assert bucket.rows("clean", DAY) == new
    assert project.revenue_rows(DAY) == project.expected_revenue(DAY)
    assert bucket.rows("summary", None) == project.expected_summary()
    assert {d: bucket.rows("clean", d) for d in OTHER_DAYS} == others
    # The garbage went with the next run, the superseded object after its commit.
    assert [n for n in bucket.names(folder) if n.endswith(".parquet")] == [
        bucket.manifest("clean")["partitions"][DAY].split(f"/{bucket.prefix}/")[1]]
    assert project.files(".staging") == []
