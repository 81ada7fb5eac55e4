"""Column lineage: what computing it costs, and that nothing else pays for it.

1. ``column_lineage`` of one SQL asset, in a fresh process: the first call (sqlglot's optimizer
   imported, the query qualified), then the median of repeated calls on new specs. Two
   queries: the landing project's ``revenue`` and a wide one (8 CTEs, a join, windows, 60
   output columns).
2. Whole ``assets`` processes on the built landing project: ``lineage revenue`` (assets only)
   next to ``lineage revenue --columns`` and ``lineage raw.amount`` (the catalog's schemas
   read, every asset's lineage computed as the trace reaches it).

    python bench/columns.py --repeat 5
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REVENUE = (ROOT / "tests/projects/landing/sql/revenue.sql").read_text()


def wide_query(columns: int = 60, ctes: int = 8) -> tuple[str, dict[str, dict[str, str]]]:
    """``ctes`` CTEs each filtering the previous one, joined to a dimension, with windows."""
    names = [f"c{i}" for i in range(columns)]
    schemas = {"facts": {"id": "Int64", "day": "Date", **dict.fromkeys(names, "Float64")},
               "dims": {"id": "Int64", "label": "String"}}
    parts = ["s0 AS (SELECT * FROM facts WHERE c0 > 0)"]
    for i in range(1, ctes):
        parts.append(f"s{i} AS (SELECT id, day, {', '.join(f'{n} + {i} AS {n}' for n in names)} FROM s{i - 1} "
                     f"WHERE c{i} IS NOT NULL)")
    windows = ", ".join(f"sum({n}) OVER (PARTITION BY d.label ORDER BY s.day) AS w_{n}" for n in names[:10])
    query = (f"WITH {', '.join(parts)} SELECT d.label, {', '.join(f's.{n}' for n in names)}, {windows} "
             f"FROM s{ctes - 1} AS s JOIN dims AS d ON d.id = s.id")
    return query, schemas


def _in_process(repeat: int) -> dict[str, dict[str, float]]:
    script = f"""
import json, statistics, time
t0 = time.perf_counter()
from assets_core.definitions.column_lineage import column_lineage
from assets_core.definitions.options import SqlAssetOptions
from assets_core.definitions.specs import sql_spec
import sys; sys.path.insert(0, {str(ROOT / 'bench')!r})
from columns import REVENUE, wide_query
wide, wide_schemas = wide_query()
cases = {{"revenue": (REVENUE, {{"clean": {{"order_id": "Int64", "customer": "String", "amount": "Float64"}}}}),
          "wide": (wide, wide_schemas)}}
out = {{}}
for name, (sql, schemas) in cases.items():
    spec = sql_spec(name, sql, SqlAssetOptions(), name + ".sql")
    start = time.perf_counter()
    lineage = column_lineage(spec, schemas)
    first = time.perf_counter() - start
    times = []
    for _ in range({repeat} * 4):
        spec = sql_spec(name, sql, SqlAssetOptions(), name + ".sql")
        start = time.perf_counter()
        column_lineage(spec, schemas)
        times.append(time.perf_counter() - start)
    out[name] = {{"first_ms": first * 1000, "median_ms": statistics.median(times) * 1000,
                  "columns": len(lineage.columns), "unresolved": len(lineage.unresolved)}}
print(json.dumps(out))
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def _processes(repeat: int) -> dict[str, float]:
    assets = Path(sys.executable).with_name("assets")
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "landing"
        shutil.copytree(ROOT / "tests/projects/landing", project,
                        ignore=shutil.ignore_patterns("__pycache__", "data", ".assets"))
        subprocess.run([str(assets), "materialize"], cwd=project, capture_output=True, check=True)
        commands = {
            "lineage revenue": ["lineage", "revenue"],
            "lineage revenue --columns": ["lineage", "revenue", "--columns"],
            "lineage raw.amount": ["lineage", "raw.amount"],
        }
        seconds: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(repeat):
            for name, args in commands.items():  # interleaved: a slow moment hits all of them
                start = time.perf_counter()
                subprocess.run([str(assets), *args], cwd=project, capture_output=True, check=True)
                seconds[name].append(time.perf_counter() - start)
        return {name: statistics.median(times) for name, times in seconds.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    repeat = parser.parse_args().repeat
    for name, figures in _in_process(repeat).items():
        print(f"column_lineage({name}): first call {figures['first_ms']:.1f} ms, then {figures['median_ms']:.2f} ms"
              f" ({figures['columns']} columns, {figures['unresolved']} unresolved)")
    for name, median in _processes(repeat).items():
        print(f"`assets {name}`: {median:.3f} s")


if __name__ == "__main__":
    main()
