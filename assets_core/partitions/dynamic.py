"""Dynamic partitions: keys added at run time (one per file dropped, per customer...).

The keys live in the catalog and reach the engine with its snapshot: a definition as
declared has none, and ``with_keys`` gives a new definition holding the catalog's keys (see
``AssetGraph.with_dynamic_keys``). A definition never changes once made.

    >>> files = DynamicPartitions("landing_files").with_keys(["orders_1.csv", "orders_2.csv"])
    >>> files.keys()
    ['orders_1.csv', 'orders_2.csv']
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from assets_core.errors import PartitionError
from assets_core.partitions.base import PartitionsDefinition, check_identifier

MAX_KEY_BYTES = 200
"""Keys become directory names (``partition_key=<key>``, ``<key>.parquet``): most file systems
stop at 255 bytes per name, and a character past ASCII takes two to four bytes in UTF-8."""

_FORBIDDEN = ("/", "\\", "|", "..", ",")
"""Path separators and ``..`` could escape the asset's directory; ``|`` joins the keys of
multi partitions; ``,`` separates keys in ``--partitions`` lists."""

_READ_AS_PATTERNS = ("*", "?", "[", "]", "{", "}", "%", "=")
"""What polars and DuckDB do not read literally in a path: glob characters (a key ``a*``
would read every partition starting with ``a``), and in a ``partition_key=<key>`` folder the
``%`` they decode and the ``=`` that splits the folder's name."""

_HIVE_NULL = "__HIVE_DEFAULT_PARTITION__"
"""The folder value Hive readers turn into NULL."""


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
    size = len(key.encode("utf-8", "surrogatepass"))
    if size > MAX_KEY_BYTES:
        return (f"Partition key '{key[:20]}...' is {size} bytes long in UTF-8 ({len(key)} characters): "
                f"keys become file names, so use at most {MAX_KEY_BYTES} bytes.")
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
    pattern = next((c for c in _READ_AS_PATTERNS if c in key), None)
    if pattern is not None:
        return (f"Partition key {key!r} contains '{pattern}', which Parquet and DuckDB readers do not read "
                "literally in a path (a glob pattern, a Hive folder's escape or separator): "
                "use no '*', '?', '[', ']', '{', '}', '%' or '='.")
    if key == _HIVE_NULL:
        return f"Partition key '{_HIVE_NULL}' is read as NULL by Hive-partitioned readers: use another key."
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
        """The same definition with the catalog's keys (order kept). A key the catalog holds
        that is refused now (added by an older version, or by hand) is a PartitionError
        saying how to remove it; a repeated key is one too."""
        if tuple(keys) == self._state[0]:
            return self
        for key in keys:
            problem = validate_key(key)
            if problem is not None:
                raise PartitionError(
                    f"The catalog holds key {key!r} of DynamicPartitions('{self.name}'), refused now: {problem} "
                    f"Remove it: assets partitions remove {self.name} {shlex.quote(key)} --force"
                )
        return DynamicPartitions(self.name, keys)

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
