"""Damaged files: a catalog, warehouse or argument that is not what the engine wrote gives one
line saying what and how to recover, never a traceback, and changes nothing."""

from __future__ import annotations

import sqlite3

import duckdb
import pytest

from cli_project import Project


def one_line(result: object, *words: str) -> None:
    assert result.returncode == 1, str(result)  # type: ignore[attr-defined]
    text = result.stdout + result.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in text, text
    [line] = result.error_lines  # type: ignore[attr-defined]
    for word in words:
        assert word in line, line


def edit_catalog(project: Project, statement: str) -> None:
    db = sqlite3.connect(project.catalog_path)
    db.execute(statement)
    db.commit()
    db.close()


@pytest.mark.parametrize(("statement", "words"), [
    ("UPDATE partitions SET inputs = '{bad' WHERE asset = 'clean'", ("a partition's inputs that is not JSON", "'{bad'", "restore")),
    ("UPDATE schema_version SET version = 'five'", ("schema version 'five', not a number", "restore")),
    ("DROP TABLE observations", ("has no table observations", "restore")),
])
def test_a_damaged_catalog_is_one_line(built_landing: Project, statement: str, words: tuple[str, ...]) -> None:
    edit_catalog(built_landing, statement)
    for command in ("status", "plan"):
        one_line(built_landing.run(command), *words)


@pytest.mark.parametrize("damage", [
    "DROP TABLE revenue",
    "CREATE OR REPLACE TABLE revenue AS SELECT 1 AS x",  # its partition_key column gone
])
def test_a_changed_warehouse_table_is_one_line_from_show(built_landing: Project, damage: str) -> None:
    db = duckdb.connect(str(built_landing.warehouse))
    db.execute(damage)
    db.close()
    one_line(built_landing.run("show", "revenue"), "The warehouse table of 'revenue' is not what its publishes made")


def test_a_huge_limit_shows_every_row(built_landing: Project) -> None:
    shown = built_landing.run("show", "clean", "--limit", "99999999999999999999", "--format", "json")
    assert shown.returncode == 0 and "Traceback" not in shown.stderr, str(shown)

