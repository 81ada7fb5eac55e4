"""`plan`, `status` and `why` read only what changed since the stored verdict
(.assets/verdict.json): through the real CLI, each says what it says after the verdict is
deleted (the whole catalog read and judged), after runs, code changes, deleted data and a
damaged verdict."""

from __future__ import annotations

import shutil
from typing import Any

from cli_project import DAY, Project
from postgres_server import both_catalogs

CLEAN_BODY = 'return raw.filter(pl.col("amount").is_not_null()).sort("order_id")'
VIEWS = [("plan", "--json"), ("status", "--partitions", "--json"), ("why", "revenue", DAY, "--json")]
"""The three views (the property test tests/property/test_incremental_plan.py goes through every key)."""


def _view(project: Project, command: tuple[str, ...], whole: bool = False) -> Any:
    if whole:
        (project.root / ".assets" / "verdict.json").unlink(missing_ok=True)
    found = project.json(*command)
    if isinstance(found, dict):
        found.pop("planning_seconds", None), found.pop("reference_time", None)
    return found


def _same_as_a_whole_read(project: Project) -> None:
    for command in VIEWS:
        incremental = _view(project, command)  # from the verdict the previous command stored
        assert incremental == _view(project, command, whole=True), command


@both_catalogs
def test_plan_status_and_why_from_the_verdict_equal_a_whole_read(built_landing: Project) -> None:
    project = built_landing
    _same_as_a_whole_read(project)
    assert (project.root / ".assets" / "verdict.json").is_file()

    project.change_landing(DAY)  # a run republishes one partition: its readers are stale
    project.ok("materialize", "--select", "raw", "--partitions", DAY)
    _same_as_a_whole_read(project)
    assert {s["partition"] for s in _view(project, ("plan", "--json"))["steps"]} == {DAY, ""}

    project.edit("landing_assets.py", CLEAN_BODY, CLEAN_BODY + ".head(100)")  # code: every clean partition
    _same_as_a_whole_read(project)
    assert len(_view(project, ("plan", "--json"))["steps"]) == 4 + 4 + 1

    project.ok("materialize")
    _same_as_a_whole_read(project)
    assert _view(project, ("plan", "--json"))["steps"] == []

    shutil.rmtree(project.partition_file("clean", "2025-01-03").parent)  # deleted by hand: missing, and what reads it
    _same_as_a_whole_read(project)
    assert ("clean", "2025-01-03", "missing") in {
        (s["asset"], s["partition"], s["cause"]) for s in _view(project, ("plan", "--json"))["steps"]}

    project.ok("materialize", "--select", "clean", "--partitions", "2025-01-03")
    project.ok("materialize", "--select", "raw", "--partitions", "2025-01-01", "--retry-failed")
    _same_as_a_whole_read(project)


def test_a_damaged_verdict_is_not_trusted(built_landing: Project) -> None:
    project = built_landing
    project.change_landing(DAY)
    project.ok("materialize", "--select", "raw", "--partitions", DAY)
    expected = _view(project, ("plan", "--json"), whole=True)
    verdict = project.root / ".assets" / "verdict.json"
    stored = verdict.read_bytes()
    for damage in (b"", b"\x00\xff garbage", stored[: len(stored) // 2], stored.replace(b'"clean"', b'"raw"', 1),
                   b'{"catalog": "sqlite:///elsewhere.db"}', b"[1, 2]"):
        verdict.write_bytes(damage)
        assert _view(project, ("plan", "--json")) == expected, damage[:40]
        assert verdict.read_bytes() != damage, "the verdict is stored again"
