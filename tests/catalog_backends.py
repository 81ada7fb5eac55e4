"""The catalog backends the catalog's tests run against, each opened fresh through
``open_catalog`` in the test's tmp_path.

A backend is a name and how to make the URL of a new, empty catalog of it; the ``catalog``
fixture runs a test once per backend. A PostgreSQL backend adds one entry (a URL naming a
fresh database or schema), and every test written against the interface runs on it too::

    from catalog_backends import catalog, catalog_url, open_again  # noqa: F401 (fixtures)

    def test_something(catalog: Catalog) -> None: ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from assets_core.catalog import Catalog, open_catalog

BACKENDS: dict[str, Callable[[Path], str]] = {
    "sqlite": lambda folder: f"sqlite:///{folder / 'catalog.db'}",
}
"""Backend name -> the URL of a new, empty catalog in a test's folder."""

SERVER_BACKENDS = {"postgresql": "postgres_url"}
"""Backend name -> the fixture giving the URL of a new, empty catalog on a server
(tests/postgres_server.py: a schema of its own per test)."""

sqlite_only = pytest.mark.parametrize("catalog_url", ["sqlite"], indirect=True)
"""For a test of what only the SQLite backend has (its file, its query plans)."""


@pytest.fixture(params=sorted([*BACKENDS, *SERVER_BACKENDS]))
def catalog_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of a new catalog of each backend in turn."""
    if request.param in SERVER_BACKENDS:
        return str(request.getfixturevalue(SERVER_BACKENDS[request.param]))
    return BACKENDS[request.param](tmp_path)


@pytest.fixture
def open_again(catalog_url: str, tmp_path: Path) -> Iterator[Callable[[], Catalog]]:
    """Opens the test's catalog once more, as another process would; all closed at the end."""
    opened: list[Catalog] = []

    def open_() -> Catalog:
        opened.append(open_catalog(catalog_url, tmp_path))
        return opened[-1]

    yield open_
    for each in reversed(opened):
        each.close()


@pytest.fixture
def catalog(open_again: Callable[[], Catalog]) -> Catalog:
    """A new, empty catalog, opened through ``open_catalog``: once per backend."""
    return open_again()
