"""A catalog written before data versions hashed content (they were the sha256 of the staged
file's bytes) keeps working: nothing is stale after the upgrade; the first rebuild of a
partition gives it a content version, so what reads it is rebuilt once, like after a change;
from then on a rebuild with the same rows changes nothing downstream."""

from __future__ import annotations

import hashlib
import sqlite3

from cli_project import DAY, Project


def _steps(project: Project, *args: str) -> dict[tuple[str, str], tuple[str, str | None]]:
    return {(s["asset"], s["partition"]): (s["cause"], s["upstream"]) for s in project.json("plan", *args)["steps"]}


def _as_before_the_upgrade(project: Project) -> dict[tuple[str, str], str]:
    """Every recorded version replaced by what the old rule gave: the sha256 of the file."""
    old: dict[str, str] = {}
    for (asset, key), version in project.published_versions().items():
        file = project.partition_file(asset, key or None)
        content = file.read_bytes() if file.exists() else f"{asset}[{key}] staged".encode()  # DuckDB: gone
        old[version] = hashlib.sha256(content).hexdigest()[:32]
    db = sqlite3.connect(project.catalog_path)
    try:
        with db:
            for table in ("partitions", "materializations"):
                for new, before in old.items():
                    db.execute(f"UPDATE {table} SET data_version = ? WHERE data_version = ?", (before, new))
                    db.execute(f"UPDATE {table} SET inputs = replace(inputs, ?, ?)", (f'"{new}"', f'"{before}"'))
    finally:
        db.close()
    return project.published_versions()


def test_a_catalog_of_byte_versions_rebuilds_downstream_once_then_never_again(built_landing: Project) -> None:
    project = built_landing
    before = _as_before_the_upgrade(project)
    assert all(len(v) == 32 and not v.startswith("c1:") for v in before.values())
    assert _steps(project) == {}  # the upgrade alone makes nothing stale

    # raw[DAY] rebuilt from the same landing file: same rows, but a version of the new kind.
    project.ok("materialize", "--select", "raw", "--partitions", DAY)
    rebuilt = project.published_versions()
    assert rebuilt[("raw", DAY)].startswith("c1:") and rebuilt[("raw", DAY)] != before[("raw", DAY)]
    assert {ref for ref in before if before[ref] != rebuilt[ref]} == {("raw", DAY)}
    assert _steps(project) == {
        ("clean", DAY): ("upstream changed", f"raw[{DAY}]"),
        ("revenue", DAY): ("upstream rebuilt in this run", f"clean[{DAY}]"),
        ("summary", ""): ("upstream rebuilt in this run", f"clean[{DAY}]"),
    }
    counts = project.json("materialize")["counts"]
    assert (counts["published"], counts.get("up_to_date", 0)) == (3, 0)  # each got a new kind of version
    once = project.published_versions()
    assert {ref for ref in before if before[ref] != once[ref]} == {
        ("raw", DAY), ("clean", DAY), ("revenue", DAY), ("summary", "")}
    assert _steps(project) == {}

    # The second time, the same rows give the same version: nothing downstream moves.
    project.ok("materialize", "--select", "raw", "--partitions", DAY)
    assert project.published_versions() == once
    assert _steps(project) == {}
    assert project.parquet_rows("clean", DAY) == project.expected_clean(DAY)
    assert project.revenue_rows(DAY) == project.expected_revenue(DAY)
