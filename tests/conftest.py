"""Fixtures of the end-to-end and fault tests: fresh copies of tests/projects/<name>."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from pathlib import Path

import pytest
from cli_project import PROJECTS, Project, copy_project
from postgres_server import (  # noqa: F401 (fixtures)
    catalog_backend,
    postgres_databases,
    postgres_server,
    postgres_url,
)

# -- fixtures ------------------------------------------------------------------------------------


@pytest.fixture
def make_project(
    tmp_path: Path, catalog_backend: str, request: pytest.FixtureRequest,  # noqa: F811 (a fixture)
) -> Iterator[Callable[..., Project]]:
    """``make_project("landing")``: a fresh copy of tests/projects/<name> (no data, no catalog;
    a new PostgreSQL database of its own for a test marked ``both_catalogs``)."""
    made: list[Project] = []

    def make(name: str, folder: str | None = None) -> Project:
        project = copy_project(PROJECTS / name, tmp_path / (folder or name))
        if catalog_backend == "postgresql":
            project.catalog_url = request.getfixturevalue("postgres_databases")()
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


@pytest.fixture(scope="session")
def _landing_built_once_on_postgres(postgres_server: str) -> Iterator[str]:  # noqa: F811 (a fixture)
    """The landing project materialized once into a database of its own: the template of the
    databases of ``built_landing`` on PostgreSQL. Yields the database's name."""
    from postgres_server import admin, with_database

    name = f"built_{uuid.uuid4().hex[:12]}"
    admin(postgres_server, f"CREATE DATABASE {name}")
    folder = Path(tempfile.mkdtemp(prefix="built-pg-"))
    project = copy_project(PROJECTS / "landing", folder / "landing")
    project.catalog_url = with_database(postgres_server, name)
    project.ok("materialize")
    _BUILT_ON_POSTGRES[name] = project.root
    yield name
    admin(postgres_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    shutil.rmtree(folder, ignore_errors=True)


_BUILT_ON_POSTGRES: dict[str, Path] = {}


@pytest.fixture
def built_landing(_landing_built_once: Path, tmp_path: Path, catalog_backend: str,  # noqa: F811 (a fixture)
                  request: pytest.FixtureRequest) -> Iterator[Project]:
    """The landing project with every partition published once (a copy of one shared build;
    on PostgreSQL, a copy of its database made with CREATE DATABASE ... TEMPLATE)."""
    if catalog_backend == "postgresql":
        template = request.getfixturevalue("_landing_built_once_on_postgres")
        project = copy_project(_BUILT_ON_POSTGRES[template], tmp_path / "built_landing", with_state=True)
        project.catalog_url = request.getfixturevalue("postgres_databases")(template)
    else:
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
