"""A test project copied into a temporary folder and the real ``assets`` CLI run as a
subprocess in it; readers of the published data that know only the documented layout.

The fixtures that hand these out live in tests/conftest.py.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

TESTS = Path(__file__).resolve().parent
PROJECTS = TESTS / "projects"
ASSETS_SCRIPT = Path(sys.executable).with_name("assets")

# The landing project: one CSV per day in landing/, four days.
DAYS = ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"]
DAY = "2025-01-02"
"""The partition the tests change, crash or quarantine."""

EXECUTORS = {"inline": ("--workers", "1"), "threads": ("--executor", "threads", "--workers", "2"),
             "processes": ("--executor", "processes", "--workers", "2")}
"""The `materialize` options of each local executor, for tests that hold under every one."""

_NOT_COPIED = shutil.ignore_patterns("__pycache__", "data", ".assets", "hold")


def assets_command() -> list[str]:
    """The installed ``assets`` script next to this interpreter, or the module as a fallback."""
    if ASSETS_SCRIPT.is_file():
        return [str(ASSETS_SCRIPT)]
    return [sys.executable, "-m", "assets_core.cli"]


def cli_env(fault: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ASSETS_CORE_FAULT", "FORCE_COLOR")}
    # Wide, colourless output; no stale bytecode when a test edits a module twice in one second.
    env.update(COLUMNS="200", NO_COLOR="1", TERM="dumb", PYTHONDONTWRITEBYTECODE="1")
    if fault is not None:
        env["ASSETS_CORE_FAULT"] = fault
    return env


@dataclass(frozen=True)
class Result:
    """One finished CLI call."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError as exc:
            raise AssertionError(f"`assets {' '.join(self.args)}` did not print JSON ({exc}):\n{self}") from None

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    def __str__(self) -> str:
        return (f"$ assets {' '.join(self.args)}\nexit {self.returncode}\n"
                f"--- stdout\n{self.stdout}--- stderr\n{self.stderr}")


class Project:
    """A project folder in tmp_path, the CLI run inside it, and plain readers of its files."""

    def __init__(self, root: Path, catalog_url: str | None = None) -> None:
        self.root = root
        self.processes: list[subprocess.Popen[str]] = []
        self.catalog_url = catalog_url
        """A server catalog (PostgreSQL) the CLI is given by ASSETS_CATALOG_URL; None: the SQLite file."""

    def _env(self, fault: str | None) -> dict[str, str]:
        env = cli_env(fault)
        if self.catalog_url is not None:
            env["ASSETS_CATALOG_URL"] = self.catalog_url
        return env

    # -- running the CLI -----------------------------------------------------------------

    def run(self, *args: str, fault: str | None = None, cwd: Path | None = None, timeout: float = 120,
            env: dict[str, str] | None = None) -> Result:
        """``env``: variables over :func:`cli_env`'s (``{"COLUMNS": "80"}`` for a narrow table)."""
        done = subprocess.run(
            [*assets_command(), *args], cwd=cwd or self.root, env={**self._env(fault), **(env or {})},
            capture_output=True, text=True, timeout=timeout,
        )
        return Result(tuple(args), done.returncode, done.stdout, done.stderr)

    def on_a_terminal(self, *args: str, columns: int = 160) -> tuple[int, str]:
        """The real CLI on a pseudo-terminal (rich draws its live display): exit code and every
        byte it wrote."""
        import pty

        main, child = pty.openpty()
        env = {**self._env(None), "TERM": "xterm", "COLUMNS": str(columns)}
        env.pop("NO_COLOR", None)
        process = subprocess.Popen([*assets_command(), *args], cwd=self.root, env=env,
                                   stdin=child, stdout=child, stderr=child, close_fds=True)
        os.close(child)
        output = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
        os.close(main)
        return process.wait(timeout=120), output.decode(errors="replace")

    def ok(self, *args: str) -> Result:
        result = self.run(*args)
        assert result.returncode == 0, str(result)
        return result

    def json(self, *args: str) -> Any:
        """Run a command with ``--json``, expect success, and parse what it printed."""
        return self.ok(*args, "--json").json()

    def popen(self, *args: str, fault: str | None = None, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """Start the CLI without waiting; the fixture kills it (by pid) if a test leaves it running.
        ``env``: variables over :func:`cli_env`'s."""
        process = subprocess.Popen(
            [*assets_command(), *args], cwd=self.root, env={**self._env(fault), **(env or {})},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.processes.append(process)
        return process

    def stop_processes(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.send_signal(signal.SIGCONT)  # a test that paused it and failed
                process.kill()
                process.communicate(timeout=30)

    # -- files -----------------------------------------------------------------------------

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def warehouse(self) -> Path:
        return self.data / "warehouse.duckdb"

    @property
    def catalog_path(self) -> Path:
        return self.root / ".assets" / "catalog.db"

    def edit(self, relative: str, old: str, new: str) -> None:
        """Replace one exact piece of a file (the test fails if it is not there)."""
        path = self.root / relative
        text = path.read_text()
        assert text.count(old) == 1, f"{old!r} is not exactly once in {path}"
        path.write_text(text.replace(old, new))

    def partition_file(self, asset: str, key: str | None) -> Path:
        if key is None:
            return self.data / asset / "data.parquet"
        return self.data / asset / f"partition_key={key}" / "data.parquet"

    def files(self, under: str) -> list[Path]:
        folder = self.data / under
        return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []

    # -- readers that know only the documented layout --------------------------------------

    def parquet_rows(self, asset: str, key: str | None = None, *, every_partition: bool = False) -> list[tuple[Any, ...]]:
        """Rows of a published Parquet partition, sorted; every file in the partition's folder is read,
        so a stray or partial file would show. ``every_partition`` reads the whole asset with its key."""
        folder = self.data / asset
        query = "SELECT * FROM read_parquet(?, hive_partitioning = false)"
        if every_partition:
            files = folder.glob("*/*.parquet")
            query = "SELECT * FROM read_parquet(?, hive_partitioning = true, hive_types = {'partition_key': VARCHAR})"
        elif key is None:
            files = folder.glob("*.parquet")
        else:
            files = (folder / f"partition_key={key}").glob("*.parquet")
        paths = sorted(str(p) for p in files)
        if not paths:
            return []  # nothing published: a reader sees no rows
        with duckdb.connect() as db:
            return _sorted(db.execute(query, [paths]).fetchall())

    def table_rows(self, asset: str, key: str | None = None, columns: str = "*") -> list[tuple[Any, ...]]:
        """Rows of a DuckDB asset's table in the warehouse (one partition, or all), sorted."""
        with duckdb.connect(str(self.warehouse), read_only=True) as db:
            if key is None:
                rows = db.execute(f'SELECT {columns} FROM "{asset}"').fetchall()
            else:
                rows = db.execute(f'SELECT {columns} FROM "{asset}" WHERE partition_key = ?', [key]).fetchall()
        return _sorted(rows)

    def catalog(self, query: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """A plain SQL statement on the SQLite catalog (WAL: safe while a run writes), or on the
        PostgreSQL one (``?`` placeholders either way), committed; the rows it returns."""
        if self.catalog_url is not None:
            import psycopg

            from assets_core.catalog.postgres_connection import translate

            with psycopg.connect(self.catalog_url, autocommit=True) as server:
                cursor = server.execute(translate(query)[0], params)
                return [] if cursor.description is None else [tuple(row) for row in cursor.fetchall()]
        db = sqlite3.connect(self.catalog_path, timeout=30)
        try:
            rows = db.execute(query, params).fetchall()
            db.commit()  # a test's UPDATE or INSERT (a catalog edited by hand, another machine's run)
            return rows
        finally:
            db.close()

    def published_versions(self) -> dict[tuple[str, str], str]:
        return {(a, k): v for a, k, v in self.catalog("SELECT asset, partition, data_version FROM partitions")}

    # -- the landing project's raw data ------------------------------------------------------

    def landing_csv(self, day: str) -> Path:
        return self.root / "landing" / f"{day}.csv"

    def landing_rows(self, day: str) -> list[dict[str, str]]:
        with self.landing_csv(day).open(newline="") as handle:
            return list(csv.DictReader(handle))

    def write_landing(self, day: str, rows: list[tuple[int, str, float]]) -> None:
        lines = ["order_id,customer,amount", *(f"{i},{c},{a:.2f}" for i, c, a in rows)]
        self.landing_csv(day).write_text("\n".join(lines) + "\n")

    def change_landing(self, day: str = DAY) -> None:
        """A new version of one day's file: one amount corrected, one late order added."""
        rows = [(int(r["order_id"]), r["customer"], float(r["amount"])) for r in self.landing_rows(day)]
        first_id, customer, amount = rows[0]
        rows[0] = (first_id, customer, amount + 1.5)
        rows.append((9000 + int(day[-2:]), "eve", 12.25))
        self.write_landing(day, rows)

    # -- oracles: what an asset should hold, computed by hand from the landing files ----------

    def expected_clean(self, day: str) -> list[tuple[Any, ...]]:
        with duckdb.connect() as db:
            return _sorted(db.execute(_LANDING_SQL + " WHERE amount IS NOT NULL", [str(self.landing_csv(day))]).fetchall())

    def expected_revenue(self, day: str) -> list[tuple[Any, ...]]:
        query = (f"SELECT CAST(? AS DATE), customer, count(*), round(sum(amount), 2) FROM ({_LANDING_SQL}) "
                 "WHERE amount IS NOT NULL GROUP BY customer")
        with duckdb.connect() as db:
            return _sorted(db.execute(query, [day, str(self.landing_csv(day))]).fetchall())

    def expected_summary(self) -> list[tuple[Any, ...]]:
        files = [str(self.landing_csv(d)) for d in DAYS]
        query = (f"SELECT customer, count(*), round(sum(amount), 2) FROM ({_LANDING_SQL}) "
                 "WHERE amount IS NOT NULL GROUP BY customer")
        with duckdb.connect() as db:
            return _sorted(db.execute(query, [files]).fetchall())

    def revenue_rows(self, day: str) -> list[tuple[Any, ...]]:
        return self.table_rows("revenue", day, columns="day, customer, orders, revenue")

    # -- waiting for another process (synchronisation, never an assertion about time) --------

    def wait_for(self, what: str, condition: Callable[[], bool], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            for process in self.processes:
                if process.poll() is not None and process.returncode != 0:
                    out, err = process.communicate()
                    raise AssertionError(f"a CLI process died while waiting for {what}:\n{out}\n{err}")
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {timeout}s waiting for {what}")
            time.sleep(0.05)


_LANDING_SQL = (
    "SELECT order_id, customer, amount FROM read_csv(?, header = true, "
    "columns = {'order_id': 'BIGINT', 'customer': 'VARCHAR', 'amount': 'DOUBLE'})"
)


def _sorted(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    return sorted(rows, key=repr)


def copy_project(source: Path, target: Path, with_state: bool = False) -> Project:
    """A copy of a project folder; ``with_state`` keeps its data and catalog too."""
    ignore = shutil.ignore_patterns("__pycache__", "hold") if with_state else _NOT_COPIED
    shutil.copytree(source, target, ignore=ignore)
    return Project(target)
