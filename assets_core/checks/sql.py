"""SQL checks, run by DuckDB on the staged frame as the table ``staged``: a predicate every
row satisfies (``expect_sql``) or a query returning the failing rows (``sql_check``). Queries are
parsed and rebuilt with sqlglot, so nothing but one SELECT ever reaches DuckDB."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assets_core.checks.base import SAMPLE_ROWS, Check, CheckContext, _jsonable
from assets_core.errors import DefinitionError

if TYPE_CHECKING:
    import polars as pl
    from sqlglot import exp


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
