"""A plan as ``assets plan`` shows it: consecutive partitions of one asset with one cause
grouped into a range, so a backfill of a year is one line, not 365."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assets_core.planning.plan import Cause

if TYPE_CHECKING:
    from assets_core.graph import AssetGraph
    from assets_core.planning.plan import Step

_GENERAL = {
    Cause.MISSING: "never published",
    Cause.REQUESTED: "requested with --partitions",
    Cause.UPSTREAM_PLANNED: "upstream rebuilt in this run",
}
"""What a range of several partitions says, for causes whose detail names one partition."""


@dataclass(frozen=True)
class StepRange:
    """Planned partitions ``first..last`` of one asset, consecutive in its definition, with one cause.

    >>> StepRange("orders", "2025-01-01", "2025-01-31", Cause.MISSING, 31, "never published").keys
    '2025-01-01..2025-01-31'
    """

    asset: str
    first: str
    last: str
    cause: Cause
    count: int
    detail: str  # the step's own when it is alone, a general one for its cause otherwise

    @property
    def keys(self) -> str:
        if not self.first:
            return "-"
        return self.first if self.first == self.last else f"{self.first}..{self.last}"


def step_ranges(graph: AssetGraph, steps: Iterable[Step]) -> list[StepRange]:
    """Steps in plan order, each run of consecutive keys with the same asset and cause made one range."""
    ranges: list[StepRange] = []
    previous: int | None = None  # position of the last range's last key
    for step in steps:
        definition = graph[step.asset].partitions
        position = definition.index_of(step.key) if definition is not None else None
        last = ranges[-1] if ranges else None
        if (last is not None and last.asset == step.asset and last.cause == step.reason.cause
                and position is not None and previous is not None and position == previous + 1):
            ranges[-1] = StepRange(last.asset, last.first, step.key, last.cause, last.count + 1,
                                   _GENERAL.get(last.cause, last.detail))
        else:
            ranges.append(StepRange(step.asset, step.key, step.key, step.reason.cause, 1, step.reason.detail))
        previous = position
    return ranges
