"""Hostile terminals: user code and data that try to write to the terminal. Escape sequences
in exception messages, check labels, column names and values are shown escaped by every
command that prints them, and nothing turns text into emoji."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli_project import Project

TITLE = "\x1b]0;pwned\x07"  # sets the terminal window's title
CLEAR = "\x1b[2J"  # clears the screen

MODULE = f'''
import polars as pl
from assets_core import StaticPartitions, asset, expect

KEYS = StaticPartitions(["ok", "bad"])

@asset(partitions=KEYS)
def values(context) -> pl.DataFrame:
    return pl.DataFrame({{"value{CLEAR!r}".replace("'", ""): ["user:x:1000", "2001:db8::a:1", "{TITLE!r}"[1:-1]]}})

@asset(partitions=KEYS, checks=[expect(pl.len() > 5, label="enough{TITLE!r}"[:-1] + "_rows")])
def checked(values: pl.DataFrame) -> pl.DataFrame:
    return values

@asset(partitions=KEYS)
def broken(context, values: pl.DataFrame) -> pl.DataFrame:
    if context.partition_key == "bad":
        raise ValueError("boom{CLEAR!r}{TITLE!r}".replace("'", ""))
    return values
'''


@pytest.fixture
def hostile(tmp_path: Path) -> Project:
    (tmp_path / "assets.toml").write_text('[project]\nname = "hostile"\nmodules = ["hostile_assets"]\n')
    (tmp_path / "hostile_assets.py").write_text(MODULE)
    return Project(tmp_path)


def assert_escaped(output: str, *, expected: str) -> None:
    assert "\x1b" not in output and "\x07" not in output, repr(output)
    assert expected in output, output


def test_nothing_user_code_or_data_holds_reaches_the_terminal_raw(hostile: Project) -> None:
    run = hostile.run("materialize")
    assert run.returncode == 1, str(run)
    assert_escaped(run.stdout + run.stderr, expected="boom\\x1b[2J\\x1b]0;pwned\\x07")
    for args in (("plan",), ("why", "broken", "bad"), ("status", "--partitions"), ("quarantine", "list")):
        result = hostile.run(*args)
        assert_escaped(result.stdout + result.stderr, expected="\\x1b" if args[0] != "status" else "broken")
    shown = hostile.ok("show", "values", "--partition", "ok").stdout
    assert_escaped(shown, expected="value\\x1b[2J")
    assert "\\x1b]0;pwned\\x07" in shown


def test_text_is_never_turned_into_emoji(hostile: Project) -> None:
    """`2001:db8::a:1` became `2001:db8:🅰1` and `user:x:1000` became `user❌1000`."""
    hostile.run("materialize")
    shown = hostile.ok("show", "values", "--partition", "ok").stdout
    assert "user:x:1000" in shown and "2001:db8::a:1" in shown
