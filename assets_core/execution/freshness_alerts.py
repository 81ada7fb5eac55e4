"""Freshness alerts on change: the ``on_freshness`` hooks of ``[hooks]`` get one payload per
transition of an asset's state, however many processes evaluate it.

The last state of each asset is stored in the catalog (``freshness_alerts``); a process that
sees another state moves it there with a compare-and-swap (:meth:`Catalog.claim_alert`), and
only the process whose swap succeeded sends the alert. Two machines running
``assets freshness`` from cron every minute send one alert per transition, not sixty.

Transitions that alert: into ``warn`` or ``error`` from a better state (``pass``, ``unknown``,
or none stored yet; and ``warn`` -> ``error``), and back to ``pass`` from ``warn`` or
``error`` (``recovered``). Others (``error`` -> ``warn``, into ``unknown``, a first ``pass``)
are stored without an alert. The payload (documented in the README)::

    {"event": "freshness", "project": "shop", "asset": "orders", "transition": "error",
     "previous": "warn", "state": "error", "lag_seconds": 93600.0, "reason": "...",
     "late_partitions": 2, "at": "2025-01-10T09:00:01+00:00"}
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assets_core.catalog import Catalog
    from assets_core.project.loading import Project
    from assets_core.reports.freshness import AssetFreshness

_RANK = {"unknown": 0, "pass": 0, "warn": 1, "error": 2}


def transition(previous: str | None, state: str) -> str | None:
    """What a change of state alerts as: ``warn``, ``error``, ``recovered``; None for no alert.

    >>> transition("pass", "warn"), transition("warn", "error"), transition("error", "pass"), transition("error", "warn")
    ('warn', 'error', 'recovered', None)
    """
    before = _RANK.get(previous or "unknown", 0)
    if state in ("warn", "error") and _RANK[state] > before:
        return state
    if state == "pass" and previous in ("warn", "error"):
        return "recovered"
    return None


@dataclass(frozen=True)
class Alerts:
    """What one evaluation changed: the payloads it sent (or tried to), and hooks' problems."""

    sent: tuple[dict[str, Any], ...]
    problems: tuple[str, ...]
    timed_out: bool = False


def claim_transitions(
    catalog: Catalog, project_name: str, results: Sequence[AssetFreshness], now: datetime
) -> list[dict[str, Any]]:
    """Store each changed state; the payloads of the alerting transitions this process won."""
    stored = catalog.alert_states()
    at = now.isoformat()
    payloads = []
    for result in results:
        previous = stored.get(result.asset)
        if previous == result.state:
            continue
        if not catalog.claim_alert(result.asset, previous, result.state, at):
            continue  # another process moved it first: it sends the alert
        kind = transition(previous, result.state)
        if kind is None:
            continue
        payloads.append({
            "event": "freshness", "project": project_name, "asset": result.asset, "transition": kind,
            "previous": previous, "state": result.state,
            "lag_seconds": None if result.lag is None else result.lag.total_seconds(),
            "reason": result.reason, "late_partitions": len(result.late), "at": at,
        })
    return payloads


def send_alerts(project: Project, payloads: Sequence[dict[str, Any]]) -> Alerts:
    """Deliver the payloads to every ``on_freshness`` hook, waiting at most
    ``on_freshness_timeout`` seconds in all: a hook that hangs (a callable that never returns,
    a webhook that never answers) is left behind in a daemon thread, with a warning."""
    hooks = project.settings.hooks.on_freshness
    if not hooks or not payloads:
        return Alerts(tuple(payloads), ())
    from assets_core.execution.hooks import send

    timeout = project.settings.hooks.on_freshness_timeout
    problems: list[str] = []

    def deliver() -> None:
        for payload in payloads:
            problems.extend(send(hooks, payload, project.root, timeout=timeout))

    sender = threading.Thread(target=deliver, name="assets-freshness-hooks", daemon=True)
    sender.start()
    sender.join(timeout)
    if sender.is_alive():
        message = (f"on_freshness hooks did not finish within {timeout:g} s (on_freshness_timeout): "
                   "left behind; check that they answer.")
        logging.getLogger("assets.notify").warning("%s", message)
        return Alerts(tuple(payloads), (*problems, message), timed_out=True)
    return Alerts(tuple(payloads), tuple(problems))
