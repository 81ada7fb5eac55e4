"""Staleness and the plan: pure functions of (graph, catalog snapshot, reference time).

``plan``: the plan; ``reads``: which upstream partitions each partition reads; ``bulk``: the
bulk freshness check that lets the plan look only at what may have changed."""

from assets_core.planning.plan import Cause, Plan, Reason, Step, explain, plan, statuses

__all__ = ["Cause", "Plan", "Reason", "Step", "explain", "plan", "statuses"]
