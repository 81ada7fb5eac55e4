"""Running plans: the clock (``clock``), runs and their liveness (``runs``), dynamic partitions
bound to the catalog (``AssetGraph.with_dynamic_keys``), computing one partition (``compute``) with the row counts
its checks compare with (``row_history``), the run loop with its executors (``run``), and the
fault points tests use (``faults``).

Names are imported on first use: planning a no-op run needs ``runs`` only, not the
executors and what they import.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assets_core.execution.faults import FAULT_ENV, FAULT_POINTS, fault_point
    from assets_core.execution.run import EXECUTORS, Event, Executor, Outcome, RunResult, materialize
    from assets_core.execution.runs import live_snapshot

_EXPORTS = {
    "FAULT_ENV": "faults", "FAULT_POINTS": "faults", "fault_point": "faults",
    "EXECUTORS": "run", "Event": "run", "Executor": "run", "Outcome": "run", "RunResult": "run",
    "materialize": "run",
    "live_snapshot": "runs",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'assets_core.execution' has no attribute {name!r}")
    value = getattr(import_module(f"assets_core.execution.{module}"), name)
    globals()[name] = value
    return value


__all__ = sorted(_EXPORTS)
