"""Parquet assets in a bucket: immutable objects, the catalog commit as the switch.

There is no rename on object storage, so a publish never replaces an object. Layout under
``s3://bucket/prefix``::

    <asset>/partition_key=<key>/<data version>.<run id>.parquet   one published version
    <asset>/<data version>.<run id>.parquet                       ... of an unpartitioned asset
    <asset>/_manifest.json                                        the current objects of the asset

Publishing a partition uploads its staged file once, under a name made of its data version
(``c1-...``, the ``:`` spelled ``-``) and the id of the run that publishes it: run ids are
unique (time and random bits) and a run publishes a partition at most once, under its
lease, so no other writer ever produces that name; nothing is overwritten, and pyarrow's
client needs no conditional PUT. The object is not yet visible to anyone who asks the
catalog: the catalog records, per partition, the published data version and the run that
published it, and the name follows from those two (:func:`object_name`). The catalog commit
is therefore the switch; a reader through the project resolves the current object of each
partition from the catalog (``published_versions``), never from a listing.

After the commit, the asset's manifest is replaced by one PUT (it lists the current object
of every published partition, from the catalog), then the objects the commit superseded are
deleted. A crash between the upload and the commit leaves an object no catalog entry names:
garbage, which the next run over that asset (or ``assets gc``) deletes; so is a superseded
object a crash left before its deletion. Garbage is only ever an object whose run the
catalog records as finished, so an upload of a run still going is never taken for it.

Readers outside the project follow the manifest (README, "Object storage"): one GET of
``_manifest.json``, then the objects it lists, which stay in place until a later manifest
no longer lists them. A plain listing of the prefix may see, besides the current objects,
an upload not yet committed and a superseded object not yet deleted: two versions of one
partition. Do not glob.

The project's readers (``show``, inputs, checks) download each object once into
``data/.objects/`` (the same layout): an object never changes, so a copy is never stale.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from assets_core.errors import StorageError
from assets_core.partitions import UNPARTITIONED
from assets_core.storage.objects import ObjectStore

if TYPE_CHECKING:
    from assets_core.storage.store import StagedPartition

KEY_COLUMN = "partition_key"
MANIFEST_EVERY = 2.0
"""Seconds between manifest updates while a run publishes; its last commit updates them all."""
MANIFEST = "_manifest.json"
SUFFIX = ".parquet"
Fault = Callable[[str, str, str], None]
Locate = Callable[[str, "list[str] | None"], dict[str, tuple[str, str | None]]]
"""``(asset, keys or None for all)`` -> ``{key: (data version, run that published it)}``, from the catalog."""
IsFinished = Callable[[str], bool]
"""Whether the catalog records the run of this id as over (succeeded, failed, interrupted)."""


def object_name(data_version: str, run_id: str) -> str:
    """The object a run publishes a version under.

    >>> object_name("c1:5b0e2c61a0f4e8d9c3b7a1f2e6d40", "20250102T030405-a1b2c3")
    'c1-5b0e2c61a0f4e8d9c3b7a1f2e6d40.20250102T030405-a1b2c3.parquet'
    """
    return f"{data_version.replace(':', '-')}.{run_id}{SUFFIX}"


def run_of(name: str) -> str | None:
    """The run id in an object's name, or None for a name this module did not make."""
    base = name.rsplit("/", 1)[-1]
    if not base.endswith(SUFFIX) or base.count(".") != 2:
        return None
    return base[: -len(SUFFIX)].split(".")[1]


def partition_folder(asset: str, key: str) -> str:
    return asset if key == UNPARTITIONED else f"{asset}/{KEY_COLUMN}={key}"


class RemoteParquet:
    """Where a project's Parquet assets live when ``data_dir`` is a bucket; safe across threads."""

    def __init__(self, store: ObjectStore, cache_dir: Path, locate: Locate) -> None:
        self.store = store
        self.cache_dir = cache_dir
        self.locate = locate
        self._lock = threading.Lock()
        self._pins: dict[str, dict[str, str]] = {}  # asset -> key -> object: published by this run, not yet committed
        self._superseded: dict[tuple[str, str], str] = {}  # to delete once the commit is made
        self._stale: set[str] = set()  # assets whose manifest lags the catalog
        self._last_manifests = time.monotonic()

    # -- names -----------------------------------------------------------------------------

    def current(self, asset: str, keys: list[str] | None) -> dict[str, str]:
        """The current object (its name in the bucket) of each published key, as this run's
        readers see it: what the run published, else what the catalog records. Keys not
        published are absent."""
        with self._lock:
            mine = self._pins.get(asset, {})
            pinned = dict(mine) if keys is None else {k: mine[k] for k in keys if k in mine}
        wanted = None if keys is None else [k for k in keys if k not in pinned]
        found = self.recorded(asset, wanted) if wanted is None or wanted else {}
        found.update(pinned)
        return found

    def recorded(self, asset: str, keys: list[str] | None) -> dict[str, str]:
        """The object the catalog records as current for each published key (of every
        published partition when ``keys`` is None): what every other reader sees."""
        return {key: f"{partition_folder(asset, key)}/{object_name(version, run_id)}"
                for key, (version, run_id) in self.locate(asset, keys).items() if run_id is not None}

    def pin(self, asset: str, objects: Iterable[tuple[str, str]]) -> None:
        """Objects of ``asset`` a run published but has not committed yet, ``(key, name)``:
        what the run's own readers (its downstream partitions) read."""
        with self._lock:
            self._pins.setdefault(asset, {}).update(objects)

    # -- publish ---------------------------------------------------------------------------

    def publish(self, staged: StagedPartition, fault: Fault) -> str:
        """Upload the staged file as a new immutable object; returns its URL (the location
        the catalog records). Nothing a reader through the catalog sees changes yet."""
        name = f"{partition_folder(staged.asset, staged.key)}/{object_name(staged.data_version, staged.run_id)}"
        fault("publish", staged.asset, staged.key)
        self.store.put_file(staged.path, name)
        local = self.cache_dir / name  # the object's local copy: downstream reads need no download
        try:
            local.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged.path, local)
        except OSError:
            staged.path.unlink(missing_ok=True)
        return self.store.url(name)

    def published(self, asset: str, key: str, location: str) -> None:
        """The run publishes ``location`` for (asset, key), to be committed: remember what it
        supersedes (deleted after the commit) and read it from now on in this run."""
        name = self.store.name_of(location)
        old = self.current(asset, [key]).get(key)
        with self._lock:
            if old is not None and old != name:
                self._superseded.setdefault((asset, key), old)
            self._pins.setdefault(asset, {})[key] = name

    def committed(self, refs: Iterable[tuple[str, str]], final: bool = True) -> None:
        """The catalog committed these publishes: replace each asset's manifest (from the
        catalog), then delete what the commits superseded. During a run (``final`` false) that
        is done at most every :data:`MANIFEST_EVERY` seconds: a manifest that lags lists the
        previous objects, which are still there (they go only after a manifest without them)."""
        with self._lock:
            for asset, key in refs:
                self._stale.add(asset)
                self._pins.get(asset, {}).pop(key, None)  # the catalog says it now
            due = final or time.monotonic() - self._last_manifests >= MANIFEST_EVERY
            if not due:
                return
            stale, self._stale = sorted(self._stale), set()
            self._last_manifests = time.monotonic()
        for asset in stale:
            current = set(self.write_manifest(asset).values())
            # Only what the catalog no longer names: a publish not committed yet keeps its old
            # object until its own commit (a publish the catalog refused, a lease taken over,
            # keeps it for good, and its upload is garbage).
            with self._lock:
                gone = [(k, name) for (a, k), name in self._superseded.items() if a == asset and name not in current]
                for k, _ in gone:
                    del self._superseded[(asset, k)]
            old = [name for _, name in gone]
            self.store.delete(old)
            self._drop_cached(old)

    def write_manifest(self, asset: str) -> dict[str, str]:
        """Replace the asset's manifest by what the catalog records now (never what this run
        has published but not committed); returns that."""
        current = self.recorded(asset, None)
        manifest = {
            "asset": asset,
            "partitions": {key: self.store.url(name) for key, name in sorted(current.items())},
            "files": sorted(self.store.url(name) for name in current.values()),
        }
        self.store.put_bytes(json.dumps(manifest, indent=1).encode(), f"{asset}/{MANIFEST}")
        return current

    # -- reading ---------------------------------------------------------------------------

    def local_files(self, asset: str, keys: list[str]) -> list[Path]:
        """Local copies of the current objects of ``keys``, in their order (downloaded once)."""
        current = self.current(asset, keys)
        missing = next((k for k in keys if k not in current), None)
        if missing is not None:
            raise StorageError(
                f"The catalog records no published object for {asset}[{missing}] in {self.store.url(asset)}: "
                f"`assets materialize --select {asset}` publishes it."
            )
        return [self._fetch(asset, current[key]) for key in keys]

    def all_files(self, asset: str) -> list[Path]:
        """Local copies of the current objects of every published partition of ``asset``."""
        current = self.current(asset, None)
        return [self._fetch(asset, current[key]) for key in sorted(current)]

    def _fetch(self, asset: str, name: str) -> Path:
        local = self.cache_dir / name
        if local.is_file():
            return local
        if not self.store.get_file(name, local):
            folder = self.store.url(name.rsplit("/", 1)[0])
            raise StorageError(
                f"Published object {self.store.url(name)} of '{asset}' is missing (deleted by hand?): delete "
                f"{folder}/ and `assets materialize --select {asset}` rebuilds it."
            )
        return local

    def _drop_cached(self, names: Iterable[str]) -> None:
        for name in names:
            (self.cache_dir / name).unlink(missing_ok=True)

    # -- garbage ---------------------------------------------------------------------------

    def collect_garbage(self, assets: Iterable[str], is_finished: IsFinished) -> list[str]:
        """Delete the objects of ``assets`` that no catalog entry names and whose run is over
        (a crash between upload and commit, or between commit and deletion, left them), and
        rewrite each manifest from the catalog; returns the URLs deleted, sorted."""
        removed: list[str] = []
        for asset in assets:
            names = self.store.list(asset)
            if not names:
                continue
            current = set(self.recorded(asset, None).values())
            finished: dict[str, bool] = {}
            garbage = []
            for name in names:
                run_id = run_of(name)
                if name in current or run_id is None:
                    continue  # the manifest, or an object this module did not name: not ours to delete
                if run_id not in finished:
                    finished[run_id] = is_finished(run_id)
                if finished[run_id]:
                    garbage.append(name)
            self.store.delete(garbage)
            self._drop_cached(garbage)
            removed.extend(self.store.url(name) for name in garbage)
            self.write_manifest(asset)
        return sorted(removed)

