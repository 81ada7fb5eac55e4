"""What only the PostgreSQL backend has: migrating under its advisory lock (two processes at
once migrate once), a server that is down as one line, SQLite's types and placeholders read
as SQLite means them. The interface itself is tested on both backends in test_catalog.py."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest
from cli_project import PROJECTS, Project, copy_project

from assets_core.catalog import open_catalog
from assets_core.catalog.errors import CatalogError
from assets_core.catalog.migrations import latest_version

pytest.importorskip("psycopg")

from assets_core.catalog.postgres_connection import translate

ROOT = Path(__file__).resolve().parents[2]

_OPEN_WHEN_TOLD = """
import sys, time
from pathlib import Path
from assets_core.catalog import open_catalog
go = Path(sys.argv[2])
while not go.exists():
    time.sleep(0.005)
catalog = open_catalog(sys.argv[1], ".")
print(catalog.schema_version())
catalog.close()
"""


def test_two_processes_opening_a_new_catalog_at_once_migrate_it_once(postgres_url: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    processes = [
        subprocess.Popen([sys.executable, "-c", _OPEN_WHEN_TOLD, postgres_url, str(go)], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    go.touch()  # both are waiting for this: they open the empty catalog at the same moment
    outputs = [p.communicate(timeout=120) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], outputs
    assert [out.strip() for out, _ in outputs] == [str(latest_version())] * 2
    catalog = open_catalog(postgres_url, tmp_path)
    try:
        versions = [row[0] for row in catalog._rows("SELECT version FROM schema_version ORDER BY version")]  # type: ignore[attr-defined]
    finally:
        catalog.close()
    assert versions == list(range(1, latest_version() + 1)), "a migration was applied twice"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_server_that_is_down_is_one_line_naming_the_host_and_the_fix(tmp_path: Path) -> None:
    port = _closed_port()
    with pytest.raises(CatalogError, match=rf"at 127\.0\.0\.1:{port}/shop cannot be reached .*: start the server"):
        open_catalog(f"postgresql://me:secret@127.0.0.1:{port}/shop", tmp_path)


def test_the_cli_with_a_server_down_exits_with_one_line_and_no_traceback(tmp_path: Path) -> None:
    project = copy_project(PROJECTS / "landing", tmp_path / "landing")
    project.catalog_url = f"postgresql://me:secret@127.0.0.1:{_closed_port()}/shop"
    result = project.run("status")
    assert result.returncode != 0
    assert len(result.error_lines) == 1 and "cannot be reached" in result.stderr, str(result)
    assert "Traceback" not in result.stderr and "secret" not in result.stderr


def test_assets_catalog_url_overrides_assets_toml(postgres_url: str, tmp_path: Path) -> None:
    project = Project(copy_project(PROJECTS / "landing", tmp_path / "landing").root, catalog_url=postgres_url)
    project.ok("materialize")
    assert not project.catalog_path.exists(), "the SQLite file was written although ASSETS_CATALOG_URL names a server"
    published = project.catalog("SELECT count(*) FROM partitions WHERE data_version IS NOT NULL")[0][0]
    assert published > 0 and project.json("plan")["steps"] == []


def test_a_missing_schema_is_one_line(postgres_server: str, tmp_path: Path) -> None:
    from postgres_server import with_schema

    with pytest.raises(CatalogError, match="create the schema"):
        open_catalog(with_schema(postgres_server, "no_such_schema"), tmp_path)


def test_a_database_with_other_tables_is_refused_unchanged(postgres_url: str, tmp_path: Path) -> None:
    import psycopg

    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute("CREATE TABLE invoices (id INTEGER)")
    with pytest.raises(CatalogError, match="is not an assets-core catalog .*invoices"):
        open_catalog(postgres_url, tmp_path)
    with psycopg.connect(postgres_url, autocommit=True) as db:
        tables = {r[0] for r in db.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")}
    assert tables == {"invoices"}


def test_integers_are_64_bits_and_reals_8_bytes_as_in_sqlite(postgres_url: str, tmp_path: Path) -> None:
    from assets_core.catalog.models import Materialization

    catalog = open_catalog(postgres_url, tmp_path)
    try:
        catalog.record([Materialization(
            run_id="r", asset="a", partition="p", status="published", started_at="t0", ended_at="t1",
            code_version="c", data_version="d", rows=3, bytes=5 * 2**40, timings={"compute": 0.1234567890123},
        )])
        (stored,) = catalog.materializations()
        total = catalog._rows("SELECT sum(bytes) FROM materializations")[0][0]  # type: ignore[attr-defined]
    finally:
        catalog.close()
    assert stored.bytes == 5 * 2**40 and total == 5 * 2**40 and isinstance(total, int)


@pytest.mark.parametrize(("query", "expected"), [
    ("SELECT a FROM t WHERE b = ? AND c = ?", ("SELECT a FROM t WHERE b = %s AND c = %s", None)),
    ("SELECT '?', 'it''s 50%' WHERE x = ?", ("SELECT '?', 'it''s 50%%' WHERE x = %s", None)),
    ("SELECT substr(r, 1, length(?1)) = ?1", ("SELECT substr(r, 1, length(%s)) = %s", (0, 0))),
    ("VALUES (:name, :kind) -- a ? here\n", ("VALUES (%(name)s, %(kind)s) -- a ? here\n", None)),
    ("SELECT x::text, '2025-01-01T00:00' FROM t", ("SELECT x::text, '2025-01-01T00:00' FROM t", None)),
])
def test_sqlite_placeholders_become_psycopg_ones(query: str, expected: tuple[str, object]) -> None:
    assert translate(query) == expected


def test_a_server_that_goes_away_mid_use_is_one_line_and_the_pool_reconnects(postgres_url: str, tmp_path: Path) -> None:
    import psycopg

    catalog = open_catalog(postgres_url, tmp_path)
    try:
        assert catalog.runs() == []
        with psycopg.connect(postgres_url, autocommit=True) as admin:  # the server drops the catalog's connection
            admin.execute("""SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                             WHERE datname = current_database() AND pid <> pg_backend_pid()""")
        with pytest.raises(CatalogError, match=r"stopped answering .*: check that the server is up"):
            catalog.runs()
        assert catalog.runs() == []  # a new connection from the pool
    finally:
        catalog.close()


def test_the_sqlite_catalog_does_not_import_psycopg(tmp_path: Path) -> None:
    script = ("import sys; from assets_core.catalog import open_catalog; "
              f"open_catalog('sqlite:///{tmp_path / 'c.db'}', '.').close(); "
              "import assets_core.cli.app; print(sorted(m for m in sys.modules if m.startswith('psycopg')))")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"


def test_a_bool_parameter_is_stored_as_sqlite_stores_it(postgres_url: str, tmp_path: Path) -> None:
    """A method written for SQLite may bind True to an INTEGER column and compare it with 1."""
    catalog = open_catalog(postgres_url, tmp_path)
    try:
        with catalog._transaction() as db:  # type: ignore[attr-defined]
            db.execute("INSERT INTO schema_version VALUES (?)", (True,))
            found = db.execute("SELECT count(*) FROM schema_version WHERE version = ?", (True,)).fetchone()[0]
    finally:
        catalog.close()
    assert found == 2  # migration 1's row and the one written here


def test_attempt_ids_grow_in_commit_order_across_processes(postgres_url: str, tmp_path: Path) -> None:
    """Ids are taken from the sequence in blocks, each under the writers' lock: a block a
    process took earlier never numbers an attempt committed after another process's."""
    from assets_core.catalog.models import Materialization

    def one(partition: str) -> list[Materialization]:
        return [Materialization(run_id="r", asset="a", partition=partition, status="failed", started_at="t0",
                                ended_at="t1", code_version="c", error="e")]

    first, second = open_catalog(postgres_url, tmp_path), open_catalog(postgres_url, tmp_path)
    try:
        first.record(one("p1"))
        second.record(one("p2"))
        first.record(one("p3"))
        order = [row[0] for row in first._rows("SELECT partition FROM materializations ORDER BY id")]  # type: ignore[attr-defined]
    finally:
        first.close()
        second.close()
    assert order == ["p1", "p2", "p3"]


def test_a_one_row_insert_is_given_its_id_and_others_are_left_alone() -> None:
    from assets_core.catalog.postgres_connection import _numbered_insert

    assert _numbered_insert("INSERT INTO t (a, b) VALUES (%s, %s)", "id", ("x", 1)) == (
        "t", "INSERT INTO t (id, a, b) VALUES (%s, %s, %s)", ["x", 1])
    assert _numbered_insert("INSERT INTO t (id, a) VALUES (%s, %s)", "id", (7, "x")) is None
    assert _numbered_insert("INSERT INTO t (a) VALUES (%(a)s)", "id", {"a": 1}) is None
    assert _numbered_insert("INSERT INTO t (a) SELECT a FROM u", "id", ()) is None
