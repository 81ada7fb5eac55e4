"""Static partitions: a fixed list of keys written in the code, such as regions."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, ClassVar

from assets_core.errors import PartitionError
from assets_core.partitions.base import PartitionsDefinition
from assets_core.partitions.dynamic import MAX_KEY_BYTES

STATIC_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_\-]*(\.[A-Za-z0-9_\-]+)*$")
"""Static keys end up in file paths and SQL values: letters, digits, ``_ - .``, no ``..``."""


class StaticPartitions(PartitionsDefinition):
    """A fixed list of keys, such as regions; all of them are always due.

    >>> StaticPartitions(["eu", "us"]).keys()
    ['eu', 'us']
    """

    kind: ClassVar[str] = "static"

    def __init__(self, keys: list[str] | tuple[str, ...]) -> None:
        if not isinstance(keys, (list, tuple)):  # a str is a sequence of keys of one letter each
            raise PartitionError(
                f"StaticPartitions({keys!r}): give a list of keys, such as StaticPartitions([{keys!r}])."
                if isinstance(keys, str) else f"StaticPartitions({keys!r}): give a list of keys, such as ['eu', 'us']."
            )
        bad = [k for k in keys if not isinstance(k, str) or not STATIC_KEY.fullmatch(k)]
        if bad:
            raise PartitionError(
                f"Static partition key {bad[0]!r} is not allowed: use letters, digits, '_', '-' "
                "and single dots."
            )
        long = next((k for k in keys if len(k) > MAX_KEY_BYTES), None)  # ASCII: one byte each
        if long is not None:
            raise PartitionError(
                f"Static partition key '{long[:20]}...' is {len(long)} characters long: keys become file names, "
                f"so use at most {MAX_KEY_BYTES}."
            )
        if len(set(keys)) != len(keys):
            dup = next(k for k in keys if list(keys).count(k) > 1)
            raise PartitionError(f"Static partition key '{dup}' is listed twice: remove one.")
        if not keys:
            raise PartitionError("StaticPartitions needs at least one key.")
        self.values = tuple(keys)
        self._positions = {k: i for i, k in enumerate(keys)}

    def keys(self, now: datetime | None = None) -> list[str]:
        return list(self.values)

    def count(self, now: datetime | None = None) -> int:
        return len(self.values)

    def index_of(self, key: str) -> int | None:
        return self._positions.get(key)

    def keys_between(self, lo: int, hi: int) -> list[str]:
        return list(self.values[lo:hi])

    def expected(self) -> str:
        return f"one of {_shown(self.values)}"

    def describe(self) -> str:
        return f"static: {_shown(self.values)}"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "keys": list(self.values)}


def _shown(values: tuple[str, ...]) -> str:
    """At most five keys, for messages: a list of a thousand regions is not a message."""
    return ", ".join(values[:5]) + (", ..." if len(values) > 5 else "")
