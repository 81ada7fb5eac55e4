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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from difflib import get_close_matches
from typing import Any, Literal

from assets_core.definitions.freshness import FreshnessPolicy, freshness_from
from assets_core.partitions import DataInterval, PartitionMapping, PartitionsDefinition
from assets_core.definitions.retries import RetryPolicy

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
SUPPORTED_RETURNS = ("DataFrame", "LazyFrame", "Table", "DuckDBPyRelation")


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
    freshness: FreshnessPolicy | None = None
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


def _source_location(fn: Callable[..., Any]) -> str:
    code = getattr(fn, "__code__", None)
    return f"{code.co_filename}:{code.co_firstlineno}" if code else getattr(fn, "__qualname__", "?")


def _common_problems(name: str, options: dict[str, Any]) -> list[str]:
    problems = []
    io, timeout, retry = options.get("io", "parquet"), options.get("timeout"), options.get("retry")
    if not ASSET_NAME.match(name):
        problems.append(
            f"Asset name '{name}' is not an identifier: use letters, digits and '_' "
            "(it becomes a directory and a table name)."
        )
    if io not in ("parquet", "duckdb"):
        problems.append(f"Asset '{name}' has io={io!r}: use 'parquet' or 'duckdb'.")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        problems.append(f"Asset '{name}' has timeout={timeout!r}: give a number of seconds above 0.")
    batch = options.get("batch_size")
    if batch is not None and (isinstance(batch, bool) or not isinstance(batch, int) or batch < 1):
        problems.append(f"Asset '{name}' has batch_size={batch!r}: give a whole number of partitions, 1 or more.")
    if retry is not None and not isinstance(retry, RetryPolicy):
        problems.append(f"Asset '{name}' has retry={retry!r}: give a RetryPolicy(max_attempts=..., ...).")
    return problems


def _python_spec(fn: Callable[..., Any], options: dict[str, Any]) -> AssetSpec:
    name = options.pop("name", None) or fn.__name__
    ins: dict[str, PartitionMapping] = options.pop("ins", None) or {}
    signature = inspect.signature(fn)
    annotations = inspect.get_annotations(fn)
    problems = _common_problems(name, options)
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
    returns = _annotation_name(annotations.get("return", inspect.Parameter.empty))
    if returns is not None and returns not in SUPPORTED_RETURNS:
        problems.append(
            f"Asset '{name}' is annotated to return {returns}: return a polars DataFrame or "
            "LazyFrame, a pyarrow Table or a DuckDB relation."
        )
    try:
        code_version = options.pop("code_version", None) or code_fingerprint(inspect.getsource(fn))
    except (OSError, TypeError):
        code_version = options.pop("code_version", None) or "unversioned"
    return _finish(
        name=name,
        kind="python",
        inputs=tuple(inputs),
        code_version=code_version,
        fn=fn,
        wants_context="context" in signature.parameters,
        source=_source_location(fn),
        problems=tuple(problems),
        options=options,
    )


def _finish(options: dict[str, Any], **fields: Any) -> AssetSpec:
    freshness = options.pop("freshness", None)
    return AssetSpec(
        partitions=options.pop("partitions", None),
        io=options.pop("io", "parquet"),
        checks=tuple(options.pop("checks", None) or ()),
        description=options.pop("description", None),
        group=options.pop("group", None) or "default",
        owner=options.pop("owner", None),
        tags=tuple(options.pop("tags", None) or ()),
        freshness=freshness_from(freshness),
        retry=options.pop("retry", None),
        timeout=options.pop("timeout", None),
        pool=options.pop("pool", None),
        batch_size=options.pop("batch_size", None),
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
    freshness: FreshnessPolicy | dict[str, Any] | None = None,
    ins: dict[str, PartitionMapping] | None = None,
    retry: RetryPolicy | None = None,
    timeout: float | None = None,
    pool: str | None = None,
) -> Any:
    """Declare an asset: the function's parameters name the assets it reads.

    >>> @asset(io="duckdb", group="sales")
    ... def customers(orders):
    ...     return orders.group_by("customer_id").len()
    """
    options = dict(
        name=name, partitions=partitions, io=io, code_version=code_version, checks=checks,
        description=description, group=group, owner=owner, tags=tags, freshness=freshness, ins=ins,
        retry=retry, timeout=timeout, pool=pool,
    )

    def wrap(function: Callable[..., Any]) -> AssetSpec:
        if options["description"] is None:
            options["description"] = inspect.getdoc(function)
        return _python_spec(function, dict(options))

    return wrap(fn) if fn is not None else wrap


def source(fn: Callable[..., Any] | None = None, *, observe: Callable[..., Any], **options: Any) -> Any:
    """Declare a source asset: its function loads external data, and ``observe(context)``
    returns a version of that data per partition (a file hash, a row count, the newest
    timestamp) without loading it. ``assets observe`` records the versions; a partition whose
    source version changed is rebuilt, with its downstream, by the next ``materialize``.

    >>> @source(partitions=DailyPartitions("2025-01-01"), observe=lambda context: landing_file(context).stat().st_mtime_ns)  # doctest: +SKIP
    ... def raw_orders(context):
    ...     return pl.read_csv(landing_file(context))
    """
    if not callable(observe):
        raise TypeError("source(observe=...) takes a function of the partition's context.")

    def wrap(function: Callable[..., Any]) -> AssetSpec:
        spec: AssetSpec = asset(function, **options)
        return replace(spec, observe=observe)

    return wrap(fn) if fn is not None else wrap


def sql_spec(name: str, sql: str, options: dict[str, Any], source: str) -> AssetSpec:
    """The spec of a SQL asset: upstream assets are the tables its SELECT reads."""
    from assets_core.definitions.sql import parse_select  # sqlglot is heavy: import on first SQL asset

    problems = _common_problems(name, options)
    parsed = parse_select(sql, where=source)
    if parsed.problem:
        problems.append(parsed.problem)
    ins: dict[str, PartitionMapping] = options.pop("ins", None) or {}
    inputs = tuple(AssetInput(t, t, "arrow", ins.get(t)) for t in parsed.tables)
    options.pop("name", None)
    return _finish(
        name=name,
        kind="sql",
        inputs=inputs,
        code_version=options.pop("code_version", None) or parsed.fingerprint,
        sql=sql,
        sql_params=parsed.params,
        source=source,
        problems=tuple(problems),
        options=options,
    )


def sql_asset(
    fn: Callable[[], str] | None = None,
    **options: Any,
) -> Any:
    """Declare a SQL asset from a function that returns one SELECT.

    The query reads upstream assets as tables and the partition as bound values
    ``$start``, ``$end`` and ``$partition_key``:

    >>> @sql_asset(partitions=DailyPartitions("2025-01-01"))
    ... def daily_revenue():
    ...     return "SELECT sum(amount) AS revenue FROM clean_orders"
    """

    def wrap(function: Callable[[], str]) -> AssetSpec:
        opts = dict(options)
        opts.setdefault("description", inspect.getdoc(function))
        return sql_spec(opts.get("name") or function.__name__, function(), opts, _source_location(function))

    return wrap(fn) if fn is not None else wrap
