"""Input SQL of SQL assets, rewritten through sqlglot's tree: tables swapped for the partitions
mapped, partitions batched into one query."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from assets_core.definitions.sql import DIALECT


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
