"""Freshness policies evaluated: pure functions, ``now`` is always an argument."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from assets_core.definitions.freshness import FreshnessPolicy, human_duration

if TYPE_CHECKING:
    from assets_core.catalog import CatalogSnapshot
    from assets_core.graph import AssetGraph
    from assets_core.partitions import PartitionsDefinition


@dataclass(frozen=True)
class FreshnessResult:
    asset: str
    passed: bool
    lag: timedelta | None
    max_lag: timedelta
    reason: str

    def to_json(self) -> dict[str, Any]:
        """The documented ``freshness --json`` entry."""
        return {"asset": self.asset, "passed": self.passed,
                "lag_seconds": None if self.lag is None else self.lag.total_seconds(),
                "max_lag_seconds": self.max_lag.total_seconds(), "reason": self.reason}


def freshness(graph: AssetGraph, snapshot: CatalogSnapshot, assets: Iterable[str], now: datetime) -> list[FreshnessResult]:
    """Every policy of ``assets`` evaluated at ``now``, in graph order (assets without one are left out).

    A time-partitioned asset (a time dimension counts) is judged by the data itself: the end
    of its newest published window against the end of the newest window due; any other
    asset by its last publish.
    """
    chosen = set(assets)
    results = []
    for name in graph.order:
        spec = graph[name]
        if name not in chosen or spec.freshness is None:
            continue
        published = {k: s for k, s in snapshot.partitions.get(name, {}).items() if s.is_published}
        newest_end = expected_end = None
        definition = spec.partitions
        if definition is not None:
            expected_end = _latest_end(definition, definition.keys(now))
            newest_end = _latest_end(definition, [k for k in published if definition.is_key(k)])
        last = max((s.published_at for s in published.values() if s.published_at), default=None)
        results.append(evaluate(name, spec.freshness, now, newest_end, expected_end,
                                None if last is None else datetime.fromisoformat(last)))
    return results


def _latest_end(definition: PartitionsDefinition, keys: list[str]) -> datetime | None:
    """The latest end of the keys' data intervals; None for keys without one (static)."""
    ends = [interval.end for key in keys if (interval := definition.data_interval(key)) is not None]
    return max(ends, default=None)


def evaluate(
    asset: str,
    policy: FreshnessPolicy,
    now: datetime,
    newest_window_end: datetime | None,
    expected_window_end: datetime | None,
    last_published_at: datetime | None,
) -> FreshnessResult:
    """Pass or fail one asset's policy.

    Time-partitioned assets pass the two window ends (the newest published one, and the
    newest one due at ``now``); other assets pass only ``last_published_at``.
    """
    if expected_window_end is not None:
        if newest_window_end is None:
            return FreshnessResult(asset, False, None, policy.max_lag, "no partition is published")
        lag = max(timedelta(0), expected_window_end - newest_window_end)
        reason = f"data reaches {newest_window_end.isoformat()}, {human_duration(lag)} behind"
    else:
        if last_published_at is None:
            return FreshnessResult(asset, False, None, policy.max_lag, "never published")
        lag = max(timedelta(0), now - last_published_at)
        reason = f"last published {human_duration(lag)} ago"
    passed = lag <= policy.max_lag
    return FreshnessResult(asset, passed, lag, policy.max_lag, reason)
