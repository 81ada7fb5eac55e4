"""The schema as SQL files: how they are split, found and numbered, that the first four make
the catalog assets-core made before them (tests/unit/catalog_schema_v4.sql, written by that
code), and that a catalog of any earlier version migrates to the schema a new one has."""

from __future__ import annotations

import shutil
import sqlite3
import tomllib
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from assets_core.catalog.errors import CatalogError
from assets_core.catalog.migrations import (
    LAST_ATTEMPT_IS_THE_PUBLISH,
    LEDGER_EXCEPTION,
    LEDGER_LATE,
    latest_version,
    migrations,
    migrations_folder,
    split_statements,
)
from assets_core.catalog.sqlite import SqliteCatalog

ROOT = Path(__file__).resolve().parents[2]
OLD_SCHEMA = Path(__file__).with_name("catalog_schema_v4.sql")


# -- splitting a file -----------------------------------------------------------------------


def test_statements_end_with_a_semicolon_at_the_end_of_a_line_and_lose_their_comments() -> None:
    text = """-- a header; with a semicolon that ends nothing;
CREATE TABLE t (
    -- why a is there;
    a TEXT, b TEXT);

  -- indented comment
CREATE INDEX t_by_a ON t (a) WHERE a IS NOT 'x;y';
ALTER TABLE t ADD COLUMN c TEXT;
"""
    assert split_statements(text) == [
        "CREATE TABLE t (\n    a TEXT, b TEXT)",
        "CREATE INDEX t_by_a ON t (a) WHERE a IS NOT 'x;y'",
        "ALTER TABLE t ADD COLUMN c TEXT",
    ]


def test_a_file_of_comments_only_has_no_statements() -> None:
    assert split_statements("-- nothing yet\n\n") == []


def test_a_last_statement_without_its_semicolon_is_refused() -> None:
    with pytest.raises(CatalogError, match=r"0007_x.sql ends with a statement without its ';' \(ALTER TABLE t.*end every"):
        split_statements("CREATE TABLE t (a);\nALTER TABLE t ADD COLUMN b\n", "0007_x.sql")


def test_an_empty_statement_is_refused() -> None:
    with pytest.raises(CatalogError, match="empty statement"):
        split_statements("CREATE TABLE t (a);\n;\n")


# -- numbering ------------------------------------------------------------------------------


def write(folder: Path, *names: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text(f"CREATE TABLE t{name[:4]} (a TEXT);\n")
    return folder


def test_migrations_are_listed_in_the_order_of_their_numbers(tmp_path: Path) -> None:
    folder = write(tmp_path / "m", "0002_b.sql", "0010_j.sql", "0001_a.sql", *(f"{v:04d}_x.sql" for v in range(3, 10)))
    (folder / "README.md").write_text("not a migration")
    found = migrations(folder)
    assert [m.version for m in found] == list(range(1, 11))
    assert [m.name for m in found][:2] == ["0001_a", "0002_b"]
    assert latest_version(folder) == 10


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (("0001_a.sql", "0003_c.sql"), "numbered 1, 3: migration 2 is missing; number them 1, 2, 3"),
        (("0002_b.sql",), "numbered 2: migration 1 is missing"),
        (("0001_a.sql", "0002_b.sql", "0002_other.sql"), "Two migrations are numbered 2: 0002_b.sql and 0002_other.sql"),
        (("0001_a.sql", "2_b.sql"), r"2_b.sql is not named NNNN_what_it_does.sql .*rename it"),
        (("0001_Initial.sql",), "is not named NNNN_what_it_does.sql"),
        ((), "No migration files"),
    ],
)
def test_a_gap_a_duplicate_or_a_misnamed_file_is_refused(tmp_path: Path, names: tuple[str, ...], message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        migrations(write(tmp_path / "m", *names))


# -- where the files are --------------------------------------------------------------------


def test_a_wheel_reads_them_from_the_package_and_a_checkout_from_its_catalog_folder(tmp_path: Path) -> None:
    package = tmp_path / "site" / "assets_core" / "catalog"
    write(package / "migrations", "0001_a.sql")
    assert migrations_folder(package) == package / "migrations"

    checkout = tmp_path / "repo" / "assets_core" / "catalog"
    checkout.mkdir(parents=True)
    write(tmp_path / "repo" / "catalog", "0001_a.sql")
    assert migrations_folder(checkout) == tmp_path / "repo" / "catalog"

    shutil.rmtree(tmp_path / "repo" / "catalog")
    with pytest.raises(CatalogError, match="migration files are missing .*reinstall assets-core"):
        migrations_folder(checkout)


def test_the_package_reads_the_migrations_beside_it_or_the_repository_catalog_folder() -> None:
    """Installed from a wheel (as the README's commands do), the package's own copy, the same
    files as the repository's; imported from a checkout, the repository's folder."""
    import assets_core.catalog.migrations as module

    installed = Path(module.__file__).resolve().parent / "migrations"
    expected = installed if installed.is_dir() else ROOT / "catalog"
    assert migrations_folder() == expected
    assert [m.path.parent for m in migrations()] == [expected] * latest_version()
    assert sorted(p.name for p in expected.glob("*.sql")) == sorted(p.name for p in (ROOT / "catalog").glob("*.sql"))
    assert all((expected / p.name).read_bytes() == p.read_bytes() for p in (ROOT / "catalog").glob("*.sql"))


def test_the_wheel_ships_the_catalog_folder_as_the_package_migrations() -> None:
    build = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]
    assert build["wheel"]["force-include"]["catalog"] == "assets_core/catalog/migrations"
    assert "catalog" in build["sdist"]["include"]


# -- the schema they make -------------------------------------------------------------------


def schema(path: Path) -> list[tuple[str, str, str]]:
    """``sqlite_master`` as (type, name, statement), whitespace runs made one space (the files
    indent their statements less than the Python strings did), ``IS NOT DISTINCT FROM`` read
    as the ``IS`` SQLite parses it into (0004 was made portable to PostgreSQL that way)."""
    db = sqlite3.connect(path)
    try:
        return [
            (type_, name, " ".join(sql.split()).replace(" IS NOT DISTINCT FROM ", " IS "))
            for type_, name, sql in db.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name"
            )
        ]
    finally:
        db.close()


def make_old_catalog(path: Path) -> None:
    """A catalog as assets-core made it before its migrations were files: version 4."""
    db = sqlite3.connect(path)
    for statement in split_statements(OLD_SCHEMA.read_text()):
        db.execute(statement)
    db.executemany("INSERT INTO schema_version VALUES (?)", [(v,) for v in range(1, 5)])
    db.execute("INSERT INTO runs (run_id, reference_time, started_at, trigger, status) VALUES ('r0', 't', 't', 'cli', 'succeeded')")
    db.commit()
    db.close()


@pytest.fixture
def old_schema(tmp_path: Path) -> list[tuple[str, str, str]]:
    make_old_catalog(tmp_path / "made-before.db")
    return schema(tmp_path / "made-before.db")


def test_the_expected_schema_holds_every_table_and_index(old_schema: list[tuple[str, str, str]]) -> None:
    names = {name for _, name, _ in old_schema}
    assert len(names) == 14 and {"partitions", "schema_version", "partitions_last_attempt_not_the_publish"} <= names


def files_up_to(path: Path, version: int) -> None:
    """A catalog at ``version``, made by applying the first files by hand."""
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for migration in migrations()[:version]:
        for statement in migration.statements():
            db.execute(statement)
        db.execute("INSERT INTO schema_version VALUES (?)", (migration.version,))
    db.commit()
    db.close()


def test_the_first_four_files_make_the_schema_the_python_migrations_made(
    tmp_path: Path, old_schema: list[tuple[str, str, str]]
) -> None:
    files_up_to(tmp_path / "v4.db", 4)
    assert schema(tmp_path / "v4.db") == old_schema


@pytest.mark.parametrize("version", [1, 2, 3, 4])
def test_a_catalog_at_an_earlier_version_is_migrated_to_the_schema_of_a_new_one(tmp_path: Path, version: int) -> None:
    SqliteCatalog(tmp_path / "new.db").close()
    path = tmp_path / "old.db"
    files_up_to(path, version)
    catalog = SqliteCatalog(path)
    assert catalog.schema_version() == latest_version() == len(migrations())
    catalog.close()
    assert schema(path) == schema(tmp_path / "new.db")


def test_a_catalog_made_before_the_files_keeps_its_tables_and_gains_the_newer_ones(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    make_old_catalog(path)
    db = sqlite3.connect(path)
    before = db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    db.close()
    catalog = SqliteCatalog(path)
    try:
        assert catalog.schema_version() == latest_version()
        assert [r.run_id for r in catalog.runs()] == ["r0"]
    finally:
        catalog.close()
    db = sqlite3.connect(path)
    try:
        after = db.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
        changed = {"materializations", "leases", "runs", "assets", "partitions"}  # 0005 schema_id; 0006 expiries and generations; 0009 grains
        assert [row for row in after if row[1] not in changed and row in before] == \
            [row for row in before if row[1] not in changed]  # verbatim
        assert {row[1] for row in after} - {row[1] for row in before} >= {
            "schemas", "asset_schemas", "sqlite_autoindex_schemas_1", "sqlite_autoindex_asset_schemas_1",
            "freshness_ledger", "freshness_ledger_by_due", "freshness_ledger_exceptions", "sqlite_autoindex_freshness_ledger_1",
            "freshness_alerts", "sqlite_autoindex_freshness_alerts_1",
            "attempt_logs", "attempt_logs_by_run", "partitions_published_under_another_grain"}  # 0005's, 0007's, 0008's, 0009's
        assert db.execute("SELECT version FROM schema_version ORDER BY version").fetchall() == \
            [(v,) for v in range(1, latest_version() + 1)]
    finally:
        db.close()


def test_the_snapshot_query_repeats_the_condition_of_the_index(tmp_path: Path) -> None:
    """The index a new catalog has (from 0004) is ``WHERE NOT (LAST_ATTEMPT_IS_THE_PUBLISH)``,
    compared as parsed trees: the query that repeats the constant can use it (test_snapshot
    checks that SQLite does)."""
    SqliteCatalog(tmp_path / "new.db").close()
    [index] = [sql for type_, name, sql in schema(tmp_path / "new.db") if name == "partitions_last_attempt_not_the_publish"]
    where = sqlglot.parse_one(index, read="sqlite").find(exp.Where)
    assert where is not None
    assert where.this == sqlglot.parse_one(f"NOT ({LAST_ATTEMPT_IS_THE_PUBLISH})", read="sqlite")


def test_the_ledger_queries_repeat_the_condition_of_its_partial_index(tmp_path: Path) -> None:
    """0007's index of the ledger's exceptions is ``WHERE LEDGER_EXCEPTION``, and SQLite reads
    the exceptions (and the late ones among them) through it, not through the whole ledger."""
    SqliteCatalog(tmp_path / "new.db").close()
    [index] = [sql for type_, name, sql in schema(tmp_path / "new.db") if name == "freshness_ledger_exceptions"]
    where = sqlglot.parse_one(index, read="sqlite").find(exp.Where)
    assert where is not None
    assert where.this == sqlglot.parse_one(LEDGER_EXCEPTION, read="sqlite")
    db = sqlite3.connect(tmp_path / "new.db")
    try:
        for condition in (LEDGER_EXCEPTION, f"({LEDGER_EXCEPTION}) AND {LEDGER_LATE}",
                          f"({LEDGER_EXCEPTION}) AND NOT ({LEDGER_LATE})"):
            plan = db.execute(f"EXPLAIN QUERY PLAN SELECT asset, partition, due_at FROM freshness_ledger WHERE {condition}").fetchall()
            assert any("freshness_ledger_exceptions" in row[-1] for row in plan), plan
    finally:
        db.close()
