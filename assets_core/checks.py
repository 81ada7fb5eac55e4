"""Checks run on staged data. Bad data gives a failed :class:`CheckResult`, not an exception.

A check measures one scalar with a polars expression (``measure``), so all checks of a
partition run as one query; ``judge`` turns the scalar into pass or fail. Only a failed check
does more work: a row-level one samples up to 20 of its failing rows (``failing_rows``). What a
check needs beyond the rows (the partition's window, earlier row counts, another asset's
column) comes from the :class:`CheckContext` the engine passes.

    >>> import polars as pl
    >>> not_null("id").run(pl.DataFrame({"id": [1, None]})).passed
    False
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import time
import traceback
import types
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

from assets_core.errors import DefinitionError
from assets_core.freshness import human_duration, parse_duration

if TYPE_CHECKING:
    import polars as pl
    from sqlglot import exp

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


def _bounds(minimum: Any, maximum: Any) -> str:
    return ", ".join(f"{label}={value}" for label, value in (("min", minimum), ("max", maximum)) if value is not None)


# -- row-level checks: a measure, and a predicate for the failing rows ---------------------


@dataclass(frozen=True)
class not_null(Check):  # noqa: N801 - reads like a sentence in checks=[...]
    """No null in ``column``."""

    column: str

    @property
    def name(self) -> str:
        return f"not_null({self.column})"

    def measure(self) -> pl.Expr:
        import polars as pl

        return pl.col(self.column).null_count()

    def failing_rows(self) -> pl.Expr:
        import polars as pl

        return pl.col(self.column).is_null()


@dataclass(frozen=True)
class unique(Check):  # noqa: N801
    """No two rows share the values of ``columns``."""

    columns: str | Sequence[str]

    @property
    def _cols(self) -> list[str]:
        return [self.columns] if isinstance(self.columns, str) else list(self.columns)

    @property
    def name(self) -> str:
        return f"unique({', '.join(self._cols)})"

    @property
    def identity(self) -> str:
        return _identity("unique", {"columns": self._cols, "severity": self.severity})  # "a" is ["a"]

    def _key(self) -> pl.Expr:
        import polars as pl

        return pl.col(self._cols[0]) if len(self._cols) == 1 else pl.struct(self._cols)

    def measure(self) -> pl.Expr:
        import polars as pl

        return pl.len() - self._key().n_unique()

    def failing_rows(self) -> pl.Expr:
        """Every row of a duplicated key, the first one too: the sample shows the clash."""
        return self._key().is_duplicated()

    def judge(self, observed: Any, rows: int) -> tuple[bool, str]:
        return observed == 0, "ok" if observed == 0 else f"{observed} duplicate rows"


@dataclass(frozen=True)
class accepted_values(Check):  # noqa: N801
    """Every non-null value of ``column`` is one of ``values``."""

    column: str
    values: Sequence[Any]

    @property
    def name(self) -> str:
        return f"accepted_values({self.column})"

    def measure(self) -> pl.Expr:
        return self.failing_rows().sum()

    def failing_rows(self) -> pl.Expr:
        import polars as pl

        column = pl.col(self.column)
        return column.is_not_null() & ~column.is_in(list(self.values))


@dataclass(frozen=True)
class in_range(Check):  # noqa: N801
    """Every non-null value of ``col`` lies in ``[min, max]``, bounds included, either optional:
    ``in_range("discount", min=0, max=1)``."""

    col: str
    min: Any = None
    max: Any = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.min is None and self.max is None:
            raise DefinitionError([f"in_range({self.col}) checks nothing: give it min, max or both."])

    @property
    def name(self) -> str:
        return f"in_range({self.col}, {_bounds(self.min, self.max)})"

    def measure(self) -> pl.Expr:
        return self.failing_rows().sum()

    def failing_rows(self) -> pl.Expr:
        import polars as pl

        column = pl.col(self.col)
        outside = []
        if self.min is not None:
            outside.append(column < self.min)
        if self.max is not None:
            outside.append(column > self.max)
        return column.is_not_null() & pl.any_horizontal(outside)


@dataclass(frozen=True)
class matches(Check):  # noqa: N801
    """Every non-null value of ``col`` matches ``regex`` as a whole (it is anchored for you:
    ``matches("sku", "[A-Z]{3}-[0-9]+")`` fails ``"xABC-1"``). Full match, because a pattern
    found anywhere in a value would let malformed values through silently. Rust regex syntax."""

    col: str
    regex: str

    @property
    def name(self) -> str:
        return f"matches({self.col}, {self.regex!r})"

    def measure(self) -> pl.Expr:
        return self.failing_rows().sum()

    def failing_rows(self) -> pl.Expr:
        import polars as pl

        column = pl.col(self.col)
        return column.is_not_null() & ~column.str.contains(f"^(?:{self.regex})$")


@dataclass(frozen=True)
class expect(Check):  # noqa: N801
    """Every row satisfies a polars expression: ``expect(pl.col("amount") > 0, label="positive")``."""

    expression: Any
    label: str | None = None

    @property
    def name(self) -> str:
        return self.label or f"expect({self.expression})"

    @property
    def identity(self) -> str:
        text = str(self.expression)
        if "…" in text:  # polars elides long literals (is_in lists) in the text: add the full form
            try:
                full = self.expression.meta.serialize(format="json")
                text += "#" + hashlib.sha256(full.encode()).hexdigest()[:16]
            except Exception:  # e.g. a Python function inside: the text is all there is
                pass
        return _identity("expect", {"expression": text, "label": self.label, "severity": self.severity})

    def measure(self) -> pl.Expr:
        failing: pl.Expr = self.failing_rows().sum()
        return failing

    def failing_rows(self) -> pl.Expr:
        failing: pl.Expr = ~self.expression.fill_null(False)
        return failing


@dataclass(frozen=True)
class relationships(Check):  # noqa: N801
    """Every non-null ``col`` value exists in column ``to_col`` of asset ``to_asset`` (a foreign
    key): ``relationships("customer_id", to_asset="customers", to_col="id")``. The referenced
    column comes from ``context.read_column``, over all of that asset's published data."""

    col: str
    to_asset: str
    to_col: str

    @property
    def name(self) -> str:
        return f"relationships({self.col} -> {self.to_asset}.{self.to_col})"

    @property
    def references(self) -> tuple[str, ...]:
        return (self.to_asset,)

    def _orphans(self, context: CheckContext | None) -> pl.Expr:
        read_column = _needs(self, context, f"read_column, to read {self.to_asset}.{self.to_col}").read_column
        if read_column is None:
            raise _MissingContext(f"{self.name} needs context.read_column to read {self.to_asset}.{self.to_col}.")
        import polars as pl

        column = pl.col(self.col)
        return column.is_not_null() & ~column.is_in(read_column(self.to_asset, self.to_col).implode())

    def evaluate(self, data: pl.DataFrame, context: CheckContext | None = None) -> Any:
        return data.select(self._orphans(context).sum()).item()

    def sample_failures(self, data: pl.DataFrame, context: CheckContext | None) -> list[dict[str, Any]]:
        return _records(data.filter(self._orphans(context)))


# -- aggregate checks: no failing rows to show ----------------------------------------------


@dataclass(frozen=True)
class row_count(Check):  # noqa: N801
    """The partition has between ``min`` and ``max`` rows (either bound optional)."""

    min: int | None = None
    max: int | None = None

    @property
    def name(self) -> str:
        return f"row_count({_bounds(self.min, self.max)})"

    def measure(self) -> pl.Expr:
        import polars as pl

        return pl.len()

    def judge(self, observed: Any, rows: int) -> tuple[bool, str]:
        passed = (self.min is None or observed >= self.min) and (self.max is None or observed <= self.max)
        if passed:
            return True, f"{observed} rows"
        bounds = [f"at least {self.min}" if self.min is not None else "", f"at most {self.max}" if self.max is not None else ""]
        return False, f"{observed} rows, expected {' and '.join(b for b in bounds if b)}"


@dataclass(frozen=True)
class row_count_change(Check):  # noqa: N801
    """The row count is within ``max_pct`` percent of the median of the last ``lookback``
    published partitions: ``row_count_change(max_pct=50)`` catches a half-loaded day. The
    median, so that one odd partition in the history does not move the bar."""

    max_pct: float
    lookback: int = 7

    def __post_init__(self) -> None:
        super().__post_init__()
        if isinstance(self.max_pct, bool) or not isinstance(self.max_pct, (int, float)) or self.max_pct < 0:
            raise DefinitionError([f"row_count_change: max_pct is a percentage >= 0, not {self.max_pct!r}."])
        if isinstance(self.lookback, bool) or not isinstance(self.lookback, int) or self.lookback < 1:
            raise DefinitionError([f"row_count_change: lookback is a number of partitions >= 1, not {self.lookback!r}."])

    @property
    def name(self) -> str:
        return f"row_count_change(max_pct={self.max_pct:g}, lookback={self.lookback})"

    @property
    def history_needed(self) -> int:
        return self.lookback

    def measure(self) -> pl.Expr:
        import polars as pl

        return pl.len()

    def conclude(self, observed: Any, rows: int, context: CheckContext | None) -> CheckOutcome:
        history = _needs(self, context, "the row counts of earlier partitions").row_history[-self.lookback:]
        if not history:
            return CheckOutcome(True, observed, f"{observed} rows; no earlier partition to compare with yet")
        import statistics

        median = statistics.median(history)
        change = (observed - median) / median * 100 if median else (0.0 if observed == 0 else float("inf"))
        text = f"{observed} rows, {change:+.1f}% from the median {median:g} of the last {len(history)} partitions"
        if abs(change) <= self.max_pct:
            return CheckOutcome(True, observed, text)
        return CheckOutcome(False, observed, f"{text}, more than {self.max_pct:g}%")


@dataclass(frozen=True)
class freshness_in_data(Check):  # noqa: N801
    """The newest ``col`` value is at most ``max_lag`` before the end of the partition's window
    (for an unpartitioned asset: before ``context.now``): ``freshness_in_data("ts", "2h")``
    catches a feed that stopped mid-day. Naive timestamps are read as UTC, a date as its
    midnight UTC. ``max_lag`` is a timedelta or text like ``"30m"``, ``"2h"``, ``"1d"``."""

    col: str
    max_lag: timedelta | str

    def __post_init__(self) -> None:
        super().__post_init__()
        try:  # parsed once, so that "1d" and "24h" are the same check
            object.__setattr__(self, "max_lag", parse_duration(self.max_lag))
        except DefinitionError as exc:
            raise DefinitionError([f"freshness_in_data({self.col}): {exc}"]) from None

    @property
    def _lag(self) -> timedelta:
        return parse_duration(self.max_lag)

    @property
    def name(self) -> str:
        return f"freshness_in_data({self.col}, max_lag={_duration_text(self._lag)})"

    def measure(self) -> pl.Expr:
        import polars as pl

        return pl.col(self.col).max()

    def conclude(self, observed: Any, rows: int, context: CheckContext | None) -> CheckOutcome:
        known = _needs(self, context, "the partition's data interval, or now")
        if known.data_interval is not None:
            reference, what = known.data_interval.end, f"the end of partition {known.partition_key}"
        elif known.now is not None:
            reference, what = known.now, "now"
        else:
            raise _MissingContext(f"{self.name} needs the partition's data interval or context.now; the context has neither.")
        if observed is None:
            return CheckOutcome(False, None, "the partition is empty" if rows == 0 else f"{self.col} has no value")
        newest = _as_aware(observed, self.col)
        lag = _as_aware(reference, "the reference time") - newest
        text = f"newest {self.col} is {newest.isoformat()}, {human_duration(max(lag, timedelta(0)))} before {what}"
        if lag <= self._lag:
            return CheckOutcome(True, newest.isoformat(), text)
        return CheckOutcome(False, newest.isoformat(), f"{text}, more than {_duration_text(self._lag)}")


def _as_aware(value: Any, what: str) -> datetime:
    """Naive timestamps are UTC by convention; a date stands for its midnight."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=timezone.utc)
    raise TypeError(f"{what} is {type(value).__name__} {value!r}, expected a Datetime or Date")


def _duration_text(delta: timedelta) -> str:
    seconds = delta.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


# Polars type names a schema may be written with (data contracts in SQL headers are text).
_DTYPE_NAMES = (
    "Boolean", "Int8", "Int16", "Int32", "Int64", "Int128", "UInt8", "UInt16", "UInt32", "UInt64",
    "UInt128", "Float16", "Float32", "Float64", "Decimal", "String", "Utf8", "Binary", "Date",
    "Datetime", "Time", "Duration", "Categorical", "Enum", "List", "Array", "Struct", "Null", "Object",
)
_PYTHON_DTYPES: dict[Any, str] = {
    int: "Int64", float: "Float64", str: "String", bool: "Boolean",
    datetime: "Datetime", date: "Date", Decimal: "Decimal",
}


@dataclass(frozen=True)
class schema(Check):  # noqa: N801
    """A data contract: these columns with these types, ``schema({"id": "Int64", "ts": "Datetime"})``
    or ``schema(Order)`` for a pydantic model. A type written as a name, or as a polars class
    (``pl.Datetime``), accepts any unit and time zone; ``pl.Datetime("us", "UTC")`` only that one.
    With ``extra_columns=False`` a column not in the contract fails too."""

    columns: Mapping[str, Any] | type
    extra_columns: bool = True
    _expected: tuple[tuple[str, Any], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        object.__setattr__(self, "_expected", tuple(_expected_types(self.columns).items()))

    @property
    def name(self) -> str:
        described = getattr(self.columns, "__name__", None) or ", ".join(f"{n}: {t}" for n, t in self._expected)
        return f"schema({described}{'' if self.extra_columns else ', extra_columns=False'})"

    @property
    def identity(self) -> str:
        columns = {column: str(dtype) for column, dtype in self._expected}  # a model's fields, not its name
        return _identity("schema", {"columns": columns, "extra_columns": self.extra_columns, "severity": self.severity})

    def evaluate(self, data: pl.DataFrame, context: CheckContext | None = None) -> list[str]:
        import polars as pl

        actual = data.schema
        problems = [f"missing column '{n}'" for n, _ in self._expected if n not in actual]
        for column, dtype in self._expected:
            wanted = getattr(pl, dtype) if isinstance(dtype, str) else dtype
            if column in actual and actual[column] != wanted:
                problems.append(f"column '{column}' is {actual[column]}, expected {dtype}")
        if not self.extra_columns:
            expected = {column for column, _ in self._expected}
            problems += [f"unexpected column '{n}'" for n in actual if n not in expected]
        return problems

    def judge(self, observed: Any, rows: int) -> tuple[bool, str]:
        return not observed, "ok" if not observed else "; ".join(observed)


def _expected_types(columns: Mapping[str, Any] | type) -> dict[str, Any]:
    """Column -> a polars type name or a polars type; checked now, so a typo fails at load."""
    if isinstance(columns, type) and hasattr(columns, "model_fields"):
        return {n: _python_dtype(columns.__name__, n, f.annotation) for n, f in columns.model_fields.items()}
    if not isinstance(columns, Mapping):
        raise DefinitionError([f"schema: columns is a dict of column -> type or a pydantic model, not {columns!r}."])
    for column, dtype in columns.items():
        if isinstance(dtype, str) and dtype not in _DTYPE_NAMES:
            import difflib

            near = difflib.get_close_matches(dtype, _DTYPE_NAMES, n=1)
            hint = f" Did you mean '{near[0]}'?" if near else f" Use one of {', '.join(_DTYPE_NAMES)}."
            raise DefinitionError([f"schema: column '{column}' has type '{dtype}', which is not a polars type name.{hint}"])
    return dict(columns)


def _python_dtype(model: str, column: str, annotation: Any) -> str:
    """The polars type name of a model field: ``Optional[X]`` is X (nulls are not the contract's business)."""
    if get_origin(annotation) is Annotated:
        return _python_dtype(model, column, get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        options = [a for a in get_args(annotation) if a is not type(None)]
        if len(options) == 1:
            return _python_dtype(model, column, options[0])
    if annotation in _PYTHON_DTYPES:
        return _PYTHON_DTYPES[annotation]
    raise DefinitionError([
        f"schema: field '{column}' of {model} is {annotation}, which has no polars type here: "
        "use int, float, str, bool, datetime, date or Decimal (or Optional of one), or a dict of polars types."
    ])


# -- SQL checks, run by DuckDB on the staged frame as the table `staged` ------------------


@dataclass(frozen=True)
class expect_sql(Check):  # noqa: N801
    """Every row satisfies a SQL predicate, evaluated by DuckDB: ``expect_sql("amount > 0")``."""

    predicate: str
    label: str | None = None

    @property
    def name(self) -> str:
        return self.label or f"sql({self.predicate})"

    def _failing(self) -> exp.Select:
        from sqlglot import condition, exp, select

        # Parsed into an expression and rebuilt, so it can only ever be a predicate.
        predicate = condition(self.predicate, dialect="duckdb")
        return select("*").from_("staged").where(exp.not_(exp.Coalesce(this=predicate, expressions=[exp.false()])))

    def evaluate(self, data: pl.DataFrame, context: CheckContext | None = None) -> Any:
        return _duckdb_count(data, self._failing())

    def sample_failures(self, data: pl.DataFrame, context: CheckContext | None) -> list[dict[str, Any]]:
        return _duckdb_records(data, self._failing())


@dataclass(frozen=True)
class sql_check(Check):  # noqa: N801
    """A query over the staged rows (the table ``staged``) that returns the bad ones:
    ``sql_check("SELECT * FROM staged WHERE shipped_at < ordered_at")``. Every returned row is a
    failure. Only one SELECT (or UNION/INTERSECT/EXCEPT) is accepted, checked at definition."""

    query: str
    label: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _single_select(self.query, self.name)

    @property
    def name(self) -> str:
        return self.label or f"sql_check({' '.join(str(self.query).split())})"

    def evaluate(self, data: pl.DataFrame, context: CheckContext | None = None) -> Any:
        return _duckdb_count(data, _single_select(self.query, self.name))

    def judge(self, observed: Any, rows: int) -> tuple[bool, str]:
        return observed == 0, "ok" if observed == 0 else f"{observed} rows returned by {self.name}"

    def sample_failures(self, data: pl.DataFrame, context: CheckContext | None) -> list[dict[str, Any]]:
        return _duckdb_records(data, _single_select(self.query, self.name))


def _single_select(query: str, who: str) -> exp.Query:
    """The parsed query, rebuilt before it runs, so nothing but one SELECT ever reaches DuckDB."""
    import sqlglot
    from sqlglot import exp

    if not isinstance(query, str):
        raise DefinitionError([f"{who}: the query is text, not {type(query).__name__}."])
    try:
        statements = [s for s in sqlglot.parse(query, read="duckdb") if s is not None]
    except sqlglot.ParseError as exc:
        raise DefinitionError([f"{who}: the query does not parse: {str(exc).splitlines()[0]}"]) from None
    statement = statements[0] if len(statements) == 1 else None
    if not isinstance(statement, (exp.Select, exp.SetOperation)):
        found = ", ".join(type(s).__name__.upper() for s in statements) or "no statement"
        raise DefinitionError([f"{who}: a SQL check is one SELECT returning the failing rows, found {found}."])
    return statement


def _duckdb_count(data: pl.DataFrame, failing: exp.Query) -> int:
    from sqlglot import exp

    _, rows = _duckdb(data, exp.select(exp.Count(this=exp.Star())).from_(failing.subquery("failures")))
    return int(rows[0][0])


def _duckdb_records(data: pl.DataFrame, failing: exp.Query) -> list[dict[str, Any]]:
    from sqlglot import exp

    names, rows = _duckdb(data, exp.select("*").from_(failing.subquery("failures")).limit(SAMPLE_ROWS))
    return [_jsonable(dict(zip(names, row))) for row in rows]


def _duckdb(data: pl.DataFrame, query: exp.Query) -> tuple[list[str], list[tuple[Any, ...]]]:
    import duckdb

    connection = duckdb.connect()
    try:
        connection.register("staged", data)
        cursor = connection.execute(query.sql(dialect="duckdb"))
        return [column[0] for column in cursor.description or []], cursor.fetchall()
    finally:
        connection.close()


# -- custom checks: a function of the staged data ------------------------------------------


@dataclass(frozen=True)
class CustomCheck(Check):
    """A check written as a function by :func:`check`; ``asset`` is the asset it validates."""

    fn: Callable[..., bool | CheckOutcome]
    asset: str
    label: str | None = None

    @property
    def name(self) -> str:
        return self.label or str(getattr(self.fn, "__name__", type(self.fn).__name__))

    @property
    def identity(self) -> str:
        return _identity("CustomCheck", {
            "asset": self.asset, "name": self.name, "severity": self.severity, "code": _source_fingerprint(self.fn),
        })

    def evaluate(self, data: pl.DataFrame, context: CheckContext | None = None) -> CheckOutcome:
        wants_context = "context" in inspect.signature(self.fn).parameters
        arguments = {"context": _needs(self, context, "its context parameter")} if wants_context else {}
        try:
            value = self.fn(data, **arguments)
        except Exception as exc:  # the user's bug, reported with the user's line
            return CheckOutcome(False, None, self._raised(exc))
        if isinstance(value, CheckOutcome):
            return value
        if isinstance(value, bool):
            return CheckOutcome(value)
        return CheckOutcome(False, None, f"{self.name} returned {type(value).__name__}, expected a bool or a CheckOutcome")

    def conclude(self, observed: Any, rows: int, context: CheckContext | None) -> CheckOutcome:
        outcome: CheckOutcome = observed
        return outcome if outcome.message else replace(outcome, message="ok" if outcome.passed else f"{self.name} failed")

    def _raised(self, exc: Exception) -> str:
        frames = traceback.extract_tb(exc.__traceback__)
        source = getattr(getattr(self.fn, "__code__", None), "co_filename", None)
        at = ([f for f in frames if f.filename == source] or frames)[-1]
        return f"{self.name} raised {type(exc).__name__}: {exc} ({at.filename}:{at.lineno})"


def _source_fingerprint(fn: Callable[..., Any]) -> str:
    from assets_core.definitions import code_fingerprint

    try:
        return code_fingerprint(inspect.getsource(fn))
    except (OSError, TypeError, SyntaxError):  # no source (REPL, C function) or a lambda's fragment
        return str(getattr(fn, "__qualname__", None) or repr(fn))


def check(
    asset: str, blocking: bool = True, name: str | None = None
) -> Callable[[Callable[..., bool | CheckOutcome]], CustomCheck]:
    """Make a function of the staged data a check of ``asset``; return a bool or a CheckOutcome,
    and take a second parameter named ``context`` to receive the :class:`CheckContext`::

        @check(asset="orders", blocking=False)
        def no_future_orders(data: pl.DataFrame) -> bool:
            return data["ordered_at"].max() <= datetime.now(timezone.utc)
    """
    if not isinstance(asset, str):
        raise DefinitionError(['@check needs the asset it validates, with parentheses: @check(asset="orders").'])

    def decorate(fn: Callable[..., bool | CheckOutcome]) -> CustomCheck:
        parameters = inspect.signature(fn).parameters
        try:
            inspect.signature(fn).bind(None, **({"context": None} if "context" in parameters else {}))
        except TypeError as exc:
            raise DefinitionError([
                f"@check function '{getattr(fn, '__name__', fn)}' must take the staged data, "
                f"and optionally a parameter named context ({exc})."
            ]) from None
        return CustomCheck(fn, asset, name, severity="blocking" if blocking else "warn")

    return decorate


# -- checks written in a SQL file's header ---------------------------------------------------

_FROM_DICT: dict[str, tuple[Callable[[Any], Check], str]] = {
    "not_null": (lambda v: not_null(v), 'not_null = "day"'),
    "unique": (lambda v: unique(v), 'unique = ["day", "customer"]'),
    "row_count": (lambda v: row_count(**v), "row_count = { min = 1 }"),
    "accepted_values": (lambda v: accepted_values(**v), 'accepted_values = { column = "s", values = ["a"] }'),
    "sql": (lambda v: expect_sql(v), 'sql = "amount > 0"'),
    "in_range": (lambda v: in_range(**v), 'in_range = { col = "x", min = 0 }'),
    "matches": (lambda v: matches(**v), 'matches = { col = "x", regex = "[a-z]+" }'),
    "row_count_change": (lambda v: row_count_change(**v), "row_count_change = { max_pct = 50, lookback = 7 }"),
    "freshness_in_data": (lambda v: freshness_in_data(**v), 'freshness_in_data = { col = "ts", max_lag = "1d" }'),
    "relationships": (lambda v: relationships(**v), 'relationships = { col = "x", to_asset = "a", to_col = "y" }'),
    "schema": (lambda v: schema(**v), 'schema = { columns = { x = "Int64" }, extra_columns = false }'),
    "sql_check": (lambda v: sql_check(v), 'sql_check = "SELECT * FROM staged WHERE amount < 0"'),
}


def check_from_dict(spec: dict[str, Any], where: str) -> Check:
    """A check written in a SQL file's header: ``{ not_null = "day" }``, ``{ row_count = { min = 1 } }``."""
    options = dict(spec)
    severity = options.pop("severity", "blocking")
    if len(options) != 1 or next(iter(options)) not in _FROM_DICT:
        raise DefinitionError(
            [f"{where}: check {spec} is not understood: use one of {', '.join(_FROM_DICT)} as its key."]
        )
    kind, value = next(iter(options.items()))
    make, example = _FROM_DICT[kind]
    try:
        return replace(make(value), severity=severity)
    except DefinitionError as exc:
        raise DefinitionError([f"{where}: {exc}"]) from None
    except (TypeError, ValueError) as exc:
        raise DefinitionError([f"{where}: check {spec} has bad options ({exc}): write it like {example}."]) from None


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
