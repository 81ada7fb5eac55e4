"""Checks run on staged data. Bad data gives a failed :class:`CheckResult`, not an exception.

A check measures one scalar with a polars expression (``measure``), so all checks of a
partition run as one query; ``judge`` turns the scalar into pass or fail. Only a failed check
does more work: a row-level one samples up to 20 of its failing rows (``failing_rows``). What a
check needs beyond the rows (the partition's window, earlier row counts, another asset's
column) comes from the :class:`CheckContext` the engine passes.

    >>> import polars as pl
    >>> not_null("id").run(pl.DataFrame({"id": [1, None]})).passed
    False

Where each part lives:

- ``base``: :class:`CheckContext`, :class:`CheckResult`, :class:`CheckOutcome` and the
  :class:`Check` base class with its measure/evaluate/judge/conclude/sample machinery;
- ``builtin``: the column and row checks measured with polars (``not_null``, ``unique``,
  ``row_count``, ``accepted_values``, ``in_range``, ``matches``, ``expect``,
  ``relationships``, ``row_count_change``, ``freshness_in_data``, ``schema``);
- ``sql``: ``expect_sql`` and ``sql_check``, run by DuckDB on the staged rows;
- ``custom``: :class:`CustomCheck` and the ``@check`` decorator;
- ``header``: ``check_from_dict``, checks written in a SQL file's header;
- ``run``: ``run_checks``, all checks of one partition with the measurable ones batched.

Polars, DuckDB and sqlglot are imported inside the functions that use them, so importing
this package loads none of them.
"""

from assets_core.checks.base import (
    SAMPLE_ROWS,
    Check,
    CheckContext,
    CheckOutcome,
    CheckResult,
    Severity,
)
from assets_core.checks.builtin import (
    accepted_values,
    expect,
    freshness_in_data,
    in_range,
    matches,
    not_null,
    relationships,
    row_count,
    row_count_change,
    schema,
    unique,
)
from assets_core.checks.custom import CustomCheck, check
from assets_core.checks.header import check_from_dict
from assets_core.checks.run import run_checks
from assets_core.checks.sql import expect_sql, sql_check

__all__ = [
    "SAMPLE_ROWS",
    "Check",
    "CheckContext",
    "CheckOutcome",
    "CheckResult",
    "CustomCheck",
    "Severity",
    "accepted_values",
    "check",
    "check_from_dict",
    "expect",
    "expect_sql",
    "freshness_in_data",
    "in_range",
    "matches",
    "not_null",
    "relationships",
    "row_count",
    "row_count_change",
    "run_checks",
    "schema",
    "sql_check",
    "unique",
]
