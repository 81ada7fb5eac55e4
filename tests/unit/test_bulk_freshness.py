"""The planner's bulk freshness check, mapping by mapping and trouble by trouble.

``scan.maybe_not_fresh`` decides, a whole column of keys at a time, which partitions the exact
per-key rules must look at. It may name a fresh partition, never miss one that is not fresh,
and on a fresh catalog it must name none (or a million-partition plan gets slow again).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from pathlib import Path

from assets_core.catalog.snapshot import CatalogSnapshot
from assets_core import (
    DailyPartitions,
    MonthlyPartitions,
    StaticMapping,
    StaticPartitions,
    WeeklyPartitions,
    asset,
    lookback,
    offset,
)
from assets_core.graph import AssetGraph, build_graph
from assets_core.partitions import keys_of
from assets_core.planning.plan import direct_reason
from assets_core.catalog.inputs import OBSERVED
from assets_core.planning.reads import Runs, UpstreamKeys
from assets_core.planning.bulk import CurrentVersions, maybe_not_fresh
from catalog_copy import through_a_catalog
from snapshot_helpers import fresh_snapshot, utc

NOW = utc(2025, 3, 10)
DAYS = DailyPartitions("2025-01-01")


def pair(up_partitions: object, down_partitions: object, mapping: object = None) -> AssetGraph:
    @asset(partitions=up_partitions, code_version="up-1")
    def up(): ...

    @asset(partitions=down_partitions, code_version="down-1", ins={"up": mapping} if mapping else None)
    def down(up): ...  # type: ignore[no-untyped-def]

    return build_graph([up, down])


GRAPHS = {
    "identity": pair(DAYS, DAYS),
    "lookback": pair(DAYS, DAYS, lookback(3)),
    "offset": pair(DAYS, DAYS, offset(-1)),
    "days of a month": pair(DAYS, MonthlyPartitions("2025-01-01")),
    "week of a day": pair(WeeklyPartitions("2024-12-30"), DAYS),
    "all days": pair(DAYS, None),
    "static map": pair(
        StaticPartitions(["a", "b", "c"]), StaticPartitions(["x", "y"]), StaticMapping({"x": ["c", "a"], "y": "b"})
    ),
    # Keys not in the order the catalog reads them: its columns are taken key by key.
    "static, not sorted": pair(StaticPartitions(["c", "a", "b"]), StaticPartitions(["c", "a", "b"])),
}


def bulk(graph: AssetGraph, snapshot: CatalogSnapshot, name: str = "down", now: datetime = NOW) -> set[str]:
    keys = keys_of(graph[name].partitions, now)
    return maybe_not_fresh(graph, snapshot, name, keys, UpstreamKeys(graph, now), CurrentVersions(snapshot))


def not_fresh(graph: AssetGraph, snapshot: CatalogSnapshot, name: str = "down", now: datetime = NOW) -> set[str]:
    upstream_keys = UpstreamKeys(graph, now)
    keys = keys_of(graph[name].partitions, now)
    return {k for k in keys if direct_reason(graph, snapshot, name, k, upstream_keys) is not None}


def middle_key(graph: AssetGraph) -> str:
    keys = keys_of(graph["down"].partitions, NOW)
    return keys[len(keys) // 2]


def recorded(snapshot: CatalogSnapshot, key: str) -> dict[str, str]:
    inputs = snapshot.partitions["down"][key].inputs
    assert inputs is not None
    return inputs["up"]


def change_a_version(snapshot: CatalogSnapshot, key: str) -> None:
    read = recorded(snapshot, key)
    read[sorted(read)[0]] = "an older version"


def add_a_key_not_read(snapshot: CatalogSnapshot, key: str) -> None:
    recorded(snapshot, key)["1999-01-01"] = "long gone"


def drop_a_key_read(snapshot: CatalogSnapshot, key: str) -> None:
    read = recorded(snapshot, key)
    del read[sorted(read)[-1]]


def drop_the_record(snapshot: CatalogSnapshot, key: str) -> None:
    del snapshot.partitions["down"][key].inputs["up"]  # type: ignore[index]


def change_the_code(snapshot: CatalogSnapshot, key: str) -> None:
    snapshot.partitions["down"][key].code_version = "down-0"


def fail_the_last_attempt(snapshot: CatalogSnapshot, key: str) -> None:
    snapshot.partitions["down"][key].last_status = "failed"


def lose_the_data_version(snapshot: CatalogSnapshot, key: str) -> None:
    snapshot.partitions["down"][key].data_version = None


def interrupt(snapshot: CatalogSnapshot, key: str) -> None:
    snapshot.interrupted = frozenset({("down", key)})


def observe_a_new_source_version(snapshot: CatalogSnapshot, key: str) -> None:
    snapshot.observed = {"down": {key: "observed-2"}}


def forget(snapshot: CatalogSnapshot, key: str) -> None:
    del snapshot.partitions["down"][key]


TROUBLES: list[Callable[[CatalogSnapshot, str], None]] = [
    change_a_version, add_a_key_not_read, drop_a_key_read, drop_the_record, change_the_code,
    fail_the_last_attempt, lose_the_data_version, interrupt, observe_a_new_source_version, forget,
]


@pytest.fixture(params=["in memory", "read from the catalog"])
def loaded(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[CatalogSnapshot], CatalogSnapshot]:
    if request.param == "in memory":
        return lambda snapshot: snapshot
    return lambda snapshot: through_a_catalog(snapshot, tmp_path / "catalog.db")


@pytest.mark.parametrize("name", GRAPHS)
def test_a_fresh_catalog_needs_no_closer_look(name: str, loaded: Callable[[CatalogSnapshot], CatalogSnapshot]) -> None:
    graph = GRAPHS[name]
    snapshot = loaded(fresh_snapshot(graph, NOW))
    assert not_fresh(graph, snapshot) == set()
    assert bulk(graph, snapshot) == set()


@pytest.mark.parametrize("trouble", TROUBLES, ids=lambda t: t.__name__)
@pytest.mark.parametrize("name", GRAPHS)
def test_a_partition_in_trouble_is_never_missed(
    name: str, trouble: Callable[[CatalogSnapshot, str], None], loaded: Callable[[CatalogSnapshot], CatalogSnapshot]
) -> None:
    graph = GRAPHS[name]
    snapshot = fresh_snapshot(graph, NOW)
    key = middle_key(graph)
    if trouble in (change_a_version, drop_a_key_read) and not recorded(snapshot, key):
        pytest.skip("it reads nothing")  # offset(-1) of the first day only: never the middle key
    trouble(snapshot, key)
    snapshot = loaded(snapshot)
    assert not_fresh(graph, snapshot) == {key}
    assert key in bulk(graph, snapshot)


@pytest.mark.parametrize("name", GRAPHS)
def test_a_republished_upstream_partition_names_exactly_its_readers(
    name: str, loaded: Callable[[CatalogSnapshot], CatalogSnapshot]
) -> None:
    graph = GRAPHS[name]
    snapshot = fresh_snapshot(graph, NOW)
    up_keys = keys_of(graph["up"].partitions, NOW)
    changed = up_keys[len(up_keys) // 2]
    snapshot.partitions["up"][changed].data_version = "republished"
    snapshot = loaded(snapshot)
    readers = not_fresh(graph, snapshot)
    assert readers  # every mapping here reads the middle upstream partition from somewhere
    assert bulk(graph, snapshot) == readers


def test_recorded_source_version_that_matches_the_observed_one_is_fresh(
    loaded: Callable[[CatalogSnapshot], CatalogSnapshot]
) -> None:
    graph = GRAPHS["identity"]
    snapshot = fresh_snapshot(graph, NOW)
    key = middle_key(graph)
    snapshot.partitions["down"][key].inputs[OBSERVED] = {key: "observed-2"}  # type: ignore[index]
    snapshot.observed = {"down": {key: "observed-2"}}
    snapshot = loaded(snapshot)
    assert not_fresh(graph, snapshot) == set()
    assert bulk(graph, snapshot) == set()


@pytest.mark.parametrize("name", GRAPHS)
def test_days_that_came_due_since_are_all_that_needs_a_closer_look(
    name: str, loaded: Callable[[CatalogSnapshot], CatalogSnapshot]
) -> None:
    """The catalog's columns hold all due keys but the newest: they are compared as read,
    and only what has no state yet, or reads what has none, is named."""
    graph = GRAPHS[name]
    snapshot = loaded(fresh_snapshot(graph, NOW))
    later = NOW + timedelta(days=3)
    assert bulk(graph, snapshot, now=later) == not_fresh(graph, snapshot, now=later)


@pytest.mark.parametrize(("firsts", "lasts", "due", "sliding"), [
    ([0, 0, 0, 1, 2, 3], [0, 1, 2, 3, 4, 5], 6, (2, 3)),  # a lookback of 2: slides once it reads 3 keys
    ([6, 0, 1, 2, 3, 4], [6, 0, 1, 2, 3, 4], 6, (1, 1)),  # the previous key; the first reads nothing
    ([0, 0, 0, 1, 1, 1], [0, 0, 0, 1, 1, 1], 2, None),  # days of a week: the same run for several keys
    ([0, 1, 2, 3, 3], [0, 1, 2, 3, 3], 3, None),  # the last keys read nothing (position 3 of 3 due)
    ([0], [0], 1, None),  # one key: nothing to gain
])
def test_runs_slide_from_where_each_key_reads_one_key_further(
    firsts: list[int], lasts: list[int], due: int, sliding: tuple[int, int] | None
) -> None:
    assert Runs(firsts, lasts, due).sliding == sliding
