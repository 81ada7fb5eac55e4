"""Where each time partition sits in the report's calendar: a grid cell per partition.

Daily: a block of 7 rows (Monday first) by week columns per year. Hourly: a block of 24 rows
(hours, local time) by day columns per month, with a 25th row for the hour a DST change
repeats. Weekly: a row per year, a column per week. Monthly: a row per year, a column per
month. Other definitions have no calendar: the page wraps their strip in rows.

    >>> from assets_core import DailyPartitions
    >>> days = DailyPartitions("2025-01-06", "2025-01-09")
    >>> calendar(days, days.keys())["cells"]   # Monday to Wednesday of the first week
    [1, 55, 109]
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from assets_core.partitions import PartitionsDefinition

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEK_COLUMNS = 54
"""Weeks a year can touch, Monday-based: 53, and one more when 1 January is a Sunday of a leap year."""


def calendar(definition: PartitionsDefinition, keys: Sequence[str]) -> dict[str, Any] | None:
    """The grid of ``keys`` (due keys of ``definition``, in order): ``cols`` by ``rows``, and
    per key its cell ``row * cols + col``, with labels for some rows and columns."""
    if definition.kind not in _GRIDS or not keys:
        return None
    zone = getattr(definition, "tz", None)  # the local calendar of the definition's timezone
    starts = []
    for key in keys:
        interval = definition.data_interval(key)
        if interval is None:
            return None
        starts.append(interval.start.astimezone(zone) if zone is not None else interval.start)
    return _GRIDS[definition.kind](starts)


def _daily(starts: Sequence[datetime]) -> dict[str, Any]:
    first_year = starts[0].year
    cells = []
    for start in starts:
        day = start.date()
        block = (day.year - first_year) * 8  # 7 weekdays and a gap row
        cells.append((block + day.weekday()) * WEEK_COLUMNS + _week_of_year(day))
    years = starts[-1].year - first_year + 1
    return {
        "cols": WEEK_COLUMNS, "rows": years * 8 - 1, "cells": cells,
        "row_labels": [[y * 8, str(first_year + y)] for y in range(years)],
        "col_labels": [[_week_of_year(date(first_year, m + 1, 1)), MONTHS[m]] for m in range(12)],
    }


def _week_of_year(day: date) -> int:
    """The column of ``day``: weeks since the Monday on or before 1 January."""
    january = date(day.year, 1, 1)
    return (day.toordinal() - january.toordinal() + january.weekday()) // 7


def _hourly(starts: Sequence[datetime]) -> dict[str, Any]:
    first = starts[0]
    rows_per_block = 26  # 24 hours, the hour repeated when clocks go back, and a gap row
    taken: set[int] = set()
    cells = []
    for start in starts:
        block = (start.year - first.year) * 12 + start.month - first.month
        row = block * rows_per_block + start.hour
        cell = row * 31 + start.day - 1
        if cell in taken:  # the second 01:00 of the night clocks go back
            cell = (block * rows_per_block + 24) * 31 + start.day - 1
        taken.add(cell)
        cells.append(cell)
    last = starts[-1]
    blocks = (last.year - first.year) * 12 + last.month - first.month + 1
    labels = []
    for b in range(blocks):
        year, month = divmod(first.month - 1 + b, 12)
        labels.append([b * rows_per_block, f"{first.year + year}-{month + 1:02d}"])
    return {"cols": 31, "rows": blocks * rows_per_block - 1, "cells": cells, "row_labels": labels,
            "col_labels": [[d - 1, str(d)] for d in (1, 8, 15, 22, 29)]}


def _weekly(starts: Sequence[datetime]) -> dict[str, Any]:
    first_year = starts[0].year
    cells = [(s.year - first_year) * WEEK_COLUMNS + _week_of_year(s.date()) for s in starts]
    years = starts[-1].year - first_year + 1
    return {"cols": WEEK_COLUMNS, "rows": years, "cells": cells,
            "row_labels": [[y, str(first_year + y)] for y in range(years)],
            "col_labels": [[_week_of_year(date(first_year, m + 1, 1)), MONTHS[m]] for m in range(12)]}


def _monthly(starts: Sequence[datetime]) -> dict[str, Any]:
    first_year = starts[0].year
    cells = [(s.year - first_year) * 12 + s.month - 1 for s in starts]
    years = starts[-1].year - first_year + 1
    return {"cols": 12, "rows": years, "cells": cells,
            "row_labels": [[y, str(first_year + y)] for y in range(years)],
            "col_labels": [[m, MONTHS[m]] for m in range(12)]}


_GRIDS = {"daily": _daily, "hourly": _hourly, "weekly": _weekly, "monthly": _monthly}
