"""What the CLI prints on narrow terminals and at the end of a run: ids and asset names whole,
failures visible, and the small agreements between tables, JSON and summaries (issue 13:
items 26, 27, 34)."""

from __future__ import annotations

import os
import pty
import re
import subprocess
from collections.abc import Callable

import pytest

from cli_project import Project, assets_command, cli_env

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
    assert "quarantined 1" in out.stdout or "quarantined" in out.stdout.splitlines()[1], out.stdout


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


def _on_a_terminal(project: Project, *args: str) -> tuple[int, str]:
    """The real CLI on a pseudo-terminal (rich draws its live display): exit code and every byte it wrote."""
    main, child = pty.openpty()
    env = {**cli_env(), "TERM": "xterm", "COLUMNS": "160"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([*assets_command(), *args], cwd=project.root, env=env,
                               stdin=child, stdout=child, stderr=child, close_fds=True)
    os.close(child)
    output = b""
    while True:
        try:
            chunk = os.read(main, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        output += chunk
    os.close(main)
    return process.wait(timeout=120), output.decode(errors="replace")


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def test_on_a_terminal_the_bars_and_the_end_of_a_run_show_what_failed(make_project: Callable[..., Project]) -> None:
    project = make_project("long_names")
    code, raw = _on_a_terminal(project, "materialize")
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
    _, raw = _on_a_terminal(make_project("long_names", "again"), "materialize")
    assert f"warning: {NAMES[1]}[2025-01-01]: many_views" in _ANSI.sub("", raw), raw
