"""Column lineage across assets (reports/columns.py): upstream to the sources and downstream to
every reader, through SQL, declared and inferred edges; a reader whose lineage has gaps says so."""

from __future__ import annotations

from typing import Any

import pytest

from assets_core import DailyPartitions, asset, offset, sql_asset
from assets_core.errors import SelectionError
from assets_core.graph import build_graph
from assets_core.reports.columns import (
    ColumnIndex,
    ColumnNode,
    columns_report,
    schemas_of,
    trace,
)

DAYS = DailyPartitions("2025-01-01", "2025-01-05")


@asset(partitions=DAYS)
def raw():  # type: ignore[no-untyped-def]
    ...


@asset(partitions=DAYS)
def clean(raw):  # type: ignore[no-untyped-def]
    return raw


@sql_asset(partitions=DAYS)
def revenue() -> str:
    return "SELECT customer, sum(amount) AS revenue FROM clean WHERE amount > 0 GROUP BY customer"


@asset(column_lineage={"best": ["revenue.customer"], "total": ["revenue.revenue"]})
def leaders(revenue):  # type: ignore[no-untyped-def]
    return revenue


@asset
def opaque(clean):  # type: ignore[no-untyped-def]
    return clean


@asset(partitions=DAYS, ins={"running": offset(-1)})
def running(clean, running):  # type: ignore[no-untyped-def]
    return clean


ORDERS = {"order_id": "Int64", "customer": "String", "amount": "Float64"}
SCHEMAS = {
    "raw": ORDERS, "clean": ORDERS, "revenue": {"customer": "String", "revenue": "Float64"},
    "leaders": {"best": "String", "total": "Float64"}, "running": {"amount": "Float64"},
}


@pytest.fixture
def index() -> ColumnIndex:
    return ColumnIndex(build_graph([raw, clean, revenue, leaders, opaque, running]), SCHEMAS)


def flat(node: ColumnNode, depth: int = 0) -> list[tuple[int, str, Any, Any]]:
    rows = [(depth, f"{node.asset}.{node.column}", node.kind, node.how)]
    for child in node.children:
        rows += flat(child, depth + 1)
    return rows


def test_upstream_follows_sql_declared_and_inferred_edges_to_the_source(index: ColumnIndex) -> None:
    assert flat(trace(index, "leaders", "total", "upstream")) == [
        (0, "leaders.total", None, None),
        (1, "revenue.revenue", "direct", "declared"),
        (2, "clean.amount", "direct", "sql"),
        (3, "raw.amount", "direct", "inferred"),
        (2, "clean.customer", "indirect", "sql"),
        (3, "raw.customer", "direct", "inferred"),
    ]


def test_downstream_lists_every_reader_and_the_gaps_of_those_it_cannot_follow(index: ColumnIndex) -> None:
    tree = trace(index, "clean", "amount", "downstream")
    assert flat(tree) == [
        (0, "clean.amount", None, None),
        (1, "revenue.customer", "indirect", "sql"),  # WHERE amount > 0 decides which customers there are
        (2, "leaders.best", "direct", "declared"),
        (1, "revenue.revenue", "direct", "sql"),  # it filters too: the direct edge says more, listed once
        (2, "leaders.total", "direct", "declared"),
        (1, "running.amount", "direct", "inferred"),
    ]
    # opaque has no recorded schema: whatever it derives from clean.amount is not known, and said
    assert tree.unresolved == (
        ("opaque reads clean, and 'opaque' has no recorded schema yet: materialize it to infer its pass-through "
         "columns, or declare column_lineage= on its decorator."),
    )


def test_an_asset_reading_its_own_past_is_not_followed_forever(index: ColumnIndex) -> None:
    # running reads clean and its own previous day: the column it passes through is clean's
    assert flat(trace(index, "running", "amount", "upstream")) == [
        (0, "running.amount", None, None), (1, "clean.amount", "direct", "inferred"), (2, "raw.amount", "direct", "inferred"),
    ]
    alone = ColumnIndex(index.graph, {"running": {"amount": "Float64"}})
    assert [(e.asset, e.column) for e in alone.of("running").columns["amount"]] == [("running", "amount")]
    assert flat(trace(alone, "running", "amount", "upstream")) == [(0, "running.amount", None, None)]
    assert flat(trace(alone, "running", "amount", "downstream")) == [(0, "running.amount", None, None)]


def test_an_unknown_column_is_one_line_with_the_closest(index: ColumnIndex) -> None:
    with pytest.raises(SelectionError, match=r"^Asset 'revenue' has no column 'revnue'. Did you mean 'revenue'\?$"):
        index.require("revenue", "revnue")
    with pytest.raises(SelectionError, match=r"Its columns: customer, revenue.$"):
        index.require("revenue", "zzz")
    with pytest.raises(SelectionError, match="The columns of 'opaque' are not known yet: `assets materialize opaque`"):
        index.require("opaque", "x")
    with pytest.raises(SelectionError, match="No asset is named 'revenu'. Did you mean 'revenue'?"):
        index.require("revenu", "x")


def test_each_asset_is_computed_once_and_only_when_asked(index: ColumnIndex) -> None:
    trace(index, "clean", "customer", "upstream")
    assert set(index._lineage) == {"clean", "raw"}
    first = index.of("clean")
    assert index.of("clean") is first


def test_the_report_carries_each_recorded_type(index: ColumnIndex) -> None:
    report = columns_report(index, "revenue")
    assert [(c["column"], c["type"]) for c in report["columns"]] == [("customer", "String"), ("revenue", "Float64")]
    assert report["columns"][1]["upstream"] == [
        {"asset": "clean", "column": "amount", "kind": "direct", "how": "sql", "via": ["aggregation"]},
        {"asset": "clean", "column": "customer", "kind": "indirect", "how": "sql", "via": ["group_by"]},
    ]


def test_schemas_of_reads_the_catalog_records() -> None:
    from assets_core.catalog import ColumnRecord

    latest = {"clean": (ColumnRecord(name="id", type="Int64", nullable=True),)}
    assert schemas_of(latest) == {"clean": {"id": "Int64"}}
