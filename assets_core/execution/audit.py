"""``assets check``: run assets' checks against what is published, without materializing.

Data can go bad after it was published (a check added later, a referenced asset that lost
rows). An audit reads every selected published partition, runs its asset's checks on it and
records the results as a run (trigger ``check``) with one ``audited`` attempt per partition,
so `assets runs show` lists them like any other check result. Nothing is published or moved.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from assets_core.checks import CheckResult, run_checks
from assets_core.execution.compute import check_context
from assets_core.execution.clock import stamp, utc_now
from assets_core.execution.row_history import row_history
from assets_core.execution.runs import new_run
from assets_core.graph import AssetGraph
from assets_core.partitions import keys_of
from assets_core.execution.stores import open_storage
from assets_core.catalog import Catalog, CatalogSnapshot
from assets_core.catalog.models import CheckRecord, Materialization, Run, RunStatus


@dataclass(frozen=True)
class Audited:
    asset: str
    key: str
    results: tuple[CheckResult, ...]

    @property
    def blocks(self) -> bool:
        return any(r.blocks for r in self.results)


def audit(
    project: Any, graph: AssetGraph, catalog: Catalog, snapshot: CatalogSnapshot,
    requested: dict[str, list[str]], on_result: Callable[[Audited], None] = lambda audited: None,
) -> tuple[Run, list[Audited]]:
    """Check the published partitions of ``requested`` (asset -> keys); unpublished ones are left out."""
    now = utc_now()
    run = new_run(now, selection=",".join(requested) or None, trigger="check", reference_time=now.isoformat())
    catalog.start_run(run)
    storage = open_storage(project, catalog=catalog)
    audited: list[Audited] = []
    status: RunStatus = "failed"
    try:
        for asset, keys in requested.items():
            spec = graph[asset]
            published = snapshot.partitions.get(asset, {})
            for key in keys:
                state = published.get(key)
                if not spec.checks or state is None or not state.is_published:
                    continue
                started, clock = stamp(), time.perf_counter()
                data = storage.read(asset, spec.io, [key], with_key=False)
                context = check_context(graph, storage, asset, key, row_history(snapshot, graph, asset, key), now)
                result = Audited(asset, key, tuple(run_checks(spec.checks, data, context)))
                catalog.record([Materialization(
                    run_id=run.run_id, asset=asset, partition=key, status="audited", cause="audit",
                    started_at=started, ended_at=stamp(), rows=data.height, code_version=state.code_version,
                    data_version=state.data_version, checks=tuple(CheckRecord(**r.__dict__) for r in result.results),
                    timings={"validate": round(time.perf_counter() - clock, 6)}, checks_version=spec.checks_version,
                )])
                audited.append(result)
                on_result(result)
        status = "failed" if any(a.blocks for a in audited) else "succeeded"
    finally:
        storage.close()
        counts = {"audited": len(audited), "failed": sum(a.blocks for a in audited)}
        catalog.finish_run(run.run_id, status, stamp(), counts)
    finished = catalog.run(run.run_id)
    assert finished is not None
    return finished, audited


def requested_keys(graph: AssetGraph, assets: list[str], partitions: dict[str, list[str]] | None) -> dict[str, list[str]]:
    """Every due partition of each asset, or the ones ``--partitions`` named."""
    now = utc_now()
    return {
        asset: partitions[asset] if partitions and asset in partitions else keys_of(graph[asset].partitions, now)
        for asset in assets
        if partitions is None or asset in partitions or graph[asset].partitions is None
    }

