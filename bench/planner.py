"""The planner at scale: 1,000 assets x 1,000 daily partitions (1,000,000 partition states),
a mix of identity, lookback and cross-grain mappings, after one upstream partition changed.

The catalog snapshot is built in memory (the same objects `SqliteCatalog.snapshot()` returns),
then `plan()` runs over every asset. Reported: medians of --repeat plans, the partitions
planned, and the resident memory of the process holding the graph, the snapshot and the plan.

    python bench/planner.py --repeat 3
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import statistics
import time
from datetime import datetime, timezone
from pathlib import Path

from assets_core import DailyPartitions, WeeklyPartitions, asset, lookback
from assets_core.graph import AssetGraph, build_graph
from assets_core.planning import UpstreamKeys, plan
from catalog.models import CatalogSnapshot, PartitionState

START = "2023-01-01"
DAYS = DailyPartitions(start=START)
WEEKS = WeeklyPartitions(start="2023-01-02")
NOW = datetime(2025, 9, 28, tzinfo=timezone.utc)  # 1,000 daily partitions are due


def _is_weekly(i: int) -> bool:
    return i >= 10 and i % 20 == 0


def synthetic_graph(assets: int, seed: int = 7) -> AssetGraph:
    """10 roots; every other asset reads one or two earlier ones: identity (70%), a 7-day
    lookback (20%) or, for the weekly assets (every 20th), a time window of days."""
    rng = random.Random(seed)
    specs = []
    for i in range(assets):
        name = f"a{i:04d}"
        weekly = _is_weekly(i)
        parents = [] if i < 10 else rng.sample(range(i), k=min(i, rng.choice((1, 2))))
        ins = {}
        for p in parents:
            if not weekly and not _is_weekly(p) and rng.random() < 0.2:
                ins[f"a{p:04d}"] = lookback(7)
        params = ", ".join(f"a{p:04d}" for p in parents)
        namespace: dict[str, object] = {}
        exec(f"def {name}({params}): ...", namespace)  # parameters name the inputs
        specs.append(asset(namespace[name], partitions=WEEKS if weekly else DAYS, code_version=name,
                           ins={p: m for p, m in ins.items()} or None))
    return build_graph(specs)


def published_snapshot(graph: AssetGraph) -> tuple[CatalogSnapshot, int]:
    """Every due partition published once, recording the versions of what it read."""
    snapshot = CatalogSnapshot()
    upstream_keys = UpstreamKeys(graph, NOW)
    count = 0
    for name in graph.order:
        definition = graph[name].partitions
        assert definition is not None
        states = snapshot.partitions.setdefault(name, {})
        for key in definition.keys(NOW):
            inputs = {
                e.upstream: {k: snapshot.partitions[e.upstream][k].data_version for k in upstream_keys(e, key)}
                for e in graph.edges_in[name]
            }
            states[key] = PartitionState(f"{name}@{key}", name, inputs or None, "2025-09-28", 1, "published", "r1")  # type: ignore[arg-type]
            count += 1
    return snapshot, count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    started = time.perf_counter()
    graph = synthetic_graph(args.assets)
    snapshot, states = published_snapshot(graph)
    built = time.perf_counter() - started
    # One upstream partition changes: a root's day in the middle of the range.
    changed = snapshot.partitions["a0000"]["2024-05-15"]
    changed.data_version = "a0000@2024-05-15#2"

    seconds, planned = [], 0
    for _ in range(args.repeat):
        gc.collect()
        clock = time.perf_counter()
        the_plan = plan(graph, snapshot, graph.order, NOW)
        seconds.append(time.perf_counter() - clock)
        planned = len(the_plan.steps)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    report = {
        "assets": args.assets, "partition_states": states, "planned_after_one_change": planned,
        "plan_seconds_median": round(statistics.median(seconds), 3), "plan_seconds_runs": [round(s, 3) for s in seconds],
        "peak_rss_mb": round(peak_mb), "setup_seconds": round(built, 1),
    }
    print(json.dumps(report, indent=2))
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    (out / "planner.json").write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
