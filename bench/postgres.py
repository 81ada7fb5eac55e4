"""The PostgreSQL catalog against the SQLite one: catalog write throughput, and `assets plan`
on the 1,000-asset planner project (bench/planner.py).

- Writes: materialization records per second, written as the engine writes them (batches of
  ``FLUSH_EVERY_RECORDS``, each with a check result and a schema, one ``record`` call per
  batch), into a new catalog of each backend.
- Plan: a whole `assets plan --json` process on the planner's synthetic project (1,000 assets x
  1,000 days, one upstream partition changed), on its SQLite file and on the same rows copied
  into PostgreSQL (ASSETS_CATALOG_URL).

The backends alternate within each repeat (a busy moment of the host hits both alike), with
the host calibration of the other benches; medians are reported. The server is
``ASSETS_BENCH_POSTGRES_URL`` if set, else a throwaway local cluster (tests/postgres_server.py;
fsync off there, as a test server: say so when quoting figures).

    python bench/postgres.py --repeat 3 [--whole]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent / "tests")]

import planner
from postgres_server import Cluster, _binary, admin, with_database
from saved import save

from assets_core.catalog import open_catalog
from assets_core.catalog.models import CheckRecord, ColumnRecord, Materialization
from assets_core.execution.run import FLUSH_EVERY_RECORDS

COLUMNS = (ColumnRecord(name="id", type="BIGINT", nullable=False), ColumnRecord(name="amount", type="DOUBLE", nullable=True))
CHECK = CheckRecord(check="not_null(id)", severity="blocking", passed=True, observed=0, message="ok", duration=0.001)


@contextlib.contextmanager
def bench_server() -> Iterator[tuple[str, bool]]:
    """The server's URL, and whether it is a throwaway local cluster (fsync off) rather than
    ``ASSETS_BENCH_POSTGRES_URL``; a cluster is stopped at the end."""
    server = os.environ.get("ASSETS_BENCH_POSTGRES_URL")
    if server:
        yield server, False
        return
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        sys.exit("No PostgreSQL: set ASSETS_BENCH_POSTGRES_URL, or apt-get install postgresql")
    cluster = Cluster(initdb, pg_ctl)
    try:
        yield cluster.url, True
    finally:
        cluster.stop()


def writes(url: str, base: Path, records: int) -> float:
    """Records per second into a new catalog at ``url``, in the engine's batches."""
    catalog = open_catalog(url, base)
    batches = [
        [Materialization(run_id="run-1", asset=f"a{i % 50:03d}", partition=f"2025-{i:06d}", status="published",
                         started_at="2025-01-01T00:00:00+00:00", ended_at="2025-01-01T00:00:01+00:00",
                         code_version="c" * 32, data_version=f"{i:032d}", rows=100, bytes=4096,
                         inputs={"up": {f"2025-{i:06d}": "d" * 32}}, timings={"compute": 0.01},
                         checks=(CHECK,), columns=COLUMNS)
         for i in range(start, min(start + FLUSH_EVERY_RECORDS, records))]
        for start in range(0, records, FLUSH_EVERY_RECORDS)
    ]
    clock = time.perf_counter()
    for batch in batches:
        catalog.record(batch)
    seconds = time.perf_counter() - clock
    catalog.close()
    return records / seconds


_PARTITION_COLUMNS = """asset, partition, data_version, code_version, inputs, rows, bytes, published_at,
    published_run, last_status, last_run, last_error, last_attempt_at, last_materialization, last_code_version,
    last_checks_version, last_inputs, last_failure"""


def copy_catalog(sqlite_path: Path, url: str, base: Path) -> None:
    """The planner catalog's partition rows into a new PostgreSQL catalog (COPY)."""
    import psycopg

    open_catalog(url, base).close()  # migrated
    source = sqlite3.connect(sqlite_path)
    with psycopg.connect(url) as target, target.cursor() as cursor:
        with cursor.copy(f"COPY partitions ({_PARTITION_COLUMNS}) FROM STDIN") as copy:
            for row in source.execute(f"SELECT {_PARTITION_COLUMNS} FROM partitions"):
                copy.write_row(row)
        cursor.execute("ANALYZE partitions")
    source.close()


def read_and_plan(url: str, assets: int) -> dict[str, float]:
    """In this process, as `assets plan` does: read the catalog's snapshot, then plan every asset."""
    import gc

    from assets_core.planning import plan

    graph = planner.synthetic_graph(assets)
    catalog = open_catalog(url, ".")
    clock = time.perf_counter()
    snapshot = catalog.snapshot()
    read = time.perf_counter() - clock
    gc.freeze()
    gc.disable()
    clock = time.perf_counter()
    steps = len(plan(graph, snapshot, graph.order, planner.NOW).steps)
    planned = time.perf_counter() - clock
    catalog.close()
    return {"read": read, "plan": planned, "steps": steps}


def read_and_plan_apart(url: str, assets: int) -> dict[str, float]:
    """:func:`read_and_plan` in a process of its own (nothing warm), as each `assets plan` is."""
    script = (f"import json, sys; sys.argv = ['x']; sys.path.insert(0, {str(BENCH)!r}); import postgres; "
              f"print(json.dumps(postgres.read_and_plan({url!r}, {assets})))")
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def whole_plan(project: Path, url: str | None) -> float:
    env = {**os.environ, **({"ASSETS_CATALOG_URL": url} if url else {})}
    as_of = planner.NOW.isoformat()
    clock = time.perf_counter()
    subprocess.run([sys.executable, "-m", "assets_core.cli", "--project", str(project), "plan", "--as-of", as_of,
                    "--json"], check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--whole", action="store_true",
                        help="also time whole `assets plan --json` processes (minutes each on a busy host)")
    args = parser.parse_args()
    with bench_server() as (server, throwaway), tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        started = time.perf_counter()
        graph = planner.synthetic_graph(args.assets)
        sqlite_path = base / "planner.db"
        states = planner.write_catalog(graph, sqlite_path)
        project = planner.write_project(base / "project", sqlite_path, args.assets)
        plan_db = f"plan_{uuid.uuid4().hex[:8]}"
        admin(server, f"CREATE DATABASE {plan_db}")
        plan_url = with_database(server, plan_db)
        copy_catalog(sqlite_path, plan_url, base)
        built = time.perf_counter() - started
        urls = {"sqlite": f"sqlite:///{sqlite_path}", "postgresql": plan_url}
        read_and_plan_apart(urls["sqlite"], args.assets), read_and_plan_apart(plan_url, args.assets)  # untimed
        rates: dict[str, list[float]] = {"sqlite": [], "postgresql": []}
        plans: dict[str, list[float]] = {"sqlite": [], "postgresql": []}
        reads: dict[str, list[dict[str, float]]] = {"sqlite": [], "postgresql": []}
        calibrations = []
        for i in range(args.repeat):
            calibrations.append(planner.calibration())
            write_db = f"w_{uuid.uuid4().hex[:8]}"
            admin(server, f"CREATE DATABASE {write_db}")
            rates["sqlite"].append(writes(f"sqlite:///{base / f'writes-{i}.db'}", base, args.records))
            rates["postgresql"].append(writes(with_database(server, write_db), base, args.records))
            admin(server, f"DROP DATABASE {write_db} WITH (FORCE)")
            for name, url in urls.items():
                reads[name].append(read_and_plan_apart(url, args.assets))
            if args.whole:
                plans["sqlite"].append(whole_plan(project, None))
                plans["postgresql"].append(whole_plan(project, plan_url))
        admin(server, f"DROP DATABASE {plan_db} WITH (FORCE)")
    report: dict[str, object] = {
        "server": "a local throwaway cluster (fsync off)" if throwaway else "ASSETS_BENCH_POSTGRES_URL",
        "repeats": args.repeat, "calibration_seconds": [round(c, 3) for c in calibrations],
        "setup_seconds": round(built, 1), "batch": FLUSH_EVERY_RECORDS, "records": args.records,
        "writes, records per second": {
            name: {"median": round(statistics.median(r)), "runs": [round(x) for x in r]} for name, r in rates.items()
        },
        f"`assets plan` in one process, {args.assets} assets, {states} partition states: read the snapshot, plan": {
            name: {
                "read_seconds_median": round(statistics.median(r["read"] for r in runs), 3),
                "read_seconds_runs": [round(r["read"], 3) for r in runs],
                "plan_seconds_median": round(statistics.median(r["plan"] for r in runs), 3),
                "steps": runs[0]["steps"],
            }
            for name, runs in reads.items()
        },
    }
    ratios = {
        "writes": round(statistics.median(rates["postgresql"]) / statistics.median(rates["sqlite"]), 2),
        "snapshot read": round(statistics.median(r["read"] for r in reads["postgresql"])
                               / statistics.median(r["read"] for r in reads["sqlite"]), 2),
    }
    if args.whole:
        report[f"whole `assets plan --json`, {args.assets} assets, seconds"] = {
            name: {"median": round(statistics.median(r), 3), "runs": [round(x, 3) for x in r]} for name, r in plans.items()
        }
        ratios["whole plan"] = round(statistics.median(plans["postgresql"]) / statistics.median(plans["sqlite"]), 2)
    report["postgresql / sqlite"] = ratios
    print(json.dumps(report, indent=2))
    save("postgres", report)


if __name__ == "__main__":
    main()
