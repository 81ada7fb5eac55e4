"""Built-in checks on polars DataFrames: pass, fail, broken checks, severity, SQL-header forms."""

from __future__ import annotations

import polars as pl
import pytest

from assets_core import (
    Check,
    CheckResult,
    DefinitionError,
    accepted_values,
    expect,
    expect_sql,
    not_null,
    row_count,
    unique,
)
from assets_core.checks import check_from_dict, run_checks

ORDERS = pl.DataFrame(
    {
        "order_id": [1, 2, 3, 4],
        "customer": ["ana", "bo", "ana", None],
        "day": ["2025-01-01", "2025-01-01", "2025-01-02", "2025-01-02"],
        "status": ["paid", "paid", "refunded", None],
        "amount": [10.0, 20.0, 5.0, 7.5],
    }
)
BAD_ORDERS = pl.DataFrame(
    {
        "order_id": [1, 1, None, 4],
        "customer": ["ana", "ana", "bo", "bo"],
        "day": ["2025-01-01", "2025-01-01", "2025-01-01", "2025-01-02"],
        "status": ["paid", "paid", "lost", "stolen"],
        "amount": [10.0, -1.0, None, 0.0],
    }
)


def one(check: Check, data: pl.DataFrame) -> CheckResult:
    [result] = run_checks([check], data)
    assert result.check == check.name
    return result


@pytest.mark.parametrize(
    ("check", "observed_bad", "message_bad"),
    [
        (not_null("order_id"), 1, "1 of 4 rows fail not_null(order_id)"),
        (unique("order_id"), 1, "1 duplicate rows"),
        (unique(["order_id", "customer"]), 1, "1 duplicate rows"),
        (row_count(min=5), 4, "4 rows, expected at least 5"),
        (row_count(max=3), 4, "4 rows, expected at most 3"),
        (row_count(min=5, max=10), 4, "4 rows, expected at least 5 and at most 10"),
        (accepted_values("status", ["paid", "refunded"]), 2, "2 of 4 rows fail accepted_values(status)"),
        (expect(pl.col("amount") > 0, label="positive amount"), 3, "3 of 4 rows fail positive amount"),
        (expect_sql("amount > 0"), 3, "3 of 4 rows fail sql(amount > 0)"),
    ],
    ids=lambda v: v.name if isinstance(v, Check) else None,
)
def test_builtin_check_fails_on_bad_data_with_observed_count(check: Check, observed_bad: int, message_bad: str) -> None:
    result = one(check, BAD_ORDERS)
    assert not result.passed
    assert result.blocks
    assert result.observed == observed_bad
    assert result.message == message_bad
    assert result.severity == "blocking"


@pytest.mark.parametrize(
    "check",
    [
        not_null("order_id"),
        unique("order_id"),
        unique(["customer", "day"]),
        row_count(min=1),
        row_count(max=4),
        row_count(min=4, max=4),
        accepted_values("status", ["paid", "refunded"]),  # nulls are accepted
        expect(pl.col("amount") > 0),
        expect_sql("amount > 0 AND day LIKE '2025-%'"),
    ],
    ids=lambda c: c.name,
)
def test_builtin_check_passes_on_good_data(check: Check) -> None:
    result = one(check, ORDERS)
    assert result.passed, result.message
    assert not result.blocks
    assert result.duration >= 0


def test_unique_over_several_columns_looks_at_the_combination() -> None:
    data = pl.DataFrame({"a": [1, 1, 2], "b": ["x", "y", "x"]})
    assert one(unique(["a", "b"]), data).passed
    assert not one(unique("a"), data).passed
    assert one(unique(["a", "b"]), data).check == "unique(a, b)"


def test_row_count_message_on_pass_gives_the_count() -> None:
    result = one(row_count(min=1), ORDERS)
    assert (result.observed, result.message) == (4, "4 rows")
    assert result.check == "row_count(min=1)"


def test_row_count_of_an_empty_partition() -> None:
    assert not one(row_count(min=1), ORDERS.clear()).passed
    assert one(row_count(max=0), ORDERS.clear()).passed


def test_expect_treats_null_as_failing() -> None:
    data = pl.DataFrame({"amount": [1.0, None]})
    assert one(expect(pl.col("amount") > 0), data).observed == 1
    assert one(expect_sql("amount > 0"), data).observed == 1


def test_expect_sql_reads_the_staged_rows_as_a_table() -> None:
    result = one(expect_sql("status IN ('paid', 'refunded') OR status IS NULL", label="known status"), ORDERS)
    assert result.passed
    assert result.check == "known status"


@pytest.mark.parametrize(
    "check",
    [
        not_null("missing"),
        unique("missing"),
        unique(["order_id", "missing"]),
        accepted_values("missing", ["x"]),
        expect(pl.col("missing") > 0),
        expect_sql("missing > 0"),
        expect_sql("amount >"),
    ],
    ids=lambda c: c.name,
)
def test_check_that_cannot_run_fails_with_a_message_and_never_raises(check: Check) -> None:
    result = one(check, ORDERS)
    assert not result.passed
    assert result.blocks
    assert result.observed is None
    assert result.message.startswith("check could not run: ")


def test_one_broken_check_in_a_batch_does_not_hide_the_others() -> None:
    checks = [not_null("order_id"), not_null("missing"), unique("order_id"), row_count(min=10)]
    results = run_checks(checks, BAD_ORDERS)
    assert [r.check for r in results] == [c.name for c in checks]
    assert [r.passed for r in results] == [False, False, False, False]
    assert [r.observed for r in results] == [1, None, 1, 4]
    assert results[1].message.startswith("check could not run:") and "missing" in results[1].message


def test_batched_results_match_one_by_one_results() -> None:
    checks = [
        not_null("order_id"), unique("customer"), row_count(min=1, max=3),
        accepted_values("status", ["paid"]), expect(pl.col("amount") >= 0), expect_sql("amount >= 0"),
    ]
    batched = run_checks(checks, BAD_ORDERS)
    alone = [c.run(BAD_ORDERS) for c in checks]
    assert [(r.check, r.passed, r.observed, r.message) for r in batched] == [
        (r.check, r.passed, r.observed, r.message) for r in alone
    ]


def test_warn_severity_records_the_failure_but_does_not_block() -> None:
    result = one(not_null("order_id", severity="warn"), BAD_ORDERS)
    assert not result.passed
    assert result.severity == "warn"
    assert not result.blocks


def test_no_checks_no_results() -> None:
    assert run_checks([], ORDERS) == []


# -- the forms a SQL file header uses ----------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"not_null": "day"}, not_null("day")),
        ({"unique": ["day", "customer"]}, unique(["day", "customer"])),
        ({"row_count": {"min": 1}}, row_count(min=1)),
        ({"row_count": {"min": 1, "max": 9}}, row_count(min=1, max=9)),
        ({"accepted_values": {"column": "status", "values": ["paid"]}}, accepted_values("status", ["paid"])),
        ({"sql": "x > 0"}, expect_sql("x > 0")),
        ({"not_null": "day", "severity": "warn"}, not_null("day", severity="warn")),
        ({"sql": "x > 0", "severity": "warn"}, expect_sql("x > 0", severity="warn")),
    ],
)
def test_check_from_dict(spec: dict[str, object], expected: Check) -> None:
    check = check_from_dict(spec, "models/revenue.sql")
    assert check == expected
    assert check.severity == expected.severity


def test_check_from_dict_gives_a_working_check() -> None:
    check = check_from_dict({"row_count": {"min": 5}, "severity": "warn"}, "f.sql")
    result = one(check, ORDERS)
    assert not result.passed and not result.blocks


@pytest.mark.parametrize(
    "spec",
    [
        {},
        {"severity": "warn"},
        {"not_null": "day", "unique": "day"},
    ],
)
def test_check_from_dict_with_an_unknown_key_is_a_definition_error(spec: dict[str, object]) -> None:
    with pytest.raises(DefinitionError, match="models/revenue.sql: check .* is not understood: use one of not_null"):
        check_from_dict(spec, "models/revenue.sql")


@pytest.mark.parametrize(
    "spec",
    [
        {"row_count": {"minimum": 1}},
        {"row_count": 5},
        {"accepted_values": ["paid", "refunded"]},
        {"accepted_values": {"column": "status"}},
    ],
)
def test_check_from_dict_with_bad_options_is_a_definition_error(spec: dict[str, object]) -> None:
    with pytest.raises(DefinitionError, match="models/revenue.sql"):
        check_from_dict(spec, "models/revenue.sql")


def test_check_from_dict_with_an_unknown_kind_lists_the_kinds() -> None:
    with pytest.raises(DefinitionError, match="models/revenue.sql: unknown check 'nope': use not_null, unique, "):
        check_from_dict({"nope": "day"}, "models/revenue.sql")


def test_check_from_dict_with_an_unknown_severity_is_a_definition_error() -> None:
    # A typo must fail loudly: an unknown severity would otherwise silently never block.
    with pytest.raises(DefinitionError, match="blocker"):
        check_from_dict({"not_null": "day", "severity": "blocker"}, "models/revenue.sql")
