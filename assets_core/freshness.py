"""Freshness policies and their evaluation. ``now`` is always an argument.

    >>> policy = FreshnessPolicy(max_lag="26h")
    >>> policy.max_lag
    datetime.timedelta(days=1, seconds=7200)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from assets_core.errors import DefinitionError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: str | timedelta | int | float) -> timedelta:
    """``"90m"``, ``"26h"``, ``"2d"``, seconds as a number, or a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, (int, float)):
        return timedelta(seconds=value)
    match = _DURATION.match(value)
    if not match:
        raise DefinitionError([f"Duration {value!r} is not understood: write it like '90m', '26h' or '2d'."])
    return timedelta(**{_UNITS[match.group(2)]: float(match.group(1))})


@dataclass(frozen=True)
class FreshnessPolicy:
    """A promise about how far behind an asset's data may be.

    ``max_lag``: for a time-partitioned asset, the end of the newest published window may
    trail the newest window that should exist (now, or the definition's end) by at most this
    much; for any other asset, its last publish may be at most this old.
    """

    max_lag: timedelta

    def __init__(self, max_lag: str | timedelta | int | float) -> None:
        object.__setattr__(self, "max_lag", parse_duration(max_lag))

    def to_dict(self) -> dict[str, Any]:
        return {"max_lag": self.max_lag.total_seconds()}


def freshness_from(value: FreshnessPolicy | dict[str, Any] | None) -> FreshnessPolicy | None:
    if value is None or isinstance(value, FreshnessPolicy):
        return value
    return FreshnessPolicy(**value)


@dataclass(frozen=True)
class FreshnessResult:
    asset: str
    passed: bool
    lag: timedelta | None
    max_lag: timedelta
    reason: str


def evaluate(
    asset: str,
    policy: FreshnessPolicy,
    now: datetime,
    newest_window_end: datetime | None,
    expected_window_end: datetime | None,
    last_published_at: datetime | None,
) -> FreshnessResult:
    """Pass or fail one asset's policy.

    Time-partitioned assets pass the two window ends (the newest published one, and the
    newest one due at ``now``); other assets pass only ``last_published_at``.
    """
    if expected_window_end is not None:
        if newest_window_end is None:
            return FreshnessResult(asset, False, None, policy.max_lag, "no partition is published")
        lag = max(timedelta(0), expected_window_end - newest_window_end)
        reason = f"data reaches {newest_window_end.isoformat()}, {human_duration(lag)} behind"
    else:
        if last_published_at is None:
            return FreshnessResult(asset, False, None, policy.max_lag, "never published")
        lag = max(timedelta(0), now - last_published_at)
        reason = f"last published {human_duration(lag)} ago"
    passed = lag <= policy.max_lag
    return FreshnessResult(asset, passed, lag, policy.max_lag, reason)


def human_duration(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    if seconds < 172800:
        return f"{seconds // 3600}h"
    return f"{seconds // 86400}d"
