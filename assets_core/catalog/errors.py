"""The catalog's one user-facing error: a catalog that cannot be opened or used."""

from __future__ import annotations

import json
from typing import Any


class CatalogError(Exception):
    """A catalog URL or file that cannot be used; the message says why and what to do."""


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
