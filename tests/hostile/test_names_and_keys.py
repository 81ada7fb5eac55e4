"""Hostile names and keys: what an attacker (or an unlucky user) can name an asset or a key,
and what the engine does with it. Each case reached the data once; each is now refused with
one line at load time or at `partitions add`, before any data moves."""

from __future__ import annotations

from pathlib import Path

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
