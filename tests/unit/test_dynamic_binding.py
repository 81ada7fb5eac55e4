"""Dynamic partition keys come with the catalog's snapshot: a graph bound to them is a new
graph; the definitions the user declared never change."""

from __future__ import annotations

import pytest

from assets_core import DailyPartitions, DynamicPartitions, MultiPartitions, PartitionError
from assets_core.definitions.specs import AssetInput, AssetSpec
from assets_core.graph import build_graph


def spec(name: str, partitions: object, *inputs: str) -> AssetSpec:
    return AssetSpec(name=name, kind="python", inputs=tuple(AssetInput(i, i, "polars", None) for i in inputs),
                     code_version=name, partitions=partitions)  # type: ignore[arg-type]


def test_a_bound_graph_holds_the_keys_and_the_declared_one_is_unchanged() -> None:
    stores = DynamicPartitions("stores")
    by_day = MultiPartitions(date=DailyPartitions("2025-01-01"), store=DynamicPartitions("stores"))
    graph = build_graph([spec("sales", stores), spec("daily", by_day), spec("total", None, "sales")])
    bound = graph.with_dynamic_keys({"stores": ["s1", "s2"]})
    assert bound is not graph and bound.order == graph.order
    assert bound["sales"].partitions.keys() == ["s1", "s2"]  # type: ignore[union-attr]
    assert bound["daily"].partitions.dimension("store").keys() == ["s1", "s2"]  # type: ignore[union-attr]
    assert stores.keys() == [] and by_day.dimension("store").keys() == []
    assert [e.upstream for e in bound.edges_in["total"]] == ["sales"]
    assert bound.with_dynamic_keys({"stores": ["s1", "s2"]}) is bound  # nothing to change
    assert graph.with_dynamic_keys({}) is graph


def test_a_graph_without_dynamic_partitions_is_its_own_binding() -> None:
    graph = build_graph([spec("a", DailyPartitions("2025-01-01"))])
    assert graph.with_dynamic_keys({"stores": ["s1"]}) is graph


def test_bad_keys_from_the_catalog_are_a_partition_error() -> None:
    with pytest.raises(PartitionError, match="'s1' is listed twice"):
        DynamicPartitions("stores").with_keys(["s1", "s1"])


def test_the_planner_takes_dynamic_keys_from_the_snapshot() -> None:
    from datetime import datetime, timezone

    from assets_core.catalog.snapshot import CatalogSnapshot
    from assets_core.planning import plan, statuses

    graph = build_graph([spec("sales", DynamicPartitions("stores"))])  # as declared: no keys
    snapshot = CatalogSnapshot(dynamic_keys={"stores": ["s2", "s1"]})
    now = datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert [(s.asset, s.key) for s in plan(graph, snapshot, ["sales"], now).steps] == [("sales", "s2"), ("sales", "s1")]
    assert [(k, status) for k, status, _ in statuses(graph, snapshot, ["sales"], now)["sales"]] == [
        ("s2", "missing"), ("s1", "missing")]
