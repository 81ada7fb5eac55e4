"""A project's modules may have any name: the wheel installs nothing but ``assets_core``, so
a module named like one of the framework's parts (a product catalog in ``catalog.py``) is the
project's own, not shadowed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from cli_project import Project

ROOT = Path(__file__).resolve().parents[2]

MODULE = '''
import polars as pl
from assets_core import StaticPartitions, asset

@asset(partitions=StaticPartitions(["books", "games"]))
def {name}_products(context) -> pl.DataFrame:
    return pl.DataFrame({{"category": [context.partition_key], "items": [3]}})
'''


@pytest.mark.parametrize("name", ["catalog", "storage", "planning", "reports"])
def test_a_project_module_named_like_a_framework_part_loads_its_assets(tmp_path: Path, name: str) -> None:
    (tmp_path / "assets.toml").write_text(f'[project]\nname = "shop"\nmodules = ["{name}"]\n')
    (tmp_path / f"{name}.py").write_text(MODULE.format(name=name))
    project = Project(tmp_path)
    assert [a["asset"] for a in project.json("list")] == [f"{name}_products"]
    project.ok("materialize")
    assert {row["partition"]: row["status"] for a in project.json("status", "--partitions")
            for row in a["detail"]} == {"books": "fresh", "games": "fresh"}


def test_the_wheel_installs_one_top_level_package() -> None:
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert build["packages"] == ["assets_core"]
    assert all(target.startswith("assets_core/") for target in build.get("force-include", {}).values())
