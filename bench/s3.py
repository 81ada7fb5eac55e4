"""W1 with its Parquet assets on a local S3-compatible server (moto's, on 127.0.0.1) against
local files: the same project, the same commands, interleaved within each repeat, medians.

The server is moto's ``ThreadedMotoServer`` in this process, so its CPU time competes with
the run on the same cores (a real object store would not): the ratio is an upper bound of
what the bucket costs. The DuckDB asset (daily_revenue) keeps its local warehouse in both.

    python bench/s3.py --repeat 3          # prints a Markdown table, writes bench/results/s3.json
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import tempfile
import uuid
from pathlib import Path
from typing import Any

from saved import save
from w1 import (
    CALIBRATION,
    LAST_CPU,
    ROOT,
    calibration_ms,
    fresh_copy,
    phase_ms,
    timed_with_rusage,
)

KEY_ID = SECRET = "bench"
VARIANTS = {"backfill_w2_threads": ["--workers", "2", "--executor", "threads"], "noop": []}


def start_server() -> tuple[Any, str]:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server._server.server_address
    return server, f"http://{host}:{port}"


def bucket_config(endpoint: str) -> tuple[str, str]:
    """A fresh bucket on the server, as what the project's assets.toml says instead of data_dir = "data"."""
    from pyarrow import fs

    name = f"bench-{uuid.uuid4().hex[:12]}"
    fs.S3FileSystem(access_key=KEY_ID, secret_key=SECRET, region="us-east-1", scheme="http",
                    endpoint_override=endpoint.split("://")[1], allow_bucket_creation=True).create_dir(name)
    return (f'\n[storage]\nendpoint = "{endpoint}"\nregion = "us-east-1"\n'
            f'access_key_id = "{KEY_ID}"\nsecret_access_key = "{SECRET}"\n'), f"s3://{name}/orders"


def copy_for(kind: str, rows: int, workdir: Path, endpoint: str) -> Path:
    if kind == "local files":
        return fresh_copy(rows, workdir)
    storage, url = bucket_config(endpoint)
    project = fresh_copy(rows, workdir, storage)
    config = project / "assets.toml"
    config.write_text(config.read_text().replace('data_dir = "data"', f'data_dir = "{url}"'))
    return project


def measure(rows: int, repeat: int, workdir: Path, endpoint: str) -> dict[str, Any]:
    kinds = ("local files", "S3 (moto, local)")
    times: dict[str, dict[str, list[float]]] = {k: {} for k in kinds}
    cpu: dict[str, list[float]] = {k: [] for k in kinds}
    phases: dict[str, list[dict[str, float]]] = {k: [] for k in kinds}
    for _ in range(repeat):
        CALIBRATION.append(calibration_ms())
        for kind in kinds:  # interleaved: a busy moment of the host hits both alike
            project = copy_for(kind, rows, workdir, endpoint)
            timed_with_rusage(["list", "--json"], project)  # the manifest and the OS cache, warmed alike
            for name, options in VARIANTS.items():
                times[kind].setdefault(name, []).append(timed_with_rusage(["materialize", *options], project)[0])
                if name != "noop":
                    cpu[kind].append(LAST_CPU[0])
                    phases[kind].append(phase_ms(project))
    return {kind: {
        **{name: {"median_seconds": statistics.median(runs), "runs": [round(r, 3) for r in runs]} for name, runs in times[kind].items()},
        "median_cpu_seconds_backfill": statistics.median(cpu[kind]),
        "phases_ms": {p: statistics.median(x[p] for x in phases[kind]) for p in phases[kind][0]},
    } for kind in kinds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--rows", type=int, nargs="*", default=[20_000, 10])
    args = parser.parse_args()
    server, endpoint = start_server()
    try:
        with tempfile.TemporaryDirectory(prefix="assets-bench-s3-") as tmp:
            by_rows = {str(rows): measure(rows, args.repeat, Path(tmp), endpoint) for rows in args.rows}
    finally:
        server.stop()
    print("| workload | rows/day | data | median s | runs (s) | S3 / local |")
    print("|---|---|---|---|---|---|")
    for rows, by_kind in by_rows.items():
        local, remote = by_kind["local files"], by_kind["S3 (moto, local)"]
        for name in VARIANTS:
            for kind, figures in by_kind.items():
                ratio = f"{remote[name]['median_seconds'] / local[name]['median_seconds']:.2f}" if figures is remote else ""
                runs = ", ".join(f"{r:.2f}" for r in figures[name]["runs"])
                print(f"| {name} | {rows} | {kind} | {figures[name]['median_seconds']:.2f} | {runs} | {ratio} |")
        for kind, figures in by_kind.items():
            print(f"  {rows} rows/day, {kind}: CPU {figures['median_cpu_seconds_backfill']:.1f} s; ms per partition by phase: "
                  + ", ".join(f"{p} {ms:.2f}" for p, ms in figures["phases_ms"].items()))
    print(f"\nMachine calibration, sum(range(10**7)) before each repeat: median "
          f"{statistics.median(CALIBRATION):.0f} ms (from {min(CALIBRATION):.0f} to {max(CALIBRATION):.0f} ms)")
    save("s3", {**by_rows, "calibration_ms": CALIBRATION})


if __name__ == "__main__":
    main()
