"""Running all checks of one partition: the polars-measurable ones batched into one query."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from assets_core.checks.base import _UNMEASURED, Check, CheckContext, CheckResult, _caching_reads, _run_one

if TYPE_CHECKING:
    import polars as pl


def run_checks(checks: Sequence[Check], data: pl.DataFrame, context: CheckContext | None = None) -> list[CheckResult]:
    """All checks of one partition: the polars-measurable ones in a single query. Only failed
    checks do more (a sample of failing rows), so an all-pass run costs that one query."""
    context = _caching_reads(context)
    measured, share = _measure_together(checks, data)
    return [
        _run_one(c, data, context, measured.get(i, _UNMEASURED), time.perf_counter() - (share if i in measured else 0.0))
        for i, c in enumerate(checks)
    ]


def _measure_together(checks: Sequence[Check], data: pl.DataFrame) -> tuple[dict[int, Any], float]:
    """Index -> measured value, and each check's share of the query time; empty when there is
    nothing to batch or one check breaks the query (they then run one by one to say which)."""
    batched = [(i, e) for i, c in enumerate(checks) if (e := _measure_or_none(c)) is not None]
    if len(batched) < 2:
        return {}, 0.0
    started = time.perf_counter()
    try:
        query = data.lazy().select([e.alias(f"check_{i}") for i, e in batched])
        values = query.collect(engine="in-memory").row(0)
    except Exception:
        return {}, 0.0
    return {i: v for (i, _), v in zip(batched, values)}, (time.perf_counter() - started) / len(batched)


def _measure_or_none(check_: Check) -> pl.Expr | None:
    try:
        return check_.measure()
    except Exception:  # e.g. expect() of something that is not an expression: run alone, fail there
        return None
