"""The catalog as the engine sees it: records in; snapshots, histories and lookups out.

:class:`Catalog` is everything the engine asks of a catalog, each method with what every
backend must guarantee; ``tests/unit/test_catalog.py`` checks those promises for each backend.
:func:`open_catalog` turns a catalog URL into a backend, and is the one place that names one.

    >>> catalog = open_catalog("sqlite:///:memory:", base_dir=".")
    >>> catalog.schema_version() == latest_version(), catalog.runs()
    (True, [])
    >>> catalog.close()
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

from assets_core.catalog.errors import CatalogError
from assets_core.catalog.migrations import latest_version
from assets_core.catalog.models import AssetRow, ColumnRecord, Lease, Materialization, PublishedVersion, Run, RunStatus, SchemaVersion
from assets_core.catalog.snapshot import CatalogSnapshot

__all__ = ["Catalog", "open_catalog", "latest_version"]


@runtime_checkable
class Catalog(Protocol):
    """What the engine needs of a catalog, whatever stores it.

    Opening a backend (:func:`open_catalog`) applies, in one transaction, the migrations newer
    than its :meth:`schema_version` (the SQL files of ``catalog/``, listed by
    :mod:`assets_core.catalog.migrations`); it refuses with a one-line :class:`CatalogError`
    a catalog of a newer version than the files, and a database or file that is not a catalog,
    leaving either unchanged.

    Every backend guarantees, for every method:

    - One catalog object may be called from several threads at once (a run's workers record
      while its main thread reads).
    - Several processes may open one catalog (on several machines too, for a server backend):
      writes never interleave, each method that writes commits all of its writes or none of
      them, and another process reads only committed writes, without waiting for a writer.
    - Times are the ISO-8601 text the caller passes (``now``, ``ended_at``): a catalog reads
      no clock, and whether a run's process is alive is the caller's answer (``is_alive``).
    """

    def close(self) -> None:
        """Release the connection; the object is not used afterwards (closing again does nothing)."""
        ...

    def schema_version(self) -> int:
        """The number of the newest migration applied: :func:`latest_version` once opened."""
        ...

    # -- assets ------------------------------------------------------------------------------

    def upsert_assets(self, rows: Iterable[AssetRow], now: str) -> None:
        """Record each asset's kind, code version, partitions, grain and inputs, in one
        transaction. A known asset's row (and its ``updated_at``, set to ``now``) changes only
        when its code version, inputs, partitions or grain differ. When an asset's grain
        changes from a known one, each of its published partitions keeps the grain it was
        published under (a snapshot's ``published_grain``: the old one, or the new one for a
        partition published under it before); a later publish of a partition records it under
        its asset's grain."""
        ...

    # -- the snapshot ------------------------------------------------------------------------

    def snapshot(self, is_alive: Callable[[Lease], bool] = ...) -> CatalogSnapshot:
        """Every partition's state, the latest observed version of each source partition, the
        keys of every dynamic partitions definition (``dynamic_keys``, in the order added), the
        grain each asset's partitions were published under (``grains``, and
        ``published_grains`` for those published under another grain than their asset's), and
        as ``interrupted`` the partitions leased by a run ``is_alive`` says is dead (by default
        none is), all read from one consistent view: a :meth:`record` committed meanwhile is
        in it whole or not at all.

        A state is the partition's published version (what its last publish wrote and read) and
        its last attempt (``last_*``); a failed or quarantined attempt leaves the published
        version as it was. The planner reads a million partitions: a backend fills
        :class:`CatalogSnapshot` as columns (see :mod:`assets_core.catalog.snapshot`)."""
        ...

    # -- observations and dynamic partitions -------------------------------------------------

    def record_observations(self, versions: Iterable[tuple[str, str, str]], now: str) -> None:
        """``(asset, partition, version)`` of source partitions observed at ``now``, appended in
        one transaction: the history is kept, the latest per partition is what a snapshot's
        ``observed`` gives."""
        ...

    def dynamic_keys(self) -> dict[str, list[str]]:
        """The keys of every ``DynamicPartitions`` name, each in the order they were added."""
        ...

    def add_dynamic_keys(self, name: str, keys: Iterable[str], now: str) -> list[str]:
        """Add the keys ``name`` does not hold yet, after the existing ones, in the order given
        (a key given twice once); returns those added. One transaction: two processes adding
        at once never add a key twice."""
        ...

    def remove_dynamic_keys(self, name: str, keys: Iterable[str]) -> list[str]:
        """Remove the keys ``name`` holds; returns those removed, in the order given. The keys
        left keep their order."""
        ...

    # -- runs --------------------------------------------------------------------------------

    def start_run(self, run: Run) -> None:
        """Add a new run (its ``run_id`` not used before), with its status and no counts yet."""
        ...

    def finish_run(self, run_id: str, status: RunStatus, ended_at: str, counts: Mapping[str, int]) -> None:
        """Set a run's final status, end time and counts (``{"published": 3, ...}``)."""
        ...

    def mark_interrupted(self, is_alive: Callable[[Run], bool], now: str) -> list[str]:
        """Runs still ``running`` that ``is_alive`` says have lost their process become
        ``interrupted``, ended at ``now``; returns their ids."""
        ...

    def runs(self, limit: int | None = None, status: RunStatus | None = None) -> list[Run]:
        """Runs, newest first (by ``started_at``, then ``run_id``), optionally only those of
        one status, at most ``limit`` of them."""
        ...

    def run(self, run_id: str) -> Run | None:
        """The run with this id, or None."""
        ...

    def run_ids_like(self, prefix: str) -> list[str]:
        """The ids of the runs whose id starts with ``prefix`` (a person types the first
        characters of one), in no particular order."""
        ...

    # -- leases ------------------------------------------------------------------------------

    def acquire_leases(
        self,
        refs: Iterable[tuple[str, str]],
        run_id: str,
        pid: int,
        host: str,
        now: str,
        is_alive: Callable[[Lease], bool],
    ) -> list[Lease]:
        """Lease every ``(asset, partition)`` to ``run_id``: all of them or none, in one
        transaction. If any is held by a lease ``is_alive`` accepts, none is taken and those
        leases are returned; leases whose holder is dead are taken over. Two processes asking
        at once for one partition never both get it. Returns ``[]`` once every lease is held."""
        ...

    def leases(self) -> list[Lease]:
        """Every lease held now, whether its run is alive or not (the caller says which are), in
        no particular order: who holds a partition a dead run left, to heal what it did."""
        ...

    def release_leases(self, run_id: str, refs: Iterable[tuple[str, str]] | None = None) -> None:
        """Drop the leases ``run_id`` holds: every one, or those of the ``(asset, partition)``
        in ``refs``; never another run's. One transaction."""
        ...

    # -- attempts ----------------------------------------------------------------------------

    def record(self, attempts: Sequence[Materialization], before_commit: Callable[[], None] = ...) -> None:
        """Write a batch of attempts in one transaction: each attempt with its check results,
        its partition's new state, and the release of its run's lease on that partition.

        A ``published`` attempt replaces the partition's published version and its last
        attempt; a ``failed`` or ``quarantined`` one replaces only the last attempt (the
        published version stays readable); ``skipped``, ``retried`` and ``audited`` attempts
        are history only; a ``retired`` one removes the partition's state (the snapshot, the
        published versions and the summary no longer hold it; the attempt stays in the history). ``before_commit`` is called inside the transaction after every write
        (a fault point): if it or any write raises, nothing of the batch is written and the
        catalog stays usable. An empty batch writes nothing and calls nothing."""
        ...

    def materializations(
        self, run_id: str | None = None, asset: str | None = None, partition: str | None = None,
        limit: int | None = None,
    ) -> list[Materialization]:
        """The attempts matching every filter given, newest first (the order they were
        recorded in, reversed), at most ``limit``, each with its check results in order."""
        ...

    def quarantined(self) -> list[Materialization]:
        """The attempts that hold partitions in quarantine now (each such partition's last
        attempt), oldest first."""
        ...

    def latest_schemas(self, assets: Iterable[str] | None = None) -> dict[str, tuple[ColumnRecord, ...]]:
        """Per asset (of ``assets``, or every one), the columns of its newest published
        attempt that recorded a schema; an asset with none is absent."""
        ...

    def schema_history(self, asset: str) -> list[SchemaVersion]:
        """Each distinct schema ``asset`` has published, in the order they first appeared,
        each with the attempt that first published it and how many published attempts wrote it
        (a schema that comes back after another counts as the one it was)."""
        ...

    def published_versions(self, asset: str, keys: Iterable[str] | None = None) -> dict[str, PublishedVersion]:
        """The current published version of each of ``keys`` of ``asset`` (every published
        partition of the asset when ``keys`` is None), by key: what a snapshot's state says is
        published (a failed or quarantined attempt since leaves it as it was), with the run
        that published it, when, and the inputs it was built from. Keys never published, or
        not in the catalog, are absent. Reads only these partitions, whatever the catalog's size."""
        ...

    def publish_history(self, asset: str, keys: Iterable[str]) -> dict[str, list[PublishedVersion]]:
        """Every published attempt of each of ``keys`` of ``asset``, by key, oldest first (the
        order they were recorded in; a version published twice is there twice), each with its
        run, time and inputs; the last one of a key is its current published version. Keys
        never published are absent. Reads only these partitions' attempts."""
        ...

    def published_schemas(self, versions: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str, str], tuple[ColumnRecord, ...]]:
        """The columns each ``(asset, partition, data_version)`` was published with: the
        schema its newest published attempt of that data version recorded (an idempotent
        rerun writes the same data, so the same schema). A triple no published attempt with a
        recorded schema matches is absent; one given twice is answered once. Versions are
        looked up by (asset, partition), so the cost grows with how many are asked, not with
        the size of the catalog."""
        ...

    def published_summary(self) -> dict[str, tuple[int, str | None]]:
        """Per asset with a recorded state: how many of its partitions are published, and the
        newest publish time (None when none is)."""
        ...

    def warned_partitions(self) -> dict[str, int]:
        """Per asset: how many of its published partitions the run that published them
        recorded with a warn-severity check that failed (a later passing publish clears it);
        an asset with none is left out."""
        ...


def open_catalog(url: str, base_dir: str | Path) -> Catalog:
    """The catalog a URL names, opened and migrated; a relative SQLite path is relative to
    ``base_dir`` (the project folder). The one place that names a backend: it is imported only
    when its scheme is asked for."""
    if url.startswith("sqlite:///"):
        from assets_core.catalog.sqlite import SqliteCatalog

        raw = url[len("sqlite:///"):]
        if raw == ":memory:":
            return SqliteCatalog(":memory:")
        path = Path(raw)
        return SqliteCatalog(path if path.is_absolute() else Path(base_dir) / path)
    scheme = url.split(":", 1)[0]
    raise CatalogError(
        f"Catalog URL '{url}' uses '{scheme}', which this version does not support: "
        "use sqlite:///path/to/catalog.db."
    )
