"""W1: the orders example over all of 2025 (1,095 daily partition materializations plus the
unpartitioned customer_lifetime_value), at 20,000 rows a day and at 10 rows a day.

Every figure is a whole `assets` process, run from a fresh copy of examples/orders, as a
user runs it. Medians of --repeat runs; peak memory is the largest resident size of the
process and its worker processes together, sampled every 50 ms.

    python bench/w1.py --repeat 3            # prints a Markdown table, writes bench/results/w1.json
    python bench/w1.py --repeat 3 --baseline e821a29   # also that commit's code, interleaved, with ratios
    python bench/w1.py --repeat 3 --openlineage        # this code with and without OpenLineage to a file
    python bench/w1.py --repeat 3 --sqlmesh /tmp/sqlmesh-venv   # against SQLMesh's one-batch backfill, interleaved:
                                                                # writes bench/results/w1_sqlmesh.json

CPU is user + system time of the whole process tree (``os.wait4``).
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
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from baseline import checkout
from saved import save

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
    """Resident memory of a process and all its descendants (worker processes), in MB."""
    page = os.sysconf("SC_PAGE_SIZE")
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                parents[int(entry)] = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    tree, grown = {pid}, True
    while grown:
        more = {child for child, parent in parents.items() if parent in tree} - tree
        grown, tree = bool(more), tree | more
    total = 0
    for member in tree:
        try:
            total += int(Path(f"/proc/{member}/statm").read_text().split()[1]) * page
        except (OSError, IndexError, ValueError):
            continue
    return total / 2**20


@dataclass(frozen=True)
class Timing:
    """One whole process tree, timed: what the benchmarks report."""

    wall: float
    cpu: float
    """User + system seconds of the process and every descendant it waited for (``os.wait4``)."""
    peak_mb: float
    """The largest resident size of the tree, summed over its processes (sampled every 50 ms),
    or of its largest process (the kernel's count), whichever is larger."""
    out: str


def timed_process(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> Timing:
    """Run ``command`` to its end and time its whole process tree; exit on failure."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err, text=True, env=env)
        peak = [0.0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.05):
                peak[0] = max(peak[0], _tree_rss_mb(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{stdout[-3000:]}\n{stderr[-3000:]}")
    kernel_peak = usage.ru_maxrss / 1024  # KB on Linux: the largest single process of the tree
    return Timing(elapsed, usage.ru_utime + usage.ru_stime, max(peak[0], kernel_peak), stdout)


def timed_with_rusage(args: list[str], cwd: Path, code: Path = ROOT) -> tuple[float, float, str]:
    """Wall seconds, peak resident memory in MB (the process plus its workers), stdout; the
    assets_core package imported from ``code`` (this checkout, or a baseline's). Its CPU
    seconds go to ``LAST_CPU``."""
    timing = timed_process(ASSETS + args, cwd, {**os.environ, "PYTHONPATH": str(code)})
    LAST_CPU[0] = timing.cpu
    return timing.wall, timing.peak_mb, timing.out


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


SQLMESH_PEER = ROOT / "bench" / "peers" / "sqlmesh"
"""The same W1 as a SQLMesh project (``gen_project.py``), and the lock file of its virtualenv."""
AGAINST_SQLMESH = {
    "assets --workers 1": ["--workers", "1"],
    "assets --workers 2": ["--workers", "2", "--executor", "threads"],
}
SQLMESH = "sqlmesh one batch"


def calibration_best_ms() -> float:
    """``sum(range(10**7))``, best of 3, as bench/planner.py's calibration."""
    return min(calibration_ms() for _ in range(3))


def sqlmesh_backfill(venv: Path, workdir: Path, rows_per_day: int) -> Timing:
    """SQLMesh's full backfill of W1, one batch per model (its default), on a freshly generated
    project (empty state); checks that it built the 365 days."""
    project = workdir / "w1_sqlmesh"
    subprocess.run([sys.executable, str(SQLMESH_PEER / "gen_project.py"), str(project), "--rows", str(rows_per_day)],
                   check=True, capture_output=True)
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    timing = timed_process([str(venv / "bin" / "sqlmesh"), "plan", "--auto-apply", "--no-prompts"], project,
                           {**env, "NO_COLOR": "1", "COLUMNS": "120"})
    count = ("import duckdb; print(duckdb.connect('data/warehouse.duckdb', read_only=True)"
             ".sql('SELECT count(*) FROM w1.daily_revenue').fetchone()[0])")
    days = subprocess.run(
        [str(venv / "bin" / "python"), "-c", count], cwd=project, check=True, capture_output=True, text=True, env=env).stdout.strip()
    if days != "365":
        raise SystemExit(f"SQLMesh's backfill built {days} days of daily_revenue, not 365: see {project}")
    shutil.rmtree(project)
    return timing


def measure_against_sqlmesh(venv: Path, repeat: int, workdir: Path, rows_per_day: int) -> dict[str, Any]:
    """Per repeat: the host's calibration, then this code's backfills and SQLMesh's, one after
    the other (interleaved, so a busy moment of the host hits both alike)."""
    runs: dict[str, list[Timing]] = {name: [] for name in [*AGAINST_SQLMESH, SQLMESH]}
    calibrations: list[float] = []
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for _ in range(repeat):
        calibrations.append(calibration_best_ms())
        for name, options in AGAINST_SQLMESH.items():
            project = fresh_copy(rows_per_day, workdir)
            timed_process(ASSETS + ["list", "--json"], project, env)  # the manifest and the file cache, warmed alike
            timing = timed_process(ASSETS + ["materialize", *options], project, env)
            if f"{365 * 3 + 1} published, 0 failed" not in timing.out:
                raise SystemExit(f"assets materialize {' '.join(options)} did not publish all of W1:\n{timing.out[-2000:]}")
            runs[name].append(timing)
        runs[SQLMESH].append(sqlmesh_backfill(venv, workdir, rows_per_day))
    medians = {
        name: {"wall_seconds": statistics.median(t.wall for t in timings),
               "cpu_seconds": statistics.median(t.cpu for t in timings),
               "peak_mb": statistics.median(t.peak_mb for t in timings),
               "runs": [{"wall": round(t.wall, 3), "cpu": round(t.cpu, 3), "peak_mb": round(t.peak_mb, 1)} for t in timings]}
        for name, timings in runs.items()
    }
    peer = medians[SQLMESH]
    for name in AGAINST_SQLMESH:
        ours = medians[name]
        ours["ratios"] = {what: ours[what] / peer[what] for what in ("cpu_seconds", "wall_seconds", "peak_mb")}
    return {"rows_per_day": rows_per_day, "calibration_ms": calibrations, "steps": medians}


def print_against_sqlmesh(result: dict[str, Any]) -> None:
    steps = result["steps"]
    print(f"W1 at {result['rows_per_day']:,} rows/day, medians of {len(steps[SQLMESH]['runs'])} interleaved repeats\n")
    print("| step | wall s | CPU s (user + sys, whole tree) | peak MB | CPU / SQLMesh | wall / SQLMesh | peak / SQLMesh | runs (wall / CPU s) |")
    print("|---|---|---|---|---|---|---|---|")
    for name, step in steps.items():
        ratios = step.get("ratios")
        shown = " | ".join(f"{ratios[w]:.2f}x" for w in ("cpu_seconds", "wall_seconds", "peak_mb")) if ratios else "1 | 1 | 1"
        runs = ", ".join(f"{r['wall']:.2f} / {r['cpu']:.2f}" for r in step["runs"])
        print(f"| {name} | {step['wall_seconds']:.2f} | {step['cpu_seconds']:.2f} | {step['peak_mb']:.0f} | {shown} | {runs} |")
    calibrations = result["calibration_ms"]
    print(f"\nCalibration, sum(range(10**7)) best of 3 before each repeat: median {statistics.median(calibrations):.0f} ms "
          f"(from {min(calibrations):.0f} to {max(calibrations):.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows", type=int, nargs="*", default=[20_000, 10])
    parser.add_argument("--baseline", metavar="GIT_REF", help="also measure this commit's code, in the same run")
    parser.add_argument("--openlineage", action="store_true",
                        help="measure this code emitting OpenLineage to a file against the same code without")
    parser.add_argument("--sqlmesh", metavar="VENV", type=Path, default=os.environ.get("SQLMESH_VENV") or None,
                        help="instead: this code's full backfills against SQLMesh's one-batch backfill, interleaved, "
                             "with SQLMesh from this virtualenv (bench/peers/sqlmesh/README.md; env SQLMESH_VENV)")
    args = parser.parse_args()
    report: dict[str, object] = {}
    if args.sqlmesh is not None:
        if not (args.sqlmesh / "bin" / "sqlmesh").exists():
            raise SystemExit(f"No sqlmesh in {args.sqlmesh}: make its virtualenv as bench/peers/sqlmesh/README.md says.")
        with tempfile.TemporaryDirectory(prefix="assets-bench-") as tmp:
            result = measure_against_sqlmesh(args.sqlmesh, args.repeat, Path(tmp), max(args.rows))
        print_against_sqlmesh(result)
        save("w1_sqlmesh", result)
        return
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
        for name in by_code["this code"]:
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
    save("w1", report)


if __name__ == "__main__":
    main()
