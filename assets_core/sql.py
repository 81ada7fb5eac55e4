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


def replace_tables(sql: str, sources: dict[str, str]) -> str:
    """Rewrite ``sql`` so that each table named in ``sources`` reads that SELECT instead.

    The replacement keeps the table's alias, so the user's query is unchanged otherwise;
    CTEs that shadow a name are left alone.
    """
    tree = sqlglot.parse_one(sql, read=DIALECT)
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}

    def swap(node: exp.Expression) -> exp.Expression:
        if isinstance(node, exp.Table) and node.name in sources and not node.db and node.name not in ctes:
            query = sqlglot.parse_one(sources[node.name], read=DIALECT)
            alias = exp.TableAlias(this=exp.to_identifier(node.alias or node.name))
            return exp.Subquery(this=query, alias=alias)
        return node

    return tree.transform(swap).sql(dialect=DIALECT)


BATCH_KEY = "__assets_partition"
"""The column a batched query adds to tell its partitions apart."""


def batch_query(sql: str, count: int) -> str:
    """``count`` copies of ``sql``, one per partition, as one UNION ALL query.

    Copy ``i`` binds ``$name_i`` for each ``$name`` and tags its rows with ``$__key_i``
    in :data:`BATCH_KEY`. Each copy is exactly the per-partition query, so a batch gives
    the same rows per partition as running them one by one, in one statement.
    """
    tree = sqlglot.parse_one(sql, read=DIALECT)
    branches = []
    for i in range(count):
        def suffixed(node: exp.Expression, i: int = i) -> exp.Expression:
            if isinstance(node, (exp.Placeholder, exp.Parameter)):
                return exp.Placeholder(this=f"{node.this}_{i}")
            return node

        copy = tree.copy().transform(suffixed)
        tagged = exp.select("*", exp.alias_(exp.Placeholder(this=f"__key_{i}"), BATCH_KEY)).from_(
            exp.Subquery(this=copy, alias=exp.TableAlias(this=exp.to_identifier(f"partition_{i}")))
        )
        branches.append(tagged)
    query: exp.Query = branches[0]
    for branch in branches[1:]:
        query = exp.union(query, branch, distinct=False)
    return query.sql(dialect=DIALECT)
