"""The catalog's one user-facing error: a catalog that cannot be opened or used."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assets_core.catalog.models import Lease


class CatalogError(Exception):
    """A catalog URL or file that cannot be used; the message says why and what to do."""


class LeaseLost(Exception):
    """A fenced switch refused: ``lease`` is no longer the partition's lease. ``current`` is the
    lease held now (another run's, which took it over), or None when none is held;
    ``taken_by`` and ``taken_at`` are the run and time of the partition's last grant (the
    takeover, whether or not that run still holds it), None when there is none."""

    def __init__(self, lease: Lease, current: Lease | None, taken_by: str | None = None,
                 taken_at: str | None = None) -> None:
        self.lease = lease
        self.current = current
        self.taken_by = taken_by if taken_by is not None or current is None else current.run_id
        self.taken_at = taken_at if taken_at is not None or current is None else current.acquired_at
        if current is not None and current.run_id == self.taken_by:
            why = (f"taken over by run {current.run_id} at {self.taken_at} (pid {current.pid} on {current.host}, "
                   f"holding it until {current.expires_at})")
        elif self.taken_by is not None and self.taken_by != lease.run_id:
            why = f"taken over by run {self.taken_by} at {self.taken_at} (which has released it since)"
        else:
            why = "no run holds it now"
        super().__init__(f"lease lost: {why}; this run's lease had expired (its heartbeat stopped, "
                         "e.g. a paused or overloaded process), so its data was not published")


class LeasesLost(Exception):
    """A fenced switch of several partitions refused (``Catalog.fence_all``): ``lost`` says,
    for each lease that is no longer its partition's, why (a :class:`LeaseLost` each); the
    others still hold."""

    def __init__(self, lost: list[LeaseLost]) -> None:
        self.lost = lost
        super().__init__(f"{len(lost)} lease(s) lost: {lost[0]}" if lost else "no lease lost")


def stored_json(text: str, what: str) -> Any:
    """JSON text the catalog stored, parsed; text that is not JSON (a catalog edited by hand,
    or damaged) is one line saying what and how to recover, not a traceback."""
    try:
        return json.loads(text)
    except ValueError:
        shown = text if len(text) <= 40 else text[:40] + "..."
        raise CatalogError(
            f"The catalog holds {what} that is not JSON ({shown!r}): it was edited by hand or damaged; "
            "restore the catalog file from a backup (or move it away: the next run rebuilds every partition)."
        ) from None
