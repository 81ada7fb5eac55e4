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

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Protocol, TypeVar, runtime_checkable

from assets_core.catalog.errors import CatalogError
from assets_core.catalog.migrations import latest_version
from assets_core.catalog.models import AssetRow, ColumnRecord, Lease, LedgerEntry, Materialization, PublishedVersion, Run, RunStatus, SchemaVersion
from assets_core.catalog.snapshot import CatalogSnapshot, ChangeMark

__all__ = ["Catalog", "open_catalog", "latest_version"]

T = TypeVar("T")


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

    def snapshot(
        self, is_alive: Callable[[Lease], bool] = ..., only: Mapping[str, Collection[str] | None] | None = None,
        counted: Collection[str] = (),
    ) -> CatalogSnapshot:
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
        :class:`CatalogSnapshot` as columns (see :mod:`assets_core.catalog.snapshot`).

        The snapshot's ``mark`` is where the catalog's history stood in that view. ``only``
        reads just the states of these assets, and of each only the keys given (None: all its
        partitions; a key with no state is left out), with the observations of those
        partitions; the rest is read as without it, and the snapshot is ``partial``. Its
        ``sizes`` count the states of the assets read whole and of those in ``counted``."""
        ...

    def changes_since(self, mark: ChangeMark, limit: int) -> tuple[ChangeMark, set[tuple[str, str]]] | None:
        """Where the history stands now, and the ``(asset, partition)`` of every attempt and
        observation recorded after ``mark`` (a partition's state changes only with one), read in
        one consistent view. None when more than ``limit`` partitions changed, or when this
        catalog's history does not hold ``mark`` (another catalog, a backup restored): then
        only a whole snapshot tells what the catalog holds."""
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
        """Add a new run (its ``run_id`` not used before), with its status, its ``expires_at``
        (its first heartbeat) and no counts yet."""
        ...

    def finish_run(self, run_id: str, status: RunStatus, ended_at: str, counts: Mapping[str, int]) -> None:
        """Set a run's final status, end time and counts (``{"published": 3, ...}``)."""
        ...

    def mark_interrupted(self, is_alive: Callable[[Run], bool], now: str) -> list[str]:
        """Runs still ``running`` that ``is_alive`` says have stopped become ``interrupted``,
        ended at ``now``; returns their ids. (The engine's answer: past its ``expires_at``, or
        its process gone from this host; see ``assets_core.execution.leases``.)"""
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
    #
    # A lease is one run's hold on one partition, until ``expires_at`` unless its heartbeat
    # renews it, with a generation (the fencing token) that grows at every grant. The catalog
    # judges no liveness itself (it reads no clock): ``is_alive`` is the caller's answer, made
    # inside the transaction that takes the leases. Generations only grow, per partition, even
    # across releases: each grant is one more than the last one (``lease_grants`` keeps it).

    def acquire_leases(
        self,
        refs: Iterable[tuple[str, str]],
        run_id: str,
        pid: int,
        host: str,
        now: str,
        is_alive: Callable[[Lease], bool],
        expires_at: str | None = None,
    ) -> list[Lease]:
        """Lease every ``(asset, partition)`` to ``run_id`` until ``expires_at``: all of them or
        none, in one transaction. If any is held by a lease ``is_alive`` accepts, none is taken
        and those leases are returned (with their owner, expiry and generation, for the
        message); leases whose holder ``is_alive`` rejects (expired, its process gone) are
        taken over. Each lease taken gets ``acquired_at = now`` and the next generation of its
        partition (1 for the first grant), and becomes the partition's last grant (to
        ``run_id``). Two processes asking at once for one partition never both get it, and a
        takeover never lands between a :meth:`fence`'s check and its switch. Returns ``[]``
        once every lease is held; :meth:`leases` then gives their generations."""
        ...

    def leases(self, run_id: str | None = None) -> list[Lease]:
        """Every lease held now (only those of ``run_id`` when given), whether its run is alive
        or not (the caller says which are), in no particular order, each with its owner,
        ``acquired_at``, ``expires_at`` and generation: who holds a partition, until when, and
        what a dead run left, to heal what it did."""
        ...

    def heartbeat(self, run_id: str, expires_at: str) -> int:
        """Renew a live run: set ``expires_at`` on its run row and on every lease it still holds,
        in one transaction (one statement per table, however many leases). Leases taken over
        by another run are not touched. Returns how many leases ``run_id`` holds."""
        ...

    def fence(self, lease: Lease, switch: Callable[[], T]) -> T:
        """Call ``switch`` (the data switch of a publish: a rename, a warehouse commit) only
        while ``lease`` is still its partition's lease, and return what it returns.

        In one write transaction: if the partition's lease is held by ``lease.run_id`` with
        ``lease.generation``, ``switch()`` runs inside the transaction, which then commits
        (writing nothing itself); a takeover (:meth:`acquire_leases`, even of an expired lease)
        waits for it, or came first and is seen. Otherwise :class:`~assets_core.catalog.errors.LeaseLost` is raised with
        the lease held now (or None) and the run and time of the partition's last grant
        (``taken_by``, ``taken_at``: the takeover, even if that run has released it since),
        ``switch`` is not called and nothing is written. An
        exception from ``switch`` propagates, nothing written. The lease's expiry is not
        checked: a lease expired but not taken over is still the partition's."""
        ...

    def fence_all(self, leases: Sequence[Lease], switch: Callable[[], T]) -> T:
        """:meth:`fence` for several partitions switched together (a group commit of the
        warehouse): ``switch()`` runs, and its result is returned, only while every lease of
        ``leases`` is still its partition's.

        In one write transaction, every lease is checked as :meth:`fence` checks one; if all
        hold, ``switch()`` runs inside that transaction, which then commits (writing nothing
        itself). Otherwise :class:`~assets_core.catalog.errors.LeasesLost` is raised, with a
        ``LeaseLost`` for each lease that no longer holds (those not listed still hold), and
        ``switch`` is not called: the caller switches again without the lost partitions. An
        exception from ``switch`` propagates, nothing written. No leases: ``switch()`` is
        called unfenced."""
        ...

    def release_leases(self, run_id: str, refs: Iterable[tuple[str, str]] | None = None) -> None:
        """Drop the leases ``run_id`` holds: every one, or those of the ``(asset, partition)``
        in ``refs``; never another run's. One transaction. The partitions' last grants (and
        so their generations) are kept."""
        ...

    # -- attempts ----------------------------------------------------------------------------

    def record(self, attempts: Sequence[Materialization], before_commit: Callable[[], None] = ...) -> None:
        """Write a batch of attempts in one transaction: each attempt with its check results,
        its partition's new state, and the release of its run's lease on that partition (not
        for a ``retried`` attempt: another attempt of the same run follows, under that lease).

        Fenced: an attempt whose partition's last lease grant went to another run (its own
        lease was taken over) is history only: written with its check results, it changes
        neither the partition's state nor any lease. A partition never leased has no grant:
        its attempts change its state as below.

        A ``published`` attempt replaces the partition's published version and its last
        attempt; a ``failed`` or ``quarantined`` one replaces only the last attempt (the
        published version stays readable); ``skipped``, ``retried`` and ``audited`` attempts
        are history only; a ``retired`` one removes the partition's state (the snapshot, the
        published versions and the summary no longer hold it; the attempt stays in the history).
        An attempt's ``logs``, when it has some, are written with it. ``before_commit`` is called
        inside the transaction after every write (a fault point): if it or any write raises,
        nothing of the batch is written and the
        catalog stays usable. An empty batch writes nothing and calls nothing."""
        ...

    def materializations(
        self, run_id: str | None = None, asset: str | None = None, partition: str | None = None,
        limit: int | None = None,
    ) -> list[Materialization]:
        """The attempts matching every filter given, newest first (the order they were
        recorded in, reversed), at most ``limit``, each with its check results in order."""
        ...

    def attempt_logs(self, run_id: str, asset: str | None = None, partition: str | None = None) -> list[Materialization]:
        """The attempts of ``run_id`` (of ``asset``, of its ``partition``, when given) that
        recorded logs, in the order they were recorded, each with its ``logs`` and its check
        results; attempts that said nothing are left out. Texts come back as written (the
        engine writes no NUL character, which PostgreSQL's text cannot hold). Reads only that
        run's attempts."""
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

    def published_summary(self, assets: Iterable[str] | None = None) -> dict[str, tuple[int, str | None]]:
        """Per asset with a recorded state (of ``assets``, when given): how many of its
        partitions are published, and the newest publish time (None when none is)."""
        ...

    def warned_partitions(self, assets: Iterable[str] | None = None) -> dict[str, int]:
        """Per asset (of ``assets``, when given): how many of its published partitions the run that published them
        recorded with a warn-severity check that failed (a later passing publish clears it);
        an asset with none is left out."""
        ...

    # -- freshness ---------------------------------------------------------------------------

    def freshness_ledger(self, assets: Iterable[str]) -> dict[str, dict[str, LedgerEntry]]:
        """The freshness ledger of each of ``assets``, by partition key (an asset without rows
        is absent). :meth:`record` writes a row per published attempt: ``met_at`` its end time
        the first time only (a republish never makes a late partition on time), ``published_at``,
        ``data_time`` and ``rows`` of the latest, ``due_at`` when the attempt gives one and the
        row has none."""
        ...

    def ledger_outline(
        self, requests: Mapping[str, tuple[str, str, Sequence[str]]], late_rows: bool = True
    ) -> dict[str, tuple[int, int, dict[str, LedgerEntry]]]:
        """Per asset ``(first, last, keys)``: how many ledger rows its partitions from ``first``
        to ``last`` (compared as text) have, how many of those are met late with data
        (:data:`~assets_core.catalog.migrations.LEDGER_LATE`), and by key the rows that are not
        met on time with data (:data:`~assets_core.catalog.migrations.LEDGER_EXCEPTION`,
        wherever their key; without the late ones unless ``late_rows``) with the rows of
        ``keys``; one consistent read. Through the partial index of those rows and the primary
        key: the cost grows with the exceptions, not with the ledger."""
        ...

    def record_due(self, due: Iterable[tuple[str, str, str]]) -> None:
        """``(asset, partition, due_at)`` of due partitions, in one transaction: a row without a
        due time gets this one, a partition without a row gets one (``met_at`` NULL: missing);
        a due time already written is kept."""
        ...

    def ledger_history(self, assets: Iterable[str], since: str) -> dict[str, list[LedgerEntry]]:
        """The ledger rows of ``assets`` due at or after ``since``, per asset in due order
        (then by key), each with its key, due and met times only (``published_at``,
        ``data_time`` and ``rows`` are None: history needs none of them). Reads through the
        index on (asset, due_at): the cost grows with the rows returned, not with the ledger."""
        ...

    def alert_states(self) -> dict[str, str]:
        """The last freshness state alerted (or recorded) per asset."""
        ...

    def claim_alert(self, asset: str, previous: str | None, state: str, now: str) -> bool:
        """Move ``asset``'s stored freshness state from ``previous`` (None: no row) to ``state``,
        at ``now``; True when this call made the change. A compare-and-swap: of several
        processes seeing the same transition at once, exactly one gets True, so one alert is
        sent per transition."""
        ...

    def observation_times(self, assets: Iterable[str]) -> dict[str, dict[str, tuple[str, str]]]:
        """Per source asset of ``assets``, per partition: its latest observed version and when
        it was observed (observations are written only when the version changes, so that is
        when the data last changed)."""
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
    if url.startswith(("postgresql://", "postgres://")):
        try:
            from assets_core.catalog.postgres import PostgresCatalog
        except ImportError as exc:
            raise CatalogError(
                f"A PostgreSQL catalog needs psycopg 3 and psycopg-pool ({exc.name or 'psycopg'} is not installed): "
                "pip install 'assets-core[postgres]'."
            ) from None
        return PostgresCatalog(url)
    scheme = url.split(":", 1)[0]
    raise CatalogError(
        f"Catalog URL '{url}' uses '{scheme}', which this version does not support: "
        "use sqlite:///path/to/catalog.db or postgresql://user@host:5432/database."
    )
