"""Run history for ``assets runs``: one asset's work per run, its trend, and a sparkline.

Pure functions over catalog records: no clock, catalog calls or printing, so the CLI can render
the same values as a table or as ``--json``. Plain Python on purpose (no polars): the CLI
imports this on every call and a few hundred runs do not need a dataframe.

    >>> sparkline([1.0, 2.0, 4.0, 8.0])
    '▁▂▄█'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal, TypeGuard

if TYPE_CHECKING:  # only annotations need the models; keeps this import free of pydantic
    from assets_core.catalog.models import Materialization, Run

Direction = Literal["slower", "faster", "steady", "not enough runs"]

TICKS = "▁▂▃▄▅▆▇█"
MIDDLE_TICK = TICKS[3]
GAP = " "
"""Drawn for a run without a value, so the line keeps one character per run."""

MIN_RUNS = 4
"""Fewer runs than this make two halves of one run each: a single outlier would decide."""

_FAILED = ("failed", "quarantined")


@dataclass(frozen=True)
class AssetRunPoint:
    """One run's work on one asset.

        >>> point = AssetRunPoint("r1", "2025-01-06T02:00:00+00:00", 90.0, rows=300, partitions=3, failed=0)
        >>> point.seconds / point.partitions
        30.0
    """

    run_id: str
    started_at: str
    """The run's start, ISO text as stored."""
    seconds: float
    """Sum over the asset's attempts in the run of (ended_at - started_at)."""
    rows: int
    """Rows of the published attempts in the run."""
    partitions: int
    """Attempts in the run, skipped ones left out."""
    failed: int
    """Attempts that failed or were quarantined."""


@dataclass(frozen=True)
class Trend:
    """Where a per-partition measure is heading, newer half of the runs against the older half.

    ``change_pct`` is None with "not enough runs", and when the older median is zero (no
    finite percentage: the direction then says only that the measure went up). ``rows_trend``
    reuses the directions: "slower" means more rows per partition, "faster" fewer.

        >>> Trend("slower", 46.4, "▁▂▃▄▅▆▇█").direction
        'slower'
    """

    direction: Direction
    change_pct: float | None
    sparkline: str
    """One character per run, oldest first, scaled from the smallest value to the largest."""


def asset_history(
    asset: str, runs: Sequence[Run], attempts: Sequence[Materialization], limit: int = 30
) -> list[AssetRunPoint]:
    """The newest ``limit`` runs that did work on ``asset``, oldest first, one point each.

    Runs are ordered by their parsed start, not its text, so starts written with different
    offsets still sort in time. A run whose attempts of the asset were all skipped did no work
    and is left out, as are attempts of runs missing from ``runs`` (their start is unknown).

        >>> asset_history("orders", runs=[], attempts=[])
        []
    """
    by_run = _worked_attempts_by_run(asset, attempts)
    touched = {run.run_id: run for run in runs if run.run_id in by_run}
    newest = sorted(touched.values(), key=_start_order)[-limit:] if limit > 0 else []
    return [_point(run, by_run[run.run_id]) for run in newest]


def trend(points: Sequence[AssetRunPoint], threshold_pct: float = 20.0) -> Trend:
    """Is the asset getting slower? Median seconds per partition, newer half vs older half.

    Per partition, so a backfill of 30 partitions does not read as a slowdown next to a daily
    run of one. Beyond ``+threshold_pct`` is "slower", below ``-threshold_pct`` "faster".

        >>> trend([]).direction
        'not enough runs'
    """
    return _trend([_per_partition(p.seconds, p.partitions) for p in points], threshold_pct)


def rows_trend(points: Sequence[AssetRunPoint], threshold_pct: float = 20.0) -> Trend:
    """``trend`` for rows per published partition ("slower" = more rows, "faster" = fewer).

    Failed attempts publish no rows; dividing by every attempt would read a bad run as a drop
    in data, so a run that published nothing has no value and shows as a gap.

        >>> rows_trend([]).change_pct is None
        True
    """
    return _trend([_per_partition(p.rows, p.partitions - p.failed) for p in points], threshold_pct)


def sparkline(values: Sequence[float | None]) -> str:
    """One tick per value, smallest ``▁`` to largest ``█``; a gap for None or NaN.

    All values equal (or just one) draw the middle tick: a flat line says "no change", where
    scaling to the bottom would look like a drop.

        >>> sparkline([3.0, 3.0]), sparkline([0.0, None, 7.0]), sparkline([])
        ('▄▄', '▁ █', '')
    """
    known = [v for v in values if _is_number(v)]
    if not known:
        return GAP * len(values)
    low, high = min(known), max(known)
    return "".join(_tick(v, low, high - low) for v in values)


def run_duration_seconds(run: Run) -> float | None:
    """Wall-clock seconds of a run; None while it is still running (no ``ended_at`` yet).

        >>> from assets_core.catalog.models import Run
        >>> run_duration_seconds(Run(run_id="r1", reference_time="2025-01-06T00:00:00+00:00",
        ...     started_at="2025-01-06T02:00:00+00:00", ended_at="2025-01-06T02:01:30+00:00"))
        90.0
    """
    if run.ended_at is None:
        return None
    return _seconds_between(run.started_at, run.ended_at)


# -- helpers ---------------------------------------------------------------------------------------


def _worked_attempts_by_run(asset: str, attempts: Sequence[Materialization]) -> dict[str, list[Materialization]]:
    """One pass over the attempts: a catalog hands over every asset's, and there can be many."""
    by_run: dict[str, list[Materialization]] = {}
    for attempt in attempts:
        if attempt.asset == asset and attempt.status not in ("skipped", "retired"):  # retired: nothing computed
            by_run.setdefault(attempt.run_id, []).append(attempt)
    return by_run


def _start_order(run: Run) -> tuple[datetime, str]:
    """Parsed start, then id: two runs started in the same instant keep a stable order."""
    return datetime.fromisoformat(run.started_at), run.run_id


def _point(run: Run, attempts: Sequence[Materialization]) -> AssetRunPoint:
    return AssetRunPoint(
        run_id=run.run_id,
        started_at=run.started_at,
        seconds=sum(_seconds_between(a.started_at, a.ended_at) for a in attempts),
        rows=sum(a.rows or 0 for a in attempts if a.status == "published"),
        partitions=len(attempts),
        failed=sum(1 for a in attempts if a.status in _FAILED),
    )


def _seconds_between(start: str, end: str) -> float:
    """Never negative: a clock stepping back on one host must not subtract from a run's work."""
    return max(0.0, (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds())


def _per_partition(total: float, partitions: int) -> float | None:
    return total / partitions if partitions > 0 else None


def _trend(values: Sequence[float | None], threshold_pct: float) -> Trend:
    """Halves by position; with an odd count the middle run belongs to neither side."""
    line = sparkline(values)
    half = len(values) // 2
    older = [v for v in values[:half] if _is_number(v)]
    newer = [v for v in values[len(values) - half :] if _is_number(v)]
    if len(values) < MIN_RUNS or not older or not newer:
        return Trend("not enough runs", None, line)
    change = _change_pct(_median(older), _median(newer))
    return Trend(_direction(change, threshold_pct), change, line)


def _change_pct(old: float, new: float) -> float | None:
    if old == 0:
        return 0.0 if new == 0 else None
    return (new - old) * 100 / old


def _direction(change_pct: float | None, threshold_pct: float) -> Direction:
    if change_pct is None or change_pct > threshold_pct:  # None: up from zero, no finite percentage
        return "slower"
    if change_pct < -threshold_pct:
        return "faster"
    return "steady"


def _median(values: Sequence[float]) -> float:
    """Median by hand: ``statistics`` pulls in decimal and fractions, slow for a CLI import."""
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def _is_number(value: float | None) -> TypeGuard[float]:
    return value is not None and math.isfinite(value)


def _tick(value: float | None, low: float, span: float) -> str:
    if not _is_number(value):
        return GAP
    if span == 0:
        return MIDDLE_TICK
    return TICKS[int((value - low) / span * (len(TICKS) - 1) + 0.5)]
