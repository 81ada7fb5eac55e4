"""The built-in column and row checks, measured with polars: row-level ones (``not_null``,
``unique``, ``accepted_values``, ``in_range``, ``matches``, ``expect``, ``relationships``) with
a predicate for their failing rows, aggregate ones (``row_count``, ``row_count_change``,
``freshness_in_data``) and the ``schema`` data contract."""

from __future__ import annotations

import hashlib
import types
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args, get_origin

from assets_core.checks.base import Check, CheckContext, CheckOutcome, _identity, _MissingContext, _needs, _records
from assets_core.errors import DefinitionError
from assets_core.definitions.freshness import human_duration, parse_duration

if TYPE_CHECKING:
    import polars as pl


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
