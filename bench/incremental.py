"""Speed at scale: what `assets plan`, the next day and `assets status` cost after one change.

The planner's synthetic projects (bench/planner.py: 10 roots, every other asset reads one or
two earlier ones through identity, 7-day lookback and weekly windows), every due partition
published once, in a real catalog: 100, 300 and 1,000 assets of 1,000 daily partitions, and
with ``--big`` 1,000 assets of 10,000. The assets are DuckDB assets and the warehouse file
exists, so the presence check costs nothing (a million Parquet folders are not made).

Each figure is a whole process as a user runs it, started from a fresh interpreter. Before
the timed repeats one `assets plan` reads the catalog whole and stores its verdict, as the
first plan on any project does. Then, per repeat, at the catalog's reference time D:

1. a root partition is republished with a new version (an attempt recorded through the
   catalog; the same partition each repeat, so each repeat plans the same 1,368 partitions on
   the 1,000-asset project), then `assets plan --as-of D --json` is timed: **one change**;
2. the same again, then `assets status --as-of D --json`: **status**;
3. `assets plan --as-of D+1day --json`: **the next day** (a new key due for every asset,
   and what reads it); the verdict it stores is put back as it was before, so that the
   next repeat starts from the same day.

Interleaved with each repeat: the host's calibration (``sum(range(10**7))``, best of 3) and
the floor, the same `assets plan --json` on a project of one asset of three partitions
(starting Python, importing the CLI, reading the project: what every command pays). Once per size, a plan with the verdict deleted (the whole catalog read and judged, as
before this bench's change) gives the ratio.

    python bench/incremental.py --repeat 5 [--sizes 100,300,1000] [--big] [--postgres]

``--postgres``: the same on a PostgreSQL catalog (``ASSETS_BENCH_POSTGRES_URL``, else a
throwaway local cluster with fsync off), the rows copied from the SQLite catalog.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent / "tests")]

import planner
from postgres import bench_server, copy_catalog
from postgres_server import admin, with_database
from saved import save

from assets_core.catalog import open_catalog
from assets_core.catalog.models import Materialization

MODULE = """# bench/incremental.py's synthetic assets (written by the bench)
import sys
sys.path.insert(0, {bench!r})
from planner import synthetic_specs
globals().update({{spec.name: spec for spec in synthetic_specs({assets}, io="duckdb", days={days})}})
"""


def make_project(folder: Path, assets: int, days: int) -> Path:
    """A project of the synthetic assets with its catalog written (every due partition published)."""
    (folder / ".assets").mkdir(parents=True)
    (folder / "data").mkdir()
    (folder / "data" / "warehouse.duckdb").touch()  # what the presence check looks for; never opened by plan
    (folder / "assets.toml").write_text('[project]\nname = "scale"\nmodules = ["scale_assets"]\n')
    (folder / "scale_assets.py").write_text(MODULE.format(bench=str(BENCH), assets=assets, days=days))
    planner.write_catalog(planner.synthetic_graph(assets, days=days), folder / ".assets" / "catalog.db", changed=False)
    return folder


def tiny_project(folder: Path) -> Path:
    (folder / ".assets").mkdir(parents=True)
    (folder / "assets.toml").write_text('[project]\nname = "floor"\nmodules = ["one"]\n')
    (folder / "one.py").write_text(
        "from assets_core import DailyPartitions, asset\n\n"
        "@asset(partitions=DailyPartitions(start='2025-09-01', end='2025-09-04'))\ndef one(): ...\n"
    )
    return folder


def seconds(project: Path, *command: str, url: str | None = None) -> float:
    env = {**os.environ, **({"ASSETS_CATALOG_URL": url} if url else {})}
    clock = time.perf_counter()
    subprocess.run([sys.executable, "-m", "assets_core.cli", "--project", str(project), *command],
                   check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - clock


class Changes:
    """One root partition republished again and again, each time with a new version, as a run records it."""

    def __init__(self, url: str, base: Path) -> None:
        self.url, self.base, self.count = url, base, 0

    def one(self) -> None:
        self.count += 1
        catalog = open_catalog(self.url, self.base)
        key = "2024-05-15"
        at = planner.NOW.isoformat()
        catalog.record([Materialization(
            run_id=f"bench-{self.count}", asset="a0000", partition=key, status="published", started_at=at, ended_at=at,
            code_version=planner.synthetic_graph(1)["a0000"].code_version, rows=1,
            data_version=planner.data_version("a0000", key, 100 + self.count),
        )])
        catalog.close()


def measure(project: Path, url: str, repeat: int, floor: Path, calibrations: list[float]) -> dict[str, object]:
    pg = None if url.startswith("sqlite") else url
    changes = Changes(url, project)
    verdict = project / ".assets" / "verdict.json"
    runs: dict[str, list[float]] = {"one change": [], "status": [], "the next day": [], "floor": []}
    verdict.unlink(missing_ok=True)
    day, next_day = planner.NOW.isoformat(), (planner.NOW + timedelta(days=1)).isoformat()
    whole = seconds(project, "plan", "--as-of", day, "--json", url=pg)  # reads whole, stores the verdict
    for _ in range(repeat):
        calibrations.append(planner.calibration())
        changes.one()
        runs["one change"].append(seconds(project, "plan", "--as-of", day, "--json", url=pg))
        changes.one()
        runs["status"].append(seconds(project, "status", "--as-of", day, "--json", url=pg))
        kept = verdict.read_bytes()
        runs["the next day"].append(seconds(project, "plan", "--as-of", next_day, "--json", url=pg))
        verdict.write_bytes(kept)
        runs["floor"].append(seconds(floor, "plan", "--json"))
    verdict.unlink()
    whole_after = seconds(project, "plan", "--as-of", day, "--json", url=pg)
    found: dict[str, object] = {
        name: {"median": round(statistics.median(r), 3), "runs": [round(x, 3) for x in r]} for name, r in runs.items()
    }
    found["whole read and judgement (no verdict), seconds"] = [round(whole, 3), round(whole_after, 3)]
    floor_median = statistics.median(runs["floor"])
    found["above the floor, median seconds"] = {
        name: round(statistics.median(r) - floor_median, 3) for name, r in runs.items() if name != "floor"
    }
    found["one change / whole read"] = round(statistics.median(runs["one change"]) / whole_after, 3)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", default="100,300,1000", help="assets per project, each of 1,000 daily partitions")
    parser.add_argument("--big", action="store_true", help="also 1,000 assets of 10,000 partitions (10 M states)")
    parser.add_argument("--postgres", action="store_true", help="also each project on a PostgreSQL catalog")
    args = parser.parse_args()
    shapes = [(int(n), 1000) for n in args.sizes.split(",") if n] + ([(1000, 10000)] if args.big else [])
    report: dict[str, object] = {"repeats": args.repeat}
    calibrations: list[float] = []
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(bench_server())[0] if args.postgres else None
        base = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        floor = tiny_project(base / "floor")
        seconds(floor, "plan", "--json")
        for assets, days in shapes:
            name = f"{assets} assets x {days} partitions"
            started = time.perf_counter()
            project = make_project(base / f"p{assets}x{days}", assets, days)
            setup = time.perf_counter() - started
            os.sync()
            catalog_path = project / ".assets" / "catalog.db"
            found = {"setup_seconds": round(setup, 1),
                     **measure(project, f"sqlite:///{catalog_path}", args.repeat, floor, calibrations)}
            report[f"{name}, SQLite"] = found
            print(json.dumps({f"{name}, SQLite": found}), flush=True)
            if server is not None:
                report[f"{name}, PostgreSQL"] = found = on_postgres(server, project, base, args.repeat, floor, calibrations)
                print(json.dumps({f"{name}, PostgreSQL": found}), flush=True)
            shutil.rmtree(project)
    report["calibration_seconds"] = [round(c, 3) for c in calibrations]
    print(json.dumps(report, indent=2))
    save("incremental", report)


def on_postgres(server: str, project: Path, base: Path, repeat: int, floor: Path, calibrations: list[float]) -> dict[str, object]:
    """:func:`measure` with the project's catalog rows copied into a new PostgreSQL database."""
    database = f"inc_{uuid.uuid4().hex[:8]}"
    admin(server, f"CREATE DATABASE {database}")
    url = with_database(server, database)
    copy = base / f"{project.name}-pg"
    shutil.copytree(project, copy, ignore=shutil.ignore_patterns("catalog.db*", "verdict.json"))
    copy_catalog(project / ".assets" / "catalog.db", url, copy)
    try:
        return measure(copy, url, repeat, floor, calibrations)
    finally:
        admin(server, f"DROP DATABASE {database} WITH (FORCE)")
        shutil.rmtree(copy)


if __name__ == "__main__":
    main()
