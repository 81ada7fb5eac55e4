"""``@asset`` and ``@sql_asset``: read a function's signature into an :class:`AssetSpec`.

Nothing here runs user code except ``@sql_asset``'s query builder, and nothing imports the
engine. A spec is a plain value; the graph, the planner and the executor take it from here.

    >>> from assets_core import asset, DailyPartitions
    >>> @asset(partitions=DailyPartitions("2025-01-01"))
    ... def clean_orders(raw_orders):
    ...     return raw_orders.unique("order_id")
    >>> clean_orders.inputs[0].asset
    'raw_orders'
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import logging
import re
import textwrap
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any, Literal, Never

from assets_core.definitions.freshness import Freshness
from assets_core.partitions import DataInterval, PartitionMapping, PartitionsDefinition
from assets_core.definitions.retries import RetryPolicy

if TYPE_CHECKING:  # the option schemas are built on first use (see options.py)
    from assets_core.definitions.options import AssetOptions, SqlAssetOptions

ASSET_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
"""Asset names become directory and table names: identifiers only."""

IoKind = Literal["parquet", "duckdb"]
InputType = Literal["polars", "lazy", "arrow", "duckdb"]

# Annotation names (last dotted part) that select how an input is handed over.
_INPUT_TYPES: dict[str, InputType] = {
    "DataFrame": "polars",
    "LazyFrame": "lazy",
    "Table": "arrow",
    "DuckDBPyRelation": "duckdb",
}
SUPPORTED_RETURNS = tuple(_INPUT_TYPES)
"""What an asset may return: the types it may be handed."""


@dataclass(frozen=True)
class AssetInput:
    """One upstream asset, as named by a parameter (or a table in a SQL query)."""

    param: str
    asset: str
    type: InputType = "polars"
    mapping: PartitionMapping | None = None


@dataclass(frozen=True)
class AssetSpec:
    """Everything known about an asset without running it."""

    name: str
    kind: Literal["python", "sql"]
    inputs: tuple[AssetInput, ...]
    code_version: str
    partitions: PartitionsDefinition | None = None
    io: IoKind = "parquet"
    checks: tuple[Any, ...] = ()
    description: str | None = None
    group: str = "default"
    owner: str | None = None
    tags: tuple[str, ...] = ()
    freshness: Freshness | None = None
    fn: Callable[..., Any] | None = field(default=None, compare=False, repr=False)
    sql: str | None = None
    sql_params: tuple[str, ...] = ()
    wants_context: bool = False
    source: str = ""
    """Where it was defined, ``file:line``, for error messages."""
    problems: tuple[str, ...] = ()
    """Definition mistakes found while reading the spec, reported with the graph's."""
    retry: RetryPolicy | None = None
    """None: the project's default policy (transient errors only)."""
    timeout: float | None = None
    """Seconds a partition may take before it is stopped and recorded as timed out."""
    pool: str | None = None
    """A concurrency limit declared in assets.toml's [pools]."""
    checks_version: str = ""
    """A fingerprint of the checks: a failed or quarantined partition is retried once it changes."""
    batch_size: int | None = None
    """SQL assets: compute up to this many partitions in one query (each still staged,
    validated and published on its own)."""
    observe: Callable[..., Any] | None = field(default=None, compare=False, repr=False)
    """For a source: returns the version of a partition's external data (``assets observe``)."""
    is_source: bool = False
    """Declared with ``@source`` (kept in the manifest, which has no ``observe`` function)."""
    column_lineage: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    """Python assets: ``column_lineage=`` as declared, each output column with the
    (asset, column) pairs it derives from (see :mod:`assets_core.definitions.column_lineage`)."""

    def __post_init__(self) -> None:
        if not self.checks_version:
            object.__setattr__(self, "checks_version", checks_fingerprint(self.checks))

    def with_checks(self, extra: Sequence[Any]) -> AssetSpec:
        """This spec with more checks (``@check`` functions declared elsewhere)."""
        checks = (*self.checks, *extra)
        return replace(self, checks=checks, checks_version=checks_fingerprint(checks))

    @property
    def upstream(self) -> tuple[str, ...]:
        return tuple(i.asset for i in self.inputs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the underlying function directly, as in a unit test of the asset."""
        if self.fn is None:
            raise TypeError(f"Asset '{self.name}' has no Python function to call.")
        return self.fn(*args, **kwargs)


@dataclass(frozen=True)
class AssetContext:
    """What an asset's function gets in its ``context`` parameter.

    ``data_interval`` is the partition's half-open window (None for static and unpartitioned
    assets): asset code uses it, never the wall clock.
    """

    asset_name: str
    partition_key: str
    data_interval: DataInterval | None
    run_id: str
    log: logging.Logger
    added_partitions: list[tuple[str, str]] = field(default_factory=list)
    """(name, key) pairs from :meth:`add_partitions`, recorded when the partition is published."""
    dynamic_partitions: frozenset[str] | None = None
    """The names of the project's ``DynamicPartitions`` (None: not known, nothing checked)."""

    def add_partitions(self, name: str, keys: Sequence[str]) -> None:
        """Add keys to ``DynamicPartitions(name)`` (new stores, customers...): recorded in the
        catalog once this partition is published, and planned from the next run on."""
        from assets_core.partitions import validate_key

        known = self.dynamic_partitions
        if known is not None and name not in known:
            close = get_close_matches(name, sorted(known), n=1)
            raise ValueError(
                f"context.add_partitions({name!r}): no asset is partitioned by DynamicPartitions({name!r})"
                + (f"; did you mean {close[0]!r}?" if close else f" (the project's: {', '.join(sorted(known)) or 'none'}).")
            )
        for key in [keys] if isinstance(keys, str) else keys:
            problem = validate_key(key)
            if problem:
                raise ValueError(f"context.add_partitions({name!r}): cannot add {key!r}: {problem}")
            self.added_partitions.append((name, key))

    @property
    def start(self) -> datetime | None:
        return None if self.data_interval is None else self.data_interval.start

    @property
    def end(self) -> datetime | None:
        return None if self.data_interval is None else self.data_interval.end


def checks_fingerprint(checks: Sequence[Any]) -> str:
    identities = sorted(str(getattr(c, "identity", c)) for c in checks)
    return hashlib.sha256("\n".join(identities).encode()).hexdigest()[:16]


def code_fingerprint(source: str) -> str:
    """Hash of Python source that ignores comments, docstrings, decorators and formatting."""
    tree = ast.parse(textwrap.dedent(source))
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            node.decorator_list = []
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                if isinstance(body[0].value.value, str):
                    node.body = body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()[:16]


_SUPPORTED_MODULES = {"pl", "polars", "pa", "pyarrow", "duckdb", "_duckdb"}
_HANDED_OVER = "a polars DataFrame or LazyFrame, a pyarrow Table or a DuckDB relation"
"""What the engine hands an asset as an input and takes back as its result (_INPUT_TYPES)."""


def _annotation_name(annotation: Any) -> str | None:
    """The class name of an annotation, or its full text when it is not from a supported library."""
    if annotation is inspect.Parameter.empty or annotation is None:
        return None
    if isinstance(annotation, str):
        text = annotation.split("[")[0].strip()
        module, _, name = text.rpartition(".")
        return name if not module or module.split(".")[0] in _SUPPORTED_MODULES else text
    module = getattr(annotation, "__module__", "") or ""
    name = getattr(annotation, "__name__", None) or str(annotation)
    return name if module.split(".")[0] in _SUPPORTED_MODULES else f"{module}.{name}".strip(".")


def _annotation_problems(name: str, signature: inspect.Signature, annotations: dict[str, Any]) -> list[str]:
    """Annotations naming a type the engine cannot hand over or take back: one rule for the
    inputs and the result, checked when the asset is declared rather than when it runs."""
    problems = []
    for param in signature.parameters:
        annotation = annotations.get(param, inspect.Parameter.empty)
        if param == "context":
            text = "" if annotation is inspect.Parameter.empty else getattr(annotation, "__name__", str(annotation))
            if text and text.rpartition(".")[2] != "AssetContext":
                problems.append(
                    f"Asset '{name}' has parameter 'context' annotated {text}: annotate it AssetContext, "
                    "or leave it unannotated (a parameter named context receives the AssetContext)."
                )
            continue
        type_name = _annotation_name(annotation)
        if type_name is not None and type_name not in _INPUT_TYPES:
            problems.append(
                f"Asset '{name}' has input '{param}' annotated {type_name}: annotate it as {_HANDED_OVER}, "
                "or leave it unannotated (a polars DataFrame)."
            )
    returns = _annotation_name(annotations.get("return", inspect.Parameter.empty))
    if returns is not None and returns not in SUPPORTED_RETURNS:
        problems.append(f"Asset '{name}' is annotated to return {returns}: return {_HANDED_OVER}.")
    return problems


def _source_location(fn: Callable[..., Any]) -> str:
    code = getattr(fn, "__code__", None)
    return f"{code.co_filename}:{code.co_firstlineno}" if code else getattr(fn, "__qualname__", "?")


def _name_problems(name: str) -> list[str]:
    if ASSET_NAME.match(name):
        return []
    return [
        f"Asset name '{name}' is not an identifier: use letters, digits and '_' "
        "(it becomes a directory and a table name)."
    ]


def _asset_name(options: Mapping[str, Any], default: str) -> str:
    """The name an asset gets: ``name=`` when it is one (a wrong one is reported as an option)."""
    name = options.get("name")
    return name if isinstance(name, str) and name else default


def _python_spec(fn: Callable[..., Any], given: Mapping[str, Any], schema: type[AssetOptions]) -> AssetSpec:
    from assets_core.definitions.schema import read_options

    name = _asset_name(given, fn.__name__)
    options, problems = read_options(schema, given, f"Asset '{name}'")
    problems[:0] = _name_problems(name)
    ins = options.ins or {}
    signature = inspect.signature(fn)
    annotations = inspect.get_annotations(fn)
    inputs = []
    for param in signature.parameters.values():
        if param.name == "context":
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            problems.append(f"Asset '{name}' takes *{param.name}: name each upstream asset as a parameter.")
            continue
        type_name = _annotation_name(annotations.get(param.name, inspect.Parameter.empty))
        inputs.append(
            AssetInput(param.name, param.name, _INPUT_TYPES.get(type_name or "", "polars"), ins.get(param.name))
        )
    for unknown in set(ins) - {i.param for i in inputs}:
        problems.append(f"Asset '{name}' maps input '{unknown}' in ins=, but has no such parameter.")
    problems.extend(_annotation_problems(name, signature, annotations))
    declared, wrong = _declared_lineage(name, getattr(options, "column_lineage", None) or {}, inputs)
    problems.extend(wrong)
    try:
        code_version = options.code_version or code_fingerprint(inspect.getsource(fn))
    except (OSError, TypeError):
        code_version = "unversioned"
    return _finish(
        options,
        name=name,
        kind="python",
        inputs=tuple(inputs),
        code_version=code_version,
        fn=fn,
        wants_context="context" in signature.parameters,
        source=_source_location(fn),
        problems=tuple(problems),
        observe=getattr(options, "observe", None),
        is_source=getattr(options, "observe", None) is not None,
        column_lineage=declared,
    )


def _declared_lineage(
    name: str, declared: Mapping[str, Sequence[str]], inputs: Sequence[AssetInput]
) -> tuple[tuple[tuple[str, tuple[tuple[str, str], ...]], ...], list[str]]:
    """``column_lineage={"out": ["asset.col", ...]}`` read into pairs; each reference to an
    asset that is not one of the inputs is one line naming the closest input. (Whether the
    columns exist is known only from recorded schemas, when the lineage is computed.)"""
    assets = list(dict.fromkeys(i.asset for i in inputs))
    read, problems = [], []
    for out, refs in declared.items():
        pairs = []
        for ref in refs:
            asset_name, _, column = ref.partition(".")
            if asset_name not in assets:
                close = get_close_matches(asset_name, assets, n=1)
                hint = f" Did you mean '{close[0]}'?" if close else (
                    f" Its inputs: {', '.join(assets)}." if assets else " It has no inputs.")
                problems.append(
                    f"Asset '{name}' has column_lineage '{out}' from '{ref}', but '{asset_name}' is not one of its inputs.{hint}"
                )
                continue
            pairs.append((asset_name, column))
        read.append((out, tuple(pairs)))
    return tuple(read), problems


def _finish(options: AssetOptions | SqlAssetOptions, **fields: Any) -> AssetSpec:
    return AssetSpec(
        partitions=options.partitions,
        io=options.io,
        checks=options.checks,
        description=options.description,
        group=options.group or "default",
        owner=options.owner,
        tags=options.tags,
        freshness=options.freshness,
        retry=options.retry,
        timeout=options.timeout,
        pool=options.pool,
        **fields,
    )


def asset(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    partitions: PartitionsDefinition | None = None,
    io: IoKind = "parquet",
    code_version: str | None = None,
    checks: Sequence[Any] = (),
    description: str | None = None,
    group: str | None = None,
    owner: str | None = None,
    tags: Sequence[str] = (),
    freshness: Freshness | dict[str, Any] | None = None,
    ins: dict[str, PartitionMapping] | None = None,
    retry: RetryPolicy | None = None,
    timeout: float | None = None,
    pool: str | None = None,
    column_lineage: dict[str, Sequence[str]] | None = None,
    **unknown: Never,
) -> Any:
    """Declare an asset: the function's parameters name the assets it reads.

    Options are read by :class:`~assets_core.definitions.options.AssetOptions`: a misspelt
    one (``partition=``, caught in the signature by type checkers as ``**unknown: Never``) or
    a value of the wrong type is a definition error naming the asset and the closest option.

    >>> @asset(io="duckdb", group="sales")
    ... def customers(orders):
    ...     return orders.group_by("customer_id").len()

    ``column_lineage={"out": ["asset.col", ...]}`` says which input columns each output
    column derives from; without it, columns that keep their name and type from exactly one
    input are inferred as passed through (``assets lineage ASSET --columns``).
    """
    options = dict(
        name=name, partitions=partitions, io=io, code_version=code_version, checks=checks,
        description=description, group=group, owner=owner, tags=tags, freshness=freshness, ins=ins,
        retry=retry, timeout=timeout, pool=pool, column_lineage=column_lineage, **unknown,
    )

    def wrap(function: Callable[..., Any]) -> AssetSpec:
        from assets_core.definitions.options import AssetOptions

        if options["description"] is None:
            options["description"] = inspect.getdoc(function)
        return _python_spec(function, options, AssetOptions)

    return wrap(fn) if fn is not None else wrap


def source(fn: Callable[..., Any] | None = None, *, observe: Callable[..., Any], **options: Any) -> Any:
    """Declare a source asset: its function loads external data, and ``observe(context)``
    returns a version of that data per partition (a file hash, a row count, the newest
    timestamp) without loading it. ``assets observe`` records the versions; a partition whose
    source version changed is rebuilt, with its downstream, by the next ``materialize``.
    Takes the options of :func:`asset`.

    >>> @source(partitions=DailyPartitions("2025-01-01"), observe=lambda context: landing_file(context).stat().st_mtime_ns)  # doctest: +SKIP
    ... def raw_orders(context):
    ...     return pl.read_csv(landing_file(context))
    """

    def wrap(function: Callable[..., Any]) -> AssetSpec:
        from assets_core.definitions.options import SourceOptions

        given = {"observe": observe, **options}
        given.setdefault("description", inspect.getdoc(function))
        return _python_spec(function, given, SourceOptions)

    return wrap(fn) if fn is not None else wrap


def sql_spec(name: str, sql: str, options: SqlAssetOptions, source: str, problems: Sequence[str] = ()) -> AssetSpec:
    """The spec of a SQL asset: upstream assets are the tables its SELECT reads. ``problems``:
    mistakes already found in its options, reported with the others."""
    from assets_core.definitions.sql import parse_select  # sqlglot is heavy: import on first SQL asset

    found = [*_name_problems(name), *problems]
    parsed = parse_select(sql, where=f"SQL asset {name!r} ({source})")
    if parsed.problem:
        found.append(parsed.problem)
    ins = options.ins or {}
    inputs = tuple(AssetInput(t, t, "arrow", ins.get(t)) for t in parsed.tables)
    return _finish(
        options,
        name=name,
        kind="sql",
        inputs=inputs,
        code_version=options.code_version or parsed.fingerprint,
        sql=sql,
        sql_params=parsed.params,
        source=source,
        problems=tuple(found),
        batch_size=options.batch_size,
    )


def sql_asset(
    fn: Callable[[], str] | None = None,
    *,
    name: str | None = None,
    partitions: PartitionsDefinition | None = None,
    io: IoKind = "parquet",
    code_version: str | None = None,
    checks: Sequence[Any] = (),
    description: str | None = None,
    group: str | None = None,
    owner: str | None = None,
    tags: Sequence[str] = (),
    freshness: Freshness | dict[str, Any] | None = None,
    ins: dict[str, PartitionMapping] | None = None,
    retry: RetryPolicy | None = None,
    timeout: float | None = None,
    pool: str | None = None,
    batch_size: int | None = None,
    **unknown: Never,
) -> Any:
    """Declare a SQL asset from a function that returns one SELECT.

    The query reads upstream assets as tables and the partition as bound values
    ``$start``, ``$end`` and ``$partition_key``; options are read by
    :class:`~assets_core.definitions.options.SqlAssetOptions`:

    >>> @sql_asset(partitions=DailyPartitions("2025-01-01"))
    ... def daily_revenue():
    ...     return "SELECT sum(amount) AS revenue FROM clean_orders"
    """
    options = dict(
        name=name, partitions=partitions, io=io, code_version=code_version, checks=checks,
        description=description, group=group, owner=owner, tags=tags, freshness=freshness, ins=ins,
        retry=retry, timeout=timeout, pool=pool, batch_size=batch_size, **unknown,
    )

    def wrap(function: Callable[[], str]) -> AssetSpec:
        from assets_core.definitions.options import SqlAssetOptions
        from assets_core.definitions.schema import read_options

        given = dict(options)
        if given["description"] is None:
            given["description"] = inspect.getdoc(function)
        asset_name = _asset_name(given, function.__name__)
        read, problems = read_options(SqlAssetOptions, given, f"Asset '{asset_name}'")
        return sql_spec(asset_name, function(), read, _source_location(function), problems)

    return wrap(fn) if fn is not None else wrap
