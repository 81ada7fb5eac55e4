"""``row_history`` walks back from a key instead of sorting every published key for every step
of a run: over generated definitions and snapshots (gaps, unpublished partitions, published
ones without a row count) it answers what the sorting version answered."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from assets_core import DailyPartitions, DynamicPartitions, MultiPartitions, StaticPartitions, asset, row_count_change
from assets_core.catalog import CatalogSnapshot, PartitionState
from assets_core.execution.row_history import row_history
from assets_core.graph import AssetGraph, build_graph
from assets_core.partitions import PartitionsDefinition

PROPS = settings(max_examples=150, deadline=None, database=None)


def one_asset(definition: PartitionsDefinition, lookback: int) -> AssetGraph:
    """The graph of ``orders``, partitioned by ``definition``, checked against ``lookback`` predecessors."""
    def orders() -> pl.DataFrame:
        return pl.DataFrame()

    return build_graph([asset(partitions=definition, checks=[row_count_change(max_pct=10, lookback=lookback)])(orders)])


def sorting_row_history(snapshot: CatalogSnapshot, graph: AssetGraph, name: str, key: str) -> tuple[int, ...]:
    """The version this replaced: every published key sorted, for every call."""
    spec = graph[name]
    needed = max((getattr(c, "history_needed", 0) for c in spec.checks), default=0)
    if not needed or spec.partitions is None:
        return ()
    states = snapshot.partitions.get(name, {})
    published = spec.partitions.sort_keys(k for k, s in states.items() if s.is_published and s.rows is not None)
    position = spec.partitions.index_of(key)
    earlier = [k for k in published if (spec.partitions.index_of(k) or 0) < (position or 0)]
    return tuple(states[k].rows or 0 for k in earlier[-needed:])


def definitions() -> st.SearchStrategy[PartitionsDefinition]:
    days = st.integers(1, 200).map(lambda n: DailyPartitions(start="2025-01-01", end=f"{_day(n)}"))
    static = st.integers(1, 90).map(lambda n: StaticPartitions([f"k{i:03d}" for i in range(n)]))

    def dynamic(n: int) -> DynamicPartitions:
        return DynamicPartitions("stores", [f"s{(i * 37) % 101:03d}" for i in range(n)])  # not in key order

    multi = st.integers(1, 60).map(lambda n: MultiPartitions(
        date=DailyPartitions(start="2025-01-01", end=_day(n)), region=StaticPartitions(["eu", "us"])))
    open_inner = st.just(MultiPartitions(  # later dimension without end: positions leave gaps
        region=StaticPartitions(["eu", "us"]), date=DailyPartitions(start="2025-01-01")))
    return st.one_of(days, static, st.integers(1, 90).map(dynamic), multi, open_inner)


def _day(n: int) -> str:
    from datetime import date, timedelta

    return (date(2025, 1, 1) + timedelta(days=n)).isoformat()


STATE = st.sampled_from(["absent", "published", "published", "published", "no rows", "failed", "zero rows"])


@st.composite
def cases(draw: st.DrawFn) -> tuple[CatalogSnapshot, AssetGraph, list[str]]:
    definition = draw(definitions())
    lookback = draw(st.integers(1, 12))

    graph = one_asset(definition, lookback)
    keys = definition.keys(None) if definition.size() is not None else _open_keys(definition)
    density = draw(st.sampled_from([0.02, 0.2, 0.6, 1.0]))
    snapshot = CatalogSnapshot()
    states: dict[str, PartitionState] = {}
    for i, key in enumerate(keys):
        kind = draw(STATE) if draw(st.floats(0, 1)) < density else "absent"
        if kind == "published":
            states[key] = PartitionState(data_version=f"v{i}", rows=100 + i, last_status="published")
        elif kind == "zero rows":
            states[key] = PartitionState(data_version=f"v{i}", rows=0, last_status="published")
        elif kind == "no rows":
            states[key] = PartitionState(data_version=f"v{i}", rows=None, last_status="published")
        elif kind == "failed":
            states[key] = PartitionState(rows=None, last_status="failed")
    snapshot.partitions["orders"] = states
    return snapshot, graph, keys


def _open_keys(definition: MultiPartitions) -> list[str]:  # type: ignore[valid-type]
    return [f"{region}|{_day(d)}" for region in ("eu", "us") for d in range(40)]


@PROPS
@given(cases())
def test_row_history_answers_what_sorting_every_published_key_answered(
    case: tuple[CatalogSnapshot, AssetGraph, list[str]],
) -> None:
    snapshot, graph, keys = case
    for key in keys:
        assert row_history(snapshot, graph, "orders", key) == sorting_row_history(snapshot, graph, "orders", key), key


def test_a_partition_published_earlier_in_the_run_is_history() -> None:
    """The run puts what it publishes in its snapshot; the next step's history holds it."""
    graph = one_asset(DailyPartitions(start="2025-01-01", end="2025-03-01"), 3)
    snapshot = CatalogSnapshot()
    assert row_history(snapshot, graph, "orders", "2025-02-01") == ()
    snapshot.partitions.setdefault("orders", {})["2025-01-02"] = PartitionState(data_version="v", rows=7)
    assert row_history(snapshot, graph, "orders", "2025-02-01") == (7,)
    snapshot.partitions["orders"]["2025-01-31"] = PartitionState(data_version="w", rows=9)
    assert row_history(snapshot, graph, "orders", "2025-02-01") == (7, 9)


def test_a_key_the_definition_no_longer_holds_is_not_history() -> None:
    """A removed dynamic key's old partition is not a predecessor of any key (the sorting
    version counted it as the newest, since a key without a position sorted last)."""
    stores = DynamicPartitions("stores", ["a", "b", "c"])
    graph = one_asset(stores, 5)
    snapshot = CatalogSnapshot()
    snapshot.partitions["orders"] = {k: PartitionState(data_version=k, rows=n) for k, n in
                                     [("a", 1), ("b", 2), ("removed", 99)]}
    assert row_history(snapshot, graph, "orders", "c") == (1, 2)
    assert sorting_row_history(snapshot, graph, "orders", "c") == (1, 2, 99)
