"""Hostile names and keys: what an attacker (or an unlucky user) can name an asset or a key,
and what the engine does with it. Each case reached the data once; each is now refused with
one line at load time or at `partitions add`, before any data moves."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from cli_project import Project


def write_project(root: Path, module: str) -> Project:
    (root / "assets.toml").write_text('[project]\nname = "hostile"\nmodules = ["hostile_assets"]\n')
    (root / "hostile_assets.py").write_text(module)
    return Project(root)


CASE_TWINS = '''
import polars as pl
from assets_core import asset

@asset(io="duckdb")
def Sales() -> pl.DataFrame:
    return pl.DataFrame({"n": [1]})

@asset(io="duckdb")
def sales() -> pl.DataFrame:
    return pl.DataFrame({"n": [2]})
'''


def test_asset_names_that_differ_only_in_case_are_refused_at_load(tmp_path: Path) -> None:
    """DuckDB table names ignore case: `Sales` and `sales` would share a table, each publish
    deleting the other's rows."""
    project = write_project(tmp_path, CASE_TWINS)
    result = project.run("materialize")
    assert result.returncode == 1, str(result)
    [line] = result.error_lines
    assert "'Sales'" in line and "'sales'" in line and "differ only in case" in line and "rename one" in line
    assert not (tmp_path / "data").exists()


# -- dynamic keys: `partitions add` and context.add_partitions share one rule ------------------


def test_a_key_of_200_accented_letters_is_refused_by_its_size_in_bytes(make_project: Callable[..., Project]) -> None:
    """200 'é' are 200 characters but 400 bytes: over the file-name limit, the run died with
    a traceback every time and published nothing."""
    grains = make_project("grains")
    result = grains.run("partitions", "add", "stores", "é" * 200)
    assert result.returncode == 2, str(result)
    [line] = result.error_lines
    assert "400 bytes long in UTF-8 (200 characters)" in line and "at most 200 bytes" in line
    assert grains.json("partitions", "list", "stores") == []
    assert grains.ok("partitions", "add", "stores", "é" * 100).returncode == 0  # 200 bytes: fits


@pytest.mark.parametrize("key", ["store*", "store?", "store[12]", "{a,b}", "x%41", "a=b", "__HIVE_DEFAULT_PARTITION__"])
def test_keys_a_parquet_or_duckdb_reader_would_not_read_literally_are_refused(
    make_project: Callable[..., Project], key: str
) -> None:
    """A key `a*` became a glob pattern (one partition read others' data); `x%41` came back
    as `xA`, `__HIVE_DEFAULT_PARTITION__` as NULL, and `=` broke every read across partitions."""
    grains = make_project("grains")
    result = grains.run("partitions", "add", "stores", "HQ", key)
    assert result.returncode == 2, str(result)
    [line] = result.error_lines
    assert f"Cannot add {key!r} to stores" in line
    assert grains.json("partitions", "list", "stores") == []  # all or nothing


def test_asset_code_cannot_add_such_a_key_either(make_project: Callable[..., Project]) -> None:
    grains = make_project("grains")
    grains.edit("grains_assets.py", 'context.add_partitions("stores", ["BRANCH1"])',
                'context.add_partitions("stores", ["BRANCH*"])')
    grains.ok("partitions", "add", "stores", "HQ")
    result = grains.run("materialize")
    assert result.returncode == 1
    assert "cannot add 'BRANCH*'" in result.stdout + result.stderr
    assert grains.json("partitions", "list", "stores") == ["HQ"]


def test_a_refused_key_already_in_the_catalog_names_its_removal_which_works(make_project: Callable[..., Project]) -> None:
    """A catalog written by an older version may hold a key refused now: every command says
    how to remove it, and that command works."""
    grains = make_project("grains")
    grains.ok("partitions", "add", "stores", "HQ")
    db = sqlite3.connect(grains.catalog_path)
    db.execute("INSERT INTO dynamic_partitions VALUES ('stores', 'a%b', 1, '2025-01-01T00:00:00+00:00')")
    db.commit()
    db.close()
    plan = grains.run("plan")
    assert plan.returncode == 1
    [line] = plan.error_lines
    assert "The catalog holds key 'a%b' of DynamicPartitions('stores')" in line
    fix = line.split("Remove it: ")[1]
    assert fix == "assets partitions remove stores a%b --force"
    assert grains.json("partitions", "list", "stores") == ["HQ", "a%b"]
    grains.ok(*fix.split()[1:])
    assert grains.json("partitions", "list", "stores") == ["HQ"]
    grains.ok("plan")


# -- versions and names hold no control characters -----------------------------------------

VERSIONED = '''
import polars as pl
from assets_core import asset

@asset(code_version={version!r}, owner={owner!r})
def orders() -> pl.DataFrame:
    return pl.DataFrame({{"n": [1]}})
'''


@pytest.mark.parametrize(("version", "owner", "field"), [
    ("v\x011", "data-team", "code_version"),  # \x01 separates the catalog's columns
    ("2", "\x1b]0;pwned\x07", "owner"),  # sets the terminal's title
])
def test_a_version_or_name_with_a_control_character_is_refused_at_load(
    tmp_path: Path, version: str, owner: str, field: str
) -> None:
    """A code_version holding \\x01 was accepted, and then every run said the catalog had been
    edited by hand."""
    project = write_project(tmp_path, VERSIONED.format(version=version, owner=owner))
    result = project.run("materialize")
    assert result.returncode == 1, str(result)
    [line] = result.error_lines
    assert f"Asset 'orders' has {field}=" in line and "without control characters" in line
    assert "\x01" not in line and "\x1b" not in line  # shown escaped
    assert not (tmp_path / "data").exists()


TOP = '''

@asset
def top(summary: pl.DataFrame) -> pl.DataFrame:
    """Reads the unpartitioned summary."""
    return summary.head(1)
'''


@pytest.mark.parametrize(("broken", "said"), [
    ('    raise ValueError("summary broke")\n', "failed: summary: ValueError: summary broke"),
    ('    return pl.DataFrame({"o": [object()]}, schema={"o": pl.Object})\n', "failed: summary: summary cannot be staged to"),
])
def test_an_unpartitioned_partition_is_named_by_its_asset_alone(landing: Project, broken: str, said: str) -> None:
    """Messages named it ``summary[]``: the skip reason of what reads it, staging errors."""
    landing.edit("landing_assets.py", '    """Per customer, over every day: orders and revenue."""\n',
                 '    """Per customer, over every day: orders and revenue."""\n' + broken)
    with (landing.root / "landing_assets.py").open("a") as module:
        module.write(TOP)
    result = landing.run("materialize")
    assert result.returncode == 1, str(result)
    out = result.stdout + result.stderr
    assert said in out and "skipped: top: upstream summary failed" in out, out
    run_id = landing.json("runs")[0]["run_id"]
    shown = landing.ok("runs", "show", run_id).stdout + landing.ok("status", "--partitions").stdout
    assert "upstream summary failed" in shown, shown
    for text in (out, shown, json.dumps(landing.json("runs", "show", run_id))):
        assert "summary[]" not in text and "top[]" not in text, text
