"""Runs of this process and of others: a new run's record, which runs are alive (their
heartbeat, see ``execution.leases``), the catalog snapshot as live runs see it (leases of dead
runs marked interrupted), and the schema a publish records."""

from __future__ import annotations

import os
import secrets
from datetime import datetime
from typing import Any

from assets_core.catalog import CatalogSnapshot, ColumnRecord, Run, Catalog
from assets_core.graph import AssetGraph
from assets_core.planning.plan import Plan
from assets_core.execution.clock import stamp, utc_now
from assets_core.execution.leases import HOST, run_alive
from assets_core.storage.store import StagedPartition

def columns_of(staged: StagedPartition) -> tuple[ColumnRecord, ...]:
    """The schema recorded with a published partition."""
    return tuple(ColumnRecord(name=name, type=type_, nullable=nullable) for name, type_, nullable in staged.schema)


def new_run(now: datetime | None = None, **fields: Any) -> Run:
    """The record of a run of this process: a unique id that sorts by time, started now."""
    now = now or utc_now()
    return Run(run_id=f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}", started_at=stamp(now),
               pid=os.getpid(), host=HOST, **fields)


def live_run_ids(catalog: Catalog) -> set[str]:
    """The runs still running; those that stopped (past their heartbeat's expiry, or their
    process gone from this host) are marked interrupted first."""
    now = utc_now()
    catalog.mark_interrupted(lambda r: run_alive(r, now), stamp(now))
    return {r.run_id for r in catalog.runs(status="running")}


def live_snapshot(catalog: Catalog) -> CatalogSnapshot:
    """A snapshot in which leases of dead runs (crashed, killed) mark partitions interrupted."""
    running = live_run_ids(catalog)
    return catalog.snapshot(lambda lease: lease.run_id in running)


def interrupted_backfill(catalog: Catalog, selection: str | None, partitions: str) -> Run | None:
    """The latest run of the same ``--select``/``--partitions``, when it was interrupted."""
    for run in catalog.runs(limit=50):
        if run.trigger in ("backfill", "retry") and (run.selection, run.partitions) == (selection, partitions):
            return run if run.status == "interrupted" else None
    return None


def regressed_by(graph: AssetGraph, snapshot: CatalogSnapshot, catalog: Catalog, plan: Plan) -> list[tuple[str, str]]:
    """The planned unpartitioned assets that read partitioned ones (so what they read depends
    on which partitions are due) whose publish was built at a later reference time than the
    plan's: republished now, they would read fewer partitions than they hold. ``(asset, the
    reference time of its publish)``, for ``materialize --as-of`` to refuse."""
    found = []
    for step in plan.steps:
        spec = graph[step.asset]
        if spec.partitions is not None or not any(graph[up].partitions is not None for up in spec.upstream):
            continue
        state = snapshot.state(step.asset, step.key)
        run = None if state is None or state.last_status != "published" or state.last_run is None else catalog.run(state.last_run)
        if run is not None and datetime.fromisoformat(run.reference_time) > plan.reference_time:
            found.append((step.asset, run.reference_time))
    return found
