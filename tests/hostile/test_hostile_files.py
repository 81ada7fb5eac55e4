"""Hostile files: what is already on disk when the engine arrives (a table made by hand, by
another tool, or by an older version of assets-core)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from cli_project import DAY, Project


def test_a_new_duckdb_asset_does_not_take_over_a_table_it_did_not_publish(landing: Project) -> None:
    """A new DuckDB asset replaced the rows of an existing table nobody's asset owned: 1,000
    rows lost without a word."""
    landing.warehouse.parent.mkdir(parents=True)
    db = duckdb.connect(str(landing.warehouse))
    db.execute("CREATE TABLE Revenue AS SELECT range AS id FROM range(1000)")
    db.close()
    result = landing.run("materialize")
    assert result.returncode == 1, str(result)
    [line] = result.error_lines
    assert "already has a table or view 'Revenue' that asset 'revenue' did not publish" in line
    assert 'DROP TABLE "Revenue"' in line
    db = duckdb.connect(str(landing.warehouse), read_only=True)
    assert db.execute("SELECT count(*) FROM Revenue").fetchone() == (1000,)
    db.close()
    assert landing.json("runs") == [] and not landing.partition_file("raw", DAY).exists()  # nothing ran


def test_tables_published_before_they_were_marked_are_adopted(built_landing: Project) -> None:
    db = duckdb.connect(str(built_landing.warehouse))
    rows = db.execute("SELECT count(*) FROM revenue").fetchone()
    db.execute("COMMENT ON TABLE revenue IS NULL")  # as an older version left it
    db.close()
    built_landing.edit("sql/revenue.sql", "count(*) AS orders", "count(*) + 0 AS orders")  # a code change
    built_landing.ok("materialize", "--select", "revenue", "--partitions", DAY)
    db = duckdb.connect(str(built_landing.warehouse), read_only=True)
    assert db.execute("SELECT count(*) FROM revenue").fetchone() == rows
    assert db.execute("SELECT comment FROM duckdb_tables() WHERE table_name = 'revenue'").fetchone() == (
        "published by assets-core",)
    db.close()


# -- readers during a publish ---------------------------------------------------------------------

_PUBLISH_LOOP = """
import sys
from pathlib import Path

import polars as pl

from assets_core.storage.store import Storage

data, day, stop = Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
storage = Storage(data, data / "warehouse.duckdb")
i = 0
while not stop.exists():  # clean[day] republished again and again, each time of another size
    n = 200 + (i % 7) * 900
    frame = pl.DataFrame({"order_id": pl.int_range(n, eager=True), "customer": [f"c{j % 13}" for j in range(n)],
                          "amount": [float(j % 97) for j in range(n)]})
    storage.publish(storage.stage(f"loop{i % 2}", "clean", day, frame), "parquet")
    i += 1
    if i == 1:
        (data / "publishing").touch()
"""


def test_the_projects_readers_never_fail_during_a_publish(built_landing: Project, tmp_path: Path) -> None:
    """polars and DuckDB open a Parquet path more than once per read: a publish renaming a new
    version over it in between broke `show`, the inputs of downstream assets (Python and SQL)
    and referential checks (errors, and polars panics printed on stderr)."""
    import os
    import subprocess
    import sys
    import time

    import polars as pl

    from assets_core.execution.compute import Computer, Slice, Work
    from assets_core.project.loading import load_graph, load_project
    from assets_core.storage.store import Storage

    project = load_project(built_landing.root)
    graph = load_graph(project, use_manifest=False)
    storage = Storage(project.data_dir, project.warehouse_path)
    computer = Computer(graph, storage)
    days = ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"]
    readers = {
        "show (every partition, with its key)": lambda: storage.read("clean", "parquet", days, with_key=True),
        "show --partition": lambda: storage.read("clean", "parquet", [DAY], with_key=False),
        "a check's read_column": lambda: storage.read_column("clean", "parquet", "amount"),
    }
    inputs = {  # the inputs of downstream assets, through the run's own computer
        "summary (a Python asset, every day of clean)": Work("summary", "", "r1", (Slice("clean", "clean", "parquet", tuple(days), True, "polars"),)),
        "revenue (a SQL asset: DuckDB reads clean)": Work("revenue", DAY, "r2", (Slice("clean", "clean", "parquet", (DAY,), False, "arrow"),)),
    }
    for name, work in inputs.items():
        readers[name] = lambda work=work: _computed(computer, work)
    script = tmp_path / "publish_loop.py"
    script.write_text(_PUBLISH_LOOP)
    stop = tmp_path / "stop"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    loop = subprocess.Popen([sys.executable, str(script), str(built_landing.data), DAY, str(stop)], env=env,
                            stderr=subprocess.PIPE, text=True)
    errors: dict[str, list[str]] = {}
    reads = 0
    try:
        built_landing.wait_for("the publish loop", (built_landing.data / "publishing").exists)
        shows = [built_landing.run("show", "clean", "--limit", "1") for _ in range(2)]
        deadline = time.monotonic() + 4
        while time.monotonic() < deadline:
            for name, read in readers.items():
                reads += 1
                try:
                    read()
                except BaseException as exc:  # a polars panic is a BaseException
                    if isinstance(exc, KeyboardInterrupt):
                        raise
                    errors.setdefault(name, []).append(f"{type(exc).__name__}: {str(exc)[:200]}")
    finally:
        stop.touch()
        _, loop_err = loop.communicate(timeout=60)
    assert loop.returncode == 0, loop_err
    assert reads > 100
    assert not errors, {name: (len(found), found[0]) for name, found in errors.items()}
    for show in shows:
        assert show.returncode == 0 and "panicked" not in show.stderr, str(show)
    assert isinstance(storage.read("clean", "parquet", [DAY], with_key=False), pl.DataFrame)


def _computed(computer: Any, work: Any) -> None:
    done = computer.compute(work)
    assert done.error is None, done.error


def test_init_where_no_project_can_be_is_one_line(landing: Project, tmp_path: Path) -> None:
    """``init /etc/passwd`` is refused; a folder that cannot be made (under a file, in /proc)
    was a traceback."""
    a_file = tmp_path / "passwd"
    a_file.write_text("root:x:0:0\n")
    refused = landing.run("init", str(a_file))
    assert refused.returncode == 2 and refused.error_lines == [f"error: {a_file} is a file, not a folder: pick a new folder for the project."], str(refused)
    for folder in (a_file / "project", Path("/proc/no-such-process/project")):
        result = landing.run("init", str(folder))
        assert result.returncode == 1 and "Traceback" not in result.stderr, str(result)
        [line] = result.error_lines
        assert line.startswith(f"error: Cannot create the project in {folder} (") and "pick a folder you can write" in line, line
    assert a_file.read_text() == "root:x:0:0\n"
