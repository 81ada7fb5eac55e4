"""Frames this process staged moments ago, handed to the partitions that read them next.

The run computes a partition's chain downstream-first (``run._ReadySteps``), so the input of
the next partition is often the frame this process has just staged: reading it back decodes
the Parquet file just written. A frame is kept here, by its asset, partition key and data
version, and an input is taken from it only when the version the run resolved for that input
(what the catalog records as read) is exactly the version of the frame: the same content, by
the definition of a data version, as the published file. Anything else (another version, a
partition not kept, a column type whose Parquet round trip is not exact) reads the file.

The memory is bounded (``LIMIT_BYTES``, least recently used first out).

    >>> import polars as pl
    >>> recent = RecentFrames(limit_bytes=2**20)
    >>> recent.put("orders", "2025-01-01", "c1:abc", pl.DataFrame({"id": [1, 2]}))
    >>> [frame.height for frame in recent.get("orders", ["2025-01-01"], ["c1:abc"])]
    [2]
    >>> recent.get("orders", ["2025-01-01"], ["c1:other"]) is None
    True
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING

from assets_core.storage.store import is_plain

if TYPE_CHECKING:
    import polars as pl

LIMIT_BYTES = 4 * 2**20
"""How much staged data is kept: the last few partitions of a 20,000-row daily chain."""


class RecentFrames:
    """Staged frames by (asset, key), each with its data version; safe across threads."""

    def __init__(self, limit_bytes: int = LIMIT_BYTES) -> None:
        self.limit_bytes = limit_bytes
        self._frames: OrderedDict[tuple[str, str], tuple[str, pl.DataFrame, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def put(self, asset: str, key: str, version: str, frame: pl.DataFrame) -> None:
        """Keep ``frame``, the staged content of ``asset[key]`` at ``version``, if its types
        round-trip through Parquet exactly and it fits."""
        if not all(is_plain(str(dtype)) for dtype in frame.schema.values()):
            return
        size = int(frame.estimated_size())
        if size > self.limit_bytes // 4:
            return
        with self._lock:
            old = self._frames.pop((asset, key), None)
            if old is not None:
                self._bytes -= old[2]
            self._frames[(asset, key)] = (version, frame, size)
            self._bytes += size
            while self._bytes > self.limit_bytes:
                _, (_, _, dropped) = self._frames.popitem(last=False)
                self._bytes -= dropped

    def get(self, asset: str, keys: Sequence[str], versions: Sequence[str]) -> list[pl.DataFrame] | None:
        """The frames of ``keys`` at exactly ``versions`` (in that order), or None unless all are kept."""
        if not keys or len(keys) != len(versions):
            return None
        found = []
        with self._lock:
            for key, version in zip(keys, versions):
                kept = self._frames.get((asset, key))
                if kept is None or kept[0] != version:
                    return None
                self._frames.move_to_end((asset, key))
                found.append(kept[1])
        return [frame.clone() for frame in found]  # the asset's code may change its frame in place
