"""Partition mappings: which upstream partitions one downstream partition reads, and back.

Every mapping answers both directions, so that the planner can walk up (what does this
partition read?) and down (what reads this partition?) and the two answers always agree:
``u in upstream_keys(d)`` exactly when ``d in downstream_keys(u)``, for due keys ``d``, ``u``.
Answers hold only keys that are due at ``now``, in the definition's order, without repeats.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any, ClassVar

from assets_core.partitions.base import PartitionsDefinition, keys_of


class PartitionMapping(ABC):
    """Which upstream partitions one downstream partition reads, and the reverse.

    Both directions take the two definitions (None for unpartitioned) and the reference
    time, so that "all partitions" means "all partitions due at that time". Mappings are
    values: they compare by ``to_dict``, which :func:`mapping_from_dict` reads back.
    """

    name: ClassVar[str]

    @abstractmethod
    def upstream_keys(
        self,
        key: str,
        upstream: PartitionsDefinition | None,
        downstream: PartitionsDefinition | None,
        now: datetime | None,
    ) -> list[str]:
        """The due upstream keys that downstream partition ``key`` reads, in order."""

    @abstractmethod
    def downstream_keys(
        self,
        upstream_key: str,
        upstream: PartitionsDefinition | None,
        downstream: PartitionsDefinition | None,
        now: datetime | None,
    ) -> list[str]:
        """The due downstream keys that read upstream partition ``upstream_key``, in order."""

    def is_fan_in(self) -> bool:
        """True when every downstream partition reads the same upstream keys.

        The planner then computes them once per edge instead of once per partition.
        """
        return False

    def reads_many(
        self, upstream: PartitionsDefinition | None = None, downstream: PartitionsDefinition | None = None
    ) -> bool:
        """True when one downstream partition may read more than one upstream partition.

        The engine then adds the partition key as a column to the input, so that the asset
        can tell its rows apart. Without the definitions the answer is the cautious one.
        """
        return False

    def allows_self_dependency(self) -> bool:
        """True when an asset may read itself through this mapping (its earlier partitions)."""
        return False

    def misfit(self, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None) -> str | None:
        """Why this mapping cannot connect these two definitions (one line), or None when it can."""
        return None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form, read back by :func:`mapping_from_dict`."""
        return {"kind": self.name}

    def describe(self) -> str:
        """A short human form, as a user writes it: ``lookback(7)``."""
        return self.name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PartitionMapping) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(repr(self.to_dict()))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()})"


def described(definition: PartitionsDefinition | None) -> str:
    """A definition as misfit messages show it."""
    return "unpartitioned" if definition is None else definition.describe()


class IdentityMapping(PartitionMapping):
    """Partition ``k`` reads upstream partition ``k`` (both assets share one definition)."""

    name = "identity"

    def misfit(self, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None) -> str | None:
        if upstream is None or upstream != downstream:
            return (
                "an identity mapping needs equal partitions, but they differ "
                f"({described(upstream)} vs {described(downstream)})"
            )
        return None

    def upstream_keys(
        self, key: str, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None,
        now: datetime | None,
    ) -> list[str]:
        # Equal definitions: a due downstream key is a due upstream key, nothing to look up.
        return [key]

    def downstream_keys(
        self, upstream_key: str, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None,
        now: datetime | None,
    ) -> list[str]:
        return [upstream_key]


class AllPartitionsMapping(PartitionMapping):
    """Every downstream partition reads every due upstream partition."""

    name = "all"

    def upstream_keys(
        self, key: str, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None,
        now: datetime | None,
    ) -> list[str]:
        return keys_of(upstream, now)

    def downstream_keys(
        self, upstream_key: str, upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None,
        now: datetime | None,
    ) -> list[str]:
        return keys_of(downstream, now)

    def is_fan_in(self) -> bool:
        return True

    def reads_many(
        self, upstream: PartitionsDefinition | None = None, downstream: PartitionsDefinition | None = None
    ) -> bool:
        return True
