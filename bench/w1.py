"""W1: the orders example over all of 2025 (1,095 daily partition materializations plus the
unpartitioned customer_lifetime_value), at 20,000 rows a day and at 10 rows a day.

Every figure is a whole `assets` process, run from a fresh copy of examples/orders, as a
user runs it. Medians of --repeat runs; peak memory is the largest resident size of the
process and its worker processes together, sampled every 50 ms.

    python bench/w1.py --repeat 3            # prints a Markdown table, writes bench/results/w1.json
    python bench/w1.py --repeat 3 --baseline e821a29   # also that commit's code, interleaved, with ratios
    python bench/w1.py --repeat 3 --openlineage        # this code with and without OpenLineage to a file
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from baseline import checkout

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "orders"
ASSETS = [sys.executable, "-m", "assets_core.cli"]
OPENLINEAGE = '\n[openlineage]\nfile = ".assets/openlineage.jsonl"\n'
"""What ``--openlineage`` adds to the project's assets.toml: every event to a JSON-lines file."""
VARIANTS = {
    "backfill_w1": ["--workers", "1"],
    "backfill_w2_threads": ["--workers", "2", "--executor", "threads"],
    "backfill_w2_processes": ["--workers", "2", "--executor", "processes"],
}


def fresh_copy(rows_per_day: int, into: Path, config: str = "") -> Path:
    """A fresh copy of the example at ``rows_per_day``; ``config`` is appended to its assets.toml."""
    project = into / f"orders_{rows_per_day}"
    shutil.rmtree(project, ignore_errors=True)
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("data", ".assets", "__pycache__"))
    module = project / "orders_assets.py"
    text = re.sub(r"ORDERS_PER_DAY = [\d_]+", f"ORDERS_PER_DAY = {rows_per_day}", module.read_text())
    module.write_text(text)
    if config:
        with (project / "assets.toml").open("a") as toml:
            toml.write(config)
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


def timed_with_rusage(args: list[str], cwd: Path, code: Path = ROOT) -> tuple[float, float, str]:
    """Wall seconds, peak resident memory in MB (the process plus its workers), stdout; the
    assets_core package imported from ``code`` (this checkout, or a baseline's)."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(ASSETS + args, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], _tree_rss_mb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the process and its waited-for workers
    LAST_CPU[0] = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
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
LAST_CPU = [0.0]
"""CPU seconds (user + system) of the last process timed: less disturbed by a busy host than wall time."""


def measure(rows_per_day: int, repeat: int, workdir: Path, codes: dict[str, tuple[Path, str]]) -> dict[str, dict[str, Any]]:
    """Every workload, ``repeat`` times, for each code in turn within each repeat (interleaved,
    so that a busy moment of the host hits every code alike). A code is the folder its
    assets_core is imported from and what it adds to the project's assets.toml."""
    results: dict[str, dict[str, list[tuple[float, float]]]] = {c: {} for c in codes}
    phases: dict[str, list[dict[str, float]]] = {c: [] for c in codes}
    plans: dict[str, list[float]] = {c: [] for c in codes}
    cpu: dict[str, dict[str, list[float]]] = {c: {} for c in codes}
    for _ in range(repeat):
        CALIBRATION.append(calibration_ms())
        for code, (folder, config) in codes.items():
            for name, options in VARIANTS.items():
                project = fresh_copy(rows_per_day, workdir, config)
                # Warm the manifest and the OS file cache the same way for every run.
                timed_with_rusage(["list", "--json"], project, folder)
                results[code].setdefault(name, []).append(timed_with_rusage(["materialize", *options], project, folder)[:2])
                cpu[code].setdefault(name, []).append(LAST_CPU[0])
                if name == "backfill_w1":
                    phases[code].append(phase_ms(project))
            results[code].setdefault("noop", []).append(timed_with_rusage(["materialize"], project, folder)[:2])
            _, _, out = timed_with_rusage(["plan", "--json"], project, folder)
            plans[code].append(json.loads(out)["planning_seconds"])
    report: dict[str, dict[str, Any]] = {}
    for code, (folder, config) in codes.items():
        empty = fresh_copy(rows_per_day, workdir, config)
        _, _, out = timed_with_rusage(["plan", "--json"], empty, folder)
        summary = {
            name: {
                "median_seconds": statistics.median(t for t, _ in runs),
                "runs": [round(t, 3) for t, _ in runs],
                "peak_mb": max(m for _, m in runs),
                **({"median_cpu_seconds": statistics.median(cpu[code][name])} if name in cpu[code] else {}),
            }
            for name, runs in results[code].items()
        }
        summary["phases_ms_w1"] = {  # type: ignore[assignment]
            phase: statistics.median(p[phase] for p in phases[code]) for phase in phases[code][0]
        }
        summary["plan_fresh"] = {"median_seconds": statistics.median(plans[code]), "runs": plans[code], "peak_mb": 0.0}
        summary["plan_all_missing"] = {"median_seconds": json.loads(out)["planning_seconds"], "runs": [], "peak_mb": 0.0}
        report[code] = summary
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows", type=int, nargs="*", default=[20_000, 10])
    parser.add_argument("--baseline", metavar="GIT_REF", help="also measure this commit's code, in the same run")
    parser.add_argument("--openlineage", action="store_true",
                        help="measure this code emitting OpenLineage to a file against the same code without")
    args = parser.parse_args()
    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="assets-bench-") as tmp:
        codes = {"this code": (ROOT, OPENLINEAGE if args.openlineage else "")}
        if args.baseline:
            codes[f"baseline {args.baseline}"] = (checkout(args.baseline, Path(tmp) / "baseline"), "")
        elif args.openlineage:
            codes["without OpenLineage"] = (ROOT, "")
        by_rows = {str(rows): measure(rows, args.repeat, Path(tmp), codes) for rows in args.rows}
    partitions = 365 * 3 + 1
    baseline = next((c for c in codes if c != "this code"), None)
    print("| workload | rows/day | code | median s | runs (s) | peak MB |" + (" this / baseline |" if baseline else ""))
    print("|---|---|---|---|---|---|" + ("---|" if baseline else ""))
    for rows, by_code in by_rows.items():
        for name, f in by_code["this code"].items():
            if name == "phases_ms_w1":
                continue
            for code in codes:
                g = by_code[code][name]
                runs = ", ".join(f"{r:.3f}" for r in g["runs"])
                ratio = ""
                if baseline and code == "this code":
                    base = by_code[baseline][name]["median_seconds"]
                    ratio = f" {g['median_seconds'] / base:.2f} |" if base else " |"
                elif baseline:
                    ratio = " |"
                print(f"| {name} | {rows} | {code} | {g['median_seconds']:.3f} | {runs} | {g['peak_mb']:.0f} |{ratio}")
    print(f"\nMachine calibration, sum(range(10**7)) before each repeat: median "
          f"{statistics.median(CALIBRATION):.0f} ms (from {min(CALIBRATION):.0f} to {max(CALIBRATION):.0f} ms)")
    if args.openlineage and baseline:
        for rows, by_code in by_rows.items():
            for name in VARIANTS:
                added = by_code["this code"][name]["median_seconds"] - by_code[baseline][name]["median_seconds"]
                print(f"OpenLineage to a file, {name}, {rows} rows/day: {added * 1000 / partitions:+.3f} ms per partition "
                      f"({by_code['this code'][name]['median_seconds'] / by_code[baseline][name]['median_seconds']:.3f}x)")
                report[f"openlineage_ms_per_partition ({name}, {rows} rows/day)"] = added * 1000 / partitions
                with_cpu, without_cpu = (by_code[c][name]["median_cpu_seconds"] for c in ("this code", baseline))
                print(f"    CPU (user + system, workers included): {with_cpu:.2f} s against {without_cpu:.2f} s, "
                      f"{(with_cpu - without_cpu) * 1000 / partitions:+.3f} ms per partition ({with_cpu / without_cpu:.3f}x)")
    report.update(by_rows)
    report["calibration_ms"] = CALIBRATION
    if "10" in by_rows:
        for code in codes:
            small = by_rows["10"][code]
            overhead = (small["backfill_w1"]["median_seconds"] - small["noop"]["median_seconds"]) / partitions
            phases = small["phases_ms_w1"]
            engine = overhead * 1000 - phases.get("compute", 0.0)
            print(f"\n{code}: engine overhead per partition materialization (10 rows/day, --workers 1, minus the "
                  f"no-op process): {overhead * 1000:.2f} ms; without the assets' own code and queries: {engine:.2f} ms; "
                  "by phase: " + ", ".join(f"{phase} {ms:.2f}" for phase, ms in phases.items()))
            report[f"overhead_ms_per_partition ({code})"] = overhead * 1000
            report[f"engine_ms_per_partition_without_user_code ({code})"] = engine
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "w1.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
