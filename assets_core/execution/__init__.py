"""Running plans: what a run covers (``scope``), computing one partition (``compute``), the
run loop with its executors (``run``), and the fault points tests use (``faults``).

Names are imported on first use: planning a no-op run needs ``scope`` only, not the
executors and what they import.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assets_core.execution.faults import FAULT_ENV, FAULT_POINTS, fault_point
    from assets_core.execution.run import EXECUTORS, Event, Executor, Outcome, RunResult, materialize
    from assets_core.execution.scope import live_snapshot, make_plan, parse_partitions

_EXPORTS = {
    "FAULT_ENV": "faults", "FAULT_POINTS": "faults", "fault_point": "faults",
    "EXECUTORS": "run", "Event": "run", "Executor": "run", "Outcome": "run", "RunResult": "run",
    "materialize": "run",
    "live_snapshot": "scope", "make_plan": "scope", "parse_partitions": "scope",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'assets_core.execution' has no attribute {name!r}")
    value = getattr(import_module(f"assets_core.execution.{module}"), name)
    globals()[name] = value
    return value


__all__ = sorted(_EXPORTS)
