"""The planner at scale: 1,000 assets x 1,000 daily partitions (1,000,000 partition states),
a mix of identity, lookback and cross-grain mappings, after one upstream partition changed.

The synthetic catalog is a real SQLite catalog file, with the rows the engine writes for a
published partition (32-character data versions, the inputs it read as JSON). Each repeat
reads it the way `assets plan` does (`SqliteCatalog.snapshot()`), then plans every asset.
Reported: medians of --repeat runs of each phase, the partitions planned, and the peak
resident memory of the process holding the graph, the snapshot and the plan. Each repeat is a
process of its own, as each `assets plan` is: nothing is warm from an earlier repeat. Two
scenarios: right after the change, and the next day (a new day is due for every asset, not
yet built). ``--baseline REF`` measures the code of another commit on the same catalog, in the
same run, interleaved with this code's repeats.

    python bench/planner.py --repeat 5 --baseline 9e013c7
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import random
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from baseline import checkout
from saved import save

from assets_core import AssetSpec, DailyPartitions, WeeklyPartitions, asset, lookback
from assets_core.graph import AssetGraph, build_graph
from assets_core.planning import plan

# --baseline runs this file against older commits: the layout before issue 10 had top-level
# `catalog` and `assets_core.reads` modules. The SQLite backend itself: its `_transaction`
# writes the rows fast.
try:
    from assets_core.catalog.sqlite import SqliteCatalog
    from assets_core.planning.reads import UpstreamKeys
except ImportError:
    from assets_core.reads import UpstreamKeys  # type: ignore[no-redef]
    from catalog.sqlite import SqliteCatalog  # type: ignore[no-redef]

START = "2023-01-01"
DAYS = DailyPartitions(start=START)
WEEKS = WeeklyPartitions(start="2023-01-02")
NOW = datetime(2025, 9, 28, tzinfo=timezone.utc)  # 1,000 daily partitions are due
BENCH = Path(__file__).resolve().parent


def _is_weekly(i: int) -> bool:
    return i >= 10 and i % 20 == 0


def synthetic_graph(assets: int, seed: int = 7, days: int = 1000) -> AssetGraph:
    """10 roots; every other asset reads one or two earlier ones: identity (70%), a 7-day
    lookback (20%) or, for the weekly assets (every 20th), a time window of days."""
    return build_graph(synthetic_specs(assets, seed, days=days))


def definitions(days: int) -> tuple[DailyPartitions, WeeklyPartitions]:
    """Daily partitions with ``days`` keys due at NOW (the defaults: 1,000), and weekly ones
    from the first Monday of those days."""
    if days == 1000:
        return DAYS, WEEKS
    first = NOW.date() - timedelta(days=days)
    monday = first + timedelta(days=(7 - first.weekday()) % 7)
    return DailyPartitions(start=first.isoformat()), WeeklyPartitions(start=monday.isoformat())


def synthetic_specs(assets: int, seed: int = 7, io: str = "parquet", days: int = 1000) -> list[AssetSpec]:
    """The assets of :func:`synthetic_graph`, stored as ``io`` (DuckDB: no folder of files per
    partition to make for a catalog of millions of partitions)."""
    daily, weekly = definitions(days)
    rng = random.Random(seed)
    specs = []
    for i in range(assets):
        name = f"a{i:04d}"
        weekly_asset = _is_weekly(i)
        parents = [] if i < 10 else rng.sample(range(i), k=min(i, rng.choice((1, 2))))
        ins = {}
        for p in parents:
            if not weekly_asset and not _is_weekly(p) and rng.random() < 0.2:
                ins[f"a{p:04d}"] = lookback(7)
        params = ", ".join(f"a{p:04d}" for p in parents)
        namespace: dict[str, Any] = {}
        exec(f"def {name}({params}): ...", namespace)  # parameters name the inputs
        specs.append(asset(namespace[name], partitions=weekly if weekly_asset else daily, io=io,  # type: ignore[arg-type]
                           code_version=hashlib.sha256(name.encode()).hexdigest()[:16],
                           ins={p: m for p, m in ins.items()} or None))
    return specs


def data_version(name: str, key: str, generation: int = 1) -> str:
    return hashlib.sha256(f"{name}[{key}]#{generation}".encode()).hexdigest()[:32]


def write_catalog(graph: AssetGraph, path: Path, changed: bool = True) -> int:
    """Every due partition published once, recording the versions of what it read, as
    ``SqliteCatalog.record`` writes a published attempt; with ``changed``, a root partition
    then gets a new version in place (no attempt is recorded for it). Returns the number of
    partitions."""
    catalog = SqliteCatalog(path)
    upstream_keys = UpstreamKeys(graph, NOW)
    count = 0
    for name in graph.order:
        definition = graph[name].partitions
        assert definition is not None
        rows = []
        for key in definition.keys(NOW):
            inputs = {
                e.upstream: {k: data_version(e.upstream, k) for k in upstream_keys(e, key)}
                for e in graph.edges_in[name]
            }
            recorded = json.dumps(inputs, sort_keys=True) if inputs else None
            rows.append((name, key, data_version(name, key), graph[name].code_version, recorded, 1, 100,
                         "2025-09-28T00:00:00+00:00", "run-1", "published", "run-1", None,
                         "2025-09-28T00:00:00+00:00", count, graph[name].code_version, None, recorded, None))
            count += 1
        with catalog._transaction() as db:
            db.executemany(
                """INSERT INTO partitions (asset, partition, data_version, code_version, inputs,
                     rows, bytes, published_at, published_run, last_status, last_run, last_error,
                     last_attempt_at, last_materialization, last_code_version, last_checks_version,
                     last_inputs, last_failure) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                rows,
            )
    if changed:  # one upstream partition changes: a root's day in the middle of the range
        with catalog._transaction() as db:
            db.execute("UPDATE partitions SET data_version = ? WHERE asset = 'a0000' AND partition = '2024-05-15'",
                       (data_version("a0000", "2024-05-15", 2),))
    catalog.close()
    return count


def measure(catalog_path: Path, assets: int, days_later: int, what: str = "plan") -> dict[str, float]:
    """One `assets plan` (or, with ``what="status"``, the statuses `assets status` counts): in
    this process, read the catalog, then plan every asset, ``days_later`` days after the
    catalog was written (then as many new days are due)."""
    graph = synthetic_graph(assets)
    catalog = SqliteCatalog(catalog_path)
    clock = time.perf_counter()
    snapshot = catalog.snapshot()
    read = time.perf_counter() - clock
    gc.freeze()  # as `assets plan` does once it has read its snapshot (cli/output.py); older code paused gc in plan()
    gc.disable()
    clock = time.perf_counter()
    now = NOW + timedelta(days=days_later)
    if what == "status":
        from assets_core.planning import statuses  # not in every baseline

        found = statuses(graph, snapshot, graph.order, now)
        planned = sum(1 for rows in found.values() for _, status, _ in rows if status != "fresh")
    else:
        planned = len(plan(graph, snapshot, graph.order, now).steps)
    seconds = time.perf_counter() - clock
    catalog.close()
    return {"read": read, "plan": seconds, "planned": planned,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def measured(catalog_path: Path, assets: int, days_later: int, code: Path, what: str = "plan") -> dict[str, float]:
    """:func:`measure` in a process of its own, as each `assets plan` is (nothing warm from an
    earlier repeat), with the assets_core and catalog packages found in ``code``."""
    script = (
        f"import json, sys; sys.path[:0] = [{str(code)!r}, {str(BENCH)!r}]; import planner; "
        f"print(json.dumps(planner.measure(planner.Path({str(catalog_path)!r}), {assets}, {days_later}, {what!r})))"
    )
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    return json.loads(out)  # type: ignore[no-any-return]


PROJECT_MODULE = """# The bench's 1,000 synthetic assets, as a project module (bench/planner.py writes this file).
import sys
sys.path.insert(0, {bench!r})
from planner import synthetic_specs
globals().update({{spec.name: spec for spec in synthetic_specs({assets})}})
"""


def write_project(folder: Path, catalog_path: Path, assets: int) -> Path:
    """A project of the synthetic assets around a copy of the catalog, for the CLI itself."""
    (folder / ".assets").mkdir(parents=True)
    (folder / "assets.toml").write_text('[project]\nname = "scale"\nmodules = ["scale_assets"]\n')
    (folder / "scale_assets.py").write_text(PROJECT_MODULE.format(bench=str(BENCH), assets=assets))
    shutil.copy(catalog_path, folder / ".assets" / "catalog.db")
    return folder


def whole_command(project: Path, days_later: int) -> float:
    """Seconds of a whole `assets plan --json` process: start, load the project, read, plan, print."""
    as_of = (NOW + timedelta(days=days_later)).isoformat()
    clock = time.perf_counter()
    subprocess.run([sys.executable, "-m", "assets_core.cli", "--project", str(project), "plan", "--as-of", as_of,
                    "--json"], check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - clock


def calibration() -> float:
    """This host's speed at the moment: ``sum(range(10**7))``, best of 3 (0.11-0.13 s here when quiet)."""
    times = []
    for _ in range(3):
        clock = time.perf_counter()
        sum(range(10**7))
        times.append(time.perf_counter() - clock)
    return min(times)


_PRINT_LATEST = """
try:
    from assets_core.catalog.migrations import latest_version
    print(latest_version())
except ImportError:  # before the migrations were SQL files: a Python list, first in catalog/
    try:
        from assets_core.catalog.schema import LATEST
    except ImportError:
        from catalog.schema import LATEST
    print(LATEST)
"""


def catalog_for(code: Path, catalog_path: Path) -> Path:
    """The catalog at the schema version ``code`` knows: the same rows, without what later
    migrations added (migration 4 only adds an index, which an older planner does not use)."""
    latest = int(subprocess.run(
        [sys.executable, "-c", f"import sys; sys.path.insert(0, {str(code)!r}); {_PRINT_LATEST}"],
        check=True, capture_output=True, text=True,
    ).stdout)
    copy = catalog_path.with_name(f"catalog-v{latest}.db")
    shutil.copy(catalog_path, copy)
    db = sqlite3.connect(copy)
    if latest < 4:
        db.execute("DROP INDEX IF EXISTS partitions_last_attempt_not_the_publish")
    db.execute("DELETE FROM schema_version WHERE version > ?", (latest,))
    db.commit()
    db.close()
    return copy


def summary(runs: list[dict[str, float]]) -> dict[str, object]:
    return {
        "planned": runs[0]["planned"],
        "plan_seconds_median": round(statistics.median(r["plan"] for r in runs), 3),
        "plan_seconds_runs": [round(r["plan"], 3) for r in runs],
        "catalog_read_seconds_median": round(statistics.median(r["read"] for r in runs), 3),
        "catalog_read_seconds_runs": [round(r["read"], 3) for r in runs],
        "peak_rss_mb_max": round(max(r["peak_rss_mb"] for r in runs)),
    }


SCENARIOS = {"one partition changed": 0, "one partition changed, and a new day is due": 1}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", metavar="GIT_REF", help="also measure this commit's code, in the same run")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        graph = synthetic_graph(args.assets)
        path = Path(tmp) / "catalog.db"
        states = write_catalog(graph, path)
        built = time.perf_counter() - started
        codes = {"this code": (BENCH.parent, path)}
        if args.baseline:
            baseline = checkout(args.baseline, Path(tmp) / "baseline")
            codes[f"baseline {args.baseline}"] = (baseline, catalog_for(baseline, path))
        runs: dict[str, dict[str, list[dict[str, float]]]] = {c: {s: [] for s in SCENARIOS} for c in codes}
        os.sync()  # the catalog file just written: let the host flush it before anything is timed
        measured(path, args.assets, 0, BENCH.parent)  # and read it once, untimed
        project = write_project(Path(tmp) / "project", path, args.assets)
        calibrations, commands, status = [], [], []
        for _ in range(args.repeat):  # interleaved, so that a busy moment of the host hits both alike
            calibrations.append(calibration())
            for code, (folder, catalog_path) in codes.items():
                for scenario, days_later in SCENARIOS.items():
                    runs[code][scenario].append(measured(catalog_path, args.assets, days_later, folder))
            status.append(measured(path, args.assets, 0, BENCH.parent, "status"))
            commands.append(whole_command(project, 0))
    report: dict[str, object] = {
        "assets": args.assets, "partition_states": states, "repeats": args.repeat,
        "calibration_seconds": [round(c, 3) for c in calibrations], "setup_seconds": round(built, 1),
        **{code: {scenario: summary(r) for scenario, r in by_scenario.items()} for code, by_scenario in runs.items()},
        "statuses of every partition, as `assets status` counts them, one partition changed (this code)": {
            "seconds_median": round(statistics.median(r["plan"] for r in status), 3),
            "seconds_runs": [round(r["plan"], 3) for r in status], "not_fresh": status[0]["planned"],
        },
        "whole `assets plan --json` process, one partition changed (this code)": {
            "seconds_median": round(statistics.median(commands), 3), "seconds_runs": [round(c, 3) for c in commands],
        },
    }
    print(json.dumps(report, indent=2))
    save("planner", report)


if __name__ == "__main__":
    main()
