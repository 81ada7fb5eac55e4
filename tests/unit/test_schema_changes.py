"""The changes between two schemas, an asset's schema history, and the note plan and why add:
pure functions (the last with a catalog double that answers like the interface)."""

from __future__ import annotations

from assets_core.catalog.models import ColumnRecord, SchemaVersion
from assets_core.planning.rules import Cause, Reason
from assets_core.reports.schema import (
    ColumnChange,
    column_changes,
    schema_history,
    summary,
    upstream_schema_changes,
    with_schema_note,
)


def columns(*spec: str) -> tuple[ColumnRecord, ...]:
    """``columns("id:Int64", "name:String?")``: a trailing ``?`` marks a nullable column."""
    return tuple(ColumnRecord(name=s.split(":")[0], type=s.split(":")[1].rstrip("?"), nullable=s.endswith("?"))
                 for s in spec)


def test_added_removed_retyped_and_nullability_each_say_what_changed() -> None:
    old = columns("id:Int64", "amount:Int64?", "vip:Boolean?", "name:String?")
    new = columns("id:Int64?", "amount:Float64", "name:String?", "discount:Float64?")
    changes = column_changes(old, new)
    assert changes == [
        ColumnChange("nullability", "id", "Int64", "Int64", False, True),
        ColumnChange("retyped", "amount", "Int64", "Float64", True, False),
        ColumnChange("added", "discount", new_type="Float64", new_nullable=True),
        ColumnChange("removed", "vip", old_type="Boolean", old_nullable=True),
    ]
    assert summary(changes) == ("id not null -> nullable, amount Int64 -> Float64 (nullable -> not null), "
                                "+discount Float64, -vip Boolean")
    assert changes[2].to_dict() == {"change": "added", "column": "discount", "old_type": None, "new_type": "Float64",
                                    "old_nullable": None, "new_nullable": True, "text": "+discount Float64"}


def test_the_same_columns_in_another_order_are_no_change() -> None:
    assert column_changes(columns("a:Int64", "b:String"), columns("b:String", "a:Int64")) == []
    assert column_changes((), columns("a:Int64")) == [ColumnChange("added", "a", new_type="Int64", new_nullable=False)]


def version(cols: tuple[ColumnRecord, ...], run: str, key: str) -> SchemaVersion:
    return SchemaVersion(columns=cols, run_id=run, partition=key, published_at="2025-01-02T00:00:00+00:00", attempts=1)


def test_history_compares_each_schema_with_the_one_before() -> None:
    v1, v2, v3 = columns("a:Int64"), columns("a:Int64", "b:String"), columns("b:String")
    steps = schema_history([version(v1, "r1", "k1"), version(v2, "r2", "k2"), version(v3, "r3", "k3")])
    assert [summary(s.changes) for s in steps] == ["", "+b String", "-a Int64"]
    assert steps[1].to_dict()["run_id"] == "r2" and steps[1].to_dict()["partition"] == "k2"
    assert steps[1].to_dict()["columns"] == [{"name": "a", "type": "Int64", "nullable": False},
                                             {"name": "b", "type": "String", "nullable": False}]
    assert schema_history([]) == []


class Schemas:
    """A catalog double: the two interface methods the note reads, and what it was asked."""

    def __init__(self, histories: dict[str, int], versions: dict[tuple[str, str, str], tuple[ColumnRecord, ...]]):
        self.histories, self.versions = histories, versions
        self.asked: list[tuple[str, str, str]] = []

    def schema_history(self, asset: str) -> list[object]:
        return [object()] * self.histories.get(asset, 0)

    def published_schemas(self, triples):  # type: ignore[no-untyped-def]
        self.asked.extend(triples)
        return {t: self.versions[t] for t in self.asked if t in self.versions}


def test_the_note_compares_the_version_built_from_with_the_current_one() -> None:
    changed = Reason(Cause.UPSTREAM_CHANGED, "raw[d1] changed: v1 -> v2", upstream=("raw", "d1"), old="v1", new="v2")
    same = Reason(Cause.UPSTREAM_CHANGED, "raw[d2] changed: v3 -> v4", upstream=("raw", "d2"), old="v3", new="v4")
    steady = Reason(Cause.UPSTREAM_CHANGED, "ref[x] changed", upstream=("ref", "x"), old="a", new="b")
    code = Reason(Cause.CODE_CHANGED, "code of clean changed", old="c1", new="c2")
    catalog = Schemas({"raw": 2, "ref": 1}, {
        ("raw", "d1", "v1"): columns("amount:Int64"), ("raw", "d1", "v2"): columns("amount:Float64", "discount:Float64"),
        ("raw", "d2", "v3"): columns("amount:Float64"), ("raw", "d2", "v4"): columns("amount:Float64"),
    })
    notes = upstream_schema_changes(catalog, [changed, same, steady, code])  # type: ignore[arg-type]
    assert list(notes) == [changed]
    assert with_schema_note(changed, notes) == \
        "raw[d1] changed: v1 -> v2 (schema: amount Int64 -> Float64, +discount Float64)"
    assert with_schema_note(same, notes) == same.detail
    assert all(t[0] == "raw" for t in catalog.asked)  # ref has only ever had one schema: not looked up


def test_a_plan_with_no_upstream_change_asks_the_catalog_nothing() -> None:
    catalog = Schemas({}, {})
    assert upstream_schema_changes(catalog, [Reason(Cause.MISSING, "never published")]) == {}  # type: ignore[arg-type]
    assert catalog.asked == []
