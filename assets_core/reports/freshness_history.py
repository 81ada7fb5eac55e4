"""Freshness compliance from the ledger (``assets freshness --history``): pure, over the rows
the catalog returns and a reference time.

    >>> history = compliance("orders", rows, since, now)      # doctest: +SKIP
    >>> history.on_time_share, history.longest_late_streak
    (0.9, 2)

Each due partition (due between ``since`` and ``now``) is on time (met by its due time), late
(met after it: lateness = met - due) or missing (not met by ``now``: lateness = now - due, and
growing). Lateness percentiles are over every due partition, an on-time one counting 0.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from assets_core.reports.history import sparkline

if TYPE_CHECKING:
    from assets_core.catalog import LedgerEntry

WORST = 5
"""How many worst partitions ``--history`` names per asset."""
TREND_POINTS = 30
"""The sparkline's points: the period cut into this many spans, each the share on time."""


@dataclass(frozen=True)
class Compliance:
    """One asset's freshness record over a period."""

    asset: str
    due: int
    on_time: int
    late: int
    missing: int
    lateness_p50: timedelta | None
    lateness_p95: timedelta | None
    lateness_max: timedelta | None
    longest_late_streak: int
    sparkline: str
    worst: tuple[tuple[str, str, timedelta], ...]
    """``(partition, late or missing, lateness)``: the most late first."""

    @property
    def on_time_share(self) -> float | None:
        return None if not self.due else self.on_time / self.due

    def to_json(self) -> dict[str, Any]:
        """The documented, stable ``freshness --history --json`` entry."""
        def secs(delta: timedelta | None) -> float | None:
            return None if delta is None else delta.total_seconds()

        return {
            "asset": self.asset, "due": self.due, "on_time": self.on_time, "late": self.late,
            "missing": self.missing,
            "on_time_share": None if self.on_time_share is None else round(self.on_time_share, 4),
            "lateness_p50_seconds": secs(self.lateness_p50), "lateness_p95_seconds": secs(self.lateness_p95),
            "lateness_max_seconds": secs(self.lateness_max), "longest_late_streak": self.longest_late_streak,
            "sparkline": self.sparkline,
            "worst": [{"partition": p, "status": s, "lateness_seconds": d.total_seconds()} for p, s, d in self.worst],
        }


def compliance(asset: str, rows: Sequence[LedgerEntry], since: datetime, now: datetime) -> Compliance:
    """The record of ``rows`` (the ledger rows of ``asset`` due since ``since``, in due order)
    at ``now``; rows due after ``now`` are left out."""
    now_text = now.astimezone(UTC).isoformat(timespec="milliseconds")  # as the ledger writes times
    lateness: list[float] = []
    streak = longest = on_time = late = missing = 0
    worst: list[tuple[float, str, str, str]] = []
    buckets = [[0, 0] for _ in range(TREND_POINTS)]
    start, span = since.timestamp(), max((now - since).total_seconds(), 1.0)
    now_ts = now.timestamp()
    for row in rows:
        # The ledger's times are UTC text of one width: compared as text, parsed only when needed.
        if row.due_at is None or row.due_at >= now_text:
            continue
        due_ts = datetime.fromisoformat(row.due_at).timestamp()
        if row.met_at is not None and row.met_at <= now_text:
            if row.met_at <= row.due_at:
                seconds, status = 0.0, "on_time"
            else:
                seconds, status = datetime.fromisoformat(row.met_at).timestamp() - due_ts, "late"
        else:
            seconds, status = now_ts - due_ts, "missing"
        bucket = buckets[min(TREND_POINTS - 1, max(0, int((due_ts - start) / span * TREND_POINTS)))]
        bucket[1] += 1
        lateness.append(seconds)
        if status == "on_time":
            on_time += 1
            bucket[0] += 1
            streak = 0
            continue
        late += status == "late"
        missing += status == "missing"
        streak += 1
        longest = max(longest, streak)
        worst.append((seconds, row.due_at, row.partition, status))
    lateness.sort()
    points = [None if total == 0 else ok / total for ok, total in buckets]
    named = sorted(worst, key=lambda w: (-w[0], w[1]))[:WORST]
    return Compliance(
        asset, len(lateness), on_time, late, missing,
        _percentile(lateness, 0.5), _percentile(lateness, 0.95),
        timedelta(seconds=lateness[-1]) if lateness else None,
        longest, sparkline(points) if any(p is not None for p in points) else "",
        tuple((partition, status, timedelta(seconds=seconds)) for seconds, _, partition, status in named),
    )


def _percentile(ordered: Sequence[float], share: float) -> timedelta | None:
    """The nearest-rank percentile of sorted values (None for none)."""
    if not ordered:
        return None
    rank = max(1, math.ceil(share * len(ordered)))
    return timedelta(seconds=ordered[rank - 1])
