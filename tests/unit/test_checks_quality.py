"""Data-quality checks on real staged data (Parquet written and read back): ranges, patterns,
contracts, volume, freshness, references, custom and SQL checks, samples, identities."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Optional

import polars as pl
import pytest
from pydantic import BaseModel

from assets_core import DailyPartitions, DefinitionError
from assets_core.checks import (
    SAMPLE_ROWS,
    Check,
    CheckContext,
    CheckOutcome,
    CheckResult,
    CustomCheck,
    accepted_values,
    check,
    check_from_dict,
    expect,
    expect_sql,
    freshness_in_data,
    in_range,
    matches,
    not_null,
    relationships,
    row_count,
    row_count_change,
    run_checks,
    schema,
    sql_check,
    unique,
)

UTC = timezone.utc
DAY = DailyPartitions("2025-01-01")
JAN_1 = CheckContext("events", "2025-01-01", DAY.data_interval("2025-01-01"))


@pytest.fixture
def stage(tmp_path: Path) -> Callable[[pl.DataFrame], pl.DataFrame]:
    """What the engine validates: the partition as written to Parquet and read back."""

    def staged(frame: pl.DataFrame) -> pl.DataFrame:
        path = tmp_path / f"part-{len(list(tmp_path.iterdir()))}.parquet"
        frame.write_parquet(path)
        return pl.read_parquet(path)

    return staged


def one(check_: Check, data: pl.DataFrame, context: CheckContext | None = None) -> CheckResult:
    [result] = run_checks([check_], data, context)
    assert result.check == check_.name
    return result


# -- in_range, matches ------------------------------------------------------------------------


def test_in_range_passes_inclusive_bounds_and_nulls(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    data = stage(pl.DataFrame({"discount": [0.0, 0.5, 1.0, None]}))
    result = one(in_range("discount", min=0, max=1), data)
    assert (result.passed, result.observed, result.sample) == (True, 0, None)
    assert result.check == "in_range(discount, min=0, max=1)"


def test_in_range_fails_with_a_sample_of_at_most_20_failing_rows(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    data = stage(pl.DataFrame({"id": range(100), "amount": [-i if i % 2 else i for i in range(100)]}))
    result = one(in_range("amount", min=0), data)
    assert not result.passed and result.observed == 50
    assert result.message == "50 of 100 rows fail in_range(amount, min=0)"
    assert result.sample is not None and len(result.sample) == SAMPLE_ROWS
    assert result.sample[0] == {"id": 1, "amount": -1}
    assert all(row["amount"] < 0 for row in result.sample)


def test_in_range_with_one_bound(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    data = stage(pl.DataFrame({"x": [1, 5, 9]}))
    assert one(in_range("x", max=9), data).passed
    assert one(in_range("x", max=8), data).sample == [{"x": 9}]


def test_in_range_without_bounds_is_a_definition_error() -> None:
    with pytest.raises(DefinitionError, match=r"in_range\(x\) checks nothing"):
        in_range("x")


def test_matches_is_a_full_match_and_nulls_pass(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    data = stage(pl.DataFrame({"sku": ["ABC-1", "XYZ-22", None, "xABC-1", "ABC-1x"]}))
    result = one(matches("sku", "[A-Z]{3}-[0-9]+"), data)
    assert not result.passed and result.observed == 2
    assert result.sample == [{"sku": "xABC-1"}, {"sku": "ABC-1x"}]
    assert one(matches("sku", "[A-Za-z]{3,4}-[0-9]+x?"), data).passed


# -- samples of the row-level built-ins ---------------------------------------------------------


@pytest.mark.parametrize(
    ("check_", "failing_ids"),
    [
        (not_null("customer"), [3]),
        (unique("customer"), [1, 2, 4]),  # every row of a duplicated key, to show the clash
        (accepted_values("status", ["paid"]), [3, 4]),
        (expect(pl.col("amount") > 0, label="positive"), [2, 4]),
        (expect_sql("amount > 0"), [2, 4]),
    ],
    ids=lambda v: v.name if isinstance(v, Check) else None,
)
def test_failed_row_level_check_samples_its_failing_rows(
    stage: Callable[[pl.DataFrame], pl.DataFrame], check_: Check, failing_ids: list[int]
) -> None:
    data = stage(pl.DataFrame({
        "id": [1, 2, 3, 4],
        "customer": ["ana", "ana", None, "ana"],
        "status": ["paid", "paid", "lost", "gone"],
        "amount": [1.0, -1.0, 2.0, None],
    }))
    result = one(check_, data)
    assert not result.passed
    assert result.sample is not None
    assert [row["id"] for row in result.sample] == failing_ids


def test_sample_values_are_json_friendly(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    data = stage(pl.DataFrame({
        "at": [datetime(2025, 1, 1, 12, tzinfo=UTC)],
        "day": [date(2025, 1, 1)],
        "price": pl.Series([Decimal("1.50")], dtype=pl.Decimal(10, 2)),
        "n": [None],
    }, schema_overrides={"n": pl.Int64}))
    [row] = one(not_null("n"), data).sample or []
    assert row == {"at": "2025-01-01T12:00:00+00:00", "day": "2025-01-01", "price": "1.50", "n": None}


def test_aggregate_checks_have_no_sample(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    data = stage(pl.DataFrame({"x": [1, 2]}))
    for check_ in [row_count(min=5), schema({"y": "Int64"}), row_count_change(max_pct=10)]:
        result = one(check_, data, CheckContext("a", "", None, row_history=(100,)))
        assert not result.passed and result.sample is None


def test_all_passing_checks_return_no_samples(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    data = stage(pl.DataFrame({"id": [1, 2, 3], "ts": [datetime(2025, 1, 1, 23)] * 3, "sku": ["a", "b", "c"]}))
    checks = [
        not_null("id"), unique("id"), in_range("id", min=1), matches("sku", "[a-z]"), row_count(min=1),
        row_count_change(max_pct=50), freshness_in_data("ts", "2h"), schema({"id": "Int64"}),
        relationships("id", "customers", "id"), sql_check("SELECT * FROM staged WHERE id < 0"),
    ]
    context = CheckContext("orders", "2025-01-01", JAN_1.data_interval, (3, 3), lambda a, c: pl.Series([1, 2, 3]))
    results = run_checks(checks, data, context)
    assert [r.message for r in results if not r.passed] == []
    assert all(r.sample is None for r in results)


def test_batched_and_one_by_one_runs_give_the_same_results_and_samples(
    stage: Callable[[pl.DataFrame], pl.DataFrame],
) -> None:
    data = stage(pl.DataFrame({"id": [1, 1, None, 40], "ts": [datetime(2025, 1, 1, 3)] * 4}))
    checks = [not_null("id"), unique("id"), in_range("id", max=9), freshness_in_data("ts", "2h"), row_count(min=9)]
    together = run_checks(checks, data, JAN_1)
    alone = [c.run(data, JAN_1) for c in checks]
    assert [(r.check, r.passed, r.observed, r.message, r.sample) for r in together] == [
        (r.check, r.passed, r.observed, r.message, r.sample) for r in alone
    ]


# -- schema -------------------------------------------------------------------------------------


ORDERS = pl.DataFrame({
    "id": [1, 2],
    "amount": [1.5, 2.0],
    "customer": ["ana", None],
    "paid": [True, False],
    "at": [datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 2, tzinfo=UTC)],
    "day": [date(2025, 1, 1), date(2025, 1, 2)],
})


class Order(BaseModel):
    id: int
    amount: float
    customer: Optional[str]  # noqa: UP045 - the older spelling must work too
    paid: bool
    at: datetime
    day: date | None


class OrderWithTypo(BaseModel):
    id: str
    amount: float
    total: Decimal


def test_schema_from_a_dict_passes(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    contract = {"id": "Int64", "amount": pl.Float64, "customer": "String", "at": "Datetime"}
    result = one(schema(contract), stage(ORDERS))
    assert (result.passed, result.observed, result.message) == (True, [], "ok")


def test_schema_from_a_dict_lists_every_problem(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    contract = {"id": "Int32", "amount": "Float64", "missing": "String", "at": pl.Datetime("us", None)}
    result = one(schema(contract, extra_columns=False), stage(ORDERS))
    assert not result.passed
    assert result.observed == [
        "missing column 'missing'",
        "column 'id' is Int64, expected Int32",
        "column 'at' is Datetime(time_unit='us', time_zone='UTC'), expected Datetime(time_unit='us', time_zone=None)",
        "unexpected column 'customer'",
        "unexpected column 'paid'",
        "unexpected column 'day'",
    ]
    assert result.message == "; ".join(result.observed)
    assert result.check.endswith(", extra_columns=False)")


def test_schema_from_a_pydantic_model(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    assert one(schema(Order), stage(ORDERS)).passed
    assert one(schema(Order, extra_columns=False), stage(ORDERS)).passed
    with_extra = stage(ORDERS.with_columns(pl.lit(1).alias("extra")))
    assert one(schema(Order), with_extra).passed
    assert one(schema(Order, extra_columns=False), with_extra).observed == ["unexpected column 'extra'"]
    result = one(schema(OrderWithTypo), stage(ORDERS))
    assert result.observed == ["missing column 'total'", "column 'id' is Int64, expected String"]
    assert result.check == "schema(OrderWithTypo)"


def test_schema_with_a_misspelled_type_name_suggests_the_right_one() -> None:
    with pytest.raises(DefinitionError, match="column 'id' has type 'Int46'.*Did you mean 'Int64'"):
        schema({"id": "Int46"})


def test_schema_of_a_model_field_without_a_polars_type_is_a_definition_error() -> None:
    class Nested(BaseModel):
        tags: list[str]

    with pytest.raises(DefinitionError, match="field 'tags' of Nested"):
        schema(Nested)


# -- row_count_change ---------------------------------------------------------------------------


def _rows(stage: Callable[[pl.DataFrame], pl.DataFrame], n: int) -> pl.DataFrame:
    return stage(pl.DataFrame({"x": range(n)}))


def test_row_count_change_passes_without_history(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    result = one(row_count_change(max_pct=10), _rows(stage, 5), CheckContext("a", "k", None))
    assert result.passed
    assert result.message == "5 rows; no earlier partition to compare with yet"


@pytest.mark.parametrize(("rows", "passed"), [(100, True), (150, True), (50, True), (151, False), (49, False)])
def test_row_count_change_against_the_median(
    stage: Callable[[pl.DataFrame], pl.DataFrame], rows: int, passed: bool
) -> None:
    context = CheckContext("a", "k", None, row_history=(90, 100, 1000))  # one odd day does not move the median
    result = one(row_count_change(max_pct=50), _rows(stage, rows), context)
    assert (result.passed, result.observed) == (passed, rows)
    assert "from the median 100 of the last 3 partitions" in result.message
    assert ("more than 50%" in result.message) is not passed


def test_row_count_change_looks_back_only_lookback_partitions(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    check_ = row_count_change(max_pct=10, lookback=2)
    assert check_.history_needed == 2 and not_null("x").history_needed == 0
    context = CheckContext("a", "k", None, row_history=(1000, 1000, 10, 10))
    assert one(check_, _rows(stage, 10), context).passed
    assert not one(row_count_change(max_pct=10, lookback=4), _rows(stage, 10), context).passed


@pytest.mark.parametrize("options", [{"max_pct": -1}, {"max_pct": "50"}, {"max_pct": 5, "lookback": 0}])
def test_row_count_change_with_bad_options_is_a_definition_error(options: dict[str, object]) -> None:
    with pytest.raises(DefinitionError, match="row_count_change"):
        row_count_change(**options)  # type: ignore[arg-type]


# -- freshness_in_data --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wall_clock", "zone", "passed"),
    [
        (datetime(2025, 1, 1, 22), "UTC", True),
        (datetime(2025, 1, 1, 21, 59), "UTC", False),
        (datetime(2025, 1, 1, 23, 30), "Europe/Paris", True),  # 22:30 UTC
        (datetime(2025, 1, 1, 22, 30), "Europe/Paris", False),  # 21:30 UTC
    ],
)
def test_freshness_in_data_for_a_daily_partition_with_time_zones(
    stage: Callable[[pl.DataFrame], pl.DataFrame], wall_clock: datetime, zone: str, passed: bool
) -> None:
    column = pl.Series("ts", [datetime(2025, 1, 1, 1), wall_clock]).dt.replace_time_zone(zone)
    data = stage(pl.DataFrame([column]))
    result = one(freshness_in_data("ts", "2h"), data, JAN_1)
    assert result.passed is passed, result.message
    assert result.observed == column.max().isoformat()  # type: ignore[union-attr]
    assert "before the end of partition 2025-01-01" in result.message
    assert ("more than 2h" in result.message) is not passed


def test_freshness_in_data_reads_naive_timestamps_as_utc(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    data = stage(pl.DataFrame({"ts": [datetime(2025, 1, 1, 23, 0)]}))
    result = one(freshness_in_data("ts", timedelta(hours=1)), data, JAN_1)
    assert result.passed
    assert result.observed == "2025-01-01T23:00:00+00:00"
    assert result.message == "newest ts is 2025-01-01T23:00:00+00:00, 60m before the end of partition 2025-01-01"
    assert not one(freshness_in_data("ts", "30m"), data, JAN_1).passed


def test_freshness_in_data_of_an_unpartitioned_asset_is_against_now(
    stage: Callable[[pl.DataFrame], pl.DataFrame],
) -> None:
    data = stage(pl.DataFrame({"ts": [datetime(2025, 3, 1, 8, tzinfo=UTC)]}))
    fresh = CheckContext("a", "", None, now=datetime(2025, 3, 1, 9, tzinfo=UTC))
    stale = CheckContext("a", "", None, now=datetime(2025, 3, 3, tzinfo=UTC))
    assert one(freshness_in_data("ts", "1d"), data, fresh).passed
    result = one(freshness_in_data("ts", "1d"), data, stale)
    assert not result.passed and result.message.endswith("before now, more than 1d")
    no_time = one(freshness_in_data("ts", "1d"), data, CheckContext("a", "", None))
    assert not no_time.passed and "data interval or context.now" in no_time.message


def test_freshness_in_data_of_an_empty_partition_fails(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    data = stage(pl.DataFrame({"ts": []}, schema={"ts": pl.Datetime("us", "UTC")}))
    result = one(freshness_in_data("ts", "1d"), data, JAN_1)
    assert (result.passed, result.observed, result.message) == (False, None, "the partition is empty")


def test_freshness_in_data_durations() -> None:
    assert freshness_in_data("ts", "1d") == freshness_in_data("ts", timedelta(hours=24))
    assert freshness_in_data("ts", "90m").name == "freshness_in_data(ts, max_lag=90m)"
    with pytest.raises(DefinitionError, match=r"freshness_in_data\(ts\): Duration '2x' is not understood"):
        freshness_in_data("ts", "2x")


# -- relationships ------------------------------------------------------------------------------


def _customers(reads: list[tuple[str, str]]) -> Callable[[str, str], pl.Series]:
    def read_column(asset: str, column: str) -> pl.Series:
        reads.append((asset, column))
        return pl.Series("id", [1, 2, 3])

    return read_column


def test_relationships_passes_when_every_value_is_known(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    reads: list[tuple[str, str]] = []
    data = stage(pl.DataFrame({"customer_id": [1, 3, None]}))
    context = CheckContext("orders", "", None, read_column=_customers(reads))
    result = one(relationships("customer_id", "customers", "id"), data, context)
    assert (result.passed, result.observed, reads) == (True, 0, [("customers", "id")])


def test_relationships_fails_and_samples_the_orphans(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    reads: list[tuple[str, str]] = []
    data = stage(pl.DataFrame({"order": range(30), "customer_id": [1, 9] * 15}))
    check_ = relationships("customer_id", "customers", "id")
    result = one(check_, data, CheckContext("orders", "", None, read_column=_customers(reads)))
    assert not result.passed and result.observed == 15
    assert result.sample is not None and len(result.sample) == 15
    assert {row["customer_id"] for row in result.sample} == {9}
    assert reads == [("customers", "id")]  # read once, for the count and the sample
    assert check_.references == ("customers",) and not_null("x").references == ()
    assert result.check == "relationships(customer_id -> customers.id)"


# -- custom checks ------------------------------------------------------------------------------


@check(asset="orders")
def amounts_add_up(data: pl.DataFrame) -> bool:
    return bool(data["amount"].sum() == 10)


@check(asset="orders", blocking=False, name="few refunds")
def refunds_are_rare(data: pl.DataFrame) -> CheckOutcome:
    refunds = data.filter(pl.col("status") == "refunded").height
    return CheckOutcome(refunds <= 1, observed=refunds, message=f"{refunds} refunds")


@check(asset="orders")
def divides(data: pl.DataFrame) -> bool:
    return bool(data.height / 0)


@check(asset="orders")
def same_partition(data: pl.DataFrame, context: CheckContext) -> bool:
    return context.partition_key == "2025-01-01"


def _orders(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> pl.DataFrame:
    return stage(pl.DataFrame({"amount": [4.0, 6.0], "status": ["paid", "refunded"]}))


def test_custom_check_returning_a_bool(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    assert isinstance(amounts_add_up, CustomCheck)
    assert (amounts_add_up.asset, amounts_add_up.name, amounts_add_up.severity) == ("orders", "amounts_add_up", "blocking")
    result = one(amounts_add_up, _orders(stage))
    assert (result.passed, result.message) == (True, "ok")
    failed = one(amounts_add_up, stage(pl.DataFrame({"amount": [1.0]})))
    assert (failed.passed, failed.message, failed.blocks) == (False, "amounts_add_up failed", True)


def test_custom_check_returning_an_outcome(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    result = one(refunds_are_rare, _orders(stage))
    assert (result.check, result.passed, result.observed, result.message) == ("few refunds", True, 1, "1 refunds")
    data = stage(pl.DataFrame({"amount": [1.0] * 3, "status": ["refunded"] * 3}))
    failed = one(refunds_are_rare, data)
    assert (failed.passed, failed.observed, failed.severity, failed.blocks) == (False, 3, "warn", False)


def test_custom_check_that_raises_fails_with_the_users_line(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    result = one(divides, _orders(stage))
    assert not result.passed and result.observed is None
    line = divides.fn.__code__.co_firstlineno + 2
    assert result.message == f"divides raised ZeroDivisionError: division by zero ({__file__}:{line})"


def test_custom_check_with_a_context_parameter(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    assert one(same_partition, _orders(stage), JAN_1).passed
    assert not one(same_partition, _orders(stage), CheckContext("orders", "2025-01-02", None)).passed


def test_custom_check_returning_something_else_fails(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    @check(asset="orders")
    def forgot_return(data: pl.DataFrame) -> bool:
        data.height  # noqa: B018
        return None  # type: ignore[return-value]

    assert one(forgot_return, _orders(stage)).message == "forgot_return returned NoneType, expected a bool or a CheckOutcome"


def test_check_decorator_misuse_is_a_definition_error() -> None:
    with pytest.raises(DefinitionError, match=r"@check\(asset=\"orders\"\)"):
        check(lambda data: True)  # type: ignore[arg-type]
    with pytest.raises(DefinitionError, match="'two_tables' must take the staged data"):
        @check(asset="orders")
        def two_tables(data: pl.DataFrame, other: pl.DataFrame) -> bool:
            return True


# -- sql_check ----------------------------------------------------------------------------------


def test_sql_check_reports_the_rows_it_returns(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    data = stage(pl.DataFrame({"id": range(50), "shipped": [date(2025, 1, 1)] * 50, "ordered": [date(2025, 1, 2)] * 50}))
    result = one(sql_check("SELECT id, shipped FROM staged WHERE shipped < ordered ORDER BY id"), data)
    assert (result.passed, result.observed) == (False, 50)
    assert result.message == "50 rows returned by sql_check(SELECT id, shipped FROM staged WHERE shipped < ordered ORDER BY id)"
    assert result.sample == [{"id": i, "shipped": "2025-01-01"} for i in range(SAMPLE_ROWS)]


def test_sql_check_passes_when_the_query_returns_nothing(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    data = stage(pl.DataFrame({"id": [1, 2]}))
    query = "SELECT id FROM staged WHERE id < 0 UNION ALL SELECT id FROM staged WHERE id > 2"
    result = one(sql_check(query, label="ids in range"), data)
    assert (result.check, result.passed, result.observed, result.sample) == ("ids in range", True, 0, None)


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("DELETE FROM staged", "found DELETE"),
        ("SELECT 1; DROP TABLE staged", "found SELECT, DROP"),
        ("COPY staged TO 'out.csv'", "found COPY"),
        ("", "found no statement"),
    ],
)
def test_sql_check_accepts_only_one_select(query: str, found: str) -> None:
    with pytest.raises(DefinitionError, match=f"a SQL check is one SELECT returning the failing rows, {found}"):
        sql_check(query)


def test_sql_check_that_does_not_parse_is_a_definition_error() -> None:
    with pytest.raises(DefinitionError, match="the query does not parse"):
        sql_check("SELECT * FROM (")


# -- identity -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "changed"),
    [
        (lambda: not_null("a"), not_null("b")),
        (lambda: unique(["a", "b"]), unique(["a"])),
        (lambda: in_range("x", min=0, max=1), in_range("x", min=0, max=2)),
        (lambda: matches("x", "[a-z]+"), matches("x", "[a-z]*")),
        (lambda: row_count_change(max_pct=50), row_count_change(max_pct=50, lookback=3)),
        (lambda: freshness_in_data("ts", "1d"), freshness_in_data("ts", "2d")),
        (lambda: relationships("a", "b", "c"), relationships("a", "b", "d")),
        (lambda: schema({"a": "Int64"}), schema({"a": "Int64"}, extra_columns=False)),
        (lambda: sql_check("SELECT * FROM staged WHERE a"), sql_check("SELECT * FROM staged WHERE b")),
        (lambda: expect(pl.col("a") > 0), expect(pl.col("a") >= 0)),
        (lambda: expect(pl.col("a").is_in(list(range(100)))), expect(pl.col("a").is_in(list(range(1, 101))))),
        (lambda: not_null("a"), not_null("a", severity="warn")),
    ],
)
def test_identity_is_stable_and_changes_with_the_definition(make: Callable[[], Check], changed: Check) -> None:
    assert make().identity == make().identity
    assert make().identity != changed.identity


def test_identity_ignores_how_an_equal_definition_is_written() -> None:
    assert freshness_in_data("ts", "1d").identity == freshness_in_data("ts", "24h").identity
    assert unique("id").identity == unique(["id"]).identity
    assert schema({"id": "Int64", "at": "Datetime"}).identity == schema({"at": pl.Datetime, "id": pl.Int64}).identity

    class Row(BaseModel):
        id: int

    assert schema(Row).identity == schema({"id": "Int64"}).identity


def test_identity_of_a_custom_check_follows_its_source() -> None:
    def same(data: pl.DataFrame) -> bool:
        """A docstring does not count."""
        return data.height > 0

    def edited(data: pl.DataFrame) -> bool:
        return data.height > 1

    first = check(asset="orders")(same)
    again = check(asset="orders")(same)
    assert first.identity == again.identity
    assert first.identity != check(asset="orders", name="same")(edited).identity
    assert first.identity != check(asset="orders", blocking=False)(same).identity
    assert "callable" in check(asset="orders")(callable).identity  # no Python source: falls back to the name


# -- context -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "check_",
    [row_count_change(max_pct=10), freshness_in_data("ts", "1h"), relationships("ts", "a", "b"), same_partition],
    ids=lambda c: c.name,
)
def test_a_check_needing_context_without_one_fails_cleanly(
    stage: Callable[[pl.DataFrame], pl.DataFrame], check_: Check
) -> None:
    data = stage(pl.DataFrame({"ts": [datetime(2025, 1, 1)]}))
    for result in (one(check_, data), check_.run(data)):
        assert not result.passed and result.blocks
        assert result.observed is None and result.sample is None
        assert result.message.startswith(f"{check_.name} needs a CheckContext (")
        assert "pass context=" in result.message


def test_relationships_with_a_context_but_no_reader_fails_cleanly(stage: Callable[[pl.DataFrame], pl.DataFrame]) -> None:
    result = one(relationships("x", "a", "b"), stage(pl.DataFrame({"x": [1]})), JAN_1)
    assert not result.passed and "needs context.read_column" in result.message


# -- SQL-file headers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"in_range": {"col": "x", "min": 0}}, in_range("x", min=0)),
        ({"matches": {"col": "x", "regex": "^a"}}, matches("x", "^a")),
        ({"row_count_change": {"max_pct": 50, "lookback": 7}}, row_count_change(max_pct=50, lookback=7)),
        ({"freshness_in_data": {"col": "ts", "max_lag": "1d"}}, freshness_in_data("ts", timedelta(days=1))),
        ({"relationships": {"col": "x", "to_asset": "a", "to_col": "y"}}, relationships("x", "a", "y")),
        ({"schema": {"columns": {"x": "Int64"}, "extra_columns": False}}, schema({"x": "Int64"}, extra_columns=False)),
        ({"sql_check": "SELECT * FROM staged WHERE x < 0"}, sql_check("SELECT * FROM staged WHERE x < 0")),
        ({"in_range": {"col": "x", "max": 1}, "severity": "warn"}, in_range("x", max=1, severity="warn")),
    ],
)
def test_check_from_dict_new_forms(spec: dict[str, object], expected: Check) -> None:
    made = check_from_dict(spec, "models/revenue.sql")
    assert made == expected and made.identity == expected.identity


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ({"in_range": {"column": "x", "min": 0}}, r"check in_range: unknown option 'column'\. Did you mean 'col'\?"),
        ({"in_range": {"col": "x"}}, r"in_range\(x\) checks nothing"),
        ({"matches": "^a"}, "write it like matches = "),
        ({"row_count_change": {"max_pct": -5}}, "max_pct is a percentage"),
        ({"freshness_in_data": {"col": "ts", "max_lag": "soon"}}, r"freshness_in_data\(ts\): Duration 'soon'"),
        ({"relationships": {"col": "x", "to_asset": "a"}}, "missing 1 required positional argument: 'to_col'"),
        ({"schema": {"columns": {"x": "int"}}}, "not a polars type name"),
        ({"schema": {"columns": ["x"]}}, "columns is a dict"),
        ({"sql_check": "DROP TABLE staged"}, "found DROP"),
        ({"sql_check": 5}, r"sql_check\(\) has query=5: give a string"),
    ],
)
def test_check_from_dict_with_bad_options_names_the_check_in_one_line(spec: dict[str, object], words: str) -> None:
    with pytest.raises(DefinitionError, match=f"^models/revenue.sql: .*{words}") as caught:
        check_from_dict(spec, "models/revenue.sql")
    assert "\n" not in str(caught.value)


def test_importing_checks_loads_neither_polars_nor_duckdb() -> None:
    code = "import sys, assets_core.checks; print(sorted({'polars', 'duckdb', 'sqlglot'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
