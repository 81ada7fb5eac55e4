"""The catalog's schema as data: one SQL file per migration, shared by every backend.

The files live in the repository's top-level ``catalog/`` folder, and in a wheel under
``assets_core/catalog/migrations/`` (``force-include`` in pyproject.toml). Each is named
``NNNN_what_it_does.sql``, numbered from 0001 without gaps. Opening a catalog, a backend
applies the migrations newer than its ``schema_version``, in order, in a transaction with the
row each adds to ``schema_version``: a catalog is never left between two versions.

The files are plain SQL with two rules, so they split without a parser: ``--`` starts a
comment only at the start of a line (the comments say why a column exists), and a statement
ends with a ``;`` that ends a line.

They are portable: the PostgreSQL backend runs them as they are, reading three types as
SQLite means them (``postgres.postgres_statement``): ``INTEGER PRIMARY KEY`` numbers itself
(an identity column there), ``INTEGER`` is 64 bits, ``REAL`` 8 bytes.

    >>> [m.name for m in migrations()][:1]
    ['0001_initial']
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from assets_core.catalog.errors import CatalogError

LAST_ATTEMPT_IS_THE_PUBLISH = """last_status IS NOT DISTINCT FROM 'published'
    AND last_run IS NOT DISTINCT FROM published_run
    AND last_code_version IS NOT DISTINCT FROM code_version
    AND last_inputs IS NOT DISTINCT FROM inputs AND last_error IS NULL
    AND last_failure IS NULL"""
"""Partitions whose last attempt is their publish (nearly all): the last_* columns repeat it.

Migration 0004 indexes the others, ``WHERE NOT (`` this ``)``, and a snapshot's query repeats
the condition to use that index. It is kept here, with the queries, rather than read from
0004: a migration file is history, never edited once shipped, while this is the condition of
the index as it is now (a later migration may replace the index; the tests compare this with
the index of a newly migrated catalog).

``IS NOT DISTINCT FROM`` is SQLite's ``IS`` in standard SQL (SQLite 3.39 parses both into the
same expression, so a catalog whose index was made with ``IS`` still matches this query),
and valid PostgreSQL."""

LEDGER_EXCEPTION = "met_at IS NULL OR due_at IS NULL OR met_at > due_at OR rows = 0"
"""Freshness ledger rows that are not a partition met on time with data: missing, late, empty,
or not given a due time yet (few). Migration 0007 indexes them ``WHERE`` this, and
``ledger_outline`` repeats the condition to use that index (kept here, with the queries, as
:data:`LAST_ATTEMPT_IS_THE_PUBLISH` is)."""

LEDGER_LATE = "met_at IS NOT NULL AND due_at IS NOT NULL AND met_at > due_at AND coalesce(rows, 1) != 0"
"""Of the ledger's exceptions, a partition met late, with data: counted by ``ledger_outline``
(the state of an asset never depends on them), read only when asked for."""

_NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")

_PACKAGE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Migration:
    """One file of the schema: ``0002_timings_and_retries.sql`` is version 2."""

    version: int
    path: Path

    @property
    def name(self) -> str:
        return self.path.stem

    def statements(self) -> list[str]:
        """The file's statements in order, without their comments or final ``;``."""
        return split_statements(self.path.read_text(encoding="utf-8"), self.path.name)


def split_statements(text: str, source: str = "<sql>") -> list[str]:
    """Statements of a migration file: full-line ``--`` comments dropped, each statement ended
    by a ``;`` at the end of a line.

        >>> split_statements("-- why\\nCREATE TABLE t (\\n  a TEXT);\\nCREATE INDEX i ON t (a);\\n")
        ['CREATE TABLE t (\\n  a TEXT)', 'CREATE INDEX i ON t (a)']
    """
    statements: list[str] = []
    lines: list[str] = []
    for line in text.splitlines():
        if line.lstrip().startswith("--"):
            continue
        if line.strip() or lines:
            lines.append(line.rstrip())
        if line.rstrip().endswith(";"):
            statement = "\n".join(lines)[:-1].strip()
            if not statement:
                raise CatalogError(f"The migration {source} holds an empty statement (a lone ';'): remove it.")
            statements.append(statement)
            lines = []
    if "\n".join(lines).strip():
        raise CatalogError(
            f"The migration {source} ends with a statement without its ';' ({lines[0].strip()[:40]}...): "
            "end every statement with ';' at the end of a line."
        )
    return statements


def migrations_folder(package: Path = _PACKAGE) -> Path:
    """Where the SQL files are: inside the installed package (a wheel), or else in the
    ``catalog/`` folder of the source checkout the package is imported from."""
    for folder in (package / "migrations", package.parent.parent / "catalog"):
        if folder.is_dir():
            return folder
    raise CatalogError(
        f"The catalog's migration files are missing (looked in {package / 'migrations'} and "
        f"{package.parent.parent / 'catalog'}): reinstall assets-core."
    )


def migrations(folder: Path | None = None) -> list[Migration]:
    """Every migration, in order: numbered 1, 2, 3... without a gap or a number used twice."""
    return list(_migrations(folder or migrations_folder()))


@cache
def _migrations(folder: Path) -> tuple[Migration, ...]:
    found: dict[int, Migration] = {}
    for path in sorted(folder.glob("*.sql")):
        named = _NAME.fullmatch(path.name)
        if named is None:
            raise CatalogError(
                f"The migration file {path} is not named NNNN_what_it_does.sql (4 digits, lower case): rename it."
            )
        version = int(named.group(1))
        if version in found:
            raise CatalogError(
                f"Two migrations are numbered {version}: {found[version].path.name} and {path.name}; "
                "renumber the newer one."
            )
        found[version] = Migration(version, path)
    if not found:
        raise CatalogError(f"No migration files (NNNN_what_it_does.sql) in {folder}: reinstall assets-core.")
    expected = range(1, len(found) + 1)
    missing = [v for v in expected if v not in found]
    if missing:
        raise CatalogError(
            f"The migrations in {folder} are numbered {', '.join(str(v) for v in sorted(found))}: "
            f"migration {missing[0]} is missing; number them 1, 2, 3... without a gap."
        )
    return tuple(found[v] for v in expected)


def pending(current: int, catalog: str) -> list[Migration]:
    """The migrations a catalog at schema version ``current`` still needs, in order; one that
    is newer than this assets-core is refused (an older one must never write to it)."""
    known = migrations()
    if current > len(known):
        raise CatalogError(
            f"The catalog {catalog} has schema version {current}, newer than this "
            f"assets-core knows ({len(known)}): upgrade assets-core."
        )
    return known[current:]


def latest_version(folder: Path | None = None) -> int:
    """The schema version a catalog has once every migration is applied."""
    return len(migrations(folder))


_CREATE_TABLE = re.compile(r"^CREATE TABLE (?:IF NOT EXISTS )?(\w+)", re.IGNORECASE)


@cache
def created_tables() -> tuple[str, ...]:
    """The tables the migrations create, in order: a catalog lacking one was damaged."""
    return tuple(match.group(1) for m in migrations() for statement in m.statements()
                 if (match := _CREATE_TABLE.match(statement.strip())))
