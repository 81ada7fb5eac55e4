"""Named fault points where a test can SIGKILL the process, to prove crash safety."""

from __future__ import annotations

import os
import signal

FAULT_ENV = "ASSETS_CORE_FAULT"
FAULT_POINTS = ("stage", "validate", "publish", "catalog")


def _fault_from_env() -> tuple[str, str | None, str | None] | None:
    raw = os.environ.get(FAULT_ENV)
    if not raw:
        return None
    point, _, rest = raw.partition(":")
    asset, _, key = rest.partition(":")
    return point, asset or None, key or None


_FAULT = _fault_from_env()


def fault_point(point: str, asset: str, key: str) -> None:
    """Kill this process with SIGKILL when ``ASSETS_CORE_FAULT=point[:asset[:key]]`` matches.

    Points: ``stage`` (staged, not validated), ``validate`` (validated, not published),
    ``publish`` (inside the publish step), ``catalog`` (inside the catalog write). A
    ``quarantine release`` has the last two as well; a run's retirement of partitions its
    definition no longer holds has ``retire`` (inside the removal, at the asset's last retired
    key) and ``catalog``. ``retire`` is not in :data:`FAULT_POINTS`, which every run crosses.
    """
    if _FAULT and _FAULT[0] == point and _FAULT[1] in (None, asset) and _FAULT[2] in (None, key):
        os.kill(os.getpid(), signal.SIGKILL)
