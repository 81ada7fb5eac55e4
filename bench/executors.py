"""W1 with ``--executor dask`` on a 2-worker ``LocalCluster`` against ``--workers 2`` threads
(and processes), interleaved: each repeat runs every executor once on a fresh copy of
examples/orders, so a busy moment of this shared host hits them alike.

    pip install '.[dask]' && python bench/executors.py --repeat 3 --rows 20000 10

Prints medians of whole-process wall and CPU time (user + system, workers included), the ratio
of each executor to threads measured in the same run, and the host's calibration.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from saved import save
from w1 import (  # noqa: E402
    CALIBRATION,
    LAST_CPU,
    ROOT,
    calibration_ms,
    fresh_copy,
    timed_with_rusage,
)

EXECUTORS = {
    "threads": ["--workers", "2"],
    "processes": ["--workers", "2", "--executor", "processes"],
    "dask": ["--workers", "2", "--executor", "dask"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows", type=int, nargs="*", default=[20_000])
    args = parser.parse_args()
    report: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="assets-bench-executors-") as tmp:
        for rows in args.rows:
            wall: dict[str, list[float]] = {name: [] for name in EXECUTORS}
            cpu: dict[str, list[float]] = {name: [] for name in EXECUTORS}
            peak: dict[str, float] = dict.fromkeys(EXECUTORS, 0.0)
            for _ in range(args.repeat):
                CALIBRATION.append(calibration_ms())
                for name, options in EXECUTORS.items():
                    project = fresh_copy(rows, Path(tmp))
                    timed_with_rusage(["list", "--json"], project)  # the manifest and the file cache, warmed alike
                    seconds, mb, out = timed_with_rusage(["materialize", *options], project)
                    assert "1096 published, 0 failed" in out, out
                    wall[name].append(seconds)
                    cpu[name].append(LAST_CPU[0])
                    peak[name] = max(peak[name], mb)
            print(f"\nW1, {rows} rows/day, {args.repeat} interleaved repeats")
            print("| executor | median wall s | runs (s) | median CPU s | wall / threads | CPU / threads | peak MB |")
            print("|---|---|---|---|---|---|---|")
            base_wall, base_cpu = statistics.median(wall["threads"]), statistics.median(cpu["threads"])
            for name in EXECUTORS:
                w, c = statistics.median(wall[name]), statistics.median(cpu[name])
                print(f"| {name} | {w:.2f} | {', '.join(f'{t:.2f}' for t in wall[name])} | {c:.2f} | "
                      f"{w / base_wall:.2f} | {c / base_cpu:.2f} | {peak[name]:.0f} |")
                report[f"{name} ({rows} rows/day)"] = {"wall": wall[name], "cpu": cpu[name], "peak_mb": peak[name]}
    print(f"\nMachine calibration, sum(range(10**7)) before each repeat: median {statistics.median(CALIBRATION):.0f} ms "
          f"(from {min(CALIBRATION):.0f} to {max(CALIBRATION):.0f} ms)")
    report["calibration_ms"] = CALIBRATION
    save("executors", report)


if __name__ == "__main__":
    main()
