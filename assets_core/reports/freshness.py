"""Freshness policies evaluated: pure functions, ``now`` is always an argument."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from assets_core.definitions.freshness import FreshnessPolicy, human_duration


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
