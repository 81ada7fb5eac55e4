"""Checks run on staged data. Bad data gives a failed :class:`CheckResult`, not an exception.

    >>> import polars as pl
    >>> not_null("id").run(pl.DataFrame({"id": [1, None]})).passed
    False
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from assets_core.errors import DefinitionError

if TYPE_CHECKING:
    import polars as pl

Severity = Literal["blocking", "warn"]


@dataclass(frozen=True)
class CheckResult:
    check: str
    passed: bool
    severity: Severity
    observed: Any
    message: str
    duration: float = 0.0

    @property
    def blocks(self) -> bool:
        return not self.passed and self.severity == "blocking"


@dataclass(frozen=True)
class Check(ABC):
    """A validation of one staged partition; ``severity="warn"`` records but never blocks.

    A check measures one number over the data with a polars expression (``measure``), so all
    checks of an asset run as one query; ``judge`` turns the number into pass or fail.
    """

    severity: Severity = field(default="blocking", kw_only=True)

    def __post_init__(self) -> None:
        if self.severity not in ("blocking", "warn"):
            raise DefinitionError([f"Check severity {self.severity!r} is not 'blocking' or 'warn'."])

    @property
    @abstractmethod
    def name(self) -> str: ...

    def measure(self) -> pl.Expr | None:
        """A scalar polars expression, or None for checks that cannot be one (SQL)."""
        return None

    def judge(self, observed: Any, rows: int) -> tuple[bool, str]:
        """Failing-row counts by default: pass when zero."""
        return observed == 0, "ok" if observed == 0 else f"{observed} of {rows} rows fail {self.name}"

    def evaluate(self, data: pl.DataFrame) -> Any:
        """The observed value, for checks without a polars measure."""
        expression = self.measure()
        assert expression is not None
        return data.select(expression).item()

    def run(self, data: pl.DataFrame) -> CheckResult:
        started = time.perf_counter()
        try:
            observed = self.evaluate(data)
            passed, message = self.judge(observed, data.height)
        except Exception as exc:  # a check that cannot run is a failed check, with the reason
            observed, passed, message = None, False, f"check could not run: {exc}"
        return CheckResult(self.name, passed, self.severity, observed, message, time.perf_counter() - started)


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

    def measure(self) -> pl.Expr:
        import polars as pl

        key = pl.col(self._cols[0]) if len(self._cols) == 1 else pl.struct(self._cols)
        return pl.len() - key.n_unique()

    def judge(self, observed: Any, rows: int) -> tuple[bool, str]:
        return observed == 0, "ok" if observed == 0 else f"{observed} duplicate rows"


@dataclass(frozen=True)
class row_count(Check):  # noqa: N801
    """The partition has between ``min`` and ``max`` rows (either bound optional)."""

    min: int | None = None
    max: int | None = None

    @property
    def name(self) -> str:
        bounds = [f"{name}={value}" for name, value in (("min", self.min), ("max", self.max)) if value is not None]
        return f"row_count({', '.join(bounds)})"

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
class accepted_values(Check):  # noqa: N801
    """Every non-null value of ``column`` is one of ``values``."""

    column: str
    values: Sequence[Any]

    @property
    def name(self) -> str:
        return f"accepted_values({self.column})"

    def measure(self) -> pl.Expr:
        import polars as pl

        column = pl.col(self.column)
        return (column.is_not_null() & ~column.is_in(list(self.values))).sum()


@dataclass(frozen=True)
class expect(Check):  # noqa: N801
    """Every row satisfies a polars expression: ``expect(pl.col("amount") > 0, label="positive")``."""

    expression: Any
    label: str | None = None

    @property
    def name(self) -> str:
        return self.label or f"expect({self.expression})"

    def measure(self) -> pl.Expr:
        failing: pl.Expr = (~self.expression.fill_null(False)).sum()
        return failing


@dataclass(frozen=True)
class expect_sql(Check):  # noqa: N801
    """Every row satisfies a SQL predicate, evaluated by DuckDB: ``expect_sql("amount > 0")``."""

    predicate: str
    label: str | None = None

    @property
    def name(self) -> str:
        return self.label or f"sql({self.predicate})"

    def evaluate(self, data: pl.DataFrame) -> Any:
        import duckdb
        from sqlglot import condition, exp, select

        # Parsed into an expression and rebuilt, so it can only ever be a predicate.
        predicate = condition(self.predicate, dialect="duckdb")
        query = select(exp.Count(this=exp.Star())).from_("staged").where(
            exp.not_(exp.Coalesce(this=predicate, expressions=[exp.false()]))
        )
        connection = duckdb.connect()
        try:
            connection.register("staged", data)
            return int(connection.execute(query.sql(dialect="duckdb")).fetchone()[0])  # type: ignore[index]
        finally:
            connection.close()


_FROM_DICT: dict[str, Any] = {
    "not_null": lambda v: not_null(v),
    "unique": lambda v: unique(v),
    "row_count": lambda v: row_count(**v),
    "accepted_values": lambda v: accepted_values(**v),
    "sql": lambda v: expect_sql(v),
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
    try:
        check: Check = _FROM_DICT[kind](value)
        return type(check)(**{**check.__dict__, "severity": severity})
    except DefinitionError as exc:
        raise DefinitionError([f"{where}: {exc}"]) from None
    except (TypeError, ValueError) as exc:
        raise DefinitionError([f"{where}: check {spec} has bad options ({exc}): see the README's checks."]) from None


def run_checks(checks: Sequence[Check], data: pl.DataFrame) -> list[CheckResult]:
    """All checks of one partition: the polars-measurable ones in a single query."""
    batched = [(i, e) for i, c in enumerate(checks) if (e := c.measure()) is not None]
    results: dict[int, CheckResult] = {}
    if len(batched) > 1:
        started = time.perf_counter()
        try:
            query = data.lazy().select([e.alias(f"check_{i}") for i, e in batched])
            values = query.collect(engine="in-memory").row(0)
        except Exception:  # one broken check: run them one by one to say which
            values = None
        if values is not None:
            share = (time.perf_counter() - started) / len(batched)
            for (i, _), observed in zip(batched, values):
                passed, message = checks[i].judge(observed, data.height)
                results[i] = CheckResult(checks[i].name, passed, checks[i].severity, observed, message, share)
    return [results.get(i) or check.run(data) for i, check in enumerate(checks)]
