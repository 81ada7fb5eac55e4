"""The asset graph built from real @asset / @sql_asset specs: validation, order, selection."""

from __future__ import annotations

import re

import polars as pl
import pytest

from assets_core import (
    AllPartitionsMapping,
    DailyPartitions,
    DefinitionError,
    IdentityMapping,
    MonthlyPartitions,
    StaticPartitions,
    asset,
    sql_asset,
)
from assets_core.errors import SelectionError, UsageError
from assets_core.graph import AssetGraph, build_graph, select, selection_expression

DAILY = DailyPartitions("2025-01-01")


def problems_of(specs) -> list[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(DefinitionError) as raised:
        build_graph(specs)
    assert str(raised.value) == "\n".join(raised.value.problems)
    return raised.value.problems


# -- a small project used by the selection tests -----------------------------------------


def sales_graph() -> AssetGraph:
    @asset(partitions=DAILY, group="sales", tags=["raw"])
    def raw_orders() -> pl.DataFrame: ...

    @asset(group="crm", tags=["raw"])
    def raw_customers() -> pl.DataFrame: ...

    @asset(partitions=DAILY, group="sales", tags=["finance"])
    def clean_orders(raw_orders: pl.DataFrame) -> pl.DataFrame: ...

    @asset(group="crm")
    def clean_customers(raw_customers: pl.LazyFrame) -> pl.LazyFrame: ...

    @sql_asset(partitions=DAILY, group="sales", tags=["finance", "daily"])
    def daily_revenue() -> str:
        return """
            WITH joined AS (SELECT * FROM clean_orders o JOIN clean_customers c USING (customer_id))
            SELECT day, sum(amount) AS revenue FROM joined WHERE day >= $start AND day < $end GROUP BY day
        """

    @asset(group="reporting")
    def report(daily_revenue: pl.DataFrame) -> pl.DataFrame: ...

    return build_graph([report, daily_revenue, clean_customers, clean_orders, raw_customers, raw_orders])


ALL = {"raw_orders", "raw_customers", "clean_orders", "clean_customers", "daily_revenue", "report"}


# -- building ----------------------------------------------------------------------------


def test_graph_is_in_topological_order_with_ties_broken_by_name() -> None:
    graph = sales_graph()
    assert graph.order == ["raw_customers", "clean_customers", "raw_orders", "clean_orders", "daily_revenue", "report"]
    for name in graph.order:
        for edge in graph.edges_in[name]:
            assert graph.position[edge.upstream] < graph.position[name]


def test_sql_asset_reads_the_tables_of_its_query_but_not_its_ctes() -> None:
    graph = sales_graph()
    spec = graph["daily_revenue"]
    assert spec.kind == "sql"
    assert set(spec.upstream) == {"clean_orders", "clean_customers"}
    assert set(spec.sql_params) == {"start", "end"}
    assert {e.upstream for e in graph.edges_in["daily_revenue"]} == {"clean_orders", "clean_customers"}


def test_parameters_name_inputs_and_annotations_pick_their_type() -> None:
    graph = sales_graph()
    assert graph["clean_orders"].inputs[0].asset == "raw_orders"
    assert graph["clean_orders"].inputs[0].type == "polars"
    assert graph["clean_customers"].inputs[0].type == "lazy"


def test_default_edges_are_identity_for_equal_partitions_and_all_otherwise() -> None:
    graph = sales_graph()
    [orders_edge] = graph.edges_in["clean_orders"]
    assert isinstance(orders_edge.mapping, IdentityMapping)
    mappings = {e.upstream: e.mapping for e in graph.edges_in["daily_revenue"]}
    assert isinstance(mappings["clean_orders"], IdentityMapping)
    assert isinstance(mappings["clean_customers"], AllPartitionsMapping)
    assert [e.downstream for e in graph.edges_out["raw_orders"]] == ["clean_orders"]


def test_explicit_mapping_in_ins_is_kept() -> None:
    @asset(partitions=DAILY)
    def events() -> pl.DataFrame: ...

    @asset(partitions=DAILY, ins={"events": AllPartitionsMapping()})
    def running_total(events: pl.DataFrame) -> pl.DataFrame: ...

    graph = build_graph([events, running_total])
    assert isinstance(graph.edges_in["running_total"][0].mapping, AllPartitionsMapping)


def test_context_parameter_is_not_an_input() -> None:
    @asset
    def orders(): ...

    @asset
    def summary(context, orders): ...  # type: ignore[no-untyped-def]

    graph = build_graph([orders, summary])
    assert graph["summary"].upstream == ("orders",)
    assert graph["summary"].wants_context


# -- definition errors -------------------------------------------------------------------


def test_cycle_error_prints_the_path() -> None:
    @asset
    def a(b): ...  # type: ignore[no-untyped-def]

    @asset
    def b(a): ...  # type: ignore[no-untyped-def]

    assert problems_of([a, b]) == ["Cycle in the asset graph: a -> b -> a. Remove one of these inputs."]


def test_longer_cycle_is_printed_in_data_flow_order_and_leaves_out_bystanders() -> None:
    @asset
    def a(c): ...  # type: ignore[no-untyped-def]

    @asset
    def b(a): ...  # type: ignore[no-untyped-def]

    @asset
    def c(b): ...  # type: ignore[no-untyped-def]

    @asset
    def reader(b): ...  # type: ignore[no-untyped-def]

    @asset
    def source(): ...

    with pytest.raises(DefinitionError, match=re.escape("Cycle in the asset graph: a -> b -> c -> a.")):
        build_graph([reader, a, b, c, source])


def test_asset_reading_itself_is_named() -> None:
    @asset
    def orders(orders): ...  # type: ignore[no-untyped-def]

    assert problems_of([orders]) == [
        "Asset 'orders' reads itself: to read its own earlier partitions, map the input with "
        "ins={'orders': offset(-1)}; otherwise remove input 'orders'."
    ]


def test_an_asset_may_read_its_own_previous_partition() -> None:
    from assets_core import offset

    @asset(partitions=DAILY, ins={"balance": offset(-1)})
    def balance(balance, payments): ...  # type: ignore[no-untyped-def]

    @asset(partitions=DAILY)
    def payments(): ...

    graph = build_graph([balance, payments])
    assert graph.order == ["payments", "balance"]
    assert {e.upstream for e in graph.edges_in["balance"]} == {"balance", "payments"}

    @asset(partitions=DAILY, ins={"later": offset(1)})
    def later(later): ...  # type: ignore[no-untyped-def]

    assert "reads itself" in problems_of([later])[0]


def test_unknown_input_suggests_the_closest_name() -> None:
    @asset
    def orders(): ...

    @asset
    def daily_revenue(ordrs): ...  # type: ignore[no-untyped-def]

    with pytest.raises(DefinitionError, match="Did you mean 'orders'"):
        build_graph([orders, daily_revenue])
    assert problems_of([orders, daily_revenue]) == [
        "Asset 'daily_revenue' reads 'ordrs', which no asset defines. Did you mean 'orders'?"
    ]


def test_unknown_input_with_nothing_close_says_how_to_fix_it() -> None:
    @asset
    def orders(): ...

    @asset
    def revenue(zzzz): ...  # type: ignore[no-untyped-def]

    [problem] = problems_of([orders, revenue])
    assert problem == "Asset 'revenue' reads 'zzzz', which no asset defines. Define it, or rename the parameter."


def test_unknown_table_of_a_sql_asset_is_an_unknown_input() -> None:
    @asset
    def orders(): ...

    @sql_asset
    def revenue() -> str:
        return "SELECT sum(amount) FROM order"

    [problem] = problems_of([orders, revenue])
    assert problem.startswith("Asset 'revenue' reads 'order', which no asset defines. Did you mean 'orders'?")


def test_duplicate_asset_names_name_both_definitions() -> None:
    @asset(name="orders")
    def first(): ...

    @asset(name="orders")
    def second(): ...

    [problem] = problems_of([first, second])
    assert problem.startswith("Two assets are named 'orders' (")
    assert problem.endswith("): rename one.")
    assert first.source in problem and second.source in problem
    assert first.source != second.source


def test_unsupported_return_annotation_names_the_asset_and_the_type() -> None:
    @asset
    def orders() -> dict:  # type: ignore[type-arg]
        return {}

    [problem] = problems_of([orders])
    assert problem.startswith("Asset 'orders' is annotated to return dict: ")
    assert "polars DataFrame" in problem


@pytest.mark.parametrize("annotation", ["int", "pandas.DataFrame | None", "list[str]", "pd.Series"])
def test_other_unsupported_return_annotations_are_definition_errors(annotation: str) -> None:
    def orders(): ...  # type: ignore[no-untyped-def]

    orders.__annotations__["return"] = annotation
    spec = asset(orders)
    [problem] = problems_of([spec])
    assert problem.startswith("Asset 'orders' is annotated to return ")


@pytest.mark.parametrize("annotation", ["pl.DataFrame", "polars.LazyFrame", "pa.Table", "duckdb.DuckDBPyRelation"])
def test_supported_return_annotations_are_accepted(annotation: str) -> None:
    def orders(): ...  # type: ignore[no-untyped-def]

    orders.__annotations__["return"] = annotation
    assert build_graph([asset(orders)]).order == ["orders"]


def test_all_problems_are_reported_together() -> None:
    @asset
    def orders(): ...

    @asset(name="orders")
    def orders_again(): ...

    @asset
    def revenue(ordrs) -> dict: ...  # type: ignore[no-untyped-def,type-arg]

    @asset(name="bad-name", io="csv")  # type: ignore[arg-type]
    def weird(): ...

    @asset(ins={"customers": IdentityMapping()})
    def report(revenue, *extra): ...  # type: ignore[no-untyped-def]

    @sql_asset
    def dropper() -> str:
        return "DROP TABLE orders"

    problems = problems_of([orders, orders_again, revenue, weird, report, dropper])
    assert any(p.startswith("Two assets are named 'orders'") for p in problems)
    assert "Asset 'revenue' reads 'ordrs', which no asset defines. Did you mean 'orders'?" in problems
    assert any(p.startswith("Asset 'revenue' is annotated to return dict") for p in problems)
    assert any(p.startswith("Asset name 'bad-name' is not an identifier") for p in problems)
    assert "Asset 'bad-name' has io='csv': use 'parquet' or 'duckdb'." in problems
    assert "Asset 'report' takes *extra: name each upstream asset as a parameter." in problems
    assert "Asset 'report' maps input 'customers' in ins=, but has no such parameter." in problems
    assert any("found DROP" in p for p in problems)
    assert len(problems) == 8


def test_cycle_is_reported_together_with_other_problems() -> None:
    @asset
    def a(b): ...  # type: ignore[no-untyped-def]

    @asset
    def b(a): ...  # type: ignore[no-untyped-def]

    @asset
    def c(ordrs): ...  # type: ignore[no-untyped-def]

    @asset
    def orders(): ...

    problems = problems_of([a, b, c, orders])
    assert "Asset 'c' reads 'ordrs', which no asset defines. Did you mean 'orders'?" in problems
    assert "Cycle in the asset graph: a -> b -> a. Remove one of these inputs." in problems


def test_identity_mapping_between_different_partitions_is_a_definition_error() -> None:
    # DESIGN: the graph is validated so that "mappings fit the partitions". A daily asset
    # cannot be read key-for-key by a monthly one ('2025-01' is not a daily key).
    @asset(partitions=DAILY)
    def events() -> pl.DataFrame: ...

    @asset(partitions=MonthlyPartitions("2025-01-01"), ins={"events": IdentityMapping()})
    def monthly_events(events: pl.DataFrame) -> pl.DataFrame: ...

    with pytest.raises(DefinitionError, match="monthly_events"):
        build_graph([events, monthly_events])


# -- selection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        (None, ALL),
        ("", ALL),
        ("   ", ALL),
        ("clean_orders", {"clean_orders"}),
        ("clean_*", {"clean_orders", "clean_customers"}),
        ("*_orders", {"raw_orders", "clean_orders"}),
        ("clean_order?", {"clean_orders"}),  # globs go through fnmatch, plain names are looked up
        ("[r]aw_*", {"raw_orders", "raw_customers"}),
        ("+daily_revenue", {"daily_revenue", "clean_orders", "clean_customers", "raw_orders", "raw_customers"}),
        ("1+daily_revenue", {"daily_revenue", "clean_orders", "clean_customers"}),
        ("2+report", {"report", "daily_revenue", "clean_orders", "clean_customers"}),
        ("raw_orders+", {"raw_orders", "clean_orders", "daily_revenue", "report"}),
        ("raw_orders+1", {"raw_orders", "clean_orders"}),
        ("+clean_orders+", {"raw_orders", "clean_orders", "daily_revenue", "report"}),
        ("group:crm", {"raw_customers", "clean_customers"}),
        ("tag:finance", {"clean_orders", "daily_revenue"}),
        ("tag:raw+1", {"raw_orders", "raw_customers", "clean_orders", "clean_customers"}),
        ("raw_orders clean_customers", {"raw_orders", "clean_customers"}),
        ("raw_orders  report", {"raw_orders", "report"}),
        ("+daily_revenue,group:crm", {"raw_customers", "clean_customers"}),
        ("+report,tag:finance", {"clean_orders", "daily_revenue"}),
        ("group:sales,tag:raw group:reporting", {"raw_orders", "report"}),
        # @name: the name, its descendants, and every ancestor of those (dbt): what a rebuild
        # of clean_customers needs, clean_orders included, which +clean_customers+ leaves out.
        ("@clean_customers", ALL),
        ("@daily_revenue", ALL),
        ("@tag:finance,group:sales", {"raw_orders", "clean_orders", "daily_revenue"}),
        ("@clean_customers,group:crm", {"raw_customers", "clean_customers"}),
        # --exclude removes its own selection (with its graph operators) from the result
        ("--exclude report", ALL - {"report"}),
        ("group:sales --exclude daily_revenue+", {"raw_orders", "clean_orders"}),
        ("@clean_customers --exclude +clean_orders group:reporting", {"raw_customers", "clean_customers", "daily_revenue"}),
        ("raw_orders clean_orders --exclude tag:finance,group:sales", {"raw_orders"}),
    ],
)
def test_selection_grammar(expression: str | None, expected: set[str]) -> None:
    assert select(sales_graph(), expression) == expected


@pytest.mark.parametrize(
    ("expressions", "exclude", "expected"),
    [
        (["raw_orders", "report"], None, {"raw_orders", "report"}),  # -s a -s b: a union
        (["raw_orders report", "clean_orders"], None, {"raw_orders", "report", "clean_orders"}),
        (["group:sales"], ["daily_revenue", "tag:raw"], {"clean_orders"}),
        (None, ["group:sales", "group:crm"], {"report"}),
        ([], None, ALL),
    ],
)
def test_selection_expression_joins_repeated_selects_and_excludes(
    expressions: list[str] | None, exclude: list[str] | None, expected: set[str]
) -> None:
    assert select(sales_graph(), selection_expression(expressions, exclude)) == expected


def test_selection_expression_is_none_without_select_or_exclude() -> None:
    assert selection_expression(None, None) is None
    assert selection_expression(["a", "b"], ["c"]) == "a b --exclude c"


def test_an_empty_intersection_matches_nothing() -> None:
    message = "Selection 'group:crm,tag:finance' matches nothing: no asset is in every one of group:crm, tag:finance."
    with pytest.raises(SelectionError, match=re.escape(message)):
        select(sales_graph(), "report group:crm,tag:finance")


def test_excluding_every_selected_asset_matches_nothing() -> None:
    message = "Selection 'group:crm' excluding 'raw_customers+' matches nothing: every selected asset is excluded."
    with pytest.raises(SelectionError, match=re.escape(message)):
        select(sales_graph(), "group:crm --exclude raw_customers+")


def test_unknown_name_in_an_exclusion_suggests_the_closest() -> None:
    with pytest.raises(SelectionError, match="Did you mean 'report'"):
        select(sales_graph(), "--exclude reprt")


def test_unknown_name_in_selection_suggests_the_closest() -> None:
    message = "Selection 'clean_ordrs' matches no asset. Did you mean 'clean_orders'?"
    with pytest.raises(SelectionError, match=re.escape(message)):
        select(sales_graph(), "clean_ordrs")


def test_unknown_name_inside_an_intersection_is_an_error() -> None:
    with pytest.raises(SelectionError, match="Did you mean 'report'"):
        select(sales_graph(), "+reprot,group:sales")


def test_selection_error_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as raised:
        select(sales_graph(), "nothing_like_it")
    assert raised.value.exit_code == 2


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("group:finance", "Selection group 'finance' matches no asset."),
        ("tag:nightly", "Selection tag 'nightly' matches no asset."),
        ("owner:ana", "Selection method 'owner:' is unknown: use group:, tag: or a name."),
        ("+", "Selection '+' does not parse"),
        ("a++", "Selection 'a++' does not parse"),
        ("zz_*", "Selection 'zz_*' matches no asset."),
        ("@+report", "Selection '@+report' does not parse"),
        ("@report+", "Selection '@report+' does not parse"),
        ("@", "Selection '@' does not parse"),
        ("report --exclude", "--exclude is empty: name what to leave out"),
        ("report --exclude a --exclude b", "Selection 'report --exclude a --exclude b' does not parse"),
    ],
)
def test_bad_selection_says_what_went_wrong(expression: str, message: str) -> None:
    with pytest.raises(SelectionError, match=re.escape(message)):
        select(sales_graph(), expression)


def test_require_names_the_missing_asset_and_suggests() -> None:
    graph = sales_graph()
    assert graph.require("report").name == "report"
    with pytest.raises(SelectionError, match=re.escape("No asset is named 'reprt'. Did you mean 'report'?")):
        graph.require("reprt")


def test_closures_stop_at_the_requested_depth() -> None:
    graph = sales_graph()
    assert graph.upstream_closure(["report"], depth=1) == {"report", "daily_revenue"}
    assert graph.upstream_closure(["report"]) == ALL
    assert graph.downstream_closure(["raw_customers"], depth=2) == {"raw_customers", "clean_customers", "daily_revenue"}
    assert graph.groups == {"sales", "crm", "reporting"}


def test_static_and_daily_assets_read_each_other_through_all_partitions() -> None:
    @asset(partitions=StaticPartitions(["eu", "us"]))
    def regions(): ...

    @asset(partitions=DAILY)
    def sales(regions): ...  # type: ignore[no-untyped-def]

    graph = build_graph([regions, sales])
    assert isinstance(graph.edges_in["sales"][0].mapping, AllPartitionsMapping)
