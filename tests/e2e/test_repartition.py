"""Changing an asset's partitions definition: the keys it no longer holds are retired from the
published location by the next materialize, recorded, and said in the plan; the new keys are
missing and built. Read back with the documented readers only (README "Storage layout")."""

from __future__ import annotations

from typing import Any

import pytest
from cli_project import Project
from repartition_project import (
    DAILY,
    DAYS_IN_JAN_FEB,
    MODULE,
    MONTHLY,
    keys_on_disk,
    published,
    total,
)


@pytest.fixture
def repartition(make_project: Any) -> Project:
    return make_project("repartition")


@pytest.mark.parametrize("asset", ["sales", "sales_db"], ids=["parquet", "duckdb"])
def test_daily_to_monthly_retires_the_days_and_builds_the_months(repartition: Project, asset: str) -> None:
    project = repartition
    project.ok("materialize", "--select", asset)
    assert total(project, asset) == DAYS_IN_JAN_FEB
    project.edit(MODULE, DAILY, MONTHLY)

    plan = project.json("plan", "--select", asset)
    assert [(s["partition"], s["cause"]) for s in plan["steps"]] == [("2025-01", "missing"), ("2025-02", "missing")]
    [retire] = plan["retire"]
    assert (retire["asset"], retire["count"], retire["cause"]) == (asset, 59, "partitions changed")
    assert retire["partitions"][0] == "2025-01-01" and retire["partitions"][-1] == "2025-02-28"
    shown = project.ok("plan", "--select", asset).stdout
    assert f"Retire 59 partitions of {asset} no longer in its partitions definition: 2025-01-01..2025-02-28" in shown
    dry = project.ok("materialize", "--select", asset, "--dry-run").stdout
    assert "Retire 59 partitions" in dry
    assert total(project, asset) == DAYS_IN_JAN_FEB  # a dry run changes nothing

    why = project.json("why", asset, "2025-01-01")
    assert why[0]["cause"] == "partitions changed" and "no longer a partition" in why[0]["detail"]

    run = project.json("materialize", "--select", asset)
    assert run["counts"]["retired"] == 59 and run["counts"]["published"] == 2
    assert total(project, asset) == DAYS_IN_JAN_FEB, "the old days are still visible next to the months"
    assert keys_on_disk(project, asset) == {"2025-01", "2025-02"}
    assert published(project, asset) == {"2025-01", "2025-02"}
    assert project.json("plan", "--select", asset)["steps"] == [] and project.json("plan")["retire"] == []
    csv = project.ok("show", asset, "--format", "csv").stdout.splitlines()
    assert len(csv) == 1 + 2, csv  # the header and the two months, not the 59 days
    attempts = project.json("runs", "show", run["run_id"])["attempts"]
    retired = [a for a in attempts if a["status"] == "retired"]
    assert len(retired) == 59 and {a["cause"] for a in retired} == {"partitions changed"}
    status = {e["asset"]: e for e in project.json("status")}
    assert status[asset]["partitions"] == 2 and status[asset]["fresh"] == 2


@pytest.mark.parametrize("asset", ["regional", "regional_db"], ids=["parquet", "duckdb"])
def test_a_dropped_static_key_is_retired(repartition: Project, asset: str) -> None:
    project = repartition
    project.ok("materialize", "--select", asset)
    assert total(project, asset) == 30.0
    project.edit(MODULE, 'StaticPartitions(["eu", "us", "apac"])', 'StaticPartitions(["eu", "us"])')
    plan = project.json("plan", "--select", asset)
    assert plan["steps"] == []
    assert [(r["asset"], r["partitions"]) for r in plan["retire"]] == [(asset, ["apac"])]
    shown = project.ok("materialize", "--select", asset, "--dry-run").stdout
    assert shown.splitlines() == ["Nothing to compute: everything selected is fresh.",
                                  (f"Retire 1 partition of {asset} no longer in its partitions definition: apac "
                                   "(it is static: eu, us now).")], shown
    project.ok("materialize", "--select", asset)
    assert total(project, asset) == 20.0
    assert keys_on_disk(project, asset) == {"eu", "us"} == published(project, asset)
    assert project.json("plan")["retire"] == []


@pytest.mark.parametrize("asset", ["store_sales", "store_sales_db"], ids=["parquet", "duckdb"])
def test_a_dynamic_key_removed_with_force_is_retired(repartition: Project, asset: str) -> None:
    project = repartition
    project.ok("partitions", "add", "stores", "ST1", "ST2", "ST3")
    project.ok("materialize", "--select", asset)
    assert total(project, asset) == 15.0
    removed = project.ok("partitions", "remove", "stores", "ST2", "--force")
    assert "retired by the next `assets materialize`" in removed.stdout
    plan = project.json("plan", "--select", asset)
    assert [(r["asset"], r["partitions"]) for r in plan["retire"]] == [(asset, ["ST2"])]
    project.ok("partitions", "add", "stores", "ST4")  # and one to build, by worker processes
    run = project.json("materialize", "--select", asset, "--executor", "processes", "--workers", "2")
    assert (run["counts"]["retired"], run["counts"]["published"]) == (1, 1)
    shown = project.ok("runs", "show", run["run_id"]).stdout
    assert any([c.strip() for c in line.split("│")[1:4]] == [asset, "ST2", "retired"] for line in shown.splitlines()), shown
    project.ok("partitions", "remove", "stores", "ST4", "--force")
    project.ok("materialize", "--select", asset)
    assert total(project, asset) == 10.0
    assert keys_on_disk(project, asset) == {"ST1", "ST3"} == published(project, asset)
    # The key added back is a new partition: missing, then built.
    project.ok("partitions", "add", "stores", "ST2")
    assert [(s["partition"], s["cause"]) for s in project.json("plan", "--select", asset)["steps"]] == [("ST2", "missing")]


@pytest.mark.parametrize("asset", ["sales", "sales_db"], ids=["parquet", "duckdb"])
def test_daily_to_weekly_rebuilds_the_mondays_it_kept_and_retires_the_other_days(repartition: Project, asset: str) -> None:
    """A key both definitions hold (a Monday) covers a week now: published as a day, it is
    stale with the cause of its own, not fresh."""
    project = repartition
    project.ok("materialize", "--select", asset)
    project.edit(MODULE, DAILY, DAILY.replace("Daily", "Weekly"))
    plan = project.json("plan", "--select", asset)
    mondays = [s["partition"] for s in plan["steps"]]
    assert mondays and {s["cause"] for s in plan["steps"]} == {"partitions changed"}
    assert "published under daily@UTC partitions, weekly@UTC now" in plan["steps"][0]["detail"]
    [retire] = plan["retire"]
    assert retire["count"] == 59 - len(mondays) and not set(retire["partitions"]) & set(mondays)
    why = project.ok("why", asset, mondays[0]).stdout
    assert f"{asset}[{mondays[0]}]: partitions changed: published under daily@UTC partitions" in why
    status = {e["asset"]: e for e in project.json("status")}[asset]
    assert status["stale"] == len(mondays) and status["fresh"] == 0

    project.ok("materialize", "--select", asset)
    assert total(project, asset) == 7.0 * len(mondays)
    assert keys_on_disk(project, asset) == set(mondays) == published(project, asset)
    assert project.json("plan", "--select", asset)["steps"] == []
    # Back to days: the Mondays (weeks now) are stale again, the other days missing.
    project.edit(MODULE, DAILY.replace("Daily", "Weekly"), DAILY)
    causes = {s["partition"]: s["cause"] for s in project.json("plan", "--select", asset)["steps"]}
    assert len(causes) == 59 and {causes[m] for m in mondays} == {"partitions changed"}
    project.ok("materialize", "--select", asset)
    assert total(project, asset) == DAYS_IN_JAN_FEB and project.json("plan", "--select", asset)["steps"] == []


@pytest.mark.parametrize("asset", ["regional", "regional_db"], ids=["parquet", "duckdb"])
def test_partitioned_to_unpartitioned_and_back(repartition: Project, asset: str) -> None:
    project = repartition
    declared = f'@asset(partitions=REGIONS{", io=" + chr(34) + "duckdb" + chr(34) if asset.endswith("_db") else ""})\ndef {asset}('
    unpartitioned = declared.replace("partitions=REGIONS, ", "").replace("partitions=REGIONS", "")
    project.ok("materialize", "--select", asset)
    project.edit(MODULE, declared, unpartitioned)
    plan = project.json("plan", "--select", asset)
    assert [(s["partition"], s["cause"]) for s in plan["steps"]] == [("", "missing")]
    assert [sorted(r["partitions"]) for r in plan["retire"]] == [["apac", "eu", "us"]]
    project.ok("materialize", "--select", asset)
    if asset.endswith("_db"):
        assert total(project, asset) == 10.0
    else:
        assert keys_on_disk(project, asset) == set() and project.parquet_rows(asset) == [("", 10.0)]
    assert published(project, asset) == {""}

    project.edit(MODULE, unpartitioned, declared)  # and back: the unpartitioned data goes first
    assert [r["partitions"] for r in project.json("plan", "--select", asset)["retire"]] == [[""]]
    project.ok("materialize", "--select", asset)
    assert total(project, asset) == 30.0 and keys_on_disk(project, asset) == {"eu", "us", "apac"}
    assert not (project.data / asset / "data.parquet").exists()
    after = project.json("plan", "--select", asset)
    assert (after["steps"], after["retire"]) == ([], [])
