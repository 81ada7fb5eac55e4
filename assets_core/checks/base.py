"""The check machinery: what a check may know (:class:`CheckContext`), what it reports
(:class:`CheckResult`, :class:`CheckOutcome`), and the :class:`Check` base class, which
measures, judges or concludes, and samples failing rows when it fails."""

from __future__ import annotations

import functools
import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

from assets_core.errors import DefinitionError

if TYPE_CHECKING:
    import polars as pl

    from assets_core.partitions import DataInterval

Severity = Literal["blocking", "warn"]

SAMPLE_ROWS = 20
"""Failing rows kept per failed check: enough to see the pattern, small enough for the catalog."""

_UNMEASURED = object()


@dataclass(frozen=True)
class CheckContext:
    """What a check may know beyond the staged rows; the engine builds one per partition.

        >>> CheckContext("orders", "2025-01-01", None, row_history=(98, 101)).row_history[-1]
        101
    """

    asset: str
    partition_key: str  # "" for an unpartitioned asset
    data_interval: DataInterval | None
    row_history: tuple[int, ...] = ()  # latest published partitions before this one, oldest first
    read_column: Callable[[str, str], pl.Series] | None = None  # (asset, column) -> all published values
    now: datetime | None = None  # reference time, for unpartitioned freshness


@dataclass(frozen=True)
class CheckResult:
    check: str
    passed: bool
    severity: Severity
    observed: Any
    message: str
    duration: float = 0.0
    sample: list[dict[str, Any]] | None = None  # up to SAMPLE_ROWS failing rows, JSON-friendly

    @property
    def blocks(self) -> bool:
        return not self.passed and self.severity == "blocking"


@dataclass(frozen=True)
class CheckOutcome:
    """A verdict with more to say than a bool, e.g. from a custom check:
    ``CheckOutcome(False, observed=3, message="3 orders shipped before they were placed")``."""

    passed: bool
    observed: Any = None
    message: str = ""


class _MissingContext(Exception):
    """A check needs what the context lacks: reported as a failed result that says what."""


def _needs(check: Check, context: CheckContext | None, what: str) -> CheckContext:
    if context is None:
        raise _MissingContext(
            f"{check.name} needs a CheckContext ({what}) and ran without one: "
            "the engine passes it; when calling run_checks yourself, pass context=."
        )
    return context


@dataclass(frozen=True)
class Check(ABC):
    """A validation of one staged partition; ``severity="warn"`` records but never blocks.

    A check measures one number over the data with a polars expression (``measure``), so all
    checks of an asset run as one query; ``judge`` turns the number into pass or fail, or
    ``conclude`` when the verdict needs the :class:`CheckContext`. Checks that cannot be one
    expression override ``evaluate``.
    """

    severity: Severity = field(default="blocking", kw_only=True)

    def __post_init__(self) -> None:
        if self.severity not in ("blocking", "warn"):
            raise DefinitionError([f"Check severity {self.severity!r} is not 'blocking' or 'warn'."])
        # The annotations are the schema of a check's arguments: a column named 5, or values
        # given as one string (which would be its letters), fail here, not when the check runs.
        for spec in fields(self):
            if not spec.init:
                continue
            value = getattr(self, spec.name)
            if spec.type == "str" and not isinstance(value, str):
                raise DefinitionError([f"{type(self).__name__}() has {spec.name}={value!r}: give a string."])
            if spec.type == "Sequence[Any]" and not isinstance(value, (list, tuple, set, frozenset)):
                raise DefinitionError(
                    [f"{type(self).__name__}() has {spec.name}={value!r}: give a list, such as ['a', 'b']."]
                )

    @property
    @abstractmethod
    def name(self) -> str: ...

    @property
    def identity(self) -> str:
        """Text that changes when, and only when, the definition does; the engine hashes it to
        notice that an asset's checks changed. Severity is part of it: it decides what blocks."""
        return _identity(type(self).__qualname__, {f.name: getattr(self, f.name) for f in fields(self) if f.compare})

    @property
    def history_needed(self) -> int:
        """How many earlier partitions' row counts the engine should put in ``row_history``."""
        return 0

    @property
    def references(self) -> tuple[str, ...]:
        """Other assets this check reads, so the graph can verify they exist."""
        return ()

    def measure(self) -> pl.Expr | None:
        """A scalar polars expression, or None for checks that cannot be one (SQL)."""
        return None

    def failing_rows(self) -> pl.Expr | None:
        """A boolean row predicate marking failing rows, for row-level checks; None otherwise."""
        return None

    def judge(self, observed: Any, rows: int) -> tuple[bool, str]:
        """Failing-row counts by default: pass when zero."""
        return observed == 0, "ok" if observed == 0 else f"{observed} of {rows} rows fail {self.name}"

    def conclude(self, observed: Any, rows: int, context: CheckContext | None) -> CheckOutcome:
        """The verdict; override instead of ``judge`` when it needs the context."""
        passed, message = self.judge(observed, rows)
        return CheckOutcome(passed, observed, message)

    def evaluate(self, data: pl.DataFrame, context: CheckContext | None = None) -> Any:
        """The observed value, for checks without a polars measure."""
        expression = self.measure()
        if expression is None:
            raise NotImplementedError(f"{type(self).__name__} has neither a measure nor an evaluate")
        return data.select(expression).item()

    def sample_failures(self, data: pl.DataFrame, context: CheckContext | None) -> list[dict[str, Any]] | None:
        """Up to ``SAMPLE_ROWS`` failing rows; only asked of a check that failed."""
        predicate = self.failing_rows()
        return None if predicate is None else _records(data.filter(predicate))

    def run(self, data: pl.DataFrame, context: CheckContext | None = None) -> CheckResult:
        return _run_one(self, data, _caching_reads(context), _UNMEASURED, time.perf_counter())


def _run_one(check: Check, data: pl.DataFrame, context: CheckContext | None, measured: Any, started: float) -> CheckResult:
    """One check's result; ``measured`` is its value from the batched query, if it was in it."""
    outcome, sample = _verdict(check, data, context, measured)
    return CheckResult(
        check.name, outcome.passed, check.severity, _jsonable(outcome.observed), outcome.message,
        time.perf_counter() - started, sample,
    )


def _verdict(
    check: Check, data: pl.DataFrame, context: CheckContext | None, measured: Any
) -> tuple[CheckOutcome, list[dict[str, Any]] | None]:
    try:
        observed = check.evaluate(data, context) if measured is _UNMEASURED else measured
        outcome = check.conclude(observed, data.height, context)
    except _MissingContext as exc:
        return CheckOutcome(False, None, str(exc)), None
    except Exception as exc:  # a check that cannot run is a failed check, with the reason
        return CheckOutcome(False, None, f"check could not run: {exc}"), None
    if outcome.passed:
        return outcome, None
    try:
        return outcome, check.sample_failures(data, context)
    except Exception:  # a sample is a courtesy: failing to take one must not hide the verdict
        return outcome, None


def _records(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [_jsonable(row) for row in frame.head(SAMPLE_ROWS).to_dicts()]


def _jsonable(value: Any) -> Any:
    """Samples and observed values are stored as JSON: dates, times and decimals become text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "isoformat"):  # datetime, date, time
        return value.isoformat()
    return str(value)  # Decimal, timedelta, anything else


def _identity(kind: str, params: Mapping[str, Any]) -> str:
    return f"{kind}{json.dumps(_canonical(params), sort_keys=True, separators=(',', ':'))}"


def _canonical(value: Any) -> Any:
    """A parameter as stable JSON: durations in seconds, sets sorted, types and functions by name."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):  # no order of their own: sort so the text is stable
        return sorted((_canonical(v) for v in value), key=repr)
    if isinstance(value, Sequence):
        return [_canonical(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return getattr(value, "__qualname__", None) or str(value)  # types, polars dtypes, functions


def _caching_reads(context: CheckContext | None) -> CheckContext | None:
    """One read of each referenced column per run, however many checks and samples need it."""
    if context is None or context.read_column is None:
        return context
    return replace(context, read_column=functools.lru_cache(maxsize=None)(context.read_column))
