"""What every partitions definition offers: keys, due-ness, positions, ranges, intervals.

Pure values: nothing here reads a clock. "Due" keys are computed against a reference time
that the caller passes in, so that a plan can be reproduced later.
"""

from __future__ import annotations

import difflib
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar

from assets_core.errors import PartitionError

UNPARTITIONED = ""
"""The one partition key of an unpartitioned asset."""


def partition_ref(asset: str, key: str) -> str:
    """How every message names a partition: ``orders[2025-01-01]``, or the asset's name alone
    for an unpartitioned asset (never ``summary[]``).

    >>> partition_ref("orders", "2025-01-01"), partition_ref("summary", UNPARTITIONED)
    ('orders[2025-01-01]', 'summary')
    """
    return asset if key == UNPARTITIONED else f"{asset}[{key}]"

IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
"""Names of dynamic partitions and of multi-partition dimensions: they appear in selections."""


@dataclass(frozen=True)
class DataInterval:
    """The half-open time window ``[start, end)`` a time partition covers (timezone-aware)."""

    start: datetime
    end: datetime


class PartitionsDefinition(ABC):
    """How an asset is sliced. Subclasses are values that compare by content (``to_dict``).

    Keys have positions (``index_of``) so that mappings can work by index arithmetic
    instead of scanning every key: the planner asks for upstream keys millions of times.
    """

    kind: ClassVar[str]

    @abstractmethod
    def keys(self, now: datetime | None = None) -> list[str]:
        """The keys that are due at ``now`` (all keys when ``now`` is None), in order."""

    @abstractmethod
    def index_of(self, key: str) -> int | None:
        """Position of ``key`` in the definition, or None when it is not one of its keys."""

    @abstractmethod
    def expected(self) -> str:
        """What a key looks like, for error messages."""

    @abstractmethod
    def describe(self) -> str:
        """A short human description, for ``assets list``."""

    @abstractmethod
    def to_dict(self) -> dict[str, Any]:
        """A JSON-able form, read back by :func:`partitions_from_dict`."""

    @abstractmethod
    def keys_between(self, lo: int, hi: int) -> list[str]:
        """Keys at positions ``lo <= i < hi`` (callers keep ``lo`` and ``hi`` in range)."""

    def count(self, now: datetime | None = None) -> int:
        """How many keys are due at ``now``; they are the first ``count(now)`` positions."""
        return len(self.keys(now))

    def size(self) -> int | None:
        """How many keys there are in all (due or not); None when they never end."""
        return self.count(None)

    def is_due(self, key: str, now: datetime | None) -> bool:
        """True when ``key`` is one of the keys due at ``now``, without listing them all."""
        index = self.index_of(key)
        return index is not None and index < self.count(now)

    def components(self) -> tuple[PartitionsDefinition, ...]:
        """The simple definitions this one is built from: itself, or a product's dimensions.

        The engine walks these to find the dynamic definitions whose keys it must set.
        """
        return (self,)

    def data_interval(self, key: str) -> DataInterval | None:
        """The time window of ``key``; None for definitions that are not about time."""
        return None

    def is_key(self, key: str) -> bool:
        return self.index_of(key) is not None

    def sort_keys(self, keys: Iterable[str]) -> list[str]:
        """Keys in the definition's order; keys it does not hold go last."""
        last = 1 << 62
        return sorted(keys, key=lambda k: (i if (i := self.index_of(k)) is not None else last, k))

    def check_key(self, key: str, asset: str) -> None:
        if not self.is_key(key):
            raise PartitionError(
                f"'{key}' is not a partition of '{asset}' ({self.kind}, expected {self.expected()})."
            )

    def key_range(self, first: str, last: str, asset: str) -> list[str]:
        """Keys from ``first`` to ``last``, both included."""
        self.check_key(first, asset)
        self.check_key(last, asset)
        lo, hi = self.index_of(first), self.index_of(last)
        assert lo is not None and hi is not None
        if lo > hi:
            raise PartitionError(
                f"Range '{first}..{last}' of '{asset}' is empty: put the earlier key first."
            )
        return self.keys_between(lo, hi + 1)

    def select(self, expression: str, asset: str, now: datetime | None = None) -> list[str]:
        """Keys named on the command line: a comma list of keys and ``A..B`` ranges.

        The result is in the definition's order without duplicates. ``now`` matters only
        to definitions whose selections can leave a part unnamed (``MultiPartitions``).

        >>> StaticPartitions(["a", "b", "c"]).select("c,a..b", "sales")   # doctest: +SKIP
        ['a', 'b', 'c']
        """
        keys: list[str] = []
        for item in _items(expression, asset):
            if ".." in item:
                first, _, last = item.partition("..")
                keys.extend(self.key_range(first.strip(), last.strip(), asset))
            else:
                self.check_key(item, asset)
                keys.append(item)
        return self.sort_keys(dict.fromkeys(keys))

    def count_selected(self, expression: str, asset: str, now: datetime | None = None) -> int:
        """``len(self.select(expression, asset, now))``, counted from positions: no key is
        built, so ten million hourly keys cost as little as ten (what ``--partitions`` is
        refused on, past a limit, before any work)."""
        spans: list[tuple[int, int]] = []
        for item in _items(expression, asset):
            first, dots, last = item.partition("..")
            first, last = first.strip(), (last if dots else first).strip()
            self.check_key(first, asset)
            self.check_key(last, asset)
            lo, hi = self.index_of(first), self.index_of(last)
            assert lo is not None and hi is not None
            if lo > hi:
                raise PartitionError(f"Range '{first}..{last}' of '{asset}' is empty: put the earlier key first.")
            spans.append((lo, hi + 1))
        total, reached = 0, -1
        for lo, hi in sorted(spans):  # overlapping ranges count their keys once, as select lists them
            lo = max(lo, reached)
            total += max(0, hi - lo)
            reached = max(reached, hi)
        return total

    def __eq__(self, other: object) -> bool:
        if other is self:  # shared by most assets of a project: no description compared
            return True
        return isinstance(other, PartitionsDefinition) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        # Set once built and never changed: the hash is kept (the planner's memos are keyed by
        # definition, asked thousands of times per plan).
        found: int | None = self.__dict__.get("_hash")
        if found is None:
            found = self.__dict__["_hash"] = hash(repr(sorted(self.to_dict().items())))
        return found

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.describe()})"


def _items(expression: str, asset: str) -> list[str]:
    """The comma-separated keys and ``A..B`` ranges of a partition selection."""
    items = [item.strip() for item in expression.split(",") if item.strip()]
    if not items:
        raise PartitionError(f"The partition selection of '{asset}' is empty: give keys or A..B ranges.")
    return items


def keys_of(definition: PartitionsDefinition | None, now: datetime | None) -> list[str]:
    """The due keys of an asset; an unpartitioned asset has the one key ``UNPARTITIONED``."""
    return [UNPARTITIONED] if definition is None else definition.keys(now)


def check_identifier(name: object, what: str) -> str:
    """``name`` when it is an identifier, else a PartitionError that says what to write."""
    if not isinstance(name, str) or not IDENTIFIER.match(name):
        raise PartitionError(
            f"{what} {name!r} is not a name: use letters, digits and '_', not starting with a digit."
        )
    return name


def suggestion(name: str, choices: Iterable[str]) -> str:
    """`` Did you mean 'x'?`` for the nearest choice, or an empty string."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" Did you mean '{close[0]}'?" if close else ""
