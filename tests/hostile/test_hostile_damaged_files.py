"""Damaged files: a catalog, warehouse or argument that is not what the engine wrote gives one
line saying what and how to recover, never a traceback, and changes nothing."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

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



def _damage_manifest(body: dict[str, Any], damage: str) -> Any:
    first, second = body["assets"][0], body["assets"][1]
    if damage == "a list":
        return [body]
    if damage == "a name duplicated":
        second["name"] = first["name"]
    elif damage == "a code version edited":
        first["code_version"] = "0000"
    elif damage == "partitions without a start":
        first["partitions"] = {"kind": "daily"}
    return body


@pytest.mark.parametrize("damage", ["a list", "a name duplicated", "a code version edited",
                                    "partitions without a start", "truncated", "binary"])
def test_a_damaged_cached_manifest_is_rebuilt_not_trusted(built_landing: Project, damage: str) -> None:
    """The cached definitions were trusted: a list gave a traceback, a duplicated name or bad
    partitions an error about definitions that are fine, an edited code version a plan
    rebuilding everything."""
    built_landing.ok("status")  # the manifest of this copy of the project
    path = built_landing.root / ".assets" / "manifest.json"
    text = path.read_text()
    if damage == "truncated":
        path.write_text(text[: len(text) // 2])
    elif damage == "binary":
        path.write_bytes(b"\xff\xfe\x00" + text.encode()[:100])
    else:
        path.write_text(json.dumps(_damage_manifest(json.loads(text), damage)))
    planned = built_landing.run("plan")
    assert planned.returncode == 0 and planned.stderr == "", str(planned)
    assert "Nothing to materialize" in planned.stdout, str(planned)
    assert json.loads(path.read_text())["assets"] == json.loads(text)["assets"]  # rebuilt as it was


@pytest.mark.parametrize("view", [
    "CREATE VIEW revenue AS SELECT 1 AS x",  # no partition_key column
    "CREATE TABLE gone AS SELECT * FROM revenue_rows; CREATE VIEW revenue AS SELECT * FROM gone; DROP TABLE gone",
])
def test_a_view_in_place_of_a_warehouse_table_is_one_line_from_show(built_landing: Project, view: str) -> None:
    db = duckdb.connect(str(built_landing.warehouse))
    db.execute("ALTER TABLE revenue RENAME TO revenue_rows")
    for statement in view.split("; "):
        db.execute(statement)
    db.close()
    for args in (("show", "revenue"), ("show", "revenue", "--partition", "2025-01-02")):
        one_line(built_landing.run(*args), "The warehouse view of 'revenue' is not what its publishes made",
                 'DROP VIEW IF EXISTS "revenue"')


@pytest.mark.parametrize("file", ["assets.toml", "sql/revenue.sql"])
def test_a_binary_project_file_is_one_line(built_landing: Project, file: str) -> None:
    (built_landing.root / file).write_bytes(b"\xff\xfe\x00\x01" + b"binary" * 10)
    one_line(built_landing.run("status"), f"{file} is not a text file (not UTF-8: byte 0xff at offset 0)")
