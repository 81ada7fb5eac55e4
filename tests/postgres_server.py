"""A PostgreSQL server for the tests, and a fresh schema of it per test.

The server, once per session: ``ASSETS_TEST_POSTGRES_URL`` if set (``.ci/run`` sets it);
else a throwaway cluster started here when ``initdb`` and ``pg_ctl`` are found (on PATH or
under /usr/lib/postgresql/*/bin; as the ``postgres`` user when run as root, which initdb
refuses), in a temp folder, on 127.0.0.1 and a free port, stopped at the end; else the
PostgreSQL tests skip, saying how to install it, or fail when ``CI`` is set.

Each test gets a schema of its own (``CREATE SCHEMA``: a few milliseconds), named in the URL
with ``options=-csearch_path=...``, dropped afterwards.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

INSTALL = "apt-get install postgresql (Debian/Ubuntu), or set ASSETS_TEST_POSTGRES_URL=postgresql://user@host:port/db"


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return candidates[-1] if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres(args: list[str]) -> list[str]:
    """Run as the ``postgres`` user when we are root (initdb refuses root)."""
    if os.geteuid() != 0:
        return args
    return ["runuser", "-u", "postgres", "--", *args]


class Cluster:
    """A throwaway cluster: ``initdb`` in a temp folder, ``pg_ctl start`` on 127.0.0.1."""

    def __init__(self, initdb: str, pg_ctl: str) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="assets-pg-"))
        self.pg_ctl = pg_ctl
        self.port = _free_port()
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres")
        data = self.folder / "data"
        subprocess.run(_as_postgres([initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                                     "--no-sync"]), check=True, capture_output=True, text=True)
        # A test server: durability traded for speed (fsync off), sockets in the temp folder.
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.folder} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        subprocess.run(_as_postgres([pg_ctl, "-D", str(data), "-l", str(self.folder / "log"), "-o", options,
                                     "-w", "-t", "60", "start"]), check=True, capture_output=True, text=True)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run(_as_postgres([self.pg_ctl, "-D", str(self.folder / "data"), "-m", "immediate", "stop"]),
                       check=False, capture_output=True)
        shutil.rmtree(self.folder, ignore_errors=True)


def _unavailable(reason: str) -> None:
    message = f"PostgreSQL tests need a server: {reason}; install it with `{INSTALL}`"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI is set: failing, not skipping)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """The URL of a PostgreSQL server the tests may create schemas in."""
    given = os.environ.get("ASSETS_TEST_POSTGRES_URL")
    try:
        import psycopg
    except ImportError:
        _unavailable("psycopg is not installed (pip install -e '.[postgres]')")
        raise
    if given:
        yield given
        return
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        _unavailable("no ASSETS_TEST_POSTGRES_URL, and initdb/pg_ctl are not found")
    assert initdb is not None and pg_ctl is not None
    try:
        cluster = Cluster(initdb, pg_ctl)
    except (subprocess.CalledProcessError, OSError, LookupError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        _unavailable(f"a throwaway cluster did not start ({' '.join(str(detail).split())[:200]})")
        raise
    try:
        with psycopg.connect(cluster.url, connect_timeout=10):
            pass
        yield cluster.url
    finally:
        cluster.stop()


def with_schema(url: str, schema: str) -> str:
    """``url`` with ``schema`` as the only schema on its search path."""
    return f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"


def admin(server: str, statement: str) -> None:
    """One statement on the server, outside a transaction (CREATE DATABASE needs that)."""
    import psycopg

    with psycopg.connect(server, autocommit=True) as connection:
        connection.execute(statement)


def with_database(url: str, database: str) -> str:
    """``url`` naming another database of the same server."""
    return urlunsplit(urlsplit(url)._replace(path=f"/{database}"))


both_catalogs = pytest.mark.parametrize("catalog_backend", ["sqlite", "postgresql"], indirect=True)
"""For an end-to-end test that runs on both catalogs: its projects (``make_project``,
``landing``, ``built_landing``) get a PostgreSQL catalog of their own through
ASSETS_CATALOG_URL in the second run."""


@pytest.fixture
def catalog_backend(request: pytest.FixtureRequest) -> str:
    """The catalog a test's projects use: "sqlite" (their file) unless marked ``both_catalogs``."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """The URL of a new, empty catalog: a schema of its own on the session's server."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin(postgres_server, f"CREATE SCHEMA {schema}")
    yield with_schema(postgres_server, schema)
    admin(postgres_server, f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def postgres_databases(postgres_server: str) -> Iterator[Callable[[str | None], str]]:
    """``make(template)``: the URL of a new database (a copy of ``template``'s, if given), dropped at the end."""
    made: list[str] = []

    def make(template: str | None = None) -> str:
        name = f"t_{uuid.uuid4().hex[:16]}"
        admin(postgres_server, f"CREATE DATABASE {name}" + (f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""))
        made.append(name)
        return with_database(postgres_server, name)

    yield make
    for name in made:
        admin(postgres_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
