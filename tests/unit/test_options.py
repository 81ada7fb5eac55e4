"""Options are schemas: every option of @asset, @sql_asset and @source, and of RetryPolicy and the
partitions definitions, is checked when the asset is declared. A mistake is one line naming the
asset, the option and what to write instead; all of an asset's mistakes are reported together."""

from __future__ import annotations

import math
import re
from typing import Any

import polars as pl
import pytest

from assets_core import (
    AssetContext,
    DailyPartitions,
    DefinitionError,
    HourlyPartitions,
    PartitionError,
    RetryPolicy,
    StaticPartitions,
    accepted_values,
    asset,
    in_range,
    not_null,
    source,
    sql_asset,
)
from assets_core.graph import build_graph

DAYS = DailyPartitions("2025-01-01", "2025-01-05")


def problems_of(spec: Any) -> list[str]:
    with pytest.raises(DefinitionError) as raised:
        build_graph([spec])
    return raised.value.problems


def python_asset(**options: Any) -> Any:
    def orders(): ...  # type: ignore[no-untyped-def]

    return asset(orders, **options)


def sql(**options: Any) -> Any:
    def daily_revenue() -> str:
        return "SELECT 1 AS revenue"

    return sql_asset(daily_revenue, **options)


# -- unknown options name the closest valid one -----------------------------------------------


def test_a_misspelt_option_of_a_sql_asset_is_named_with_the_closest_option() -> None:
    """It used to make an unpartitioned asset without a word."""
    assert problems_of(sql(partition=DAYS)) == [
        "Asset 'daily_revenue': unknown option 'partition'. Did you mean 'partitions'?"
    ]


def test_a_misspelt_option_of_an_asset_is_a_definition_error_not_a_type_error() -> None:
    def orders(): ...  # type: ignore[no-untyped-def]

    spec = asset(partition=DAYS)(orders)  # type: ignore[call-overload]
    assert problems_of(spec) == ["Asset 'orders': unknown option 'partition'. Did you mean 'partitions'?"]


def test_a_misspelt_option_of_a_source_is_named() -> None:
    def raw_orders(): ...  # type: ignore[no-untyped-def]

    spec = source(raw_orders, observe=lambda context: "v1", partition=DAYS)
    assert problems_of(spec) == ["Asset 'raw_orders': unknown option 'partition'. Did you mean 'partitions'?"]


def test_an_unknown_option_with_nothing_close_lists_the_options() -> None:
    [problem] = problems_of(python_asset(zzzz=1))
    assert problem.startswith("Asset 'orders': unknown option 'zzzz': use ")
    assert "partitions" in problem and "checks" in problem


def test_an_unknown_key_of_a_freshness_dict_is_named() -> None:
    assert problems_of(python_asset(freshness={"max_lagg": "1d"})) == [
        "Asset 'orders': unknown option 'freshness.max_lagg'. Did you mean 'max_lag'?"
    ]


# -- values of the wrong type are refused, not coerced --------------------------------------


@pytest.mark.parametrize(("options", "message"), [
    ({"partitions": 5},
     "Asset 'orders' has partitions=5: give a partitions definition, such as DailyPartitions(start=...), or None."),
    ({"checks": [5]}, "Asset 'orders' has checks[0]=5: give a list of checks, such as [not_null('id')]."),
    ({"checks": "x"}, "Asset 'orders' has checks='x': give a list of checks, such as [not_null('id')]."),
    ({"code_version": 5}, "Asset 'orders' has code_version=5: give a string without control characters, such as code_version='2'."),
    ({"timeout": math.nan}, "Asset 'orders' has timeout=nan: give a number of seconds above 0."),
    ({"timeout": math.inf}, "Asset 'orders' has timeout=inf: give a number of seconds above 0."),
    ({"timeout": True}, "Asset 'orders' has timeout=True: give a number of seconds above 0."),
    ({"timeout": "10"}, "Asset 'orders' has timeout='10': give a number of seconds above 0."),
    ({"tags": "finance"}, "Asset 'orders' has tags='finance': give a list of strings, such as ['finance']."),
    ({"retry": 3}, "Asset 'orders' has retry=3: give a RetryPolicy(max_attempts=..., ...)."),
    ({"io": "csv"}, "Asset 'orders' has io='csv': use 'parquet' or 'duckdb'."),
    ({"group": 5}, "Asset 'orders' has group=5: give a string without control characters."),
    ({"freshness": {"max_lag": "one day"}},
     "Asset 'orders' has freshness.max_lag='one day': write a duration like '90m', '26h' or '2d'."),
])
def test_a_bad_option_value_is_one_line_naming_the_asset_the_option_and_the_fix(
    options: dict[str, Any], message: str
) -> None:
    assert problems_of(python_asset(**options)) == [message]


def test_a_bad_batch_size_of_a_sql_asset_is_named() -> None:
    assert problems_of(sql(batch_size=0)) == [
        "Asset 'daily_revenue' has batch_size=0: give a whole number of partitions, 1 or more."
    ]


def test_every_mistake_of_an_asset_is_reported_together() -> None:
    problems = problems_of(python_asset(partition=DAYS, code_version=5, timeout=-1, checks=[not_null("id"), "x"]))
    assert problems == [  # in the order of the decorator's signature, unknown options last
        "Asset 'orders' has code_version=5: give a string without control characters, such as code_version='2'.",
        "Asset 'orders' has checks[1]='x': give a list of checks, such as [not_null('id')].",
        "Asset 'orders' has timeout=-1: give a number of seconds above 0.",
        "Asset 'orders': unknown option 'partition'. Did you mean 'partitions'?",
    ]


def test_good_options_still_make_the_spec() -> None:
    spec = python_asset(partitions=DAYS, checks=(not_null("id"),), code_version="2", timeout=5, tags=["a"],
                        freshness={"max_lag": "1d"}, retry=RetryPolicy(max_attempts=2), group="g", pool=None)
    assert build_graph([spec]).order == ["orders"]
    assert (spec.partitions, spec.code_version, spec.timeout, spec.tags, spec.group) == (DAYS, "2", 5, ("a",), "g")
    assert spec.freshness is not None and spec.freshness.max_lag.days == 1
    assert spec.retry == RetryPolicy(max_attempts=2)


# -- checks in a SQL file's header ---------------------------------------------------------------


@pytest.mark.parametrize(("spec", "message"), [
    ({"not_nul": "day"}, "revenue.sql: unknown check 'not_nul'. Did you mean 'not_null'?"),
    ({"row_count": {"minimum": 1}}, "revenue.sql: check row_count: unknown option 'minimum'. Did you mean 'min'?"),
    ({"accepted_values": {"column": "s", "vals": ["a"]}},
     "revenue.sql: check accepted_values: unknown option 'vals'. Did you mean 'values'?"),
])
def test_a_misspelt_check_in_a_sql_header_names_the_closest(spec: dict[str, Any], message: str) -> None:
    from assets_core.checks import check_from_dict

    with pytest.raises(DefinitionError) as raised:
        check_from_dict(spec, "revenue.sql")
    assert raised.value.problems == [message]


@pytest.mark.parametrize(("make", "message"), [
    (lambda: not_null(5), "not_null() has column=5: give a string."),
    (lambda: accepted_values("status", "paid"), "accepted_values() has values='paid': give a list, such as ['a', 'b']."),
    (lambda: in_range(col=["x"], min=0), "in_range() has col=['x']: give a string."),
])
def test_a_check_given_an_argument_of_the_wrong_type_is_a_definition_error(make: Any, message: str) -> None:
    """``accepted_values("status", "paid")`` accepted the letters p, a and d."""
    with pytest.raises(DefinitionError) as raised:
        make()
    assert raised.value.problems == [message]


# -- RetryPolicy --------------------------------------------------------------------------------


def test_a_misspelt_retry_policy_option_is_named_with_the_closest_one() -> None:
    with pytest.raises(DefinitionError, match=re.escape("RetryPolicy: unknown option 'max_atempts'. Did you mean 'max_attempts'?")):
        RetryPolicy(max_atempts=3)  # type: ignore[call-arg]


@pytest.mark.parametrize(("options", "words"), [
    ({"max_attempts": "3"}, "RetryPolicy has max_attempts='3': give a whole number of attempts, 1 or more."),
    ({"max_attempts": 0}, "RetryPolicy has max_attempts=0: give a whole number of attempts, 1 or more."),
    ({"jitter": 2}, "RetryPolicy has jitter=2: give a fraction between 0 and 1."),
    ({"delay": math.nan}, "RetryPolicy has delay=nan: give a number of seconds, 0 or more."),
    ({"retry_on": (int,)}, "RetryPolicy has retry_on[0]=<class 'int'>: give exception classes"),
])
def test_a_bad_retry_policy_value_is_one_line(options: dict[str, Any], words: str) -> None:
    with pytest.raises(DefinitionError, match=re.escape(words)):
        RetryPolicy(**options)


# -- partitions definitions -----------------------------------------------------------------------


def test_static_partitions_from_a_string_is_an_error_naming_the_fix() -> None:
    """It used to make the keys a, b and c."""
    with pytest.raises(PartitionError, match=re.escape("StaticPartitions('abc'): give a list of keys, such as StaticPartitions(['abc'])")):
        StaticPartitions("abc")  # type: ignore[arg-type]


@pytest.mark.parametrize("end_offset", [10**9, -(10**9), 1.5, "1", True])
def test_an_end_offset_out_of_bounds_or_not_a_whole_number_is_an_error(end_offset: Any) -> None:
    with pytest.raises(PartitionError, match=re.escape(f"end_offset={end_offset!r}")):
        HourlyPartitions("2025-01-01", end_offset=end_offset)


def test_a_sane_end_offset_is_kept() -> None:
    assert DailyPartitions("2025-01-01", end_offset=7).end_offset == 7


# -- input annotations are checked like return annotations ---------------------------------------


@pytest.mark.parametrize("annotation", ["pd.DataFrame", "int", "dict[str, int]", "pandas.DataFrame"])
def test_an_input_annotated_with_a_type_the_engine_cannot_hand_over_is_a_definition_error(annotation: str) -> None:
    def revenue(orders): ...  # type: ignore[no-untyped-def]

    revenue.__annotations__["orders"] = annotation

    @asset
    def orders() -> pl.DataFrame: ...

    with pytest.raises(DefinitionError) as raised:
        build_graph([orders, asset(revenue)])
    [problem] = raised.value.problems
    assert problem.startswith(f"Asset 'revenue' has input 'orders' annotated {annotation.split('[')[0]}: ")
    assert "polars DataFrame or LazyFrame, a pyarrow Table or a DuckDB relation" in problem


@pytest.mark.parametrize("annotation", [pl.DataFrame, pl.LazyFrame, "pl.DataFrame", "pa.Table", "duckdb.DuckDBPyRelation"])
def test_supported_input_annotations_are_accepted(annotation: Any) -> None:
    def revenue(orders): ...  # type: ignore[no-untyped-def]

    revenue.__annotations__["orders"] = annotation

    @asset
    def orders() -> pl.DataFrame: ...

    assert build_graph([orders, asset(revenue)]).order == ["orders", "revenue"]


def test_a_context_parameter_annotated_with_another_type_is_named() -> None:
    @asset
    def orders(context: int) -> pl.DataFrame: ...

    [problem] = problems_of(orders)
    assert problem.startswith("Asset 'orders' has parameter 'context' annotated int: annotate it AssetContext")


def test_a_context_parameter_annotated_asset_context_is_accepted() -> None:
    @asset
    def orders(context: AssetContext) -> pl.DataFrame: ...

    assert build_graph([orders]).order == ["orders"]
