"""Freshness at scale: the planner bench's 1,000 assets x 1,000 daily partitions, each with a
freshness policy (a third the trail rule, a third a "09:00" deadline, a third a data time), and
a ledger row per published partition (on time, some late, the newest days of some assets missing).

Timed, each a whole `assets` process (start, load the project's manifest, read the catalog,
evaluate, print), medians of --repeat runs, with the host's calibration as the other benches:

- `assets freshness --json --as-of T`: every asset's state (target under 0.5 s);
- `assets freshness --history --since 30d --json --as-of T`: a year and more of ledger rows,
  the last 30 days of each asset read (target under 0.5 s).

    python bench/freshness.py --repeat 5        # writes bench/results/freshness.json
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
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from planner import BENCH, NOW, calibration, synthetic_specs, write_catalog
from saved import save

from assets_core import Freshness
from assets_core.catalog.sqlite import SqliteCatalog
from assets_core.definitions.deadlines import ledger_due_at
from assets_core.graph import build_graph

POLICIES = (Freshness(warn_after="1d", error_after="2d"), Freshness(deadline="09:00"),
            Freshness(error_after="2d", timestamp_column="ts"))


def specs(assets: int) -> list:  # type: ignore[type-arg]
    return [replace(spec, freshness=POLICIES[i % 3]) for i, spec in enumerate(synthetic_specs(assets))]


PROJECT_MODULE = """# The freshness bench's assets (bench/freshness.py writes this file).
import sys
sys.path.insert(0, {bench!r})
from freshness import specs
globals().update({{spec.name: spec for spec in specs({assets})}})
"""


def write_ledger(path: Path, assets: int) -> int:
    """A ledger row per published partition: met an hour after it was due (late by 3 h for
    every 50th day), with a data time; the last two days of every 7th asset left missing."""
    graph = build_graph(specs(assets))
    catalog = SqliteCatalog(path)
    count = 0
    for i, name in enumerate(graph.order):
        spec = graph[name]
        assert spec.partitions is not None
        rows = []
        keys = spec.partitions.keys(NOW)
        for n, key in enumerate(keys):
            due = ledger_due_at(spec, key)
            assert due is not None
            if i % 7 == 0 and n >= len(keys) - 2:
                rows.append((name, key, due, None, None, None, None))
                continue
            from datetime import datetime

            met = (datetime.fromisoformat(due) + timedelta(hours=3 if n % 50 == 0 else -1)).isoformat(timespec="milliseconds")
            rows.append((name, key, due, met, met, met, 100))
        with catalog._transaction() as db:
            db.execute("DELETE FROM freshness_ledger WHERE asset = ?", (name,))
            db.executemany("INSERT INTO freshness_ledger (asset, partition, due_at, met_at, published_at, data_time, rows)"
                           " VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        count += len(rows)
    catalog.close()
    return count


def whole(project: Path, *args: str) -> float:
    """Seconds of one whole process, as an installed assets-core runs: with its modules'
    bytecode cached (PYTHONDONTWRITEBYTECODE, set in some shells, would compile them each time)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    clock = time.perf_counter()
    subprocess.run([sys.executable, "-m", "assets_core.cli", "--project", str(project), "freshness", *args,
                    "--as-of", NOW.isoformat(), "--json"], stdout=subprocess.DEVNULL, check=False, env=env)
    return time.perf_counter() - clock


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", metavar="FOLDER", type=Path,
                        help="build the project there, or reuse the one already built there")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        project = args.keep or Path(tmp) / "project"
        path = project / ".assets" / "catalog.db"
        started = time.perf_counter()
        if not path.exists():
            (project / ".assets").mkdir(parents=True)
            (project / "assets.toml").write_text('[project]\nname = "scale"\nmodules = ["scale_assets"]\n')
            (project / "scale_assets.py").write_text(PROJECT_MODULE.format(bench=str(BENCH), assets=args.assets))
            write_catalog(build_graph(specs(args.assets)), path)
            write_ledger(path, args.assets)
        catalog = SqliteCatalog(path)
        states = catalog._rows("SELECT count(*) FROM partitions")[0][0]
        rows = catalog._rows("SELECT count(*) FROM freshness_ledger")[0][0]
        catalog.close()
        built = time.perf_counter() - started
        tiny = Path(tmp) / "tiny"  # the floor: the same command on a project of one asset
        tiny.mkdir()
        (tiny / "assets.toml").write_text('[project]\nname = "tiny"\nmodules = ["tiny_assets"]\n')
        (tiny / "tiny_assets.py").write_text(
            "from assets_core import Freshness, asset\n\n\n@asset(freshness=Freshness(error_after='1d'))\n"
            "def one():\n    ...\n")
        whole(project)  # untimed: writes the manifest, and the file is read once
        whole(tiny)
        calibrations, evaluate, history, floor = [], [], [], []
        for _ in range(args.repeat):  # interleaved: a busy moment of the host hits each alike
            calibrations.append(calibration())
            evaluate.append(whole(project))
            history.append(whole(project, "--history", "--since", "30d"))
            floor.append(whole(tiny))
    report = {
        "assets": args.assets, "partition_states": states, "ledger_rows": rows, "repeats": args.repeat,
        "setup_seconds": round(built, 1), "calibration_seconds": [round(c, 3) for c in calibrations],
        "whole `assets freshness --json`": {"seconds_median": round(statistics.median(evaluate), 3),
                                            "seconds_runs": [round(s, 3) for s in evaluate]},
        "whole `assets freshness --history --since 30d --json`": {
            "seconds_median": round(statistics.median(history), 3), "seconds_runs": [round(s, 3) for s in history]},
        "floor: whole `assets freshness --json` of a one-asset project": {
            "seconds_median": round(statistics.median(floor), 3), "seconds_runs": [round(s, 3) for s in floor]},
    }
    print(json.dumps(report, indent=2))
    save("freshness", report)


if __name__ == "__main__":
    main()
