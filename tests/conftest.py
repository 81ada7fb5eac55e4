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


@pytest.fixture(scope="session")
def _s3_landing_built_once(tmp_path_factory: pytest.TempPathFactory, s3_server: Any) -> tuple[Path, Any]:
    project = copy_project(PROJECTS / "landing", tmp_path_factory.mktemp("s3built") / "landing")
    bucket = s3_server.bucket()
    bucket.use_in(project.root, prefix="built")
    project.ok("materialize")
    return project.root, bucket


@pytest.fixture
def s3_built_landing(_s3_landing_built_once: tuple[Path, Any], tmp_path: Path) -> Iterator[Project]:
    """The landing project on a bucket with every partition published once: a copy of one
    shared build, its objects copied under a prefix of its own (``project.bucket``)."""
    import copy
    import uuid

    root, built = _s3_landing_built_once
    project = copy_project(root, tmp_path / "s3_built_landing", with_state=True)
    bucket = copy.copy(built)
    bucket.prefix = f"t-{uuid.uuid4().hex[:12]}"
    bucket.copy_prefix("built", bucket.prefix)
    config = project.root / "assets.toml"
    config.write_text(config.read_text().replace(f"s3://{bucket.name}/built", f"s3://{bucket.name}/{bucket.prefix}"))
    project.bucket = bucket  # type: ignore[attr-defined]
    yield project
    project.stop_processes()
