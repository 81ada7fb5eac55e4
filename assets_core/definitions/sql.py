"""Reading SQL assets with sqlglot: one SELECT, the tables it reads, the parameters it binds.

    >>> parsed = parse_select("SELECT day FROM clean_orders WHERE day >= $start", where="x.sql")
    >>> parsed.tables, parsed.params
    (('clean_orders',), ('start',))
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

DIALECT = "duckdb"
BOUND_VALUES = ("start", "end", "partition_key")

_WRITES: tuple[type[exp.Expression], ...] = (
    exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter, exp.TruncateTable,
    exp.Into, exp.Copy, exp.Command, exp.Pragma, exp.Set, exp.Use, exp.Attach, exp.Detach, exp.Transaction,
    exp.Commit, exp.Rollback, exp.Export, exp.Install,
)
"""What changes data, schema or the session, anywhere in a query's tree: a CTE may hold a
DELETE ... RETURNING, a SELECT an INTO; a statement sqlglot does not parse is a Command."""


@dataclass(frozen=True)
class ParsedSelect:
    tables: tuple[str, ...]
    params: tuple[str, ...]
    fingerprint: str
    problem: str | None = None


def parse_select(sql: str, where: str) -> ParsedSelect:
    """Check that ``sql`` is exactly one SELECT and list what it reads.

    Problems come back in ``problem`` (one line naming ``where``) so that all definition
    errors of a project are reported together.
    """
    try:
        statements = [s for s in sqlglot.parse(sql, read=DIALECT) if s is not None]
    except sqlglot.errors.ParseError as exc:
        first = str(exc).splitlines()[0]
        return ParsedSelect((), (), "", f"{where}: the query does not parse: {first}")
    if len(statements) != 1:
        return ParsedSelect(
            (), (), "", f"{where}: a SQL asset holds exactly one SELECT, found {len(statements)} statements."
        )
    query = statements[0]
    if not isinstance(query, exp.Query):
        kind = query.key.upper()
        return ParsedSelect((), (), "", f"{where}: a SQL asset holds one SELECT, found {kind}: remove it.")
    writes = next(query.find_all(*_WRITES), None)
    if writes is not None:
        kind = "SELECT ... INTO" if isinstance(writes, exp.Into) else writes.key.upper()
        return ParsedSelect(
            (), (), "", f"{where}: a SQL asset only reads, but its query holds {kind} "
            f"({writes.sql(dialect=DIALECT)[:60]}): remove it; the engine writes the asset's rows."
        )
    ctes = {cte.alias_or_name for cte in query.find_all(exp.CTE)}
    # Unqualified names are assets; qualified ones (main.t) and table functions are not.
    tables = tuple(dict.fromkeys(
        t.name for t in query.find_all(exp.Table) if t.name and not t.db and t.name not in ctes
    ))
    params = tuple(dict.fromkeys(str(p.this) for p in query.find_all(exp.Placeholder, exp.Parameter)))
    unknown = [p for p in params if p not in BOUND_VALUES]
    if unknown:
        return ParsedSelect(
            tables, params, "",
            f"{where}: ${unknown[0]} is not a bound value: use $start, $end or $partition_key.",
        )
    normalized = query.sql(dialect=DIALECT, comments=False)
    fingerprint = hashlib.sha256(normalized.encode()).hexdigest()[:16]
    return ParsedSelect(tables, params, fingerprint)
