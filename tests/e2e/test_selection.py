"""The selection grammar through the real CLI (issue 13, items 23 and 31): repeated ``-s`` and
space lists are unions, ``@name``, ``--exclude`` on every command that takes ``--select``, an
empty intersection and an empty ``--partitions`` refused, and huge ``--partitions`` refused
before any work unless ``--yes``."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from cli_project import Project

EVERY_HOUR = "1900-01-01T00..2025-12-31T23"
"""All the hours of 1900-2025: 46,021 days, 1,104,504 partitions of ``clicks``."""


@pytest.fixture
def project(make_project: Callable[..., Project]) -> Project:
    return make_project("selection")


def runs(project: Project) -> list[tuple[str]]:
    """The runs the catalog holds (none when no command made it)."""
    return project.catalog("SELECT run_id FROM runs") if project.catalog_path.exists() else []


def planned(project: Project, *args: str) -> set[str]:
    return {step["asset"] for step in project.json("plan", *args)["steps"]}


def test_repeated_select_and_a_space_separated_list_are_unions(project: Project) -> None:
    assert planned(project, "-s", "revenue", "-s", "report") == {"revenue", "report"}
    assert planned(project, "-s", "revenue report") == {"revenue", "report"}
    assert planned(project, "--select", "orders", "-s", "clean revenue") == {"orders", "clean", "revenue"}


def test_at_name_is_the_name_its_descendants_and_their_ancestors(project: Project) -> None:
    # What rebuilding customers needs: orders and clean too, which +customers+ leaves out.
    assert planned(project, "-s", "+customers+") == {"customers", "revenue", "report"}
    assert planned(project, "-s", "@customers") == {"customers", "revenue", "report", "clean", "orders"}


def test_exclude_removes_its_own_selection(project: Project) -> None:
    assert planned(project, "-s", "@customers", "--exclude", "orders") == {"customers", "clean", "revenue", "report"}
    assert planned(project, "-s", "group:raw group:sales", "--exclude", "tag:finance") == {"orders", "customers"}
    assert planned(project, "--exclude", "clicks", "--exclude", "revenue+") == {"orders", "customers", "clean"}
    assert [e["asset"] for e in project.json("status", "-s", "@report", "--exclude", "+clean")] == [
        "customers", "revenue", "report"]
    lineage = project.json("lineage", "--exclude", "group:raw clicks")
    assert {a["asset"] for a in lineage["assets"]} == {"clean", "revenue", "report"}


@pytest.mark.parametrize("command", [
    ("plan",), ("materialize", "--dry-run"), ("status",), ("observe",), ("lineage",), ("report",),
    ("freshness",), ("check",),
])
def test_every_command_with_select_takes_exclude(project: Project, command: tuple[str, ...]) -> None:
    result = project.run(*command, "-s", "orders", "--exclude", "ordrs")
    assert result.returncode == 2, str(result)
    assert result.error_lines == ["error: Selection 'ordrs' matches no asset. Did you mean 'orders'? "
                                  "`assets list` shows them all."]


def test_a_materialized_exclusion_is_recorded_and_replayed_by_retry(project: Project) -> None:
    assert project.json("materialize", "--exclude", "clicks")["counts"]["published"] == 5
    project.edit("selection_assets.py", '"amount": [1, 2, 3]', '"amount": [1, 2, 4]')
    project.edit("selection_assets.py", '["a", "b"]', '["a", "b", "c"]')
    run = project.json("materialize", "-s", "@customers", "--exclude", "orders")
    assert run["selection"] == "@customers --exclude orders"
    assert run["counts"]["published"] == 3  # customers, revenue, report; clean reads orders, not rebuilt
    assert planned(project, "-s", "@customers") == {"orders", "clean", "revenue", "report"}  # customers is fresh
    project.edit("selection_assets.py", '["a", "b", "c"]', '["a", "b", "c", "d"]')
    again = project.json("materialize", "--retry", run["run_id"])
    assert again["selection"] == "@customers --exclude orders"
    assert again["counts"]["published"] == 3
    assert planned(project, "-s", "@customers") == {"orders", "clean", "revenue", "report"}  # customers is fresh


def test_an_empty_intersection_says_it_matches_nothing(project: Project) -> None:
    for command in (("plan",), ("materialize",), ("status",)):
        result = project.run(*command, "-s", "report group:raw,tag:finance")
        assert result.returncode == 2, str(result)
        assert result.error_lines == ["error: Selection 'group:raw,tag:finance' matches nothing: "
                                      "no asset is in every one of group:raw, tag:finance."]
    result = project.run("plan", "-s", "group:raw", "--exclude", "tag:raw")
    assert result.returncode == 2, str(result)
    assert "matches nothing: every selected asset is excluded" in result.stderr


@pytest.mark.parametrize("command", [("plan",), ("materialize",), ("materialize", "--dry-run"), ("check",)])
def test_empty_partitions_is_an_error(project: Project, command: tuple[str, ...]) -> None:
    result = project.run(*command, "-s", "clicks", "--partitions", "")
    assert result.returncode == 2, str(result)
    assert result.error_lines == ["error: --partitions is empty: give keys like 2025-01-01..2025-01-07 or eu,us."]
    assert not runs(project)


@pytest.mark.parametrize("command", ["plan", "materialize"])
def test_a_huge_partitions_range_is_refused_quickly_with_its_count(project: Project, command: str) -> None:
    # Planned, these keys take minutes (75 s): refused from the range's count, well within the timeout.
    result = project.run(command, "-s", "clicks", "--partitions", EVERY_HOUR, timeout=60)
    assert result.returncode == 2, str(result)
    assert result.error_lines == [
        f"error: --partitions {EVERY_HOUR} selects 1,104,504 partitions, over the limit of 1,000,000: "
        "narrow the range or the selection, or add --yes to go on."]
    assert not runs(project)


def test_overlapping_ranges_count_once_and_yes_goes_on(project: Project) -> None:
    # Two ranges of 600,000 hours that overlap by 200,000: 1,000,000, at the limit, allowed.
    steps = project.json("plan", "-s", "clicks", "--partitions", "2025-01-01T00..2025-01-01T03,2025-01-01T02..2025-01-01T05")["steps"]
    assert [s["partition"] for s in steps] == [f"2025-01-01T0{h}" for h in range(6)]
    result = project.run("plan", "-s", "clicks", "--partitions", "1900-01-01T00..1910-01-01T00,1905-01-01T00..2025-12-31T23", "--json")
    assert result.returncode == 2 and "1,104,504 partitions" in result.stderr, str(result)
    steps = project.json("plan", "-s", "clicks", "--partitions", "2025-01-01T00..2025-01-01T03", "--yes")["steps"]
    assert len(steps) == 4


@pytest.mark.parametrize("command", ["plan", "materialize"])
def test_a_selection_holding_too_many_never_built_partitions_is_refused(project: Project, command: str) -> None:
    # Without --partitions, every never-built partition due now is planned: a century of hours
    # (75 s and 700 MB to plan), refused from the definitions' counts within the timeout.
    result = project.run(command, "-s", "clicks orders", timeout=60)
    assert result.returncode == 2, str(result)
    [line] = result.error_lines
    assert re.fullmatch(
        r"error: The selection holds 1,1\d\d,\d\d\d partitions never built \(clicks 1,1\d\d,\d\d\d\), over the limit "
        r"of 1,000,000: narrow --select or give --partitions, or add --yes to go on\.", line), line
    assert not runs(project)
    assert planned(project, "--exclude", "clicks") == {"orders", "customers", "clean", "revenue", "report"}


def test_quarantine_list_takes_select_and_exclude(make_project: Callable[..., Project]) -> None:
    from test_quality import _quarantine_a_day  # tests/e2e is on the path, as for every test module

    quality = make_project("quality")
    (quality.root / "switches").mkdir()
    _quarantine_a_day(quality)
    assert [q["asset"] for q in quality.json("quarantine", "list", "-s", "amounts")] == ["amounts"]
    assert quality.json("quarantine", "list", "-s", "flaky broken") == []
    assert quality.json("quarantine", "list", "--exclude", "amounts") == []
    result = quality.run("quarantine", "list", "--exclude", "amonts")
    assert result.returncode == 2 and "Did you mean 'amounts'?" in result.stderr, str(result)
