"""What the CLI prints on narrow terminals and at the end of a run: ids and asset names whole,
failures visible, and the small agreements between tables, JSON and summaries (issue 13:
items 26, 27, 34)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from cli_project import Project

NAMES = ["page_views_by_country_and_device_daily", "page_views_cleaned_for_the_reporting_team_daily",
         "page_views_report_for_the_board_meeting_daily", "views_by_key"]


@pytest.fixture
def long_names(make_project: Callable[..., Project]) -> Project:
    """The long_names project after one run: a quarantined day, a failed day, a skipped day."""
    project = make_project("long_names")
    assert project.run("materialize").returncode == 1
    return project


def _cells(table: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("│").split("│")] for line in table.splitlines() if line.startswith("│")]


def _leading(stdout: str, expected: list[str]) -> list[str]:
    """The first column of a table, or (too narrow for one) the lines that lead each record."""
    return [row[0] for row in _cells(stdout) if row[0]] or [line for line in stdout.splitlines() if line in expected]


@pytest.mark.parametrize("columns", ["80", "120"])
def test_status_keeps_every_asset_name_whole(long_names: Project, columns: str) -> None:
    out = long_names.run("status", env={"COLUMNS": columns})
    assert out.returncode == 0, out
    assert "…" not in out.stdout, out.stdout
    assert _leading(out.stdout, NAMES) == NAMES, out.stdout
    assert all(len(line) <= int(columns) for line in out.stdout.splitlines() if line.startswith(("│", "┃", "┏"))), out.stdout
    if columns == "120":  # a table still: the counts that are 0 everywhere make room, and are said
        assert _cells(out.stdout) and "quarantined" in out.stdout.splitlines()[1], out.stdout
        assert "(upstream stale, stale, unknown: 0 in every row; freshness, waiting, last publish left out" in out.stdout, out.stdout
    else:  # one record per asset: every count still there
        assert "quarantined 1" in out.stdout and "unknown 0" in out.stdout, out.stdout


@pytest.mark.parametrize("columns", ["80", "120"])
def test_runs_keeps_the_run_id_whole(long_names: Project, columns: str) -> None:
    run_id = long_names.json("runs")[0]["run_id"]
    out = long_names.run("runs", env={"COLUMNS": columns})
    assert out.returncode == 0, out
    assert "…" not in out.stdout, out.stdout
    assert _leading(out.stdout, [run_id]) == [run_id], out.stdout
    shown = long_names.run("runs", "show", run_id, env={"COLUMNS": columns})
    assert run_id in shown.stdout and "…" not in shown.stdout, shown.stdout
    assert {line.split("  ")[0] for line in _leading(shown.stdout, [])} | {
        line.split("  ")[0] for line in shown.stdout.splitlines() if line.startswith("page_")} >= set(NAMES[:3]), shown.stdout


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_on_a_terminal_the_bars_and_the_end_of_a_run_show_what_failed(make_project: Callable[..., Project]) -> None:
    project = make_project("long_names")
    code, raw = project.on_a_terminal("materialize")
    assert code == 1
    text = _ANSI.sub("", raw).replace("\r", "")
    cleaned, report = NAMES[1], NAMES[2]
    # the bars: failed, quarantined and skipped counted, and drawn in colours of their own (not green)
    assert "1 failed" in text and "1 quarantined" in text and "1 skipped" in text, text
    red, magenta, yellow = "\x1b[31m━", "\x1b[35m━", "\x1b[33m━"
    assert red in raw and magenta in raw and yellow in raw, raw
    # the final screen: what the piped output says per asset, and why a partition was skipped
    lines = text.splitlines()
    tail = lines[max(i for i, line in enumerate(lines) if "all assets" in line):]
    assert f"{cleaned}: 1 published, 1 quarantined" in tail, text
    assert f"{report}: 1 failed, 1 skipped" in tail, text
    assert f"skipped: {report}[2025-01-02]: upstream {cleaned}[2025-01-02] quarantined" in tail, text
    assert any(line.startswith(f"failed: {report}[2025-01-01]: ") and "board template" in line for line in tail), text


def test_materialize_prints_the_warn_checks_that_failed(make_project: Callable[..., Project]) -> None:
    project = make_project("long_names")
    piped = project.run("materialize")
    assert f"warning: {NAMES[1]}[2025-01-01]: many_views: 2 of 2 rows fail many_views" in piped.stdout, piped
    _, raw = make_project("long_names", "again").on_a_terminal("materialize")
    assert f"warning: {NAMES[1]}[2025-01-01]: many_views" in _ANSI.sub("", raw), raw


# -- item 34: small inconsistencies ---------------------------------------------------------------


def test_source_assets_are_listed_as_kind_source(make_project: Callable[..., Project]) -> None:
    project = make_project("long_names")
    kinds = {row[0]: row[1] for row in _cells(project.ok("list").stdout)}
    assert kinds[NAMES[0]] == "source" and kinds[NAMES[1]] == "python" and kinds["views_by_key"] == "sql", kinds
    assert {a["asset"]: a["kind"] for a in project.json("list")}[NAMES[0]] == "source"


def test_show_orders_duckdb_rows_by_key_says_how_many_of_how_many_and_prints_numbers_as_numbers(
        make_project: Callable[..., Project]) -> None:
    project = make_project("long_names")
    project.run("materialize", "--partitions", "2025-01-02")  # the later day is written first
    project.run("materialize", "--partitions", "2025-01-01")
    rows = project.ok("show", "views_by_key", "--format", "json").json()
    assert [r["partition_key"] for r in rows] == ["2025-01-01"] * 2 + ["2025-01-02"] * 2, rows
    assert sorted(r["total"] for r in rows) == [-5, 3, 3, 7], rows  # DECIMAL sums: numbers, not "7.00"
    assert all(isinstance(r["total"], int | float) for r in rows), rows
    table = project.ok("show", "views_by_key", "--limit", "3").stdout
    assert [row[-1] for row in _cells(table)] == ["2025-01-01", "2025-01-01", "2025-01-02"], table
    assert "3 of 4 rows" in table, table


def test_runs_newest_first_with_their_reason_and_the_duration_of_the_summary_line(
        make_project: Callable[..., Project]) -> None:
    project = make_project("long_names")
    first = project.run("materialize", "--partitions", "2025-01-01", "--reason", "first load")
    second = project.run("materialize", "--partitions", "2025-01-02", "--reason", "late data")
    listed = project.json("runs")
    assert [r["reason"] for r in listed] == ["late data", "first load"]
    table = project.ok("runs").stdout
    assert [row[0] for row in _cells(table)] == [r["run_id"] for r in listed], table
    assert "late data" in table and "first load" in table, table
    shown = project.ok("runs", "show", listed[0]["run_id"]).stdout
    assert "late data" in shown.splitlines()[0], shown
    for run, result in zip(reversed(listed), (first, second), strict=True):
        said = re.search(rf"Run {run['run_id']}: .* in ([0-9.]+)s", result.stdout)
        assert said is not None, result
        row = next(r for r in _cells(table) if r[0] == run["run_id"])
        assert f"{said.group(1)}s" in row, (row, result.stdout)
    history = project.json("runs", "--asset", NAMES[0])
    assert [p["run_id"] for p in history["runs"]] == [r["run_id"] for r in listed], history


def test_status_counts_the_partitions_published_with_a_failed_warn_check(long_names: Project) -> None:
    warned = {e["asset"]: e["warned"] for e in long_names.json("status")}
    assert warned == {NAMES[0]: 0, NAMES[1]: 1, NAMES[2]: 0, "views_by_key": 0}  # 2025-01-02 is quarantined, not published
    table = long_names.ok("status").stdout
    header = next(line for line in table.splitlines() if "warned" in line)
    column = [c.strip() for c in header.strip("┃").split("┃")].index("warned")
    assert {row[0]: row[column] for row in _cells(table)}[NAMES[1]] == "1", table
