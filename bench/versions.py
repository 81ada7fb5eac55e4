"""The cost of a data version: the content hash (``assets_core.storage.versions``) against the
sha256 of the file's bytes it replaced, on the same staged files, in the same run: ``bytes``
(the old rule), ``content`` (reading the file back, as a quarantined file is versioned when
released) and ``frame`` (hashing the frame being staged, as staging does).

Files written as the engine stages (polars, snappy): one of about 50 MB (2.4 million orders:
ids, customers, amounts with nulls, dates, timestamps, a category, a list of tags), the same
rows twice (about 100 MB: memory must not grow with the file), 20,000 of them, a day of W1's
raw_orders (20,000 rows of plain columns) and 10 rows (what every small partition pays). Each measurement is a process of its
own, interleaved old / new, so neither finds the other's pages warm in its own memory (both
find the file in the page cache, as the engine does right after staging). Reported: median
seconds over --repeat processes, and the peak resident memory of the process above what it
held before hashing (pyarrow's own peak allocation next to it for the content hash).

    python bench/versions.py --repeat 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

_MEASURE = r"""
import hashlib, json, sys, time
from pathlib import Path
def hwm():  # this process's peak resident size in KB (ru_maxrss would include the parent's)
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1])
path, method, loops = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
import pyarrow, pyarrow.parquet  # imported by the engine anyway; not part of the cost
import polars as pl
from assets_core.storage.versions import content_version, frame_version
frame = pl.read_parquet(path) if method == "frame" else None  # staging has it in memory
before = hwm()
start = time.perf_counter()
for _ in range(loops):
    if method == "bytes":
        version = hashlib.sha256(path.read_bytes()).hexdigest()[:32]
    elif method == "frame":
        version = frame_version(frame)
    else:
        version = content_version(path)
seconds = (time.perf_counter() - start) / loops
peak = hwm()
print(json.dumps({"seconds": seconds, "rss_mb": (peak - before) / 1024,
                  "arrow_peak_mb": pyarrow.default_memory_pool().max_memory() / 2**20, "version": version}))
"""


def _write_files(folder: Path) -> dict[str, Path]:
    import polars as pl

    rows = 2_400_000
    frame = pl.select(
        order_id=pl.int_range(rows, dtype=pl.Int64).shuffle(seed=1),
        customer=pl.format("customer-{}", (pl.int_range(rows) * 7919 % 50_000)),
        amount=pl.when(pl.int_range(rows) % 97 == 0).then(None).otherwise(
            (pl.int_range(rows) * 2654435761 % 100_000) / 100),
        day=pl.date(2025, 1, 1) + pl.duration(days=pl.int_range(rows) % 365),
        at=pl.datetime(2025, 1, 1, time_zone="UTC") + pl.duration(seconds=pl.int_range(rows) * 13),
        status=pl.lit("paid").cast(pl.Categorical),
        tags=pl.concat_list(pl.format("t{}", pl.int_range(rows) % 11), pl.lit("x")),
    )
    noise = pl.int_range(20_000).hash(seed=1)
    w1_day = pl.select(  # the columns of a W1 raw_orders partition (examples/orders)
        order_id=pl.int_range(20_000, dtype=pl.Int64), customer_id=(noise // 7 % 5_000).cast(pl.Int64),
        amount=((noise // 13 % 20_000).cast(pl.Float64) / 100 - 5).round(2),
        status=pl.when(noise % 20 == 0).then(pl.lit("cancelled")).otherwise(pl.lit("paid")),
        ordered_at=pl.datetime(2025, 1, 1, time_zone="UTC") + pl.duration(seconds=(noise // 3 % 86_400).cast(pl.Int64)),
    )
    files = {"~50 MB file": frame, "~100 MB file": pl.concat([frame, frame]),
             "20,000 rows": frame.head(20_000), "W1 day": w1_day, "10 rows": frame.head(10)}
    paths = {}
    for i, (name, rows_of_it) in enumerate(files.items()):
        paths[name] = folder / f"{i}.parquet"
        rows_of_it.write_parquet(paths[name], compression="snappy")
    return paths


def _measure(path: Path, method: str, loops: int) -> dict[str, float]:
    out = subprocess.run([sys.executable, "-c", _MEASURE, str(path), method, str(loops)],
                         check=True, capture_output=True, text=True).stdout
    result: dict[str, float] = json.loads(out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        paths = _write_files(Path(folder))
        for name, path in paths.items():
            size = path.stat().st_size
            loops = min(500, max(1, 20_000_000 // size))
            print(f"{name}: {size / 2**20:.1f} MB" if size > 2**20 else f"{name}: {size:,} bytes", f"({loops} loops)")
            runs: dict[str, list[dict[str, float]]] = {"bytes": [], "content": [], "frame": []}
            for _ in range(args.repeat):
                for method, results in runs.items():
                    results.append(_measure(path, method, loops))
            assert len({r["version"] for r in runs["content"] + runs["frame"]}) == 1, "frame and file disagree"
            for method, results in runs.items():
                seconds = statistics.median(r["seconds"] for r in results)
                rss = statistics.median(r["rss_mb"] for r in results)
                arrow = statistics.median(r["arrow_peak_mb"] for r in results)
                fastest = min(r["seconds"] for r in results)
                print(f"{name:14} {method:8} median {_time(seconds):>9}  fastest {_time(fastest):>9}  "
                      f"peak RSS +{rss:6.1f} MB  arrow peak {arrow:6.1f} MB")


def _time(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds > 0.001 else f"{seconds * 1e6:.0f} us"


if __name__ == "__main__":
    main()
