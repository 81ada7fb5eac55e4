"""Deleted published data: removed by hand, it is missing, not fresh, and the next run rebuilds it."""

from __future__ import annotations

import shutil

from cli_project import DAY, DAYS, Project


def planned(project: Project) -> set[tuple[str, str]]:
    return {(s["asset"], s["partition"]) for s in project.json("plan")["steps"]}


def test_a_deleted_partition_folder_is_missing_and_rebuilt(built_landing: Project) -> None:
    """`plan` said fresh and `show` advised materialize, which did nothing."""
    assert planned(built_landing) == set()  # a whole check: remembered in .assets/presence.json
    assert (built_landing.root / ".assets" / "presence.json").exists()
    shutil.rmtree(built_landing.partition_file("clean", DAY).parent)
    steps = {s["asset"]: s for s in built_landing.json("plan")["steps"] if s["partition"] == DAY}
    assert steps["clean"]["cause"] == "missing"
    status = {a["asset"]: a for a in built_landing.json("status")}
    assert status["clean"]["missing"] == 1 and status["clean"]["fresh"] == len(DAYS) - 1
    built_landing.ok("materialize")
    assert built_landing.parquet_rows("clean", DAY) == built_landing.expected_clean(DAY)
    assert planned(built_landing) == set()


def test_a_deleted_asset_folder_or_warehouse_makes_all_its_partitions_missing(built_landing: Project) -> None:
    shutil.rmtree(built_landing.data / "raw")
    built_landing.warehouse.unlink()
    plan = planned(built_landing)
    assert {("raw", d) for d in DAYS} | {("revenue", d) for d in DAYS} <= plan
    built_landing.ok("materialize")
    assert planned(built_landing) == set()
    assert built_landing.partition_file("raw", DAY).exists() and built_landing.warehouse.exists()


def test_a_deleted_unpartitioned_file_is_missing(built_landing: Project) -> None:
    built_landing.partition_file("summary", None).unlink()
    assert planned(built_landing) == {("summary", "")}
