"""The options of ``@asset``, ``@sql_asset``, ``@source`` and a SQL file's header, as schemas.

Each decorator reads its options through one model here: an unknown option names the closest
valid one, a value of the wrong type is refused rather than coerced (``code_version=5``,
``checks="x"``, ``timeout=nan``), and every mistake is one line naming the asset
(:func:`assets_core.definitions.schema.read_options`), reported with the graph's problems.

    >>> options, problems = read_options(SqlAssetOptions, {"partition": None}, "Asset 'daily_revenue'")
    >>> problems
    ["Asset 'daily_revenue': unknown option 'partition'. Did you mean 'partitions'?"]

Imported by the decorators on first use: building these models costs milliseconds that a
command reading the cached manifest never pays.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, InstanceOf, Strict, StrictInt, StrictStr, StringConstraints, field_validator

from assets_core.checks.base import Check
from assets_core.definitions.freshness import Freshness
from assets_core.definitions.retries import RetryPolicy
from assets_core.definitions.schema import SCHEMA, read_options
from assets_core.errors import DefinitionError, PartitionError
from assets_core.partitions import PartitionMapping, PartitionsDefinition

_Seconds = Annotated[float, Strict(), Field(gt=0, allow_inf_nan=False)]
"""An int or a float above 0, finite; never a bool or a string."""

_Line = Annotated[StrictStr, StringConstraints(pattern=r"^[^\x00-\x1f\x7f]*$")]
"""Text that names or versions something: no control characters (a version holding the
catalog's separator made every later run report a damaged catalog; an escape sequence in a
name would reach every terminal that prints it)."""
_Prose = Annotated[StrictStr, StringConstraints(pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")]
"""Text for people: tabs and line breaks, no other control characters."""

_TEXT = "give a string without control characters"


class _Options(BaseModel):
    """What every asset takes, however it is declared. Every field has a default (see read_options)."""

    model_config = SCHEMA

    io: Literal["parquet", "duckdb"] = Field(default="parquet", description="use 'parquet' or 'duckdb'")
    code_version: _Line | None = Field(
        default=None, description="give a string without control characters, such as code_version='2'"
    )
    description: _Prose | None = Field(default=None, description="give a string (no control characters but tabs and line breaks)")
    group: _Line | None = Field(default=None, description=_TEXT)
    owner: _Line | None = Field(default=None, description=_TEXT)
    tags: tuple[_Line, ...] = Field(default=(), description="give a list of strings, such as ['finance']")
    freshness: Freshness | None = Field(
        default=None, description="give Freshness(...) or a dict such as {'error_after': '1d'}"
    )
    retry: RetryPolicy | None = Field(default=None, description="give a RetryPolicy(max_attempts=..., ...)")
    timeout: _Seconds | None = Field(default=None, description="give a number of seconds above 0")
    pool: _Line | None = Field(default=None, description="give the name of a pool in assets.toml's [pools]")


class _PythonOptions(_Options):
    """What assets declared in Python take besides: objects rather than their TOML spelling."""

    name: _Line | None = Field(default=None, description=_TEXT)
    partitions: InstanceOf[PartitionsDefinition] | None = Field(
        default=None, description="give a partitions definition, such as DailyPartitions(start=...), or None"
    )
    checks: tuple[InstanceOf[Check], ...] = Field(
        default=(), description="give a list of checks, such as [not_null('id')]"
    )
    ins: dict[StrictStr, InstanceOf[PartitionMapping]] | None = Field(
        default=None, description="give a dict of input name to mapping, such as {'orders': lookback(days=7)}"
    )


_BATCH_SIZE = "give a whole number of partitions, 1 or more"


_LINEAGE = "give a dict of output column to a list of 'asset.column', such as {'revenue': ['clean.amount']}"


class AssetOptions(_PythonOptions):
    """``@asset(...)``."""

    column_lineage: dict[StrictStr, tuple[StrictStr, ...]] | None = Field(default=None, description=_LINEAGE)

    @field_validator("column_lineage", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        # A lone string is a list of its characters to pydantic: refuse it instead.
        if isinstance(value, dict) and any(isinstance(refs, str) for refs in value.values()):
            raise ValueError("a column's sources are a list")
        return value

    @field_validator("column_lineage")
    @classmethod
    def _dotted(cls, value: dict[str, tuple[str, ...]] | None) -> dict[str, tuple[str, ...]] | None:
        for refs in (value or {}).values():
            for ref in refs:
                asset, dot, column = ref.partition(".")
                if not (asset and dot and column):
                    raise ValueError(f"{ref!r} is not 'asset.column'")
        return value


class SourceOptions(AssetOptions):
    """``@source(observe=..., ...)``."""

    # source() requires observe= in its signature; None only serves a spec built around
    # other mistakes (read_options drops a wrong value), and is refused when given.
    observe: Callable[..., Any] | None = Field(default=None, description="give a function of the partition's context")

    @field_validator("observe")
    @classmethod
    def _given(cls, value: Callable[..., Any] | None) -> Callable[..., Any]:
        if value is None:
            raise ValueError("observe= is required")
        return value


class SqlAssetOptions(_PythonOptions):
    """``@sql_asset(...)``, and a SQL file's header once read."""

    batch_size: StrictInt | None = Field(default=None, ge=1, description=_BATCH_SIZE)


class SqlFileOptions(_Options):
    """The leading comment block of a ``NAME.sql`` file, written as TOML: partitions and checks
    as tables (``{ kind = "daily", start = "2025-01-01" }``, ``{ not_null = "day" }``)."""

    partitions: dict[StrictStr, Any] | None = Field(
        default=None, description="give a table, such as { kind = \"daily\", start = \"2025-01-01\" }"
    )
    checks: list[dict[StrictStr, Any]] = Field(
        default=[], description="give a list of checks, such as [{ not_null = \"day\" }]"
    )
    batch_size: StrictInt | None = Field(default=None, ge=1, description=_BATCH_SIZE)


def sql_file_options(header: dict[str, Any], path: Path) -> tuple[SqlAssetOptions, list[str]]:
    """A SQL file's header read as the options of a SQL asset: its partitions and checks tables
    made into objects, and one line per mistake (each naming the file)."""
    from assets_core.checks import check_from_dict
    from assets_core.partitions import partitions_from_dict

    read, problems = read_options(SqlFileOptions, header, str(path))
    values = dict(read)
    try:
        values["partitions"] = partitions_from_dict(read.partitions)
    except PartitionError as exc:
        problems.append(f"{path}: {exc}")
        values["partitions"] = None
    checks = []
    for spec in read.checks:
        try:
            checks.append(check_from_dict(spec, str(path)))
        except DefinitionError as exc:
            problems.extend(exc.problems)
    values["checks"] = tuple(checks)
    return SqlAssetOptions.model_validate(values), problems
