"""Partitions in depth through the real CLI, on the `grains` project: one changed day through
cross-grain, lookback and depends-on-past mappings; late data found by `assets observe`;
dynamic stores; region x day keys; Berlin hours across both DST changes."""

from __future__ import annotations

from typing import Any

import pytest

from cli_project import Project

CHANGED = "2025-01-15"


@pytest.fixture(scope="module")
def _built(tmp_path_factory: pytest.TempPathFactory) -> Project:
    from cli_project import PROJECTS, copy_project

    project = copy_project(PROJECTS / "grains", tmp_path_factory.mktemp("grains") / "grains")
    project.ok("materialize", "--workers", "2")
    return project


@pytest.fixture
def grains(_built: Project, tmp_path: Any) -> Project:
    """The grains project with everything published once (a copy of one shared build)."""
    from cli_project import copy_project

    return copy_project(_built.root, tmp_path / "grains", with_state=True)


def planned(project: Project, *args: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for step in project.json("plan", *args)["steps"]:
        found.setdefault(step["asset"], []).append(step["partition"])
    return found


def day_range(first: int, last: int, month: int = 1) -> list[str]:
    return [f"2025-{month:02d}-{d:02d}" for d in range(first, last + 1)]


def test_late_data_for_one_day_rebuilds_exactly_what_depends_on_it(grains: Project) -> None:
    assert grains.json("plan")["steps"] == []
    (grains.root / "landing" / f"{CHANGED}.csv").write_text("amount\n100\n5\n")
    assert planned(grains) == {}  # nothing knows yet: the source was not observed

    observed = grains.json("observe")
    assert observed["observed"] == 59
    assert [(c["asset"], c["partition"]) for c in observed["changed"]] == [("sales", CHANGED)]

    plan = planned(grains)
    assert plan.pop("sales") == [CHANGED]
    assert plan.pop("daily") == [CHANGED]
    assert plan.pop("monthly") == ["2025-01"]  # not February
    assert plan.pop("overall") == [""]
    assert plan.pop("rolling") == day_range(15, 22)  # the 8 windows of 7 days back that hold the 15th
    assert plan.pop("running_total") == day_range(15, 31) + day_range(1, 28, month=2)  # its past changed
    assert plan == {}
    why = grains.ok("why", "sales", CHANGED).stdout
    assert "source changed" in why

    result = grains.json("materialize", "--workers", "2")
    assert result["counts"]["published"] == 1 + 1 + 1 + 1 + 8 + 45
    assert grains.json("plan")["steps"] == []
    assert grains.json("observe")["changed"] == []  # observing again changes nothing
    # The values follow: the 15th now has 105 instead of 15.
    assert _rows(grains, "running_total", "2025-02-28") == [{"total": 1770 - 15 + 105}]
    assert _rows(grains, "rolling", "2025-01-16") == [{"days": 8, "total": sum(range(9, 17)) - 15 + 105}]
    assert _rows(grains, "overall", "-") == [{"months": 2, "total": 1770 - 15 + 105}]


def _rows(project: Project, asset: str, key: str) -> list[dict[str, Any]]:
    args = ["show", asset, "--format", "json"] + ([] if key == "-" else ["--partition", key])
    rows: list[dict[str, Any]] = project.ok(*args).json()
    return [{k: v for k, v in row.items() if k != "partition_key"} for row in rows]


def test_a_day_rebuilt_with_the_same_data_changes_nothing_and_a_code_change_everything(grains: Project) -> None:
    grains.ok("materialize", "--select", "daily", "--partitions", "2025-02-01")  # same data: nothing follows
    assert grains.json("plan")["steps"] == []
    module = grains.root / "grains_assets.py"
    module.write_text(module.read_text().replace('return sales.select(total=pl.col("amount").sum())',
                                                 'return sales.select(total=pl.col("amount").sum() * 1)'))
    # A code change of daily: every day is stale, and through it every window, month and total.
    plan = planned(grains)
    assert len(plan["daily"]) == 59 and plan["monthly"] == ["2025-01", "2025-02"]
    assert len(plan["rolling"]) == 59 and len(plan["running_total"]) == 59 and plan["overall"] == [""]
    assert "sales" not in plan


def test_dynamic_partitions_are_added_listed_and_removed_from_the_cli(grains: Project) -> None:
    empty = grains.ok("partitions", "list", "stores").stdout
    assert "stores has no keys yet" in empty
    bad = grains.run("partitions", "add", "stores", "a/b")
    assert bad.returncode == 2 and "Cannot add 'a/b' to stores" in bad.stderr
    unknown = grains.run("partitions", "list", "shops")
    assert unknown.returncode == 2 and "DynamicPartitions('shops')" in unknown.stderr and "stores" in unknown.stderr

    assert "Added 2 keys to stores: 2 in all." in grains.ok("partitions", "add", "stores", "HQ", "ST002").stdout
    assert grains.json("partitions", "list", "stores") == ["HQ", "ST002"]
    assert planned(grains) == {"store_report": ["HQ", "ST002"]}

    grains.ok("materialize")
    # The head office's code registered a branch: planned from the next run on.
    assert grains.json("partitions", "list", "stores") == ["HQ", "ST002", "BRANCH1"]
    assert planned(grains) == {"store_report": ["BRANCH1"]}

    refused = grains.run("partitions", "remove", "stores", "ST002")
    assert refused.returncode == 2 and "1 published partitions use these keys (store_report[ST002])" in refused.stderr
    assert grains.json("partitions", "list", "stores") == ["HQ", "ST002", "BRANCH1"]
    grains.ok("partitions", "remove", "stores", "ST002", "--force")
    assert grains.json("partitions", "list", "stores") == ["HQ", "BRANCH1"]
    report = next(s for s in grains.json("status", "--partitions") if s["asset"] == "store_report")
    assert [d["partition"] for d in report["detail"]] == ["HQ", "BRANCH1"]  # ST002 no longer shown ...
    assert grains.partition_file("store_report", "ST002").is_file()  # ... its data still on disk, ...
    assert [r["partitions"] for r in grains.json("plan")["retire"]] == [["ST002"]]
    grains.ok("materialize")
    assert not grains.partition_file("store_report", "ST002").parent.exists()  # ... until the next run retires it


def test_multi_partitions_take_ranges_per_dimension(grains: Project) -> None:
    plan = planned(grains, "--select", "region_sales", "--partitions", "date=2025-01-02..2025-01-04,region=eu")
    assert plan == {"region_sales": ["2025-01-02|eu", "2025-01-03|eu", "2025-01-04|eu"]}
    both = planned(grains, "--select", "region_sales", "--partitions", "date=2025-01-02")
    assert both == {"region_sales": ["2025-01-02|eu", "2025-01-02|us"]}
    wrong = grains.run("plan", "--select", "region_sales", "--partitions", "region=asia")
    assert wrong.returncode == 2 and "asia" in wrong.stderr and "region" in wrong.stderr

    grains.ok("materialize", "--select", "region_sales", "--partitions", "date=2025-01-03,region=us")
    published = grains.partition_file("region_sales", "2025-01-03|us")
    assert published.is_file()
    assert _rows(grains, "region_sales", "2025-01-03|us")[0]["key"] == "2025-01-03|us"


def test_hourly_partitions_in_berlin_have_23_hours_on_the_spring_change(grains: Project) -> None:
    status = next(s for s in grains.json("status", "--partitions") if s["asset"] == "hourly_events")
    keys = [d["partition"] for d in status["detail"]]
    per_day = {day: sum(k.startswith(day) for k in keys) for day in ("2025-03-29", "2025-03-30", "2025-03-31")}
    assert per_day == {"2025-03-29": 24, "2025-03-30": 23, "2025-03-31": 24}
    assert "2025-03-30T02" not in keys  # that hour does not exist in Berlin that night
    first, second = _rows(grains, "hourly_events", "2025-03-30T01"), _rows(grains, "hourly_events", "2025-03-30T03")
    assert first[0]["end"] == second[0]["start"]  # contiguous across the change


def test_hourly_partitions_in_berlin_have_25_hours_on_the_autumn_change(grains: Project) -> None:
    status = next(s for s in grains.json("status", "--partitions") if s["asset"] == "autumn_events")
    keys = [d["partition"] for d in status["detail"]]
    assert all(d["status"] == "fresh" for d in status["detail"])
    per_day = {day: sum(k.startswith(day) for k in keys) for day in ("2025-10-25", "2025-10-26", "2025-10-27")}
    assert per_day == {"2025-10-25": 24, "2025-10-26": 25, "2025-10-27": 24}
    first, again = _rows(grains, "autumn_events", "2025-10-26T02"), _rows(grains, "autumn_events", "2025-10-26T02+0100")
    assert first[0]["end"] == again[0]["start"]  # 02:00 twice, one hour after the other
    assert _rows(grains, "autumn_events", "2025-10-26T01")[0]["end"] == first[0]["start"]


def test_lineage_names_the_mappings(grains: Project) -> None:
    lineage = grains.ok("lineage", "daily", "--downstream", "--format", "json").json()
    mappings = {child["asset"]: child["mapping"] for child in lineage["downstream"]["children"]}
    assert mappings["rolling"].startswith("lookback(")
    assert mappings["monthly"].startswith("time_window")
