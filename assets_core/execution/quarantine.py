"""Reviewing quarantined partitions: list them, show why, release or discard them.

A partition whose blocking check failed keeps its staged file under ``data/.quarantine`` and
its check results in the catalog. After a person looked at it:

- **release** publishes exactly that file, through the same atomic publish as a run, and
  records the person's reason;
- **discard** deletes the file and records the partition as failed by its checks, so it
  waits (like any deterministic failure) until its code, upstream data or checks change.

Both are recorded as a small run of their own (trigger ``quarantine release`` / ``quarantine
discard``), holding the partition's lease so no materialization writes it at the same time.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assets_core.errors import ConflictError, UsageError
from assets_core.execution.clock import stamp, utc_now
from assets_core.execution.runs import HOST, columns_of, live_run_ids, new_run
from assets_core.graph import AssetGraph
from assets_core.storage.store import Storage
from assets_core.catalog import Catalog
from assets_core.catalog.models import Materialization, Run, RunStatus


def find(catalog: Catalog, graph: AssetGraph, asset: str, key: str) -> Materialization:
    """The quarantined attempt of one partition, or a one-line error saying what to do."""
    spec = graph.require(asset)
    key = "" if spec.partitions is None else key
    attempt = next((a for a in catalog.quarantined() if a.asset == asset and a.partition == key), None)
    if attempt is None:
        ref = f"{asset}[{key}]" if key else asset
        raise UsageError(f"{ref} is not in quarantine: `assets quarantine list` shows what is.")
    if attempt.location is None or not Path(attempt.location).is_file():
        raise UsageError(
            f"The quarantined file of {asset}[{key}] is gone ({attempt.location}): discard it with "
            f"`assets quarantine discard {asset} {key or '-'}`."
        )
    return attempt


def release(
    project: Any, graph: AssetGraph, catalog: Catalog, attempt: Materialization, reason: str
) -> Materialization:
    """Publish the quarantined file as it is, atomically, recorded with ``reason`` (required)."""
    storage = Storage(project.data_dir, project.warehouse_path)

    def publish(run: Run) -> Materialization:
        assert attempt.location is not None
        staged = storage.staged_from_file(attempt.asset, attempt.partition, run.run_id, Path(attempt.location))
        location = storage.publish(staged, graph[attempt.asset].io)
        return attempt.model_copy(update={
            "run_id": run.run_id, "status": "published", "cause": "released", "started_at": run.started_at,
            "ended_at": stamp(), "rows": staged.rows, "bytes": staged.bytes, "data_version": staged.data_version,
            "error": None, "location": location, "timings": None, "attempt": 1, "failure": None, "note": reason,
            "columns": columns_of(staged),
        })

    try:
        return _as_a_run(catalog, attempt, "quarantine release", reason, publish)
    finally:
        storage.close()


def discard(catalog: Catalog, attempt: Materialization, reason: str | None) -> Materialization:
    """Delete the quarantined file; the partition stays as it was published (or unpublished)."""

    def drop(run: Run) -> Materialization:
        assert attempt.location is not None
        os.unlink(attempt.location)
        why = f"quarantined data discarded{f': {reason}' if reason else ''}; the checks failed: {attempt.error}"
        return attempt.model_copy(update={
            "run_id": run.run_id, "status": "failed", "cause": "discarded", "started_at": run.started_at,
            "ended_at": stamp(), "data_version": None, "error": why, "location": None, "timings": None,
            "attempt": 1, "failure": "check", "note": reason, "checks": (),
        })

    return _as_a_run(catalog, attempt, "quarantine discard", reason, drop)


def _as_a_run(
    catalog: Catalog, attempt: Materialization, trigger: str, reason: str | None,
    action: Callable[[Run], Materialization],
) -> Materialization:
    """Run ``action`` under the partition's lease, recorded as a run of its own."""
    now = utc_now()
    run = new_run(now, selection=attempt.asset, partitions=attempt.partition or None, trigger=trigger,
                  reason=reason, reference_time=now.isoformat())
    running = live_run_ids(catalog)
    catalog.start_run(run)
    conflicts = catalog.acquire_leases(
        [(attempt.asset, attempt.partition)], run.run_id, os.getpid(), HOST, stamp(),
        lambda lease: lease.run_id in running,
    )
    if conflicts:
        catalog.finish_run(run.run_id, "failed", stamp(), {})
        raise ConflictError(
            f"Run {conflicts[0].run_id} is materializing {attempt.asset}[{attempt.partition}]: "
            "wait for it to finish, then try again."
        )
    status: RunStatus = "failed"
    record: Materialization | None = None
    try:
        record = action(run)
        catalog.record([record])
        status = "succeeded"
        return record
    finally:
        catalog.release_leases(run.run_id)
        counts: dict[str, int] = {str(record.status): 1} if record is not None else {}
        catalog.finish_run(run.run_id, status, stamp(), counts)
