"""Column lineage of one asset: for each column it produces, the upstream columns it comes from.

    >>> lineage = column_lineage(revenue, {"clean": {"customer": "String", "amount": "Float64"}})  # doctest: +SKIP
    >>> lineage.columns["revenue"]                                                                  # doctest: +SKIP
    (ColumnEdge(asset='clean', column='amount', kind='direct', how='sql', via=('aggregation',)),
     ColumnEdge(asset='clean', column='customer', kind='indirect', how='sql', via=('group_by',)))

An edge is **direct** when the upstream value flows into the column, **indirect** when the
upstream column decides which rows there are or how they group (WHERE, JOIN, GROUP BY, HAVING,
QUALIFY, a window's PARTITION BY / ORDER BY, a CASE condition, DISTINCT ON, ORDER BY with
LIMIT or DISTINCT ON). ``how`` says where the edge comes from: the asset's SQL, its
``column_lineage=`` declaration, or an inference (a Python asset's column that keeps its name
and type from exactly one input). What cannot be followed (DuckDB's ``COLUMNS(...)``, a table
function, a UDF or macro, ``SELECT *`` over an upstream whose schema is not recorded yet, a
column no upstream has) is listed in ``unresolved`` with its reason.

Pure: the schemas come in as plain mappings (the catalog's latest ones, read by the caller),
so this is computed only when a report asks for it, never while loading or planning (the one
outside question, which functions DuckDB has, goes once to an in-memory DuckDB, and only for a
query calling a function sqlglot does not know). A SQL query is read with sqlglot's optimizer
(``qualify``: stars expanded and every column tied to its table from the schemas) and walked
scope by scope. sqlglot's own ``lineage`` follows the projections only, and counts a window's
PARTITION BY / ORDER BY and a CASE condition as values flowing in; the walk here keeps the same
direct edges apart from those (tests check the two agree) and adds the clauses that shape the
rows.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from sqlglot import exp
    from sqlglot.optimizer.scope import Scope

    from assets_core.definitions.specs import AssetSpec

Kind = Literal["direct", "indirect"]
How = Literal["sql", "declared", "inferred"]
Schema = Mapping[str, str]
"""Column name -> type (the polars type as text, as the catalog records it)."""

WHOLE_ASSET = "*"
"""The ``column`` of an unresolved item that concerns every column (the query's own columns
are not known: ``SELECT *`` over an unrecorded schema, ``COLUMNS(...)``, a query that fails)."""

KEY_COLUMN = "partition_key"
"""The column an input read over several partitions carries (storage's KEY_COLUMN): a query
may name it although no recorded schema holds it."""


@dataclass(frozen=True, order=True)
class ColumnEdge:
    """One upstream column an output column derives from.

    ``via`` refines ``kind`` with OpenLineage's transformation subtypes: for a direct edge
    ``identity``, ``transformation`` or ``aggregation``; for an indirect one the clauses it is
    used in (``filter``, ``join``, ``group_by``, ``window``, ``sort``, ``conditional``).
    """

    asset: str
    column: str
    kind: Kind
    how: How
    via: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"asset": self.asset, "column": self.column, "kind": self.kind, "how": self.how, "via": list(self.via)}


@dataclass(frozen=True)
class Unresolved:
    """Something the lineage of ``column`` (or of every column: ``"*"``) cannot follow, and why."""

    column: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"column": self.column, "reason": self.reason}


@dataclass(frozen=True)
class ColumnLineage:
    """The column lineage of one asset: its output columns in order, each with its edges."""

    asset: str
    columns: Mapping[str, tuple[ColumnEdge, ...]]
    unresolved: tuple[Unresolved, ...] = ()

    def unresolved_for(self, column: str) -> tuple[Unresolved, ...]:
        """What is unresolved about ``column``: its own items and those of the whole asset."""
        return tuple(u for u in self.unresolved if u.column in (column, WHOLE_ASSET))

    def readers_of(self, asset: str, column: str) -> list[tuple[str, ColumnEdge]]:
        """The output columns with an edge to ``asset.column``, with that edge."""
        return [
            (out, edge) for out, edges in self.columns.items() for edge in edges
            if edge.asset == asset and edge.column == column
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "asset": self.asset,
            "columns": [
                {"column": name, "upstream": [e.to_dict() for e in edges]} for name, edges in self.columns.items()
            ],
            "unresolved": [u.to_dict() for u in self.unresolved],
        }


def column_lineage(
    spec: AssetSpec, upstream_schemas: Mapping[str, Schema], own_schema: Schema | None = None
) -> ColumnLineage:
    """The column lineage of ``spec``, given the recorded schemas of its upstream assets
    (``{asset: {column: type}}``; an asset not yet published is simply absent) and, when
    known, its own recorded schema.

    - A SQL asset: derived from its query. ``own_schema`` adds, as unresolved, any recorded
      column the query's text does not name (such as what ``COLUMNS(...)`` picked).
    - A Python asset: its ``column_lineage=`` declaration; every other column of
      ``own_schema`` that keeps its name and type from exactly one input is inferred as
      passed through, the rest are unresolved.
    """
    schemas = {a: upstream_schemas[a] for a in spec.upstream if a in upstream_schemas}
    if spec.kind == "sql" and spec.sql is not None:
        return _sql_lineage(spec, schemas, own_schema)
    return _python_lineage(spec, schemas, own_schema)


# -- Python assets: declared, else inferred ------------------------------------------------------


def _python_lineage(spec: AssetSpec, schemas: Mapping[str, Schema], own: Schema | None) -> ColumnLineage:
    columns: dict[str, tuple[ColumnEdge, ...]] = {}
    unresolved: list[Unresolved] = []
    for out, refs in spec.column_lineage:
        if own is not None and out not in own:
            close = difflib.get_close_matches(out, list(own), n=1)
            hint = f" Did you mean '{close[0]}'?" if close else f" Its columns: {', '.join(own)}."
            unresolved.append(Unresolved(out, (
                f"Asset '{spec.name}' declares column_lineage for '{out}', a column its recorded schema does not have.{hint}"
            )))
            continue
        edges = []
        for asset, column in refs:
            known = schemas.get(asset)
            if known is not None and column not in known:
                unresolved.append(Unresolved(out, _not_a_column(
                    f"Asset '{spec.name}' declares '{out}' from '{asset}.{column}':", asset, column, known)))
            else:
                edges.append(ColumnEdge(asset, column, "direct", "declared", ("transformation",)))
        columns[out] = tuple(sorted(set(edges)))
    if own is None:
        if spec.inputs and not spec.column_lineage:
            unresolved.append(Unresolved(WHOLE_ASSET, (
                f"'{spec.name}' has no recorded schema yet: materialize it to infer its pass-through "
                "columns, or declare column_lineage= on its decorator."
            )))
        return ColumnLineage(spec.name, MappingProxyType(columns), tuple(unresolved))
    declared = dict(columns)
    columns = {}
    for name, type_ in own.items():
        if name in declared:
            columns[name] = declared[name]
            continue
        edge, problem = _inferred(spec, name, type_, schemas)
        columns[name] = (edge,) if edge else ()
        if problem:
            unresolved.append(Unresolved(name, problem))
    return ColumnLineage(spec.name, MappingProxyType(columns), tuple(unresolved))


def _inferred(spec: AssetSpec, name: str, type_: str, schemas: Mapping[str, Schema]) -> tuple[ColumnEdge | None, str | None]:
    """A column passed through from the one input that has it with the same type; else why not."""
    if not spec.inputs:
        return None, None  # a source: its columns come from outside the project
    # An asset reading its own earlier partitions has every one of its columns: it counts only
    # when no other input has the column.
    same = [a for a in dict.fromkeys(spec.upstream) if schemas.get(a, {}).get(name) == type_]
    if len(same) > 1 and spec.name in same:
        same.remove(spec.name)
    if len(same) == 1:
        return ColumnEdge(same[0], name, "direct", "inferred", ("identity",)), None
    if same:
        return None, f"'{name}' is in {' and '.join(same)} with type {type_}: declare which in column_lineage=."
    missing = [a for a in dict.fromkeys(spec.upstream) if a not in schemas]
    hint = f" ({', '.join(missing)} not published yet)" if missing else ""
    return None, f"no input has a column '{name}' of type {type_}{hint}: declare it in column_lineage=."


def _not_a_column(prefix: str, asset: str, column: str, schema: Iterable[str]) -> str:
    close = difflib.get_close_matches(column, list(schema), n=1)
    hint = f" Did you mean '{close[0]}'?" if close else f" Its columns: {', '.join(schema)}."
    return f"{prefix} '{asset}' has no column '{column}'.{hint}"


# -- SQL assets ------------------------------------------------------------------------------------

_Flow = dict[tuple[str, str, str], set[str]]
"""(asset, column, kind) -> the subtypes it is reached through."""

_CLAUSES = (("where", "filter"), ("group", "group_by"), ("having", "filter"), ("qualify", "filter"))


def _sql_lineage(spec: AssetSpec, schemas: Mapping[str, Schema], own: Schema | None) -> ColumnLineage:
    import sqlglot
    from sqlglot.errors import SqlglotError

    from assets_core.definitions.sql import DIALECT

    assert spec.sql is not None
    try:
        walk = _SqlWalk(sqlglot.parse_one(spec.sql, read=DIALECT), set(spec.upstream), schemas)
    except SqlglotError as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        reason = f"the query could not be analysed ({first})"
        return ColumnLineage(spec.name, MappingProxyType({c: () for c in own or {}}), (Unresolved(WHOLE_ASSET, reason),))
    columns, unresolved = walk.outputs()
    if own is not None:
        named = {c.lower(): c for c in own}
        columns = {named.get(name, name): edges for name, edges in columns.items()}
        for name in own:
            if name not in columns:
                columns[name] = ()
                unresolved.append(Unresolved(name, f"'{name}' is in the recorded schema but not named by the query"))
    return ColumnLineage(spec.name, MappingProxyType(columns), tuple(dict.fromkeys(unresolved)))


def _merge(into: _Flow, flow: _Flow) -> None:
    for key, via in flow.items():
        into.setdefault(key, set()).update(via)


@dataclass
class _SqlWalk:
    """One qualified query and what is known of its tables; each (scope, column) resolved once."""

    tree: exp.Expr
    upstream: set[str]
    schemas: Mapping[str, Schema]
    root: Scope = field(init=False)
    _memo: dict[tuple[int, str], tuple[_Flow, list[str]]] = field(default_factory=dict, init=False)
    _row_flows: dict[int, tuple[_Flow, list[str]]] = field(default_factory=dict, init=False)
    _selects: dict[int, dict[str, exp.Expr]] = field(default_factory=dict, init=False)
    _names: dict[str, dict[str, str]] = field(init=False)
    _assets: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        from sqlglot.optimizer.qualify import qualify
        from sqlglot.optimizer.scope import build_scope
        from sqlglot.schema import MappingSchema

        from assets_core.definitions.sql import DIALECT

        # Types do not change which column feeds which; names are all qualify needs.
        mapping: dict[str, object] = {asset: {column: "UNKNOWN" for column in cols} for asset, cols in self.schemas.items()}
        schema = MappingSchema(mapping, dialect=DIALECT)
        qualified = qualify(self.tree, schema=schema, dialect=DIALECT, validate_qualify_columns=False,
                            identify=False, quote_identifiers=False)
        root = build_scope(qualified)
        if root is None:
            from sqlglot.errors import SqlglotError

            raise SqlglotError("not a query")
        self.root = root
        # qualify normalizes unquoted names (DuckDB ignores their case): give back the asset's
        # name and the recorded spelling of its columns.
        self._assets = {a.lower(): a for a in self.upstream}
        self._names = {a: {c.lower(): c for c in cols} for a, cols in self.schemas.items()}

    def outputs(self) -> tuple[dict[str, tuple[ColumnEdge, ...]], list[Unresolved]]:
        from sqlglot import exp

        columns: dict[str, tuple[ColumnEdge, ...]] = {}
        unresolved: list[Unresolved] = []
        for index, select in enumerate(_selects(self.root.expression)):
            star = self._star_problem(select, self.root)
            if star:
                unresolved.append(Unresolved(WHOLE_ASSET, star))
                continue
            # exp.Columns is recent in sqlglot; before it, COLUMNS(...) is an unknown function (a UDF below)
            picked = next(select.find_all(exp.Columns), None) if hasattr(exp, "Columns") else None
            if picked is not None:
                unresolved.append(Unresolved(WHOLE_ASSET, (
                    f"{picked.sql(dialect='duckdb')} picks columns by pattern when the query runs: "
                    "name the columns to follow them"
                )))
                continue
            name = select.alias_or_name
            flow, problems = self.column(self.root, name, index)
            columns[name] = self._edges(flow)
            unresolved.extend(Unresolved(name, p) for p in problems)
        return columns, unresolved

    def _edges(self, flow: _Flow) -> tuple[ColumnEdge, ...]:
        direct = {(a, c) for a, c, k in flow if k == "direct"}
        edges = [
            ColumnEdge(a, self._names.get(a, {}).get(c, c), k, "sql", tuple(sorted(via)))  # type: ignore[arg-type]
            for (a, c, k), via in flow.items()
            if k == "direct" or (a, c) not in direct  # a column that flows in is not also listed as shaping rows
        ]
        return tuple(sorted(edges, key=lambda e: (e.kind, e.asset, e.column)))

    # -- one column of one scope ---------------------------------------------------------------

    def column(self, scope: Scope, name: str, index: int | None = None) -> tuple[_Flow, list[str]]:
        """Where column ``name`` (or the ``index``-th) of ``scope``'s query comes from."""
        from sqlglot import exp

        key = (id(scope), name if index is None else f"#{index}")
        if key in self._memo:
            return self._memo[key]
        self._memo[key] = ({}, [])  # a query that reads itself (recursive CTE) stops here
        flow: _Flow = {}
        problems: list[str] = []
        query = scope.expression
        if isinstance(query, exp.SetOperation):
            selects = _selects(query)
            position = index if index is not None else next(
                (i for i, s in enumerate(selects) if s.alias_or_name == name), None)
            # sqlglot 26 calls them union_scopes, later ones set_operation_scopes
            for branch in getattr(scope, "set_operation_scopes", None) or getattr(scope, "union_scopes", []):
                if position is not None:
                    got, more = self.column(branch, _selects(branch.expression)[position].alias_or_name, position)
                    _merge(flow, got)
                    problems.extend(more)
        elif isinstance(query, exp.Select):
            selects = query.selects
            select = selects[index] if index is not None and index < len(selects) else self._by_name(query).get(name)
            if select is None:
                problems.append(f"'{name}' is not a column of {_short(query)}")
            else:
                self._projection(scope, select, flow, problems)
                rows, more = self._rows(scope)
                _merge(flow, rows)
                problems.extend(more)
        else:  # UNNEST and other table-producing expressions: their arguments flow in
            for col in _columns_in(query):
                self._use(scope, col, "direct", "transformation", flow, problems)
        self._memo[key] = (flow, problems)
        return flow, problems

    def _projection(self, scope: Scope, select: exp.Expr, flow: _Flow, problems: list[str]) -> None:
        from sqlglot import exp

        star = self._star_problem(select, scope)
        if star:
            problems.append(star)
            return
        value = select.this if isinstance(select, exp.Alias) else select
        for col in _columns_in(select):
            context = _indirect_context(col, select)
            if context:
                self._use(scope, col, "indirect", context, flow, problems)
            else:
                via = "identity" if col is value else "aggregation" if _aggregated(col, select) else "transformation"
                self._use(scope, col, "direct", via, flow, problems)
        self._subqueries(scope, select, "direct", "transformation", flow, problems)
        for anonymous in select.find_all(exp.Anonymous):
            if anonymous.name.lower() not in _duckdb_functions():
                problems.append(
                    f"calls {anonymous.name}(), which is not a DuckDB function (a UDF or a macro): "
                    "what it reads besides its arguments is not known"
                )

    def _by_name(self, query: exp.Select) -> dict[str, exp.Expr]:
        found = self._selects.get(id(query))
        if found is None:
            found = self._selects[id(query)] = {}
            for select in query.selects:
                found.setdefault(select.alias_or_name, select)
        return found

    def _rows(self, scope: Scope) -> tuple[_Flow, list[str]]:
        """The clauses that decide which rows the scope's query has: indirect for every column
        (worked out once per scope)."""
        if id(scope) in self._row_flows:
            return self._row_flows[id(scope)]
        flow: _Flow = {}
        problems: list[str] = []
        self._row_flows[id(scope)] = (flow, problems)
        query = scope.expression
        parts: list[tuple[exp.Expr, str]] = [
            (query.args[arg], via) for arg, via in _CLAUSES if query.args.get(arg) is not None
        ]
        parts += [(join, "join") for join in query.args.get("joins") or []]
        distinct_on = query.args["distinct"].args.get("on") if query.args.get("distinct") else None
        if distinct_on is not None:  # one row kept per key, the first in ORDER BY
            parts.append((distinct_on, "group_by"))
        limited = query.args.get("limit") is not None or query.args.get("offset") is not None
        if (limited or distinct_on is not None) and query.args.get("order") is not None:
            parts.append((query.args["order"], "sort"))
        for part, via in parts:
            for col in _columns_in(part):
                self._use(scope, col, "indirect", via, flow, problems)
            self._subqueries(scope, part, "indirect", via, flow, problems)
        return flow, problems

    def _subqueries(self, scope: Scope, within: exp.Expr, kind: Kind, via: str, flow: _Flow, problems: list[str]) -> None:
        """Subqueries in ``within`` (a scalar one, ``IN (SELECT ...)``, ``EXISTS``): all they read."""
        from sqlglot import exp
        from sqlglot.optimizer.scope import find_all_in_scope

        inner = {id(s.expression): s for s in scope.subquery_scopes}
        for node in find_all_in_scope(within, exp.Query):
            # a scalar subquery's scope is the SELECT inside its parentheses
            sub = inner.get(id(node)) or inner.get(id(node.this))
            if sub is None or node is within:
                continue
            for position, select in enumerate(_selects(sub.expression)):
                got, more = self.column(sub, select.alias_or_name, position)
                _merge(flow, _through(got, kind, via))
                problems.extend(more)

    def _use(self, scope: Scope, col: exp.Column, kind: Kind, via: str, flow: _Flow, problems: list[str]) -> None:
        """Column reference ``col`` in ``scope``, used as ``kind``/``via``: followed to its tables."""
        source = self._source(scope, col)
        if source is None:
            problems.append(f"column '{col.sql(dialect='duckdb')}' could not be tied to one table: qualify it (t.{col.name})")
            return
        from sqlglot import exp
        from sqlglot.optimizer.scope import Scope as ScopeType

        if isinstance(source, ScopeType):
            got, more = self.column(source, col.name)
            _merge(flow, _through(got, kind, via))
            problems.extend(more)
            return
        problem = self._table_problem(source, col.name) if isinstance(source, exp.Table) else (
            f"reads {_short(source)}, whose columns are not known")
        if problem:
            problems.append(problem)
            return
        flow.setdefault((self._assets[source.name.lower()], col.name.lower(), kind), set()).add(via)

    def _source(self, scope: Scope, col: exp.Column) -> Any:
        """The table or scope a column reference reads: by its qualifier, up through enclosing
        scopes (a correlated subquery), or the one source of a scope when it has one."""
        table = col.table
        at: Scope | None = scope
        while table and at is not None:
            if table in at.sources:
                return at.sources[table]
            at = at.parent
        if not table and len(scope.sources) == 1:
            return next(iter(scope.sources.values()))
        return None

    def _table_problem(self, table: exp.Table, column: str) -> str | None:
        from sqlglot import exp

        if isinstance(table.this, exp.Func):
            return f"reads {table.this.sql(dialect='duckdb')}, a table function: its columns are not known"
        if table.db or table.catalog or table.name.lower() not in self._assets:
            bare = table.copy()
            bare.set("alias", None)
            return f"reads {bare.sql(dialect='duckdb')}, which is not an asset"
        asset = self._assets[table.name.lower()]
        known = self._names.get(asset)
        if known is None:
            return None if column else f"'{asset}' has no recorded schema yet: materialize it"
        if column.lower() not in known and column.lower() != KEY_COLUMN:
            return _not_a_column("", asset, column, known.values()).lstrip()
        return None

    def _star_problem(self, select: exp.Expr, scope: Scope) -> str | None:
        """A ``*`` that qualify could not expand: some table it covers has no known columns."""
        from sqlglot import exp

        if not (isinstance(select, exp.Star) or (isinstance(select, exp.Column) and isinstance(select.this, exp.Star))):
            return None
        covered = [select.table] if isinstance(select, exp.Column) and select.table else list(scope.sources)
        for alias in covered:
            source = scope.sources.get(alias)
            if isinstance(source, exp.Table):
                problem = self._table_problem(source, "")
                if problem:
                    return f"{select.sql(dialect='duckdb')} cannot be expanded: {problem}"
        return f"{select.sql(dialect='duckdb')} cannot be expanded: the columns it covers are not known"


def _through(flow: _Flow, kind: Kind, via: str) -> _Flow:
    """``flow``, the lineage of a column, as seen from where that column is used as ``kind``/``via``:
    a value used directly keeps its edges' kinds; anything used indirectly becomes indirect."""
    result: _Flow = {}
    for (asset, column, inner), vias in flow.items():
        if kind == "direct" and inner == "direct":
            if via == "identity":
                combined = vias
            else:
                combined = {"aggregation"} if via == "aggregation" or "aggregation" in vias else {"transformation"}
            result.setdefault((asset, column, "direct"), set()).update(combined)
        else:
            result.setdefault((asset, column, "indirect"), set()).update(vias if kind == "direct" else {via})
    return result


def _selects(query: exp.Expr) -> list[exp.Expr]:
    from sqlglot import exp

    while isinstance(query, exp.SetOperation):
        query = query.this
    return list(query.selects) if isinstance(query, exp.Query) else []


def _columns_in(node: exp.Expr) -> list[exp.Column]:
    """The column references of ``node`` in its own scope (not those of its subqueries), stars
    and lambda parameters left out."""
    from sqlglot import exp
    from sqlglot.optimizer.scope import find_all_in_scope

    lambdas = {str(v.name) for lam in node.find_all(exp.Lambda) for v in lam.expressions}
    return [
        c for c in find_all_in_scope(node, exp.Column)
        if not isinstance(c.this, exp.Star) and not (not c.table and c.name in lambdas)
    ]


def _indirect_context(col: exp.Column, top: exp.Expr) -> str | None:
    """``window`` when ``col`` is in a window's PARTITION BY / ORDER BY, ``conditional`` in a
    CASE or IF condition, ``filter`` in an aggregate's FILTER (WHERE ...); else None (a value)."""
    from sqlglot import exp

    node: exp.Expr = col
    while node is not top and node.parent is not None:
        parent, key = node.parent, node.arg_key
        if isinstance(parent, exp.Window) and key in ("partition_by", "order"):
            return "window"
        if (isinstance(parent, exp.If) and key == "this") or (isinstance(parent, exp.Case) and key == "this"):
            return "conditional"
        if isinstance(parent, exp.Filter) and key == "expression":
            return "filter"
        node = parent
    return None


def _aggregated(col: exp.Column, top: exp.Expr) -> bool:
    from sqlglot import exp

    node: exp.Expr | None = col.parent
    while node is not None and node is not top.parent:
        if isinstance(node, exp.AggFunc):
            return True
        node = node.parent
    return False


def _short(node: exp.Expr) -> str:
    text = node.sql(dialect="duckdb")
    return text if len(text) <= 60 else text[:57] + "..."


@lru_cache(maxsize=1)
def _duckdb_functions() -> frozenset[str]:
    """The names of DuckDB's own functions and macros: a function sqlglot does not know is a
    user's UDF or macro only when DuckDB does not know it either. Asked once, in memory."""
    import duckdb

    with duckdb.connect() as db:
        rows = db.execute("SELECT DISTINCT lower(function_name) FROM duckdb_functions()").fetchall()
    return frozenset(name for (name,) in rows)
