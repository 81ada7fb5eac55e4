"""Schemas and their changes: ``assets schema [--history]``, and the note ``plan`` and ``why``
add when an upstream partition a step reads was republished with another schema.

The changes between two schemas are a pure function (:func:`column_changes`); the history is
the catalog's distinct schemas of an asset, each compared with the one before it
(:func:`schema_history`); :func:`upstream_schema_changes` asks the catalog, in one call, the
schemas of the upstream versions the plan's ``upstream changed`` reasons name.

    >>> old = (ColumnRecord(name="amount", type="Int64", nullable=True),)
    >>> new = (ColumnRecord(name="amount", type="Float64", nullable=True),
    ...        ColumnRecord(name="discount", type="Float64", nullable=True))
    >>> summary(column_changes(old, new))
    'amount Int64 -> Float64, +discount Float64'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from assets_core.catalog.models import ColumnRecord, SchemaVersion

if TYPE_CHECKING:
    from assets_core.catalog import Catalog
    from assets_core.planning.rules import Reason

ChangeKind = Literal["added", "removed", "retyped", "nullability"]


@dataclass(frozen=True)
class ColumnChange:
    """One column's change between two schemas. ``retyped`` may change nullability too;
    ``nullability`` is a change of nullability alone."""

    kind: ChangeKind
    column: str
    old_type: str | None = None
    new_type: str | None = None
    old_nullable: bool | None = None
    new_nullable: bool | None = None

    def text(self) -> str:
        """``+discount Float64``, ``-vip Boolean``, ``amount Int64 -> Float64``, ``id nullable -> not null``."""
        if self.kind == "added":
            return f"+{self.column} {self.new_type}"
        if self.kind == "removed":
            return f"-{self.column} {self.old_type}"
        nulls = ""
        if self.old_nullable != self.new_nullable:
            nulls = f"{_nullable(self.old_nullable)} -> {_nullable(self.new_nullable)}"
        if self.kind == "nullability":
            return f"{self.column} {nulls}"
        return f"{self.column} {self.old_type} -> {self.new_type}" + (f" ({nulls})" if nulls else "")

    def to_dict(self) -> dict[str, Any]:
        return {"change": self.kind, "column": self.column, "old_type": self.old_type, "new_type": self.new_type,
                "old_nullable": self.old_nullable, "new_nullable": self.new_nullable, "text": self.text()}


def _nullable(value: bool | None) -> str:
    return "nullable" if value else "not null"


def column_changes(old: Sequence[ColumnRecord], new: Sequence[ColumnRecord]) -> list[ColumnChange]:
    """What changed from ``old`` to ``new``: the columns of ``new`` in its order (added,
    retyped, nullability changed), then the removed ones in ``old``'s order. A reordering
    alone is no change."""
    before = {c.name: c for c in old}
    after = {c.name for c in new}
    changes: list[ColumnChange] = []
    for column in new:
        was = before.get(column.name)
        if was is None:
            changes.append(ColumnChange("added", column.name, new_type=column.type, new_nullable=column.nullable))
        elif was.type != column.type or was.nullable != column.nullable:
            kind: ChangeKind = "retyped" if was.type != column.type else "nullability"
            changes.append(ColumnChange(kind, column.name, was.type, column.type, was.nullable, column.nullable))
    changes.extend(
        ColumnChange("removed", c.name, old_type=c.type, old_nullable=c.nullable) for c in old if c.name not in after
    )
    return changes


def summary(changes: Iterable[ColumnChange]) -> str:
    """The changes as one line: ``+discount Float64, amount Int64 -> Float64``."""
    return ", ".join(change.text() for change in changes)


def columns_json(columns: Iterable[ColumnRecord]) -> list[dict[str, Any]]:
    return [{"name": c.name, "type": c.type, "nullable": c.nullable} for c in columns]


@dataclass(frozen=True)
class SchemaStep:
    """One schema of an asset's history, with what changed from the one before (nothing for the first)."""

    version: SchemaVersion
    changes: tuple[ColumnChange, ...]

    def to_dict(self) -> dict[str, Any]:
        v = self.version
        return {"run_id": v.run_id, "partition": v.partition, "published_at": v.published_at,
                "attempts": v.attempts, "columns": columns_json(v.columns),
                "changes": [c.to_dict() for c in self.changes]}


def schema_history(versions: Sequence[SchemaVersion]) -> list[SchemaStep]:
    """Each schema (in the order they first appeared) with its changes from the previous one.

    >>> [len(s.changes) for s in schema_history([v1, v2])]      # doctest: +SKIP
    [0, 1]
    """
    return [
        SchemaStep(version, tuple(column_changes(versions[i - 1].columns, version.columns)) if i else ())
        for i, version in enumerate(versions)
    ]


# -- the note on plan and why ----------------------------------------------------------------------


def _compared(reason: Reason) -> tuple[tuple[str, str, str], tuple[str, str, str]] | None:
    """The upstream versions an ``upstream changed`` reason compares: (built from, current)."""
    from assets_core.planning.rules import Cause  # the planner is not needed by `assets schema`

    if reason.cause is not Cause.UPSTREAM_CHANGED or reason.upstream is None:
        return None
    if reason.old is None or reason.new is None:
        return None
    asset, key = reason.upstream
    return (asset, key, reason.old), (asset, key, reason.new)


def upstream_schema_changes(catalog: Catalog, reasons: Iterable[Reason]) -> dict[Reason, list[ColumnChange]]:
    """Of ``reasons``, those where an upstream partition changed and its schema with it: the
    columns of the version the partition was built from against those of the upstream
    partition's current version. Upstream assets that have only ever published one schema are
    ruled out first, from their history (a few rows each), so a plan without schema changes
    asks nothing more."""
    compared = {reason: pair for reason in reasons if (pair := _compared(reason)) is not None}
    upstream = {pair[0][0] for pair in compared.values()}
    changing = {asset for asset in upstream if len(catalog.schema_history(asset)) > 1}
    compared = {reason: pair for reason, pair in compared.items() if pair[0][0] in changing}
    if not compared:
        return {}
    schemas = catalog.published_schemas(triple for pair in compared.values() for triple in pair)
    found: dict[Reason, list[ColumnChange]] = {}
    for reason, (old, new) in compared.items():
        if old in schemas and new in schemas:
            changes = column_changes(schemas[old], schemas[new])
            if changes:
                found[reason] = changes
    return found


def with_schema_note(reason: Reason, changes: Mapping[Reason, list[ColumnChange]]) -> str:
    """A reason's detail, with ``(schema: ...)`` when its upstream's schema changed."""
    found = changes.get(reason)
    return f"{reason.detail} (schema: {summary(found)})" if found else reason.detail
