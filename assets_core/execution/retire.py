"""A run's retirements: the published partitions its assets' definitions no longer hold leave
the published location, then the catalog records them, in that order (as a publish does).

The run leases the retired partitions with its planned ones, before anything changes; then,
before any partition is computed (an asset that became partitioned must lose its old table
first), each asset's retired keys are removed from storage in one step
(:mod:`assets_core.storage.retire`) and recorded as ``retired`` attempts in one catalog
transaction, which drops their states and their leases. A kill between the two leaves the
partitions published in the catalog and leased by a dead run: the next run retires them again
(removing what is gone does nothing) and records them.

    >>> retire_all(catalog, storage, run, plan.retire, graph)   # doctest: +SKIP
    {'sales': 59}
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from assets_core.catalog import Catalog, Materialization, Run
from assets_core.errors import AssetsCoreError
from assets_core.execution.clock import stamp
from assets_core.execution.faults import fault_point
from assets_core.graph import AssetGraph
from assets_core.planning.retirement import Retirement
from assets_core.storage.retire import remove_partitions
from assets_core.storage.store import Storage


def retired_refs(retire: Sequence[Retirement]) -> list[tuple[str, str]]:
    """Every ``(asset, partition)`` the run retires: leased with its planned partitions."""
    return [(r.asset, key) for r in retire for key in r.keys]


def retire_all(
    catalog: Catalog, storage: Storage, run: Run, retire: Sequence[Retirement], graph: AssetGraph,
    on_failure: Callable[[Retirement, str], None] = lambda retirement, message: None,
) -> dict[str, int]:
    """Retire each asset's partitions; returns how many were retired per asset. An asset whose
    storage refuses (a warehouse another process holds) keeps its partitions, published and
    recorded as they were, and is told to ``on_failure``; the next run tries again."""
    done: dict[str, int] = {}
    for retirement in retire:
        started = stamp()
        try:
            remove_partitions(storage, retirement.asset, graph[retirement.asset].io, retirement.keys, run.run_id)
        except AssetsCoreError as exc:
            catalog.release_leases(run.run_id, [(retirement.asset, k) for k in retirement.keys])
            on_failure(retirement, str(exc))
            continue
        ended = stamp()
        attempts = [_retired(run, retirement, key, started, ended) for key in retirement.keys]

        def before_commit(asset: str = retirement.asset, key: str = retirement.keys[-1]) -> None:
            fault_point("catalog", asset, key)

        catalog.record(attempts, before_commit)
        done[retirement.asset] = len(attempts)
    return done


def _retired(run: Run, retirement: Retirement, key: str, started: str, ended: str) -> Materialization:
    return Materialization(
        run_id=run.run_id, asset=retirement.asset, partition=key, status="retired",
        cause=retirement.reason.cause.value, started_at=started, ended_at=ended,
        note=retirement.reason.detail.split(";")[0],
    )
