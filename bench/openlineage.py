"""What emitting OpenLineage costs per partition, without the rest of a run: the events of
W1's 1,096 partition materializations (examples/orders: START and COMPLETE each, with their
inputs, schema, statistics and check results) built and written to a JSON-lines file by the
engine's emitter, in one process, ``--repeat`` rounds; medians of wall and CPU time.

    python bench/openlineage.py --repeat 5     # prints microseconds per partition

W1 itself, with and without OpenLineage, interleaved: ``python bench/w1.py --openlineage``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assets_core.catalog import Run
from assets_core.checks.base import CheckResult
from assets_core.execution.compute import Computed
from assets_core.execution.openlineage.emitter import Lineage, LineageSettings
from assets_core.project.loading import load_graph, load_project
from assets_core.storage.store import StagedPartition

COLUMNS = (("order_id", "Int64", True), ("customer_id", "String", True), ("amount", "Float64", True),
           ("status", "String", True), ("ordered_at", "Datetime(time_unit='us', time_zone=None)", True))


def one_round(lineage: Lineage, graph: object, days: list[str]) -> int:
    """Every partition's START and COMPLETE, upstream versions as a run of W1 reads them."""
    partitions = 0
    for day in days:
        for asset, upstream in (("raw_orders", None), ("clean_orders", "raw_orders"), ("daily_revenue", "clean_orders")):
            inputs = {} if upstream is None else {upstream: {day: f"c1:{upstream}-{day}"}}
            emit(lineage, graph, asset, day, inputs)
            partitions += 1
    emit(lineage, graph, "customer_lifetime_value", "", {"clean_orders": {d: f"c1:clean_orders-{d}" for d in days}})
    return partitions + 1


def emit(lineage: Lineage, graph: object, asset: str, key: str, inputs: dict[str, dict[str, str]]) -> None:
    checks = tuple(CheckResult(c.name, True, c.severity, 0, "") for c in graph[asset].checks)  # type: ignore[index]
    staged = StagedPartition(asset, key, "run", Path("/x"), 20_000, 400_000, f"c1:{asset}-{key}", COLUMNS)
    lineage.started(asset, key, inputs)
    lineage.concluded(asset, key, Computed(staged, checks, None, time.time(), 0.01, "published"), "published", inputs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    project = load_project(ROOT / "examples" / "orders")
    graph = load_graph(project, use_manifest=False)
    days = graph["raw_orders"].partitions.keys()  # type: ignore[union-attr]
    run = Run(run_id="20250101T000000-bench0", reference_time="2026-01-01T00:00:00+00:00",
              started_at="2026-01-01T00:00:00.000+00:00")
    wall: list[float] = []
    cpu: list[float] = []
    with tempfile.TemporaryDirectory(prefix="assets-bench-ol-") as tmp:
        path = Path(tmp) / "events.jsonl"
        for _ in range(args.repeat):
            lineage = Lineage(LineageSettings(namespace="assets-core://orders", file=path), run, graph)
            started, started_cpu = time.perf_counter(), time.process_time()
            partitions = one_round(lineage, graph, days)
            summary = lineage.close()
            wall.append((time.perf_counter() - started) / partitions)
            cpu.append((time.process_time() - started_cpu) / partitions)
            assert summary.failed == 0 and summary.events == 2 * partitions
        size = path.stat().st_size / args.repeat
    print(f"{partitions} partitions, {2 * partitions} events, {size / 2**20:.1f} MB of JSON lines a round")
    print(f"per partition: wall median {statistics.median(wall) * 1e6:.0f} us (runs "
          + ", ".join(f"{w * 1e6:.0f}" for w in wall) + f"), CPU median {statistics.median(cpu) * 1e6:.0f} us")


if __name__ == "__main__":
    main()
