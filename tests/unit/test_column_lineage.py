"""Column lineage of one asset: SQL shapes read from the query with the upstream schemas, Python
assets declared with column_lineage= or inferred as pass-through, and what cannot be followed
listed as unresolved with its reason. Every expected edge is written out by hand."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
import sqlglot.lineage
from sqlglot import exp

from assets_core import DefinitionError, asset, source
from assets_core.definitions.column_lineage import (
    WHOLE_ASSET,
    ColumnLineage,
    column_lineage,
)
from assets_core.definitions.options import SqlAssetOptions
from assets_core.definitions.specs import sql_spec
from assets_core.graph import build_graph
from assets_core.project.manifest import specs_from_manifest, specs_to_manifest

SCHEMAS = {
    "clean": {"order_id": "Int64", "customer": "String", "amount": "Float64", "day": "Date"},
    "vip": {"customer": "String", "tier": "Int64", "name": "String"},
}


def sql(query: str, schemas: dict[str, dict[str, str]] | None = None, own: dict[str, str] | None = None) -> ColumnLineage:
    spec = sql_spec("out", query, SqlAssetOptions(), "out.sql")
    assert spec.problems == ()
    return column_lineage(spec, SCHEMAS if schemas is None else schemas, own)


def edges(lineage: ColumnLineage) -> dict[str, set[tuple[str, str, str, tuple[str, ...]]]]:
    """Per output column: (asset.column, kind, how, via)."""
    return {
        column: {(f"{e.asset}.{e.column}", e.kind, e.how, e.via) for e in found}
        for column, found in lineage.columns.items()
    }


def reasons(lineage: ColumnLineage) -> list[tuple[str, str]]:
    return [(u.column, u.reason) for u in lineage.unresolved]


D, I = "direct", "indirect"


# -- SQL shapes ------------------------------------------------------------------------------------


def test_the_landing_revenue_query_aggregates_amount_per_customer() -> None:
    lineage = sql(
        "-- partitions = { kind = 'daily', start = '2025-01-01' }\n"
        "SELECT CAST($partition_key AS DATE) AS day, customer, count(*) AS orders, round(sum(amount), 2) AS revenue\n"
        "FROM clean GROUP BY customer ORDER BY customer"
    )
    assert list(lineage.columns) == ["day", "customer", "orders", "revenue"]
    grouped = ("clean.customer", I, "sql", ("group_by",))
    assert edges(lineage) == {
        "day": {grouped},  # the partition key: no column flows in, the grouping decides the rows
        "customer": {("clean.customer", D, "sql", ("identity",))},  # direct wins over its own GROUP BY
        "orders": {grouped},
        "revenue": {("clean.amount", D, "sql", ("aggregation",)), grouped},
    }
    assert lineage.unresolved == ()


def test_aliases_of_tables_and_columns_lead_back_to_the_asset() -> None:
    lineage = sql("SELECT c.amount AS total, upper(c.customer) who FROM clean AS c")
    assert edges(lineage) == {
        "total": {("clean.amount", D, "sql", ("identity",))},
        "who": {("clean.customer", D, "sql", ("transformation",))},
    }


def test_select_star_is_expanded_from_the_recorded_schema() -> None:
    lineage = sql("SELECT * EXCLUDE (day) FROM clean")
    assert edges(lineage) == {c: {(f"clean.{c}", D, "sql", ("identity",))} for c in ("order_id", "customer", "amount")}


def test_select_star_over_an_unrecorded_schema_is_unresolved_not_empty() -> None:
    lineage = sql("SELECT * FROM clean", schemas={})
    assert lineage.columns == {}
    assert reasons(lineage) == [(WHOLE_ASSET, "* cannot be expanded: 'clean' has no recorded schema yet: materialize it")]


def test_a_cte_passes_its_filter_on_as_an_indirect_edge() -> None:
    lineage = sql(
        "WITH big AS (SELECT customer, amount FROM clean WHERE amount > 100), "
        "named AS (SELECT * FROM big) "
        "SELECT customer, amount * 2 AS doubled FROM named"
    )
    assert edges(lineage) == {
        "customer": {("clean.customer", D, "sql", ("identity",)), ("clean.amount", I, "sql", ("filter",))},
        "doubled": {("clean.amount", D, "sql", ("transformation",))},  # filtered on itself: the direct edge says it
    }


def test_join_keys_shape_every_column_of_the_join() -> None:
    lineage = sql("SELECT c.amount, v.tier FROM clean c JOIN vip v ON v.name = c.customer")
    joined = {("vip.name", I, "sql", ("join",)), ("clean.customer", I, "sql", ("join",))}
    assert edges(lineage) == {
        "amount": {("clean.amount", D, "sql", ("identity",))} | joined,
        "tier": {("vip.tier", D, "sql", ("identity",))} | joined,
    }


def test_join_using_merges_the_key_of_both_sides() -> None:
    lineage = sql("SELECT * FROM clean JOIN vip USING (customer)")
    assert edges(lineage)["customer"] == {
        ("clean.customer", D, "sql", ("transformation",)), ("vip.customer", D, "sql", ("transformation",)),
    }
    assert ("clean.customer", I, "sql", ("join",)) in edges(lineage)["tier"]


def test_group_by_and_having_are_indirect_for_the_aggregates() -> None:
    lineage = sql("SELECT customer, sum(amount) AS total FROM clean GROUP BY customer HAVING max(day) > DATE '2025-01-01'")
    assert edges(lineage)["total"] == {
        ("clean.amount", D, "sql", ("aggregation",)),
        ("clean.customer", I, "sql", ("group_by",)),
        ("clean.day", I, "sql", ("filter",)),
    }


def test_a_window_partition_and_order_are_indirect() -> None:
    lineage = sql("SELECT sum(amount) OVER (PARTITION BY customer ORDER BY day) AS running FROM clean")
    assert edges(lineage) == {"running": {
        ("clean.amount", D, "sql", ("aggregation",)),
        ("clean.customer", I, "sql", ("window",)),
        ("clean.day", I, "sql", ("window",)),
    }}


def test_a_case_condition_is_indirect_and_its_branches_direct() -> None:
    lineage = sql("SELECT CASE WHEN day > DATE '2025-01-02' THEN amount ELSE 0 END AS late FROM clean")
    assert edges(lineage) == {"late": {
        ("clean.amount", D, "sql", ("transformation",)), ("clean.day", I, "sql", ("conditional",)),
    }}


def test_subqueries_in_the_select_and_in_the_where() -> None:
    lineage = sql(
        "SELECT amount, (SELECT max(tier) FROM vip) AS top FROM clean "
        "WHERE customer IN (SELECT name FROM vip WHERE tier > 1) "
        "AND EXISTS (SELECT 1 FROM vip v WHERE v.customer = clean.customer)"
    )
    filtered = {("clean.customer", I, "sql", ("filter",)), ("vip.name", I, "sql", ("filter",)),
                ("vip.tier", I, "sql", ("filter",)), ("vip.customer", I, "sql", ("filter",))}
    assert edges(lineage) == {
        "amount": {("clean.amount", D, "sql", ("identity",))} | filtered,
        # vip.tier flows into top: listed once, as direct
        "top": {("vip.tier", D, "sql", ("aggregation",))} | filtered - {("vip.tier", I, "sql", ("filter",))},
    }


def test_a_derived_table_is_followed_like_a_cte() -> None:
    lineage = sql("SELECT t.who, t.n FROM (SELECT customer AS who, count(*) AS n FROM clean GROUP BY 1) AS t")
    assert edges(lineage) == {
        "who": {("clean.customer", D, "sql", ("identity",))},
        "n": {("clean.customer", I, "sql", ("group_by",))},
    }


def test_union_columns_are_matched_by_position() -> None:
    lineage = sql("SELECT customer AS who FROM clean UNION ALL SELECT name FROM vip WHERE tier = 1")
    assert edges(lineage) == {"who": {
        ("clean.customer", D, "sql", ("identity",)), ("vip.name", D, "sql", ("identity",)),
        ("vip.tier", I, "sql", ("filter",)),
    }}


def test_order_by_counts_only_with_a_limit() -> None:
    assert edges(sql("SELECT amount FROM clean ORDER BY day")) == {"amount": {("clean.amount", D, "sql", ("identity",))}}
    assert edges(sql("SELECT amount FROM clean ORDER BY day DESC LIMIT 3")) == {"amount": {
        ("clean.amount", D, "sql", ("identity",)), ("clean.day", I, "sql", ("sort",)),
    }}


def test_distinct_on_keeps_one_row_per_key_chosen_by_the_order() -> None:
    lineage = sql("SELECT DISTINCT ON (customer) customer, amount FROM clean ORDER BY customer, day DESC")
    assert edges(lineage)["amount"] == {
        ("clean.amount", D, "sql", ("identity",)),
        ("clean.customer", I, "sql", ("group_by", "sort")),
        ("clean.day", I, "sql", ("sort",)),
    }


def test_qualify_and_an_aggregate_filter_are_filters() -> None:
    lineage = sql("SELECT customer, count(*) FILTER (WHERE amount > 1) AS n FROM clean GROUP BY customer "
                  "QUALIFY row_number() OVER (ORDER BY max(day)) = 1")
    assert edges(lineage)["n"] == {
        ("clean.amount", I, "sql", ("filter",)), ("clean.customer", I, "sql", ("group_by",)),
        ("clean.day", I, "sql", ("filter",)),
    }


def test_a_recursive_cte_ends() -> None:
    lineage = sql("WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 3) SELECT n FROM r")
    assert edges(lineage) == {"n": set()}


def test_unnest_and_struct_fields_lead_to_their_column() -> None:
    schemas = {"clean": {"customer": "String", "tags": "List(String)", "payload": "Struct({'x': Int64})"}}
    lineage = sql("SELECT c.customer, t.tag, c.payload.x AS x FROM clean c, unnest(c.tags) AS t(tag)", schemas=schemas)
    assert edges(lineage) == {
        "customer": {("clean.customer", D, "sql", ("identity",)), ("clean.tags", I, "sql", ("join",))},
        "tag": {("clean.tags", D, "sql", ("transformation",))},
        "x": {("clean.payload", D, "sql", ("transformation",)), ("clean.tags", I, "sql", ("join",))},
    }


def test_columns_expression_is_unresolved_and_the_recorded_columns_it_made_are_named() -> None:
    lineage = sql("SELECT customer, COLUMNS('^a') FROM clean", own={"customer": "String", "amount": "Float64"})
    assert edges(lineage) == {"customer": {("clean.customer", D, "sql", ("identity",))}, "amount": set()}
    assert reasons(lineage) == [
        (WHOLE_ASSET, "COLUMNS('^a') picks columns by pattern when the query runs: name the columns to follow them"),
        ("amount", "'amount' is in the recorded schema but not named by the query"),
    ]


def test_a_table_function_is_unresolved() -> None:
    lineage = sql("SELECT * FROM read_parquet('extra/*.parquet')")
    assert reasons(lineage) == [(WHOLE_ASSET, (
        "* cannot be expanded: reads READ_PARQUET('extra/*.parquet'), a table function: its columns are not known"
    ))]
    named = sql("SELECT c.amount, x.rate FROM clean c JOIN read_parquet('rates.parquet') x ON x.day = c.day")
    assert ("clean.day", I, "sql", ("join",)) in edges(named)["amount"]
    assert ("rate", "reads READ_PARQUET('rates.parquet'), a table function: its columns are not known") in reasons(named)


def test_a_udf_or_macro_keeps_its_arguments_and_is_unresolved() -> None:
    lineage = sql("SELECT score(amount) AS s, hash(customer) AS h, list_sum([amount]) AS l FROM clean")
    assert edges(lineage) == {
        "s": {("clean.amount", D, "sql", ("transformation",))},
        "h": {("clean.customer", D, "sql", ("transformation",))},
        "l": {("clean.amount", D, "sql", ("transformation",))},
    }
    # hash and list_sum are DuckDB's own, though sqlglot does not know them
    assert reasons(lineage) == [("s", (
        "calls score(), which is not a DuckDB function (a UDF or a macro): what it reads besides its arguments is not known"
    ))]


def test_a_column_no_upstream_has_names_the_closest() -> None:
    lineage = sql("SELECT amout FROM clean")
    assert reasons(lineage) == [("amout", "'clean' has no column 'amout'. Did you mean 'amount'?")]


def test_a_table_that_is_not_an_asset_is_unresolved() -> None:
    lineage = sql("SELECT x FROM main.ext")
    assert reasons(lineage) == [("x", "reads main.ext, which is not an asset")]


def test_an_unqualified_column_of_a_join_without_schemas_is_unresolved() -> None:
    lineage = sql("SELECT amount FROM clean JOIN vip ON clean.customer = vip.customer", schemas={})
    assert reasons(lineage) == [("amount", "column 'amount' could not be tied to one table: qualify it (t.amount)")]


def test_the_partition_key_of_an_input_read_over_several_partitions_is_a_column() -> None:
    lineage = sql("SELECT partition_key AS day, amount FROM clean")
    assert edges(lineage)["day"] == {("clean.partition_key", D, "sql", ("identity",))}
    assert lineage.unresolved == ()


def test_recorded_spelling_of_names_is_kept() -> None:
    lineage = sql("SELECT AMOUNT AS total FROM clean", schemas={"clean": {"Amount": "Float64"}}, own={"Total": "Float64"})
    assert edges(lineage) == {"Total": {("clean.Amount", D, "sql", ("identity",))}}
    upper = sql("SELECT o.Amount, o.id FROM Orders AS o", schemas={"Orders": {"Amount": "Float64", "id": "Int64"}})
    assert edges(upper) == {"amount": {("Orders.Amount", D, "sql", ("identity",))},
                            "id": {("Orders.id", D, "sql", ("identity",))}}


def test_a_query_that_cannot_be_analysed_is_unresolved() -> None:
    spec = replace(sql_spec("out", "SELECT 1 AS x", SqlAssetOptions(), "out.sql"), sql="SELECT FROM WHERE")
    lineage = column_lineage(spec, {}, {"x": "Int32"})
    assert lineage.columns == {"x": ()}
    assert [u.column for u in lineage.unresolved] == [WHOLE_ASSET]
    assert lineage.unresolved[0].reason.startswith("the query could not be analysed")


ORACLE_QUERIES = [
    "SELECT CAST($partition_key AS DATE) AS day, customer, round(sum(amount), 2) AS revenue FROM clean GROUP BY customer",
    "SELECT c.amount AS total, upper(c.customer) who FROM clean AS c WHERE c.day > DATE '2025-01-01'",
    "WITH big AS (SELECT customer, amount FROM clean WHERE amount > 100) SELECT customer, amount * 2 AS d FROM big",
    "SELECT c.amount, v.tier FROM clean c JOIN vip v ON v.name = c.customer",
    "SELECT sum(amount) OVER (PARTITION BY customer ORDER BY day) AS running FROM clean",
    "SELECT CASE WHEN day > DATE '2025-01-02' THEN amount ELSE 0 END AS late FROM clean",
    "SELECT amount, (SELECT max(tier) FROM vip) AS top FROM clean WHERE customer IN (SELECT name FROM vip)",
    "SELECT customer AS who FROM clean UNION ALL SELECT name FROM vip WHERE tier = 1",
    "SELECT t.who, t.n FROM (SELECT customer AS who, count(*) AS n FROM clean GROUP BY 1) AS t",
]


@pytest.mark.parametrize("query", ORACLE_QUERIES)
def test_direct_edges_agree_with_sqlglot_lineage(query: str) -> None:
    """sqlglot's lineage follows the projections, and counts a window's PARTITION BY / ORDER BY
    and a CASE condition as flowing in: our direct edges plus those indirect ones are its leaves."""
    schema = {a: dict.fromkeys(cols, "UNKNOWN") for a, cols in SCHEMAS.items()}
    lineage = sql(query)
    for column, found in lineage.columns.items():
        node = sqlglot.lineage.lineage(column, query, schema=schema, dialect="duckdb")
        leaves = {
            (n.expression.name, n.name.rsplit(".", 1)[-1])
            for n in node.walk() if not n.downstream and isinstance(n.expression, exp.Table)
        }
        ours = {(e.asset, e.column) for e in found if e.kind == "direct" or {"window", "conditional"} & set(e.via)}
        assert ours == leaves, column


# -- Python assets ----------------------------------------------------------------------------------


def python(own: dict[str, str] | None, schemas: dict[str, dict[str, str]] | None = None, **options: Any) -> ColumnLineage:
    def summary(clean, vip):  # type: ignore[no-untyped-def]
        return clean

    spec = asset(summary, **options)
    assert spec.problems == ()
    return column_lineage(spec, SCHEMAS if schemas is None else schemas, own)


def test_declared_lineage_is_used_as_declared() -> None:
    lineage = python(None, column_lineage={"total": ["clean.amount"], "who": ["clean.customer", "vip.name"]})
    assert edges(lineage) == {
        "total": {("clean.amount", D, "declared", ("transformation",))},
        "who": {("clean.customer", D, "declared", ("transformation",)), ("vip.name", D, "declared", ("transformation",))},
    }
    assert lineage.unresolved == ()


def test_a_declared_column_the_upstream_does_not_have_names_the_closest() -> None:
    lineage = python({"total": "Float64", "totl": "Int64"}, column_lineage={"total": ["clean.amout"], "totals": ["vip.tier"]})
    assert reasons(lineage) == [
        ("total", "Asset 'summary' declares 'total' from 'clean.amout': 'clean' has no column 'amout'. Did you mean 'amount'?"),
        ("totals", ("Asset 'summary' declares column_lineage for 'totals', a column its recorded schema does not have. "
                    "Did you mean 'total'?")),
        ("totl", "no input has a column 'totl' of type Int64: declare it in column_lineage=."),
    ]


def test_pass_through_columns_are_inferred_from_the_one_input_that_has_them() -> None:
    own = {"order_id": "Int64", "tier": "Int64", "customer": "String", "amount": "Int64", "extra": "Boolean"}
    lineage = python(own)
    assert edges(lineage) == {
        "order_id": {("clean.order_id", D, "inferred", ("identity",))},
        "tier": {("vip.tier", D, "inferred", ("identity",))},
        "customer": set(), "amount": set(), "extra": set(),
    }
    assert reasons(lineage) == [
        ("customer", "'customer' is in clean and vip with type String: declare which in column_lineage=."),
        ("amount", "no input has a column 'amount' of type Int64: declare it in column_lineage=."),  # retyped
        ("extra", "no input has a column 'extra' of type Boolean: declare it in column_lineage=."),
    ]


def test_declared_columns_win_and_the_others_are_inferred() -> None:
    lineage = python({"customer": "String", "order_id": "Int64"}, column_lineage={"customer": ["vip.customer"]})
    assert edges(lineage) == {
        "customer": {("vip.customer", D, "declared", ("transformation",))},
        "order_id": {("clean.order_id", D, "inferred", ("identity",))},
    }


def test_without_a_recorded_schema_nothing_is_inferred_and_it_says_so() -> None:
    lineage = python(None)
    assert lineage.columns == {}
    assert [u.column for u in lineage.unresolved] == [WHOLE_ASSET]
    assert "materialize it" in lineage.unresolved[0].reason


def test_an_unpublished_input_is_named_when_nothing_matches() -> None:
    lineage = python({"tier": "Int64"}, schemas={"clean": SCHEMAS["clean"]})
    assert reasons(lineage) == [("tier", "no input has a column 'tier' of type Int64 (vip not published yet): declare it in column_lineage=.")]


def test_a_source_has_columns_from_outside_and_nothing_unresolved() -> None:
    @source(observe=lambda context: "1")
    def raw():  # type: ignore[no-untyped-def]
        ...

    lineage = column_lineage(raw, {}, {"id": "Int64"})
    assert lineage.columns == {"id": ()} and lineage.unresolved == ()


# -- the option ----------------------------------------------------------------------------------


def problems(**options: Any) -> list[str]:
    def summary(clean):  # type: ignore[no-untyped-def]
        return clean

    def clean():  # type: ignore[no-untyped-def]
        ...

    with pytest.raises(DefinitionError) as raised:
        build_graph([asset(clean), asset(summary, **options)])
    return raised.value.problems


FIX = "give a dict of output column to a list of 'asset.column', such as {'revenue': ['clean.amount']}."


@pytest.mark.parametrize(("value", "expected"), [
    ({"total": ["clen.amount"]},
     "Asset 'summary' has column_lineage 'total' from 'clen.amount', but 'clen' is not one of its inputs. Did you mean 'clean'?"),
    ({"total": ["orders.amount"]},
     "Asset 'summary' has column_lineage 'total' from 'orders.amount', but 'orders' is not one of its inputs. Its inputs: clean."),
    ({"total": "clean.amount"}, f"Asset 'summary' has column_lineage={{'total': 'clean.amount'}}: {FIX}"),
    ({"total": ["amount"]}, f"Asset 'summary' has column_lineage={{'total': ['amount']}}: {FIX}"),
    (["clean.amount"], f"Asset 'summary' has column_lineage=['clean.amount']: {FIX}"),
    ({"total": [1]}, f"Asset 'summary' has column_lineage.total[0]=1: {FIX}"),
])
def test_a_wrong_column_lineage_is_one_line(value: Any, expected: str) -> None:
    found = problems(column_lineage=value)
    assert found == [expected]
    assert all("\n" not in line for line in found)


def test_a_misspelt_column_lineage_option_names_it() -> None:
    assert problems(column_lineag={}) == ["Asset 'summary': unknown option 'column_lineag'. Did you mean 'column_lineage'?"]


def test_an_input_of_a_source_with_no_inputs() -> None:
    @source(observe=lambda context: "1", column_lineage={"id": ["raw.id"]})
    def landing():  # type: ignore[no-untyped-def]
        ...

    assert landing.problems == (
        "Asset 'landing' has column_lineage 'id' from 'raw.id', but 'raw' is not one of its inputs. It has no inputs.",
    )


def test_the_manifest_keeps_the_declaration() -> None:
    @asset(column_lineage={"total": ["clean.amount", "clean.order_id"]})
    def summary(clean):  # type: ignore[no-untyped-def]
        return clean

    @asset
    def clean():  # type: ignore[no-untyped-def]
        ...

    [_, back] = specs_from_manifest(specs_to_manifest(build_graph([clean, summary])))
    assert back.column_lineage == (("total", (("clean", "amount"), ("clean", "order_id"))),)
    assert column_lineage(back, SCHEMAS) == column_lineage(summary, SCHEMAS)
