"""Reviewing quarantined partitions: list them, show why, release or discard them.

A partition whose blocking check failed keeps its staged file under ``data/.quarantine`` and
its check results in the catalog. After a person looked at it:

- **release** publishes exactly that file, through the same atomic publish as a run, and
  records the person's reason;
- **discard** deletes the file (one already gone is recorded all the same) and records the
  partition as failed by its checks, so it waits (like any deterministic failure) until its
  code, upstream data or checks change.

Both take any number of partitions (a range, a list, every quarantined one of a selection)
and are recorded as a run of their own (trigger ``quarantine release`` / ``quarantine
discard``), holding every partition's lease so no materialization writes them meanwhile;
each partition is published (or discarded) and recorded on its own, so a release stopped
half way leaves each partition released or still quarantined, never half of one.

A release publishes a hard link of the quarantined file, which stays until the catalog has
recorded the publish. A release killed between its publish and its record leaves its lease
to a dead run: the next command (:func:`heal_releases`) compares what is published with the
quarantined file and records the release when they hold the same data; otherwise the publish
did not happen and the partition stays in quarantine. Either way the lease is dropped.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from assets_core.errors import ConflictError, StorageError, UsageError
from assets_core.execution.clock import stamp, utc_now
from assets_core.execution.faults import fault_point
from assets_core.execution.leases import HOST, Heartbeat, expiry, held_message, lease_alive, lease_seconds
from assets_core.execution.runs import columns_of, live_run_ids, new_run
from assets_core.execution.stores import committed, open_storage, run_is_finished
from assets_core.graph import AssetGraph, select
from assets_core.partitions import UNPARTITIONED, partition_ref
from assets_core.storage.store import KEY_COLUMN, StagedPartition, Storage
from assets_core.storage.versions import content_version
from assets_core.catalog import Catalog, CatalogSnapshot
from assets_core.catalog.models import Lease, Materialization, Run, RunStatus

RELEASE = "quarantine release"
DISCARD = "quarantine discard"


_ref = partition_ref


def _not_quarantined(asset: str, key: str) -> UsageError:
    return UsageError(f"{_ref(asset, key)} is not in quarantine: `assets quarantine list` shows what is.")


def find(catalog: Catalog, graph: AssetGraph, asset: str, key: str) -> Materialization:
    """The quarantined attempt of one partition, or a one-line error saying what to do."""
    spec = graph.require(asset)
    key = UNPARTITIONED if spec.partitions is None else key
    attempt = next((a for a in catalog.quarantined() if a.asset == asset and a.partition == key), None)
    if attempt is None:
        raise _not_quarantined(asset, key)
    return attempt


def pick(
    catalog: Catalog, graph: AssetGraph, asset: str | None, keys: str | None, every: bool, selection: str | None,
) -> list[Materialization]:
    """The quarantined attempts named by ``ASSET [KEYS]`` (a key, ``A..B`` ranges and comma
    lists, as ``--partitions``) or by ``--all [--select S]``; a one-line error for a named key
    that is not in quarantine, or for nothing to do."""
    from assets_core.planning.selection import parse_partitions

    held = catalog.quarantined()
    if every:
        if asset is not None:
            raise UsageError("Give ASSET [KEYS] or --all [--select S], not both.")
        chosen = select(graph, selection) if selection else None
        found = [a for a in held if chosen is None or a.asset in chosen]
        if not found:
            scope = f" for --select {selection}" if selection else ""
            raise UsageError(f"Nothing in quarantine{scope}: `assets quarantine list` shows what is.")
        return found
    if asset is None:
        raise UsageError("Name an asset (and its keys), or take every quarantined partition with --all [--select S].")
    if selection is not None:
        raise UsageError("--select goes with --all: `--all --select S`.")
    spec = graph.require(asset)
    by_key = {a.partition: a for a in held if a.asset == asset}
    if spec.partitions is None:
        return [find(catalog, graph, asset, UNPARTITIONED)]
    if keys in (None, "-"):
        raise UsageError(f"{asset} is partitioned: give its keys (a key, A..B ranges, comma lists), "
                         f"or take every quarantined one with `--all --select {asset}`.")
    assert keys is not None
    # A key held as it is (a dynamic key may hold ',' or '..'), else the --partitions grammar.
    plain = keys in by_key or not (".." in keys or "," in keys)
    wanted = [keys] if plain else parse_partitions(keys, graph, [asset])[asset]
    absent = [k for k in wanted if k not in by_key]
    if absent:
        raise UsageError(
            f"{_ref(asset, absent[0])} is not in quarantine"
            + (f" (nor {len(absent) - 1} more of the {len(wanted)} keys)" if len(absent) > 1 else "")
            + ": `assets quarantine list` shows what is."
        )
    return [by_key[k] for k in wanted]


def release(
    project: Any, graph: AssetGraph, catalog: Catalog, attempts: list[Materialization], reason: str,
) -> list[Materialization]:
    """Publish each quarantined file as it is, atomically, recorded with ``reason`` (required)."""
    for attempt in attempts:
        if attempt.location is None or not Path(attempt.location).is_file():
            raise UsageError(
                f"The quarantined file of {_ref(attempt.asset, attempt.partition)} is gone ({attempt.location}): "
                f"discard it with `assets quarantine discard {attempt.asset} {attempt.partition or '-'}`."
            )
    storage = open_storage(project, fault_point, catalog)

    def publish(run: Run, attempt: Materialization, lease: Lease) -> Materialization:
        assert attempt.location is not None
        kept = Path(attempt.location)
        link = storage.staging_dir(run.run_id) / attempt.asset / f"{attempt.partition or '_all'}.parquet"
        link.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(kept, link)  # the quarantined file stays until the catalog says released
        except OSError:
            shutil.copyfile(kept, link)
        staged = storage.staged_from_file(attempt.asset, attempt.partition, run.run_id, link)
        location = storage.publish(staged, graph[attempt.asset].io, lambda switch: catalog.fence(lease, switch))
        if storage.remote is not None and graph[attempt.asset].io == "parquet":
            storage.remote.published(attempt.asset, attempt.partition, location)  # switched by the record
        return _released(attempt, run, staged, location, reason)

    try:
        released = _as_a_run(catalog, attempts, RELEASE, reason, publish, storage, _seconds(project))
        if storage.remote is not None:  # what an earlier release or run killed half way left of these assets
            storage.remote.collect_garbage(sorted({a.asset for a in attempts if graph[a.asset].io == "parquet"}),
                                           run_is_finished(catalog))
        return released
    finally:
        storage.close()


def _released(attempt: Materialization, run: Run, staged: StagedPartition, location: str, reason: str | None) -> Materialization:
    return attempt.model_copy(update={
        "run_id": run.run_id, "status": "published", "cause": "released", "started_at": run.started_at,
        "ended_at": stamp(), "rows": staged.rows, "bytes": staged.bytes, "data_version": staged.data_version,
        "error": None, "location": location, "timings": None, "attempt": 1, "failure": None, "note": reason,
        "columns": columns_of(staged),
    })


def discard(project: Any, catalog: Catalog, attempts: list[Materialization], reason: str | None) -> list[Materialization]:
    """Delete each quarantined file (one already gone too); each partition stays as it was published."""

    def drop(run: Run, attempt: Materialization, lease: Lease) -> Materialization:
        if attempt.location is not None:
            Path(attempt.location).unlink(missing_ok=True)
        why = f"quarantined data discarded{f': {reason}' if reason else ''}; the checks failed: {attempt.error}"
        return attempt.model_copy(update={
            "run_id": run.run_id, "status": "failed", "cause": "discarded", "started_at": run.started_at,
            "ended_at": stamp(), "data_version": None, "error": why, "location": None, "timings": None,
            "attempt": 1, "failure": "check", "note": reason, "checks": (),
        })

    return _as_a_run(catalog, attempts, DISCARD, reason, drop, Storage(project.data_dir, project.warehouse_path),
                     _seconds(project))


def _seconds(project: Any) -> float:
    return lease_seconds(project.settings.execution.lease_seconds)


def _as_a_run(
    catalog: Catalog, attempts: list[Materialization], trigger: str, reason: str | None,
    action: Callable[[Run, Materialization, Lease], Materialization], storage: Storage, seconds: float,
) -> list[Materialization]:
    """Run ``action`` on each attempt under the partitions' leases (renewed by a heartbeat),
    recorded as a run of its own."""
    now = utc_now()
    refs = [(a.asset, a.partition) for a in attempts]
    run = new_run(now, selection=",".join(dict.fromkeys(a.asset for a in attempts)),
                  partitions=",".join(a.partition for a in attempts) or None, trigger=trigger,
                  reason=reason, reference_time=now.isoformat(), expires_at=expiry(seconds, now))
    running = live_run_ids(catalog)
    catalog.start_run(run)
    conflicts = catalog.acquire_leases(refs, run.run_id, os.getpid(), HOST, stamp(now),
                                       lambda lease: lease.run_id in running and lease_alive(lease, now),
                                       expiry(seconds, now))
    if conflicts:
        catalog.finish_run(run.run_id, "failed", stamp(), {})
        raise ConflictError(held_message(conflicts, "the partitions to " + trigger.split()[-1]))
    leases = {(lease.asset, lease.partition): lease for lease in catalog.leases(run.run_id)}
    heartbeat = Heartbeat(catalog, run.run_id, seconds).start()
    status: RunStatus = "failed"
    done: list[Materialization] = []
    current: tuple[str, str] | None = None
    try:
        for attempt in attempts:
            current = (attempt.asset, attempt.partition)
            record = action(run, attempt, leases[current])
            catalog.record([record], _fault_in_catalog_write(attempt))
            committed(storage, [record])
            current = None
            if record.status == "published" and attempt.location is not None:
                Path(attempt.location).unlink(missing_ok=True)  # recorded: the quarantined copy goes
            done.append(record)
        status = "succeeded"
        return done
    except KeyboardInterrupt:
        status = "interrupted"
        raise
    finally:
        # Stopped between a publish and its record (Ctrl-C, an error): that partition keeps its
        # lease, so the next command heals it as it heals a release killed there.
        catalog.release_leases(run.run_id, [r for r in refs if r != current] if trigger == RELEASE else None)
        if current is None or trigger != RELEASE:
            storage.discard_staging(run.run_id)
        counts: dict[str, int] = {}
        for record in done:
            counts[str(record.status)] = counts.get(str(record.status), 0) + 1
        heartbeat.stop()
        catalog.finish_run(run.run_id, status, stamp(), counts)


def _fault_in_catalog_write(attempt: Materialization) -> Callable[[], None]:
    return lambda: fault_point("catalog", attempt.asset, attempt.partition)


# -- a release that died half way ----------------------------------------------------------------


def heal_releases(project: Any, graph: AssetGraph, catalog: Catalog, snapshot: CatalogSnapshot) -> bool:
    """Partitions a dead release left leased: recorded as released when what is published holds
    the quarantined data (it died after its publish), else left in quarantine (it died before);
    the lease dropped either way. Returns whether anything was healed (the snapshot is stale).
    Costs nothing when no partition is interrupted."""
    if not snapshot.interrupted:
        return False
    held = {(a.asset, a.partition): a for a in catalog.quarantined() if (a.asset, a.partition) in snapshot.interrupted}
    if not held:
        return False
    leases = [lease for lease in catalog.leases() if (lease.asset, lease.partition) in held]
    runs = {run_id: catalog.run(run_id) for run_id in {lease.run_id for lease in leases}}
    dead = [(lease, run) for lease in leases if (run := runs[lease.run_id]) is not None
            and run.trigger == RELEASE and run.status != "running"]
    if not dead:
        return False
    storage = Storage(project.data_dir, project.warehouse_path)
    try:
        for lease, run in dead:
            attempt = held[(lease.asset, lease.partition)]
            try:
                source = _published_quarantined_data(storage, graph, attempt)
            except StorageError:
                continue  # the warehouse cannot be read now (another process writes it): a later command heals it
            if source is None:
                catalog.release_leases(run.run_id, [(lease.asset, lease.partition)])
                continue
            staged = storage.staged_from_file(attempt.asset, attempt.partition, run.run_id, source)
            location = (f"{storage.warehouse_path.name}:{attempt.asset}" if graph[attempt.asset].io == "duckdb"
                        else str(storage.parquet_path(attempt.asset, attempt.partition).relative_to(storage.data_dir)))
            catalog.record([_released(attempt, run, staged, location, run.reason)])
            if attempt.location is not None:
                Path(attempt.location).unlink(missing_ok=True)
        for run_id in runs:
            storage.discard_staging(run_id)
    finally:
        storage.close()
    return True


def _published_quarantined_data(storage: Storage, graph: AssetGraph, attempt: Materialization) -> Path | None:
    """A file holding the quarantined data when the published partition holds it, else None."""
    if attempt.asset not in graph:
        return None
    kept = Path(attempt.location) if attempt.location else None
    kept = kept if kept is not None and kept.is_file() else None
    if graph[attempt.asset].io == "duckdb":
        return kept if kept is not None and _table_holds(storage, attempt, kept) else None
    published = storage.parquet_path(attempt.asset, attempt.partition)
    if not published.is_file():
        return None
    wanted = content_version(kept) if kept is not None else attempt.data_version
    return (kept or published) if content_version(published) == wanted else None


def _table_holds(storage: Storage, attempt: Materialization, kept: Path) -> bool:
    """Whether the partition's rows in its DuckDB table are exactly the rows of ``kept``."""
    import duckdb
    import pyarrow.parquet as pq
    from sqlglot import exp

    names = [n for n in pq.read_schema(kept).names if n != KEY_COLUMN]
    columns = ", ".join(exp.to_identifier(n, quoted=True).sql("duckdb") for n in names)
    table = exp.to_identifier(attempt.asset, quoted=True).sql("duckdb")
    where, params = ("", []) if attempt.partition == UNPARTITIONED else (f" WHERE {KEY_COLUMN} = ?", [attempt.partition])
    published = f"SELECT {columns} FROM {table}{where}"
    quarantined = f"SELECT {columns} FROM read_parquet(?)"
    if not storage.warehouse_path.exists():
        return False
    db = storage.warehouse(read_only=True)  # StorageError when it cannot be opened: no answer yet
    try:
        differ = db.execute(
            f"SELECT count(*) FROM (({published}) EXCEPT ALL ({quarantined})) UNION ALL "
            f"SELECT count(*) FROM (({quarantined}) EXCEPT ALL ({published}))",
            [*params, str(kept), str(kept), *params],
        ).fetchall()
    except duckdb.Error:  # no such table or column: the release did not publish there
        return False
    return all(n == 0 for (n,) in differ)


def summary(done: Iterable[Materialization]) -> str:
    """``2 partitions of revenue, 1 of clean``."""
    counts: dict[str, int] = {}
    for record in done:
        counts[record.asset] = counts.get(record.asset, 0) + 1
    parts = [f"{n} {'partition' if n == 1 else 'partitions'} of {asset}" if i == 0 else f"{n} of {asset}"
             for i, (asset, n) in enumerate(counts.items())]
    return ", ".join(parts)
