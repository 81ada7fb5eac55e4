"""Fixtures of the end-to-end and fault tests: fresh copies of tests/projects/<name>."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from pathlib import Path

import pytest

from cli_project import PROJECTS, Project, copy_project


# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def make_project(tmp_path: Path) -> Iterator[Callable[..., Project]]:
    """``make_project("landing")``: a fresh copy of tests/projects/<name> (no data, no catalog)."""
    made: list[Project] = []

    def make(name: str, folder: str | None = None) -> Project:
        project = copy_project(PROJECTS / name, tmp_path / (folder or name))
        made.append(project)
        return project

    yield make
    for project in made:
        project.stop_processes()


@pytest.fixture
def landing(make_project: Callable[..., Project]) -> Project:
    """The landing project, nothing materialized yet."""
    return make_project("landing")


_BUILT: dict[Path, Path] = {}


@pytest.fixture(scope="session")
def _landing_built_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    if base not in _BUILT:
        project = copy_project(PROJECTS / "landing", tmp_path_factory.mktemp("built") / "landing")
        project.ok("materialize")
        _BUILT[base] = project.root
    return _BUILT[base]


@pytest.fixture
def built_landing(_landing_built_once: Path, tmp_path: Path) -> Iterator[Project]:
    """The landing project with every partition published once (a copy of one shared build)."""
    project = copy_project(_landing_built_once, tmp_path / "built_landing", with_state=True)
    yield project
    project.stop_processes()


# -- object storage: a real S3-compatible server on 127.0.0.1 -------------------------------------


@pytest.fixture(scope="session")
def s3_server() -> Iterator[Any]:
    from s3_server import S3Server

    server = S3Server()
    yield server
    server.stop()


@pytest.fixture
def s3_landing(make_project: Callable[..., Project], s3_server: Any) -> Project:
    """The landing project with data_dir in a fresh bucket (``project.bucket``), nothing materialized."""
    project = make_project("landing")
    bucket = s3_server.bucket()
    bucket.use_in(project.root)
    project.bucket = bucket  # type: ignore[attr-defined]
    return project
