"""Mappings by key: an explicit table of keys, and one dimension of multi partitions.

    >>> from assets_core.partitions import StaticPartitions
    >>> countries = StaticPartitions(["de", "fr", "us"])
    >>> regions = StaticPartitions(["eu", "us"])
    >>> StaticMapping({"eu": ["de", "fr"], "us": ["us"]}).upstream_keys("eu", countries, regions, None)
    ['de', 'fr']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from assets_core.errors import PartitionError
from assets_core.partitions.base import PartitionsDefinition
from assets_core.partitions.dynamic import DynamicPartitions
from assets_core.partitions.mapping import IdentityMapping, PartitionMapping, described
from assets_core.partitions.multi import SEPARATOR, MultiPartitions


def _due_in_order(keys: Iterable[str], definition: PartitionsDefinition | None, now: datetime | None) -> list[str]:
    if definition is None:
        return []
    due = [k for k in keys if definition.is_due(k, now)]
    return definition.sort_keys(due) if len(due) > 1 else due


def _keys_known(definition: PartitionsDefinition) -> bool:
    """Dynamic keys arrive at run time, so a mapping cannot be checked against them earlier."""
    return not any(isinstance(part, DynamicPartitions) for part in definition.components())


class StaticMapping(PartitionMapping):
    """An explicit table: each downstream key and the upstream keys it reads.

    A downstream key the table does not name reads nothing. The reverse (which downstream
    keys read an upstream key) is derived from the same table.

    >>> StaticMapping({"eu": ["de", "fr"], "us": "us"})   # downstream -> upstream # doctest: +SKIP
    """

    name = "static"

    def __init__(self, reads: Mapping[str, str | Sequence[str]]) -> None:
        self.reads: dict[str, tuple[str, ...]] = {}
        for down, ups in reads.items():
            values = (ups,) if isinstance(ups, str) else tuple(ups)
            if not isinstance(down, str) or not all(isinstance(u, str) for u in values):
                raise PartitionError(
                    f"StaticMapping entry {down!r}: {ups!r} is not keys: map each downstream key to "
                    "a list of upstream keys, such as {'eu': ['de', 'fr']}."
                )
            self.reads[down] = tuple(dict.fromkeys(values))
        read_by: dict[str, list[str]] = {}
        for down, values in self.reads.items():
            for up in values:
                read_by.setdefault(up, []).append(down)
        self.read_by = {up: tuple(downs) for up, downs in read_by.items()}

    def misfit(self, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None) -> str | None:
        if upstream is None or downstream is None:
            return (
                "a static mapping, which needs partitions on both sides, but they are "
                f"{described(upstream)} and {described(downstream)}"
            )
        return self._unknown(self.reads, downstream, "downstream") or self._unknown(self.read_by, upstream, "upstream")

    @staticmethod
    def _unknown(keys: Iterable[str], definition: PartitionsDefinition, side: str) -> str | None:
        if not _keys_known(definition):
            return None
        bad = next((k for k in keys if not definition.is_key(k)), None)
        if bad is None:
            return None
        return (f"a static mapping that names '{bad}', which the {side} partitions do not hold "
                f"({definition.kind}, expected {definition.expected()})")

    def upstream_keys(
        self, key: str, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None,
        now: datetime | None,
    ) -> list[str]:
        return _due_in_order(self.reads.get(key, ()), upstream, now)

    def downstream_keys(
        self, upstream_key: str, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None,
        now: datetime | None,
    ) -> list[str]:
        return _due_in_order(self.read_by.get(upstream_key, ()), downstream, now)

    def reads_many(
        self, upstream: PartitionsDefinition | None = None, downstream: PartitionsDefinition | None = None
    ) -> bool:
        return any(len(values) > 1 for values in self.reads.values())

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.name, "reads": {down: list(ups) for down, ups in self.reads.items()}}

    def describe(self) -> str:
        return f"static({len(self.reads)} keys)"


Side = Literal["multi reads single", "single reads multi"]


class DimensionMapping(PartitionMapping):
    """Between a multi-partitioned asset and an asset partitioned like one of its dimensions.

    Multi reads single: ``'2025-01-01|eu'`` reads what ``inner`` maps its ``date`` value to
    (the same day by default). Single reads multi: day ``2025-01-01`` reads every due
    ``'2025-01-01|<region>'``. ``inner`` maps between the single asset and the dimension,
    e.g. ``DimensionMapping("date", TimeWindowMapping())`` for a monthly asset.
    """

    name = "dimension"

    def __init__(self, dimension: str, inner: PartitionMapping | None = None) -> None:
        self.dimension = dimension
        self.inner = inner if inner is not None else IdentityMapping()

    def _sides(
        self, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None
    ) -> tuple[Side, MultiPartitions, PartitionsDefinition] | None:
        """Which side is multi, the multi definition, and the single one."""
        up_multi, down_multi = isinstance(upstream, MultiPartitions), isinstance(downstream, MultiPartitions)
        if down_multi and not up_multi and upstream is not None:
            assert isinstance(downstream, MultiPartitions)
            return "multi reads single", downstream, upstream
        if up_multi and not down_multi and downstream is not None:
            assert isinstance(upstream, MultiPartitions)
            return "single reads multi", upstream, downstream
        return None

    def misfit(self, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None) -> str | None:
        sides = self._sides(upstream, downstream)
        if sides is None:
            return (
                f"{self.describe()}, which needs multi partitions on one side and one dimension on the "
                f"other, but they are {described(upstream)} and {described(downstream)}"
            )
        side, multi, single = sides
        if self.dimension not in multi.dimensions:
            return (f"{self.describe()}, but the multi partitions have no dimension '{self.dimension}' "
                    f"(they have {', '.join(multi.names)})")
        part = multi.dimensions[self.dimension]
        problem = self.inner.misfit(single, part) if side == "multi reads single" else self.inner.misfit(part, single)
        return None if problem is None else f"{problem} (in dimension '{self.dimension}')"

    def _value(self, multi: MultiPartitions, key: str) -> str | None:
        parts = key.split(SEPARATOR)
        return parts[multi.names.index(self.dimension)] if len(parts) == len(multi.names) else None

    def upstream_keys(
        self, key: str, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None,
        now: datetime | None,
    ) -> list[str]:
        sides = self._sides(upstream, downstream)
        if sides is None or self.dimension not in sides[1].dimensions:
            return []
        side, multi, single = sides
        part = multi.dimensions[self.dimension]
        if side == "multi reads single":
            value = self._value(multi, key)
            return [] if value is None else self.inner.upstream_keys(value, single, part, now)
        values = self.inner.upstream_keys(key, part, single, now)
        return multi.keys_with(now, {self.dimension: values}) if values else []

    def downstream_keys(
        self, upstream_key: str, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None,
        now: datetime | None,
    ) -> list[str]:
        sides = self._sides(upstream, downstream)
        if sides is None or self.dimension not in sides[1].dimensions:
            return []
        side, multi, single = sides
        part = multi.dimensions[self.dimension]
        if side == "single reads multi":
            value = self._value(multi, upstream_key)
            return [] if value is None else self.inner.downstream_keys(value, part, single, now)
        values = self.inner.downstream_keys(upstream_key, single, part, now)
        return multi.keys_with(now, {self.dimension: values}) if values else []

    def reads_many(
        self, upstream: PartitionsDefinition | None = None, downstream: PartitionsDefinition | None = None
    ) -> bool:
        sides = self._sides(upstream, downstream)
        if sides is None or sides[0] == "single reads multi" or self.dimension not in sides[1].dimensions:
            return True
        return self.inner.reads_many(sides[2], sides[1].dimensions[self.dimension])

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.name, "dimension": self.dimension, "inner": self.inner.to_dict()}

    def describe(self) -> str:
        inner = "" if isinstance(self.inner, IdentityMapping) else f", {self.inner.describe()}"
        return f"dimension({self.dimension}{inner})"
