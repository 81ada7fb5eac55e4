"""The incremental plan, status and ``why`` equal a full recomputation, after every step.

Random sequences of publishes (current, by older code, from older inputs), failures,
observations, code changes, changed partitions definitions and time moving on go through a
real SQLite catalog. After each step, the view a read-only command gets from the stored
verdict (``execution.incremental.read_for_planning``: only what changed since) is checked
against planning on a whole snapshot read afresh with the bulk check: the same steps with
the same causes and details, the same waiting partitions and retirements, the same statuses
and status counts, the same chains of ``why``, for every asset and for selections.
"""

from __future__ import annotations

import tempfile
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assets_core.catalog.inputs import OBSERVED
from assets_core.catalog.models import Materialization
from assets_core.catalog.sqlite import SqliteCatalog
from assets_core.definitions.specs import AssetInput, AssetSpec
from assets_core.execution.incremental import read_for_planning
from assets_core.execution.runs import live_snapshot
from assets_core.graph import AssetGraph, build_graph
from assets_core.partitions import AllPartitionsMapping, DailyPartitions, PartitionMapping, StaticPartitions, lookback
from assets_core.planning.plan import Cause, Plan, UpstreamKeys, explain, plan, status_counts, statuses

START = datetime(2025, 1, 4, 6, tzinfo=timezone.utc)
DAYS = DailyPartitions("2025-01-01")  # 3 keys due at START, one more each day
LATER_DAYS = DailyPartitions("2025-01-02")  # a changed definition: 2025-01-01 is retired
REGIONS = StaticPartitions(["eu", "us"])
NAMES = ["orders", "clean", "daily", "summary", "regions"]
SETTINGS = settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass
class World:
    """The definitions as they are now, and the catalog they are planned against."""

    partitions: dict[str, Any]
    edges: dict[str, list[tuple[str, PartitionMapping | None]]]
    code: dict[str, int] = field(default_factory=dict)

    def graph(self) -> AssetGraph:
        return build_graph([
            AssetSpec(name=name, kind="python", code_version=f"{name}-v{self.code.get(name, 1)}", partitions=definition,
                      inputs=tuple(AssetInput(up, up, "polars", mapping) for up, mapping in self.edges[name]))
            for name, definition in self.partitions.items()
        ])


@st.composite
def worlds(draw: st.DrawFn) -> World:
    size = draw(st.integers(2, 5))
    names = NAMES[:size]
    partitions: dict[str, Any] = {}
    edges: dict[str, list[tuple[str, PartitionMapping | None]]] = {}
    for i, name in enumerate(names):
        partitions[name] = draw(st.sampled_from([DAYS, DAYS, DAYS, None, REGIONS]))
        edges[name] = []
        for up in names[:i]:
            if not draw(st.booleans()):
                continue
            choices: list[PartitionMapping | None] = [AllPartitionsMapping()]
            if partitions[name] == partitions[up]:
                choices += [None, None]
                if partitions[name] == DAYS:
                    choices.append(lookback(1))
            elif partitions[up] is None:
                choices.append(None)
            edges[name].append((up, draw(st.sampled_from(choices))))
    return World(partitions, edges)


STEPS = st.one_of(
    st.tuples(st.just("publish"), st.integers(0, 4), st.integers(0, 9), st.sampled_from(["current", "current", "old code", "old inputs"])),
    st.tuples(st.just("fail"), st.integers(0, 4), st.integers(0, 9), st.just("")),
    st.tuples(st.just("observe"), st.integers(0, 4), st.integers(0, 9), st.sampled_from(["v1", "v2"])),
    st.tuples(st.just("code"), st.integers(0, 4), st.just(0), st.just("")),
    st.tuples(st.just("repartition"), st.integers(0, 4), st.just(0), st.just("")),
    st.tuples(st.just("time"), st.just(0), st.sampled_from([3, 24, 48]), st.just("")),
    st.tuples(st.just("publish all"), st.just(0), st.just(0), st.just("")),
    st.tuples(st.just("die"), st.integers(0, 4), st.integers(0, 9), st.just("")),
    st.tuples(st.just("why one"), st.integers(0, 4), st.integers(0, 9), st.just("")),
)


class Catalogued:
    """A catalog in a temporary folder, written through its interface as runs write it."""

    def __init__(self, folder: Path) -> None:
        self.catalog = SqliteCatalog(folder / "catalog.db")
        self.project = SimpleNamespace(
            state_dir=folder, config=SimpleNamespace(catalog="sqlite:///catalog.db"), data_url="s3://not/checked",
        )
        self.runs = 0

    def record(self, graph: AssetGraph, asset: str, key: str, now: datetime, kind: str) -> None:
        self.runs += 1
        run, at = f"run-{self.runs}", now.isoformat()
        spec = graph[asset]
        if kind == "fail":
            attempt = Materialization(run_id=run, asset=asset, partition=key, status="failed", started_at=at, ended_at=at,
                                      code_version=spec.code_version, error="boom", inputs=self.inputs(graph, asset, key, now))
        else:
            inputs = self.inputs(graph, asset, key, now)
            if kind == "old inputs" and inputs:
                first = sorted(inputs)[0]
                inputs[first] = {k: "older" for k in inputs[first]}
            code = f"{asset}-v0" if kind == "old code" else spec.code_version
            attempt = Materialization(run_id=run, asset=asset, partition=key, status="published", started_at=at, ended_at=at,
                                      code_version=code, data_version=f"{asset}[{key}]#{self.runs}", inputs=inputs, rows=1)
        self.catalog.record([attempt])

    def inputs(self, graph: AssetGraph, asset: str, key: str, now: datetime) -> dict[str, dict[str, str]]:
        """What a run would record reading the current versions (an unpublished one as "gone")."""
        snapshot, upstream_keys = self.catalog.snapshot(), UpstreamKeys(graph, now)
        found = {edge.upstream: {k: snapshot.version(edge.upstream, k) or "gone" for k in upstream_keys(edge, key)}
                 for edge in graph.edges_in[asset]}
        observed = snapshot.observed.get(asset, {}).get(key)
        if observed is not None:
            found[OBSERVED] = {key: observed}
        return found


def _rows(the_plan: Plan) -> tuple[Any, ...]:
    return ([(s.asset, s.key, s.reason, s.deps) for s in the_plan.steps],
            [(s.asset, s.key, s.reason) for s in the_plan.waiting], the_plan.retire)


def _same_as_a_full_recomputation(world: Catalogued, graph: AssetGraph, now: datetime) -> bool:
    reading = read_for_planning(world.project, graph, world.catalog, now, summaries=True)
    whole = live_snapshot(world.catalog)  # every partition, dead runs' leases as interruptions
    bound = graph.with_dynamic_keys(whole.dynamic_keys or {})
    order = bound.order
    assert _rows(plan(reading.graph, reading.snapshot, order, now)) == _rows(plan(bound, whole, order, now))
    every = statuses(bound, whole, order, now)
    assert statuses(reading.graph, reading.snapshot, order, now) == every
    for asset, counted in status_counts(reading.graph, reading.snapshot, order, now).items():  # status without --partitions
        rows = every[asset]
        assert counted.partitions == len(rows)
        assert {s: n for s, n in counted.counts.items() if n} == Counter(status for _, status, _ in rows)
        reasons = Counter(reason.cause for _, _, reason in rows if reason is not None)
        assert (counted.waiting, counted.upstream_stale) == (reasons[Cause.WAITING], reasons[Cause.UPSTREAM_PLANNED])
    for asset in order:
        assert reading.snapshot.recorded(asset) == whole.recorded(asset)  # what --partitions' limit counts
        assert _rows(plan(reading.graph, reading.snapshot, [asset], now)) == _rows(plan(bound, whole, [asset], now))
        assert (statuses(reading.graph, reading.snapshot, [asset], now)
                == statuses(bound, whole, [asset], now))
        for key in UpstreamKeys(bound, now).due(bound[asset].partitions):
            assert explain(reading.graph, reading.snapshot, asset, key, now) == explain(bound, whole, asset, key, now)
    assert reading.published == world.catalog.published_summary()
    assert reading.warned == world.catalog.warned_partitions()
    reading.save()
    return reading.incremental


@SETTINGS
@given(worlds(), st.lists(STEPS, min_size=1, max_size=12))
def test_incremental_plan_status_and_why_equal_a_full_recomputation(
    definitions: World, steps: list[tuple[str, int, int, str]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        world = Catalogued(Path(folder))
        now = START
        graph = definitions.graph()
        assert not _same_as_a_full_recomputation(world, graph, now)  # no verdict yet: read whole
        died = False  # a run died holding a partition: every read is whole while its lease stays
        for kind, which, index, variant in steps:
            names = graph.order
            asset = names[which % len(names)]
            keys = UpstreamKeys(graph, now).due(graph[asset].partitions)
            key = keys[index % len(keys)] if keys else None
            if kind in ("publish", "fail") and key is not None:
                world.record(graph, asset, key, now, variant if kind == "publish" else "fail")
            elif kind == "observe" and key is not None:
                world.catalog.record_observations([(asset, key, variant)], now.isoformat())
            elif kind == "code":
                definitions.code[asset] = definitions.code.get(asset, 1) + 1
            elif kind == "repartition" and definitions.partitions[asset] in (DAYS, LATER_DAYS):
                definitions.partitions[asset] = LATER_DAYS if definitions.partitions[asset] == DAYS else DAYS
                for down, ins in definitions.edges.items():  # a lookback reads within one definition only
                    definitions.edges[down] = [(up, None if isinstance(m, type(lookback(1))) and asset in (up, down) else m)
                                               for up, m in ins]
            elif kind == "time":
                now += timedelta(hours=index)
            elif kind == "die" and key is not None:
                world.catalog.acquire_leases([(asset, key)], f"dead-{index}", 1, "elsewhere", now.isoformat(),
                                             lambda lease: False, now.isoformat())
                died = True
            elif kind == "why one" and key is not None:  # a change, then `why` of a root judges only the root
                world.record(graph, asset, key, now, "fail" if index % 2 else "current")
                reading = read_for_planning(world.project, graph, world.catalog, now)
                root = graph.order[0]
                explain(reading.graph, reading.snapshot, root, (UpstreamKeys(graph, now).due(graph[root].partitions) or [""])[0], now)
                reading.save()  # the changed asset, not judged, is looked at again next time
            elif kind == "publish all":  # a plain materialize: every planned partition, upstream first
                for step in plan(graph, world.catalog.snapshot(), graph.order, now).steps:
                    world.record(graph, step.asset, step.key, now, "current")
            graph = definitions.graph()
            assert _same_as_a_full_recomputation(world, graph, now) is not died, f"read whole after {kind}"
        world.catalog.close()


def test_a_damaged_or_foreign_verdict_is_not_trusted(tmp_path: Path) -> None:
    """The verdict is a cache: edited, written for another catalog, or for a history this
    catalog does not hold (a backup restored), it is dropped and the catalog read whole."""
    world = Catalogued(tmp_path)
    graph = World({"orders": DAYS, "clean": DAYS}, {"orders": [], "clean": [("orders", None)]}).graph()
    world.record(graph, "orders", "2025-01-01", START, "current")
    assert not _same_as_a_full_recomputation(world, graph, START)
    assert _same_as_a_full_recomputation(world, graph, START)
    verdict = tmp_path / "verdict.json"
    good = verdict.read_text()
    assert "sqlite:///" not in good, "the catalog's URL (a password, for a server) is not written"
    verdict.write_text(good.replace('"clean"', '"cleam"', 1))
    assert not _same_as_a_full_recomputation(world, graph, START)
    world.project.config = replace_catalog(world.project.config, "sqlite:///elsewhere.db")
    assert not _same_as_a_full_recomputation(world, graph, START)
    assert _same_as_a_full_recomputation(world, graph, START)
    with world.catalog._transaction() as db:  # another history: the attempt at the mark is not the one it was
        db.execute("UPDATE materializations SET partition = '2025-01-02'")
    assert not _same_as_a_full_recomputation(world, graph, START)
    world.catalog.close()


def replace_catalog(config: Any, url: str) -> Any:
    return SimpleNamespace(**{**vars(config), "catalog": url})
