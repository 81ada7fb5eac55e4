"""Leases that fence: how long a run's hold on its partitions lasts, who is still alive, and the
heartbeat that keeps a live run's leases (and its run row) from expiring.

A run leases every partition it plans until ``now + lease_seconds``; a heartbeat thread renews
them all (and the run's own row) every third of that, in one catalog transaction per beat. A
lease or run past its expiry has stopped (killed, paused, its machine gone) and may be taken
over: liveness never rests on a pid alone (pid 1 is every container's first process, and pids
are reused). A process known gone from this very host is dead at once, before its expiry.
Every publish switches the data inside ``Catalog.fence`` with the generation of its lease, so a
run whose lease was taken over never publishes (``execution.run``).

    >>> from datetime import timezone
    >>> expired("2025-01-02T03:04:05.000+00:00", datetime(2025, 1, 2, 3, 4, 6, tzinfo=timezone.utc))
    True
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from assets_core.catalog import Catalog, Lease, Run
from assets_core.execution.clock import stamp, utc_now
from assets_core.partitions import partition_ref

HOST = socket.gethostname()
LEASE_SECONDS = 30.0
"""The default lease duration (``[execution] lease_seconds``)."""
LEASE_ENV = "ASSETS_LEASE_SECONDS"
"""Overrides ``lease_seconds`` (tests use ~2 s)."""


def lease_seconds(configured: float | None = None) -> float:
    """The lease duration: ``ASSETS_LEASE_SECONDS`` when set (a positive number), else the
    project's ``[execution] lease_seconds``, else 30 s."""
    raw = os.environ.get(LEASE_ENV, "").strip()
    if raw:
        try:
            value = float(raw)
        except ValueError:
            value = 0.0
        if value > 0:
            return value
        logging.getLogger("assets.leases").warning("%s=%r is not a number of seconds above 0: ignored.", LEASE_ENV, raw)
    return configured if configured is not None else LEASE_SECONDS


def expiry(seconds: float, now: datetime | None = None) -> str:
    """The expiry of a lease renewed ``now``."""
    return stamp((now or utc_now()) + timedelta(seconds=seconds))


def expired(expires_at: str | None, now: datetime) -> bool:
    """Whether an expiry has passed; one never recorded (before leases expired) has."""
    if expires_at is None:
        return True
    try:
        return datetime.fromisoformat(expires_at) <= now
    except ValueError:
        return True


def process_gone(host: str | None, pid: int | None) -> bool:
    """Whether a process is known not to exist: only a process of this host, whose pid is free.
    (A pid that exists proves nothing: it may have been reused, or be pid 1 in a container.)"""
    if host != HOST or pid is None or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # PermissionError: it exists, owned by someone else
        return False
    return False


def run_alive(run: Run, now: datetime | None = None) -> bool:
    """A run is alive while its heartbeat is not past and its process is not known gone."""
    return not expired(run.expires_at, now or utc_now()) and not process_gone(run.host, run.pid)


def lease_alive(lease: Lease, now: datetime | None = None) -> bool:
    """A lease holds while it is not past its expiry and its process is not known gone."""
    return not expired(lease.expires_at, now or utc_now()) and not process_gone(lease.host, lease.pid)


def held_message(conflicts: list[Lease], what: str = "the planned partitions") -> str:
    """Who holds which of the partitions, until when, and how to take over."""
    by_run: dict[str, list[Lease]] = {}
    for lease in conflicts:
        by_run.setdefault(lease.run_id, []).append(lease)
    parts = []
    for run_id, leases in by_run.items():
        first = leases[0]
        until = max((l.expires_at or "" for l in leases), default="") or "an unrecorded time (lapsed)"
        more = f" and {len(leases) - 1} more" if len(leases) > 1 else ""
        parts.append(f"run {run_id} (pid {first.pid} on {first.host}) holds {partition_ref(first.asset, first.partition)}{more} "
                     f"until {until}")
    return (f"{len(conflicts)} of {what} are leased: {'; '.join(parts)}. Wait for it to finish, or narrow "
            "--select/--partitions; a lease its run stops renewing (killed, paused, its machine gone) is "
            "taken over by the first run started after that time.")


class Heartbeat:
    """Renews a run's leases and its run row every third of ``seconds``, from a daemon thread,
    until :meth:`stop`. A beat that fails (the catalog busy for long) is logged and tried at
    the next one: the leases may then lapse and be taken over, which the fence makes safe."""

    def __init__(self, catalog: Catalog, run_id: str, seconds: float) -> None:
        self.catalog = catalog
        self.run_id = run_id
        self.seconds = seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name="assets-heartbeat", daemon=True)

    def start(self) -> Heartbeat:
        """The first beat now (taking many leases may have taken a while), then the thread."""
        self._renew()
        self._thread.start()
        return self

    def _beat(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            self._renew()

    def _renew(self) -> None:
        try:
            self.catalog.heartbeat(self.run_id, expiry(self.seconds))
        except Exception as exc:  # noqa: BLE001  a missed beat is not the run's failure
            logging.getLogger("assets.leases").warning(
                "Run %s could not renew its leases (%s): they lapse at their expiry unless a later beat passes.",
                self.run_id, exc,
            )

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(30)
