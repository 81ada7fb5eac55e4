"""The storage a project's ``data_dir`` names: local folders, or a bucket for Parquet assets.

A local project pays nothing for object storage: the bucket's modules (and pyarrow's S3
client) are imported only when ``data_dir`` starts with ``s3://``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from assets_core.catalog import Catalog, open_catalog
from assets_core.errors import StorageError
from assets_core.project.loading import Project
from assets_core.storage.store import Fault, Storage

if TYPE_CHECKING:
    from assets_core.catalog.models import Materialization
    from assets_core.storage.remote import IsFinished, Locate

OBJECTS_DIR = ".objects"
"""Local copies of the bucket's objects, under the local data folder (objects never change)."""


def open_storage(project: Project, fault: Fault = lambda *_: None, catalog: Catalog | None = None) -> Storage:
    """The project's storage. ``catalog``: where a bucket's readers resolve the current object
    of each partition (opened on first use when None, e.g. in a worker process)."""
    if project.data_url is None:
        return Storage(project.data_dir, project.warehouse_path, fault)
    from assets_core.storage.objects import BucketSettings, ObjectStore
    from assets_core.storage.remote import RemoteParquet

    store = ObjectStore(project.data_url, BucketSettings.resolve(project.settings.storage.model_dump()))
    remote = RemoteParquet(store, project.data_dir / OBJECTS_DIR, catalog_locator(project, catalog))
    return Storage(project.data_dir, project.warehouse_path, fault, remote)


def catalog_locator(project: Project, catalog: Catalog | None) -> Locate:
    """What the catalog records as published, per key: (data version, run that published it)."""
    opened: list[Catalog] = [catalog] if catalog is not None else []
    lock = threading.Lock()

    def locate(asset: str, keys: list[str] | None) -> dict[str, tuple[str, str | None]]:
        with lock:
            if not opened:
                opened.append(open_catalog(project.config.catalog, project.root))
        return {key: (v.data_version, v.run_id) for key, v in opened[0].published_versions(asset, keys).items()}

    return locate


def run_is_finished(catalog: Catalog) -> IsFinished:
    """Whether the catalog records the run as over: only its objects can be garbage."""
    def finished(run_id: str) -> bool:
        run = catalog.run(run_id)
        return run is not None and run.status != "running"

    return finished


def committed(storage: Storage, records: Iterable[Materialization], final: bool = True) -> None:
    """After the catalog committed ``records``: the bucket's manifests follow, and the objects
    the commit superseded go (``final`` false: within a few seconds, the run goes on). Nothing
    to do for local files (the rename was the switch)."""
    if storage.remote is None:
        return
    from assets_core.storage.objects import SCHEME

    refs = [(r.asset, r.partition) for r in records
            if r.status == "published" and r.location is not None and r.location.startswith(SCHEME)]
    if refs or final:
        try:
            storage.remote.committed(refs, final)
        except StorageError as exc:  # the switch is made (the catalog); the manifest lags, consistently
            logging.getLogger("assets.storage").warning(
                "%s. The catalog has the new versions and the project reads them; the manifests list the previous "
                "objects until the next publish, or `assets gc`, updates them.", str(exc).rstrip("."),
            )
