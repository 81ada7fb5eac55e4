"""Partition provenance and impact at scale: the planner bench's 1,000 assets x 1,000 daily
partitions (bench/planner.py builds the graph and the catalog's partition rows), with one
published attempt in ``materializations`` per partition as the engine records it, and the
changed root partition published twice (its first version is what its downstream read).

Each repeat is a process of its own (nothing warm from an earlier one), in which the catalog
is opened and each function timed once, as a command runs it:

- provenance of a partition to depth 3 (``reports.provenance.provenance``), for a few
  partitions of assets deep in the graph;
- the impact of one partition (``reach``, ``judge`` and ``rebuild_commands`` of
  ``reports.impact``, what ``assets impact`` runs), of the changed root partition and of a
  partition in the middle of the graph.

Then whole ``assets lineage ... --depth 3 --json`` and ``assets impact ... --json``
processes on a project of the same assets around a copy of the catalog.

    python bench/lineage.py --repeat 5      # writes bench/results/lineage.json (about 3 minutes)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from planner import (
    NOW,
    _is_weekly,
    calibration,
    data_version,
    synthetic_graph,
    write_catalog,
    write_project,
)
from saved import save

from assets_core.catalog.sqlite import SqliteCatalog

BENCH = Path(__file__).resolve().parent
CHANGED = ("a0000", "2024-05-15")


def targets(assets: int) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The partitions whose provenance (deep in the graph) and impact (the changed root, one
    in the middle) are measured: a0999, a0990, a0500, a0777 and a0300 of 1,000 assets
    (a0501 and a0301 then: the others are weekly)."""
    def name(i: int) -> str:  # a daily asset: the next one when i is weekly
        return f"a{i + _is_weekly(i):04d}"

    provenance = [(name(assets - 1), "2024-05-20"), (name(assets - 10), "2025-01-10"),
                  (name(assets // 2), "2024-05-16"), (name(assets * 777 // 1000), "2023-06-01")]
    return provenance, [CHANGED, (name(assets * 3 // 10), "2024-05-15")]


def write_attempts(path: Path) -> int:
    """One published attempt per partition, from its row (the run, time, versions and inputs
    ``SqliteCatalog.record`` writes), after the changed root partition's first version."""
    catalog = SqliteCatalog(path)
    with catalog._transaction() as db:
        db.execute(
            """INSERT INTO materializations (run_id, asset, partition, status, started_at, ended_at, rows, bytes,
                 code_version, data_version, inputs) VALUES ('run-0', ?, ?, 'published', ?, ?, 1, 100, ?, ?, NULL)""",
            (*CHANGED, "2025-09-27T00:00:00+00:00", "2025-09-27T00:00:00+00:00", "x", data_version(*CHANGED)),
        )
        db.execute(
            """INSERT INTO materializations (run_id, asset, partition, status, started_at, ended_at, rows, bytes,
                 code_version, data_version, inputs)
               SELECT published_run, asset, partition, 'published', published_at, published_at, rows, bytes,
                 code_version, data_version, inputs FROM partitions ORDER BY asset, partition"""
        )
        count = int(db.execute("SELECT count(*) FROM materializations").fetchone()[0])
    catalog.close()
    return count


def measure(catalog_path: Path, assets: int) -> dict[str, object]:
    """In this process: each provenance to depth 3, then each impact, timed once."""
    from assets_core.reports.impact import judge, reach, rebuild_commands
    from assets_core.reports.provenance import provenance

    graph = synthetic_graph(assets)
    catalog = SqliteCatalog(catalog_path)
    found: dict[str, object] = {}
    trees, impacts = targets(assets)
    for asset, key in trees:
        clock = time.perf_counter()
        tree = provenance(catalog, asset, key, depth=3)
        found[f"provenance {asset}[{key}]"] = {"seconds": time.perf_counter() - clock, "partitions": len(tree.nodes),
                                              "stale": sum(not n.current for n in tree.nodes)}
    asset, key = trees[0]
    clock = time.perf_counter()
    tree = provenance(catalog, asset, key)
    found[f"provenance {asset}[{key}], no depth limit"] = {
        "seconds": time.perf_counter() - clock, "partitions": len(tree.nodes),
        "levels": max(n.depth for n in tree.nodes)}
    for asset, key in impacts:
        clock = time.perf_counter()
        reached = reach(graph, asset, [key], NOW)
        reached_at = time.perf_counter()
        judged = judge(catalog, reached)
        judged_at = time.perf_counter()
        rebuild = rebuild_commands(graph, reached, NOW)
        found[f"impact {asset}[{key}]"] = {
            "seconds": time.perf_counter() - clock, "assets": len(judged), "partitions": reached.count(),
            "stale": sum(len(j.stale) for j in judged), "commands": len(rebuild.commands), "exact": rebuild.exact,
            "reach_seconds": round(reached_at - clock, 4), "judge_seconds": round(judged_at - reached_at, 4),
            "commands_seconds": round(time.perf_counter() - judged_at, 4),
        }
    catalog.close()
    return found


def measured(catalog_path: Path, assets: int) -> dict[str, dict[str, object]]:
    script = (f"import json, sys; sys.path[:0] = [{str(BENCH.parent)!r}, {str(BENCH)!r}]; import lineage; "
              f"print(json.dumps(lineage.measure(lineage.Path({str(catalog_path)!r}), {assets})))")
    done = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(done.stderr)
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def whole_command(project: Path, *args: str) -> float:
    clock = time.perf_counter()
    subprocess.run([sys.executable, "-m", "assets_core.cli", "--project", str(project), *args], check=True,
                   stdout=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(BENCH.parent)})
    return time.perf_counter() - clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        path = Path(tmp) / "catalog.db"
        states = write_catalog(synthetic_graph(args.assets), path)
        attempts = write_attempts(path)
        built = time.perf_counter() - started
        os.sync()
        measured(path, args.assets)  # read once, untimed: the file was just written
        project = write_project(Path(tmp) / "project", path, args.assets)
        whole_command(project, "list", "--json")  # the manifest cache, as after any first command
        calibrations, runs = [], []
        commands: dict[str, list[float]] = {"lineage": [], "impact": [], "list": []}
        asset, key = targets(args.assets)[0][0]
        for _ in range(args.repeat):
            calibrations.append(calibration())
            runs.append(measured(path, args.assets))
            commands["lineage"].append(whole_command(project, "lineage", asset, "--partition", key, "--depth", "3",
                                                     "--json"))
            commands["impact"].append(whole_command(project, "impact", CHANGED[0], "--partition", CHANGED[1],
                                                    "--json"))
            commands["list"].append(whole_command(project, "list", "--json"))  # loading the project alone
    report: dict[str, object] = {
        "assets": args.assets, "partition_states": states, "attempts": attempts, "repeats": args.repeat,
        "setup_seconds": round(built, 1), "calibration_seconds": [round(c, 3) for c in calibrations],
    }
    for name, first in runs[0].items():
        seconds = [float(run[name]["seconds"]) for run in runs]  # type: ignore[index]
        report[name] = {**{k: v for k, v in first.items() if k != "seconds"},  # type: ignore[union-attr]
                        "seconds_median": round(statistics.median(seconds), 4),
                        "seconds_runs": [round(s, 4) for s in seconds]}
    report[f"whole `assets lineage {asset} --partition {key} --depth 3 --json` process"] = {
        "seconds_median": round(statistics.median(commands["lineage"]), 3),
        "seconds_runs": [round(c, 3) for c in commands["lineage"]]}
    report[f"whole `assets impact {CHANGED[0]} --partition {CHANGED[1]} --json` process"] = {
        "seconds_median": round(statistics.median(commands["impact"]), 3),
        "seconds_runs": [round(c, 3) for c in commands["impact"]]}
    report["whole `assets list --json` process (loading the 1,000 assets alone)"] = {
        "seconds_median": round(statistics.median(commands["list"]), 3),
        "seconds_runs": [round(c, 3) for c in commands["list"]]}
    print(json.dumps(report, indent=2))
    save("lineage", report)


if __name__ == "__main__":
    main()
