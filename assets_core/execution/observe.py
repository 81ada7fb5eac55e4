"""``assets observe``: record the version of each source partition's external data.

A source's ``observe(context)`` returns something that changes when the data does (a file's
hash or modification time, a row count, the newest timestamp). Only changes are written, so
the catalog keeps one row per version seen. The planner compares the latest observation with
the version a partition was built from (see ``reads.OBSERVED``): late or corrected data
makes exactly that partition stale, and its downstream follows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from assets_core.definitions.specs import AssetContext
from assets_core.errors import AssetsCoreError
from assets_core.execution.clock import stamp
from assets_core.graph import AssetGraph
from assets_core.partitions import keys_of, partition_ref
from assets_core.catalog import Catalog, CatalogSnapshot


class ObserveError(AssetsCoreError):
    """A source's observe function failed."""


@dataclass(frozen=True)
class Observation:
    asset: str
    key: str
    version: str
    previous: str | None

    @property
    def changed(self) -> bool:
        return self.version != self.previous


def observe(
    graph: AssetGraph, catalog: Catalog, snapshot: CatalogSnapshot, assets: list[str],
    requested: dict[str, list[str]] | None, now: datetime,
) -> list[Observation]:
    """Observe every due (or requested) partition of the selected sources; record the changes."""
    found: list[Observation] = []
    for asset in assets:
        spec = graph[asset]
        if spec.observe is None:
            continue
        keys = requested[asset] if requested and asset in requested else keys_of(spec.partitions, now)
        seen = snapshot.observed.get(asset, {})
        for key in keys:
            interval = spec.partitions.data_interval(key) if spec.partitions is not None else None
            context = AssetContext(asset, key, interval, "observe", logging.getLogger(f"assets.{asset}"))
            try:
                version = str(spec.observe(context))
            except Exception as exc:  # the user's observe function: one line, then stop
                raise ObserveError(
                    f"Observing {partition_ref(asset, key)} failed: {type(exc).__name__}: {exc} (the observe function of {spec.source})."
                ) from exc
            found.append(Observation(asset, key, version, seen.get(key)))
    catalog.record_observations(((o.asset, o.key, o.version) for o in found if o.changed), stamp())
    return found
