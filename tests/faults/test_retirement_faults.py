"""Kill -9 in the middle of a retirement, for a Parquet and a DuckDB asset: a reader sees the
retired partitions whole or not at all, and the next materialize converges on what the
catalog says (the keys of the new definition, nothing else) with nothing left behind."""

from __future__ import annotations

import signal
from typing import Any

import pytest
from repartition_project import (
    DAILY,
    DAYS_IN_JAN_FEB,
    MODULE,
    MONTHLY,
    keys_on_disk,
    published,
    total,
)

MONTHS = {"2025-01", "2025-02"}
DAYS = 59


@pytest.mark.parametrize("point", ["retire", "catalog"])
@pytest.mark.parametrize("asset", ["sales", "sales_db"], ids=["parquet", "duckdb"])
def test_a_kill_during_a_retirement_converges_on_the_next_run(make_project: Any, asset: str, point: str) -> None:
    project = make_project("repartition")
    project.ok("materialize", "--select", asset)
    project.edit(MODULE, DAILY, MONTHLY)

    killed = project.run("materialize", "--select", asset, fault=f"{point}:{asset}:2025-02-28")
    assert killed.returncode == -signal.SIGKILL, str(killed)
    on_disk = keys_on_disk(project, asset)
    if asset == "sales_db" and point == "retire":  # killed inside the transaction: rolled back
        assert len(on_disk) == DAYS
    else:  # the data left (every folder moved aside, or the deletion committed) before the kill
        assert on_disk == set()
    assert len(published(project, asset)) == DAYS  # the catalog has not recorded it yet
    assert project.json("status")  # any command works meanwhile
    shown = project.run("show", asset)  # the days being retired are neither shown nor read
    assert shown.returncode == 1 and shown.error_lines == [
        f"error: '{asset}' has no published partition: run `assets materialize --select +{asset}`."], str(shown)

    # Whatever the next run is asked to do, it finishes the dead run's retirement.
    healed = project.json("materialize", "--select", "sales_db" if asset == "sales" else "sales")
    assert healed["counts"]["retired"] == DAYS, healed
    project.ok("materialize", "--select", asset)
    assert keys_on_disk(project, asset) == MONTHS == published(project, asset)
    assert total(project, asset) == DAYS_IN_JAN_FEB
    assert project.json("plan")["retire"] == [] and project.json("plan", "--select", asset)["steps"] == []
    assert project.files(".staging") == [], "the folders moved aside were left behind"
