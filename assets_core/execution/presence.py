"""Published data that is gone from disk is missing, whatever the catalog says.

Someone deletes a partition's folder, an asset's folder or the DuckDB warehouse: the catalog still says published and fresh, and without this check ``plan`` would say
so too, while ``show`` and downstream reads fail. Before planning, each command drops from
its snapshot the published partitions whose data is gone, so they plan as missing and the
next ``materialize`` rebuilds them.

The check looks at names only, never at data: one directory listing per Parquet asset, and
whether the warehouse file exists (it is not opened: another process may be writing it, and
``status`` must work meanwhile). A data file deleted from a folder that is still there, or a
table dropped from the warehouse, is not seen here; reading it says so.
"""

from __future__ import annotations

import json
import os
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

from assets_core.partitions import UNPARTITIONED
from assets_core.planning.rules import retired_reason
from assets_core.storage.store import KEY_COLUMN, PARQUET_FILE, Storage

if TYPE_CHECKING:
    from assets_core.catalog import CatalogSnapshot, PartitionState
    from assets_core.graph import AssetGraph

_FOLDER_PREFIX = f"{KEY_COLUMN}="


PRESENCE_FILE = "presence.json"


def forget_missing_files(project: Any, graph: AssetGraph, snapshot: CatalogSnapshot) -> dict[str, list[int]]:
    """:func:`forget_missing_data` for a project, remembering what the check found whole in
    ``.assets/presence.json`` (a cache: a damaged one is rebuilt); returns what it holds now.
    Parquet objects in a bucket are not checked: a missing one is found when read."""
    if project.data_url is not None:
        return {}
    path = project.root / ".assets" / PRESENCE_FILE
    try:
        seen = json.loads(path.read_text())
        if not isinstance(seen, dict):
            seen = {}
    except (OSError, ValueError):
        seen = {}
    before = dict(seen)
    forget_missing_data(graph, snapshot, Storage(project.data_dir, project.warehouse_path), seen)
    if seen != before:
        write_cache(path, json.dumps(seen))
    return seen


def write_cache(path: Any, text: str) -> None:
    """A cache file replaced whole (a reader never sees half of it); a read-only project goes
    without (the check runs whole next time)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(text)
        os.replace(temporary, path)
    except OSError:
        pass


def folder_stamp(storage: Storage, asset: str) -> int | None:
    """The modification time of an asset's Parquet folder (adding or removing a partition's
    folder changes it); None when there is none."""
    try:
        return os.stat(storage.data_dir / asset).st_mtime_ns
    except OSError:
        return None


def forget_missing_data(
    graph: AssetGraph, snapshot: CatalogSnapshot, storage: Storage, seen: dict[str, list[int]] | None = None
) -> list[tuple[str, str]]:
    """Drop from ``snapshot`` the published partitions whose data is not on disk; returns them.
    Those whose key the definition no longer holds (``graph`` bound to the snapshot's dynamic
    keys) are kept: a run retires them whatever is on disk.

    ``seen`` (kept by the caller between commands): per Parquet asset, its folder's
    modification time and how many partitions the catalog held when a listing last found all
    of them there. A folder whose entries did not change since (adding or removing one changes
    its time) is not listed again: the check costs what changed, not the catalog's size."""
    gone: list[tuple[str, str]] = []
    warehouse = storage.warehouse_path.exists()
    for asset, states in snapshot.partitions.items():
        if asset not in graph.specs or not states:
            continue
        if graph[asset].io == "duckdb":
            missing = [] if warehouse else _published(states, list(states))
        else:
            mtime = folder_stamp(storage, asset)
            stamp = None if mtime is None else [mtime, len(states)]
            if seen is not None and stamp is not None and seen.get(asset) == stamp:
                continue
            missing = _missing_files(storage, asset, states)
            if seen is not None and stamp is not None and not missing:
                seen[asset] = stamp
        for key in missing:
            if retired_reason(graph[asset], key) is not None:
                continue  # no longer a key: stays published until a run retires it (a dead one's retirement too)
            del states[key]
            gone.append((asset, key))
    return gone


def _published(states: MutableMapping[str, PartitionState], keys: list[str]) -> list[str]:
    """Those of ``keys`` that are published."""
    version = getattr(states, "version", None)  # AssetStates: read off its columns, no state built
    if version is not None:
        return [key for key in keys if version(key) is not None]
    return [key for key in keys if states[key].data_version is not None]


def _missing_files(storage: Storage, asset: str, states: MutableMapping[str, PartitionState]) -> list[str]:
    folder = storage.data_dir / asset
    try:
        names = set(os.listdir(folder))
    except FileNotFoundError:
        names = set()
    except NotADirectoryError:
        names = set()
    if UNPARTITIONED in states:
        return _published(states, [UNPARTITIONED]) if PARQUET_FILE not in names else []
    present = {name[len(_FOLDER_PREFIX):] for name in names if name.startswith(_FOLDER_PREFIX)}
    return _published(states, [key for key in states if key not in present])  # mostly the unpublished
