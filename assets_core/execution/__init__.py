"""Running plans: what a run covers (``scope``), computing one partition (``compute``), the
run loop with its executors (``run``), and the fault points tests use (``faults``)."""

from assets_core.execution.faults import FAULT_ENV, FAULT_POINTS, fault_point
from assets_core.execution.run import EXECUTORS, Event, Executor, Outcome, RunResult, materialize
from assets_core.execution.scope import live_snapshot, make_plan, parse_partitions

__all__ = [
    "EXECUTORS",
    "Event",
    "Executor",
    "FAULT_ENV",
    "FAULT_POINTS",
    "Outcome",
    "RunResult",
    "fault_point",
    "live_snapshot",
    "make_plan",
    "materialize",
    "parse_partitions",
]
