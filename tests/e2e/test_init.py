"""`assets init`: a working project named after its folder, ready for git."""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path

from cli_project import Project


def test_init_names_the_project_after_its_folder_and_ignores_what_runs_make(tmp_path: Path) -> None:
    Project(tmp_path).ok("init", "shop")
    config = tomllib.loads((tmp_path / "shop" / "assets.toml").read_text())
    assert config["project"]["name"] == "shop"
    assert (tmp_path / "shop" / ".gitignore").read_text().splitlines()[1:] == [".assets/", "data/"]


def test_init_accepts_a_folder_holding_only_a_git_repository(tmp_path: Path) -> None:
    folder = tmp_path / "sales-mart"
    folder.mkdir()
    subprocess.run(["git", "init", "-q", str(folder)], check=True)
    Project(tmp_path).ok("init", "sales-mart")
    assert tomllib.loads((folder / "assets.toml").read_text())["project"]["name"] == "sales-mart"
    project = Project(folder)
    project.ok("materialize")
    ignored = subprocess.run(["git", "status", "--porcelain", "--ignored"], cwd=folder, capture_output=True, text=True).stdout
    assert "!! .assets/" in ignored and "!! data/" in ignored


def test_init_on_a_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    result = Project(tmp_path).run("init", "notes.txt")
    assert result.returncode == 2, str(result)
    [line] = result.error_lines
    assert "notes.txt is a file, not a folder: pick a new folder for the project." in line
    assert (tmp_path / "notes.txt").read_text() == "keep me"
