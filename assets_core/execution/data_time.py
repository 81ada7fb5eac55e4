"""The data time of a partition: the newest value of its freshness policy's
``timestamp_column``, taken at validate time so that ``assets freshness`` never scans data.

    >>> import polars as pl
    >>> from datetime import datetime
    >>> newest_time(pl.DataFrame({"ts": [datetime(2025, 1, 1, 5), datetime(2025, 1, 1, 7)]}), "ts", "orders")
    '2025-01-01T07:00:00.000+00:00'
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from assets_core.errors import AssetsCoreError


def newest_time(data: Any, column: str, asset: str) -> str | None:
    """The newest value of ``column`` as UTC ISO-8601 text (a naive timestamp is UTC, a date
    its midnight); None for no rows or only nulls. One ``max`` over one column: cheap."""
    columns = list(getattr(data, "columns", ()))
    if column not in columns:
        from difflib import get_close_matches

        close = get_close_matches(column, columns, n=1)
        guess = f" Did you mean '{close[0]}'?" if close else ""
        raise AssetsCoreError(
            f"Asset '{asset}' has freshness timestamp_column '{column}', which its data does not have "
            f"(columns: {', '.join(columns[:8]) or 'none'}).{guess}"
        )
    value = data.get_column(column).max()
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day, tzinfo=UTC)
    else:
        raise AssetsCoreError(
            f"Asset '{asset}' has freshness timestamp_column '{column}' of values like {value!r}, not "
            "timestamps: point timestamp_column at a Datetime or Date column."
        )
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")
