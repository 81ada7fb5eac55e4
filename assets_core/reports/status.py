"""``assets status`` as values: per asset, how many partitions are in each status, how many
wait, and the last publish. The table and ``--json`` both render these, so they cannot disagree."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from operator import itemgetter
from typing import TYPE_CHECKING, Any, NamedTuple

from assets_core.planning.plan import Cause, Status, status_counts, statuses

if TYPE_CHECKING:
    from assets_core.catalog import CatalogSnapshot
    from assets_core.graph import AssetGraph

STATUSES = ("fresh", "stale", "missing", "failed", "quarantined", "unknown")


class PublishSummary(NamedTuple):
    """One asset's entry of ``catalog.published_summary()``, read by name instead of by position."""

    published: int
    last_published_at: str | None


@dataclass(frozen=True)
class PartitionStatus:
    partition: str
    status: str
    reason: str | None

    def to_json(self) -> dict[str, Any]:
        return {"partition": self.partition, "status": self.status, "reason": self.reason}


@dataclass(frozen=True)
class AssetStatus:
    """One asset's row of ``assets status``.

    >>> AssetStatus("orders", 3, {"fresh": 2, "missing": 1}, 0, None).count("missing")
    1
    """

    asset: str
    partitions: int
    counts: Mapping[str, int]  # status -> partitions; every one of STATUSES
    waiting: int  # of the failed and quarantined ones, those that wait for a change
    last_published_at: str | None
    detail: tuple[PartitionStatus, ...] | None = None  # with --partitions
    upstream_stale: int = 0
    """Of the fresh ones, those a plain ``materialize`` rebuilds because something they read is rebuilt."""
    warned: int = 0
    """Of the published ones, those published with a warn-severity check that failed."""
    freshness: str | None = None
    """Its freshness state (pass, warn, error, unknown); None without a freshness policy."""

    def count(self, status: str) -> int:
        return self.counts.get(status, 0)

    def to_json(self) -> dict[str, Any]:
        """The documented ``status --json`` entry, keys in their documented order."""
        body: dict[str, Any] = {"asset": self.asset, "partitions": self.partitions,
                                **{s: self.count(s) for s in STATUSES}, "waiting": self.waiting,
                                "upstream_stale": self.upstream_stale, "warned": self.warned,
                                "last_published_at": self.last_published_at, "freshness": self.freshness}
        if self.detail is not None:
            body["detail"] = [p.to_json() for p in self.detail]
        return body


def asset_statuses(
    graph: AssetGraph,
    snapshot: CatalogSnapshot,
    assets: Iterable[str],
    now: datetime,
    published: Mapping[str, tuple[int, str | None]],
    detail: bool = False,
    warned: Mapping[str, int] | None = None,
) -> list[AssetStatus]:
    """The status of each of ``assets`` at ``now``, in graph order; ``published`` is
    ``catalog.published_summary()``, ``warned`` ``catalog.warned_partitions()``; ``detail``
    adds one entry per partition."""
    if detail:
        return [replace(asset_status(name, rows, published, detail), warned=(warned or {}).get(name, 0))
                for name, rows in statuses(graph, snapshot, assets, now).items()]
    found = []
    for name, counted in status_counts(graph, snapshot, assets, now).items():
        counts = {s: counted.counts.get(s, 0) for s in STATUSES}
        summary = PublishSummary(*published.get(name, (0, None)))
        found.append(AssetStatus(name, counted.partitions, counts, counted.waiting, summary.last_published_at,
                                 None, counted.upstream_stale, (warned or {}).get(name, 0)))
    return found


def asset_status(
    name: str, rows: Sequence[Status], published: Mapping[str, tuple[int, str | None]], detail: bool = False
) -> AssetStatus:
    """One asset's entry from its partitions' ``(key, status, reason)`` (``planning.statuses``):
    the HTML report counts the rows it also draws one by one, without planning twice."""
    counts = Counter({s: 0 for s in STATUSES})
    counts.update(map(itemgetter(1), rows))  # counted in C: an asset can have a million partitions
    causes = Counter(r.cause for r in filter(None, map(itemgetter(2), rows)))  # only those with a reason
    waiting, upstream_stale = causes[Cause.WAITING], causes[Cause.UPSTREAM_PLANNED]
    summary = PublishSummary(*published.get(name, (0, None)))
    partitions = None
    if detail:
        partitions = tuple(PartitionStatus(key, state, None if r is None else r.detail) for key, state, r in rows)
    return AssetStatus(name, len(rows), dict(counts), waiting, summary.last_published_at, partitions, upstream_stale)
