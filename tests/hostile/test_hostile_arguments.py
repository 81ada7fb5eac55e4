"""Hostile arguments: a mistyped option or command, a missing argument, a value of the wrong
type. Each is one ``error:`` line, exit 2, naming the closest valid name when there is one,
never typer's framed box."""

from __future__ import annotations

import pytest

from cli_project import Project


@pytest.mark.parametrize(("args", "words"), [
    (("materialize", "--selct", "raw"), ("`assets materialize` has no option --selct: did you mean --select?",)),
    (("status", "--bogus"), ("`assets status` has no option --bogus.", "`assets status --help`")),
    (("--projct", ".", "status"), ("`assets` has no option --projct: did you mean --project?",)),
    (("statu",), ("`assets` has no command 'statu': did you mean 'status'?",)),
    (("partitions", "ad", "x"), ("`assets partitions` has no command 'ad': did you mean 'add'?",)),
    (("show",), ("`assets show` needs its ASSET argument: `assets show ASSET`.",)),
    (("runs", "show"), ("`assets runs show` needs its RUN_ID argument",)),
    (("status", "--select"), ("Option '--select' requires an argument.", "`assets status --help`")),
    (("show", "raw", "--limit", "many"), ("'--limit'", "valid integer", "`assets show --help`")),
])
def test_a_usage_error_is_one_line(landing: Project, args: tuple[str, ...], words: tuple[str, ...]) -> None:
    result = landing.run(*args)
    assert result.returncode == 2, str(result)
    assert result.stdout == "" and "╭" not in result.stderr and "Usage:" not in result.stderr, str(result)
    [line] = result.error_lines
    assert line.startswith("error: "), line
    for word in words:
        assert word in line, line


def test_help_and_commands_are_unchanged(landing: Project) -> None:
    assert "Usage: assets status" in landing.ok("status", "--help").stdout
    bare = landing.run()  # no command: the help, as before
    assert bare.returncode == 2 and "Usage: assets" in bare.stdout + bare.stderr, str(bare)
    assert [row["asset"] for row in landing.json("status")] == ["raw", "clean", "revenue", "summary"]
