"""Freshness policies, as assets declare them (their evaluation: :mod:`assets_core.reports.freshness`).

    >>> policy = FreshnessPolicy(max_lag="26h")
    >>> policy.max_lag
    datetime.timedelta(days=1, seconds=7200)
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from assets_core.definitions.schema import OptionsModel
from assets_core.errors import DefinitionError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: str | timedelta | int | float) -> timedelta:
    """``"90m"``, ``"26h"``, ``"2d"``, seconds as a number, or a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return timedelta(seconds=value)
    match = _DURATION.match(value) if isinstance(value, str) else None
    if not match:
        raise DefinitionError([f"Duration {value!r} is not understood: write it like '90m', '26h' or '2d'."])
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


class FreshnessPolicy(OptionsModel):
    """A promise about how far behind an asset's data may be.

    ``max_lag``: for a time-partitioned asset, the end of the newest published window may
    trail the newest window that should exist (now, or the definition's end) by at most this
    much; for any other asset, its last publish may be at most this old.
    """

    max_lag: timedelta = Field(description="write a duration like '90m', '26h' or '2d'")

    if TYPE_CHECKING:

        def __init__(self, max_lag: str | timedelta | int | float) -> None: ...

    else:

        def __init__(self, *max_lag: Any, **values: Any) -> None:
            """``FreshnessPolicy("26h")`` as well as ``FreshnessPolicy(max_lag="26h")``."""
            super().__init__(**dict(zip(("max_lag",), max_lag)), **values)

        __init__.__pydantic_base_init__ = True  # see OptionsModel

    @field_validator("max_lag", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        try:
            return parse_duration(value)
        except (DefinitionError, TypeError) as exc:
            raise ValueError(str(exc)) from None

    def to_dict(self) -> dict[str, Any]:
        return {"max_lag": self.max_lag.total_seconds()}


def freshness_from(value: FreshnessPolicy | dict[str, Any] | None) -> FreshnessPolicy | None:
    if value is None or isinstance(value, FreshnessPolicy):
        return value
    return FreshnessPolicy(**value)


def human_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"
