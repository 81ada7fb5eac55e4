"""Dynamic partitions: keys added at run time (one per file dropped, per customer...).

The keys live in the catalog and reach the engine with its snapshot: a definition as
declared has none, and ``with_keys`` gives a new definition holding the catalog's keys (see
``AssetGraph.with_dynamic_keys``). A definition never changes once made.

    >>> files = DynamicPartitions("landing_files").with_keys(["orders_1.csv", "orders_2.csv"])
    >>> files.keys()
    ['orders_1.csv', 'orders_2.csv']
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from assets_core.errors import PartitionError
from assets_core.partitions.base import PartitionsDefinition, check_identifier

MAX_KEY_LENGTH = 200
"""Keys become directory names: most file systems stop at 255 bytes per name."""

_FORBIDDEN = ("/", "\\", "|", "..", ",")
"""Path separators and ``..`` could escape the asset's directory; ``|`` joins the keys of
multi partitions; ``,`` separates keys in ``--partitions`` lists."""


def validate_key(key: str) -> str | None:
    """What is wrong with ``key`` as a dynamic partition key, in one line; None when it is fine.

    >>> validate_key("orders_2025-01-01.csv") is None
    True
    >>> validate_key("../etc").startswith("Partition key '../etc' contains '/'")
    True
    """
    if not isinstance(key, str):
        return f"Partition key {key!r} is not a string: give keys as text."
    if not key:
        return "A partition key cannot be empty: give at least one character."
    if len(key) > MAX_KEY_LENGTH:
        return f"Partition key '{key[:20]}...' is {len(key)} characters long: use at most {MAX_KEY_LENGTH}."
    if key != key.strip():
        return f"Partition key {key!r} starts or ends with whitespace: strip it."
    if key == ".":
        return "Partition key '.' names the current directory: use another key."
    bad = next((part for part in _FORBIDDEN if part in key), None)
    if bad is None and any(ord(c) < 32 or ord(c) == 127 for c in key):
        bad = "NUL" if "\0" in key else "a control character"
        shown = key.encode("unicode_escape").decode("ascii")
        return (f"Partition key '{shown}' contains {bad}: keys become directory names, "
                "so use no control characters.")
    if bad is not None:
        return (f"Partition key {key!r} contains '{bad}': keys become directory names and items of "
                "comma lists, so use no '/', '\\', '|', '..', ',' or control characters.")
    return None


class DynamicPartitions(PartitionsDefinition):
    """Keys kept in the catalog under ``name``, in the order they were added; all are due.

    Two definitions with the same name are equal: they share the catalog's keys. The keys
    come from the catalog (``with_keys``), never part of the definition's identity.
    """

    kind: ClassVar[str] = "dynamic"

    def __init__(self, name: str, keys: Sequence[str] = ()) -> None:
        self.name = check_identifier(name, "Dynamic partitions name")
        for key in keys:
            problem = validate_key(key)
            if problem is not None:
                raise PartitionError(f"Dynamic partitions '{self.name}': {problem}")
        positions = {k: i for i, k in enumerate(keys)}
        if len(positions) != len(keys):
            dup = next(k for i, k in enumerate(keys) if positions[k] != i)
            raise PartitionError(f"Dynamic partitions '{self.name}': key '{dup}' is listed twice: remove one.")
        self._state: tuple[tuple[str, ...], dict[str, int]] = (tuple(keys), positions)

    def with_keys(self, keys: Sequence[str]) -> DynamicPartitions:
        """The same definition with these keys (order kept); a bad or repeated key is a PartitionError."""
        return self if tuple(keys) == self._state[0] else DynamicPartitions(self.name, keys)

    def keys(self, now: datetime | None = None) -> list[str]:
        return list(self._state[0])

    def count(self, now: datetime | None = None) -> int:
        return len(self._state[0])

    def index_of(self, key: str) -> int | None:
        return self._state[1].get(key)

    def keys_between(self, lo: int, hi: int) -> list[str]:
        return list(self._state[0][lo:hi])

    def expected(self) -> str:
        return f"a key added to dynamic partitions '{self.name}'"

    def describe(self) -> str:
        return f"dynamic: {self.name} ({len(self._state[0])} keys)"

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name}
