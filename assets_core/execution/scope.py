"""What a run covers: the catalog snapshot it sees, its selection and ``--partitions``."""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from assets_core.catalog import CatalogSnapshot, Run, SqliteCatalog
from assets_core.errors import PartitionError, UsageError
from assets_core.graph import AssetGraph, select
from assets_core.planning.plan import Plan, plan

if TYPE_CHECKING:
    from assets_core.partitions import DynamicPartitions

HOST = socket.gethostname()


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def stamp(moment: datetime | None = None) -> str:
    return (moment or utc_now()).isoformat(timespec="milliseconds")


def process_alive(host: str | None, pid: int | None) -> bool:
    """Whether a run's process still exists; runs of other machines are assumed alive."""
    if host != HOST or pid is None:
        return host != HOST
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def new_run(now: datetime | None = None, **fields: Any) -> Run:
    """The record of a run of this process: a unique id that sorts by time, started now."""
    now = now or utc_now()
    return Run(run_id=f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(3)}", started_at=stamp(now),
               pid=os.getpid(), host=HOST, **fields)


def live_run_ids(catalog: SqliteCatalog) -> set[str]:
    """The runs still running; those whose process died are marked interrupted first."""
    catalog.mark_interrupted(lambda r: process_alive(r.host, r.pid), stamp())
    return {r.run_id for r in catalog.runs(status="running")}


def live_snapshot(catalog: SqliteCatalog) -> CatalogSnapshot:
    """A snapshot in which leases of dead runs (crashed, killed) mark partitions interrupted."""
    running = live_run_ids(catalog)
    return catalog.snapshot(lambda lease: lease.run_id in running)


def parse_partitions(
    expression: str, graph: AssetGraph, assets: Iterable[str], now: datetime | None = None
) -> dict[str, list[str]]:
    """``A..B`` ranges and comma lists (per dimension for multi-partitioned assets:
    ``date=2025-01-01..2025-01-07,region=eu``), resolved against each selected asset.

    Assets whose definition does not hold these keys (an unpartitioned or monthly asset
    below daily ones) are left out: they follow what is rebuilt upstream of them.
    """
    if not expression.strip(",; "):
        raise UsageError("--partitions is empty: give keys like 2025-01-01..2025-01-07 or eu,us.")
    partitioned = [a for a in sorted(assets, key=graph.position.__getitem__) if graph[a].partitions is not None]
    if not partitioned:
        raise UsageError("--partitions was given, but no selected asset is partitioned: drop it.")
    requested: dict[str, list[str]] = {}
    first_error: PartitionError | None = None
    for asset in partitioned:
        definition = graph[asset].partitions
        assert definition is not None
        try:
            requested[asset] = definition.select(expression, asset, now)
        except PartitionError as exc:
            first_error = first_error or exc
    if not requested:
        assert first_error is not None
        raise UsageError(f"--partitions: {first_error}")
    return requested


def make_plan(
    graph: AssetGraph,
    snapshot: CatalogSnapshot,
    now: datetime,
    selection: str | None = None,
    partitions: str | None = None,
    retry_failed: bool = False,
    resume: str | None = None,
) -> Plan:
    """``resume``: the id of an interrupted run of the same backfill, continued, not redone."""
    assets = select(graph, selection)
    requested = parse_partitions(partitions, graph, assets, now) if partitions else None
    done: frozenset[tuple[str, str]] = frozenset()
    if resume is not None:  # only then: it builds the state of every partition
        done = frozenset(
            (asset, key)
            for asset, states in snapshot.partitions.items()
            for key, state in states.items()
            if state.last_run == resume and state.last_status == "published"
        )
    return plan(graph, snapshot, assets, now, requested, retry_failed, done)


def interrupted_backfill(catalog: SqliteCatalog, selection: str | None, partitions: str) -> Run | None:
    """The latest run of the same ``--select``/``--partitions``, when it was interrupted."""
    for run in catalog.runs(limit=50):
        if run.trigger in ("backfill", "retry") and (run.selection, run.partitions) == (selection, partitions):
            return run if run.status == "interrupted" else None
    return None


def row_history(snapshot: CatalogSnapshot, graph: AssetGraph, asset: str, key: str) -> tuple[int, ...]:
    """Rows of the latest published partitions before ``key``, as far back as the asset's
    checks look (``row_count_change``); oldest first."""
    spec = graph[asset]
    needed = max((getattr(c, "history_needed", 0) for c in spec.checks), default=0)
    if not needed or spec.partitions is None:
        return ()
    states = snapshot.partitions.get(asset, {})
    published = spec.partitions.sort_keys(k for k, s in states.items() if s.is_published and s.rows is not None)
    position = spec.partitions.index_of(key)
    earlier = [k for k in published if (spec.partitions.index_of(k) or 0) < (position or 0)]
    return tuple(states[k].rows or 0 for k in earlier[-needed:])


def dynamic_definitions(graph: AssetGraph) -> Iterator[tuple[str, DynamicPartitions, str | None]]:
    """(asset, definition, its dimension in a multi definition or None) for every
    ``DynamicPartitions`` of the graph."""
    from assets_core.partitions import DynamicPartitions
    from assets_core.partitions.multi import multi_dimensions

    for spec in graph.specs.values():
        if isinstance(spec.partitions, DynamicPartitions):
            yield spec.name, spec.partitions, None
        for dimension, definition in multi_dimensions(spec.partitions):
            if isinstance(definition, DynamicPartitions):
                yield spec.name, definition, dimension


def bind_dynamic_partitions(graph: AssetGraph, catalog: SqliteCatalog) -> None:
    """Give every ``DynamicPartitions`` of the graph its current keys from the catalog."""
    keys: dict[str, list[str]] | None = None
    for _, definition, _ in dynamic_definitions(graph):
        keys = catalog.dynamic_keys() if keys is None else keys
        definition.set_keys(keys.get(definition.name, []))
