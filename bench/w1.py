"""W1: the orders example over all of 2025 (1,095 daily partition materializations plus the
unpartitioned customer_lifetime_value), at 20,000 rows a day and at 10 rows a day.

Every figure is a whole `assets` process, run from a fresh copy of examples/orders, as a
user runs it. Medians of --repeat runs; peak memory is the largest resident size of the
process and its worker processes together, sampled every 50 ms.

    python bench/w1.py --repeat 3            # prints a Markdown table, writes bench/results/w1.json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "orders"
ASSETS = [sys.executable, "-m", "assets_core.cli"]
VARIANTS = {
    "backfill_w1": ["--workers", "1"],
    "backfill_w2_threads": ["--workers", "2", "--executor", "threads"],
    "backfill_w2_processes": ["--workers", "2", "--executor", "processes"],
}


def fresh_copy(rows_per_day: int, into: Path) -> Path:
    project = into / f"orders_{rows_per_day}"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("data", ".assets", "__pycache__"))
    module = project / "orders_assets.py"
    text = re.sub(r"ORDERS_PER_DAY = [\d_]+", f"ORDERS_PER_DAY = {rows_per_day}", module.read_text())
    module.write_text(text)
    return project


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and its children (worker processes), in MB."""
    page = os.sysconf("SC_PAGE_SIZE")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = open(f"/proc/{entry}/stat").read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if int(entry) == pid or ppid == pid:
                total += int(open(f"/proc/{entry}/statm").read().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total / 2**20


def timed_with_rusage(args: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall seconds, peak resident memory in MB (the process plus its workers), stdout."""
    started = time.perf_counter()
    process = subprocess.Popen(ASSETS + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _tree_rss_mb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed ({process.returncode}):\n{out}\n{err}")
    return elapsed, peak[0], out


def phase_ms(project: Path) -> dict[str, float]:
    """Mean milliseconds per partition in each phase, from the catalog's attempt timings."""
    import sqlite3

    connection = sqlite3.connect(project / ".assets" / "catalog.db")
    try:
        rows = [json.loads(t) for (t,) in connection.execute(
            "SELECT timings FROM materializations WHERE status = 'published' AND timings IS NOT NULL")]
    finally:
        connection.close()
    phases = sorted({phase for row in rows for phase in row})
    return {phase: 1000 * sum(row.get(phase, 0.0) for row in rows) / len(rows) for phase in phases}


def calibration_ms() -> float:
    """A fixed pure-Python loop: this machine's speed varies (shared host), so every report
    says how fast it was while measuring."""
    started = time.perf_counter()
    sum(range(10_000_000))
    return (time.perf_counter() - started) * 1000


CALIBRATION: list[float] = []


def measure(rows_per_day: int, repeat: int, workdir: Path) -> dict[str, dict[str, float]]:
    results: dict[str, list[tuple[float, float]]] = {}
    phases: list[dict[str, float]] = []
    plans: list[float] = []
    for _ in range(repeat):
        CALIBRATION.append(calibration_ms())
        for name, options in VARIANTS.items():
            project = fresh_copy(rows_per_day, workdir)
            # Warm the manifest and the OS file cache the same way for every run.
            timed_with_rusage(["list", "--json"], project)
            results.setdefault(name, []).append(timed_with_rusage(["materialize", *options], project)[:2])
            if name == "backfill_w1":
                phases.append(phase_ms(project))
        results.setdefault("noop", []).append(timed_with_rusage(["materialize"], project)[:2])
        _, _, out = timed_with_rusage(["plan", "--json"], project)
        plans.append(json.loads(out)["planning_seconds"])
    empty = fresh_copy(rows_per_day, workdir)
    _, _, out = timed_with_rusage(["plan", "--json"], empty)
    summary = {
        name: {
            "median_seconds": statistics.median(t for t, _ in runs),
            "runs": [round(t, 3) for t, _ in runs],
            "peak_mb": max(m for _, m in runs),
        }
        for name, runs in results.items()
    }
    summary["phases_ms_w1"] = {  # type: ignore[assignment]
        phase: statistics.median(p[phase] for p in phases) for phase in phases[0]
    }
    summary["plan_fresh"] = {"median_seconds": statistics.median(plans), "runs": plans, "peak_mb": 0.0}
    summary["plan_all_missing"] = {"median_seconds": json.loads(out)["planning_seconds"], "runs": [], "peak_mb": 0.0}
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows", type=int, nargs="*", default=[20_000, 10])
    args = parser.parse_args()
    report = {}
    with tempfile.TemporaryDirectory(prefix="assets-bench-") as tmp:
        for rows in args.rows:
            report[str(rows)] = measure(rows, args.repeat, Path(tmp))
    partitions = 365 * 3 + 1
    print(f"| workload | rows/day | median s | runs (s) | peak MB |\n|---|---|---|---|---|")
    for rows, figures in report.items():
        for name, f in figures.items():
            if name == "phases_ms_w1":
                continue
            runs = ", ".join(f"{r:.3f}" for r in f["runs"])
            print(f"| {name} | {rows} | {f['median_seconds']:.3f} | {runs} | {f['peak_mb']:.0f} |")
    print(f"\nMachine calibration, sum(range(10**7)) before each repeat: median "
          f"{statistics.median(CALIBRATION):.0f} ms (from {min(CALIBRATION):.0f} to {max(CALIBRATION):.0f} ms)")
    report["calibration_ms"] = CALIBRATION  # type: ignore[assignment]
    if "10" in report:
        small = report["10"]
        overhead = (small["backfill_w1"]["median_seconds"] - small["noop"]["median_seconds"]) / partitions
        print(f"\nEngine overhead per partition materialization (10 rows/day, --workers 1, "
              f"minus the no-op process): {overhead * 1000:.2f} ms")
        report["overhead_ms_per_partition"] = overhead * 1000  # type: ignore[assignment]
        phases = small["phases_ms_w1"]
        print("Mean ms per partition by phase (10 rows/day, --workers 1): "
              + ", ".join(f"{phase} {ms:.2f}" for phase, ms in phases.items()))
        engine = overhead * 1000 - phases.get("compute", 0.0)
        print(f"Engine overhead without the assets' own code and queries: {engine:.2f} ms per partition")
        report["engine_ms_per_partition_without_user_code"] = engine  # type: ignore[assignment]
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "w1.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
