"""Checks written in a SQL file's header: ``{ not_null = "day" }`` becomes ``not_null("day")``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any

from assets_core.checks.base import Check
from assets_core.checks.builtin import (
    accepted_values,
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
from assets_core.checks.sql import expect_sql, sql_check
from assets_core.errors import DefinitionError

# key -> the class it makes (its fields are the options a table may give), how, and an example.
_FROM_DICT: dict[str, tuple[type[Check], Callable[[Any], Check], str]] = {
    "not_null": (not_null, lambda v: not_null(v), 'not_null = "day"'),
    "unique": (unique, lambda v: unique(v), 'unique = ["day", "customer"]'),
    "row_count": (row_count, lambda v: row_count(**v), "row_count = { min = 1 }"),
    "accepted_values": (
        accepted_values, lambda v: accepted_values(**v), 'accepted_values = { column = "s", values = ["a"] }'
    ),
    "sql": (expect_sql, lambda v: expect_sql(v), 'sql = "amount > 0"'),
    "in_range": (in_range, lambda v: in_range(**v), 'in_range = { col = "x", min = 0 }'),
    "matches": (matches, lambda v: matches(**v), 'matches = { col = "x", regex = "[a-z]+" }'),
    "row_count_change": (
        row_count_change, lambda v: row_count_change(**v), "row_count_change = { max_pct = 50, lookback = 7 }"
    ),
    "freshness_in_data": (
        freshness_in_data, lambda v: freshness_in_data(**v), 'freshness_in_data = { col = "ts", max_lag = "1d" }'
    ),
    "relationships": (
        relationships, lambda v: relationships(**v), 'relationships = { col = "x", to_asset = "a", to_col = "y" }'
    ),
    "schema": (schema, lambda v: schema(**v), 'schema = { columns = { x = "Int64" }, extra_columns = false }'),
    "sql_check": (sql_check, lambda v: sql_check(v), 'sql_check = "SELECT * FROM staged WHERE amount < 0"'),
}


def check_from_dict(spec: dict[str, Any], where: str) -> Check:
    """A check written in a SQL file's header: ``{ not_null = "day" }``, ``{ row_count = { min = 1 } }``."""
    from assets_core.definitions.schema import unknown_key

    options = dict(spec)
    severity = options.pop("severity", "blocking")
    if len(options) != 1:
        raise DefinitionError(
            [f"{where}: check {spec} is not understood: use one of {', '.join(_FROM_DICT)} as its key."]
        )
    if next(iter(options)) not in _FROM_DICT:
        raise DefinitionError([unknown_key(where, "check", next(iter(options)), list(_FROM_DICT))])
    kind, value = next(iter(options.items()))
    made, make, example = _FROM_DICT[kind]
    if isinstance(value, dict):
        names = [f.name for f in fields(made) if f.init and f.name != "severity"]
        unknown = [key for key in value if key not in names]
        if unknown:
            raise DefinitionError([unknown_key(f"{where}: check {kind}", "option", unknown[0], names)])
    try:
        return replace(make(value), severity=severity)
    except DefinitionError as exc:
        raise DefinitionError([f"{where}: {exc}"]) from None
    except (TypeError, ValueError) as exc:
        raise DefinitionError([f"{where}: check {spec} has bad options ({exc}): write it like {example}."]) from None
