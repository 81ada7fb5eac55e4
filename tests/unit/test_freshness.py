"""Freshness policies: durations, and pass/fail against a reference time passed in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from assets_core import DefinitionError, FreshnessPolicy, asset
from assets_core.definitions.freshness import freshness_from, human_duration, parse_duration
from assets_core.reports.freshness import evaluate
from snapshot_helpers import utc

NOW = utc(2025, 1, 10, 12)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("26h", timedelta(hours=26)),
        ("2d", timedelta(days=2)),
        ("1w", timedelta(weeks=1)),
        ("45s", timedelta(seconds=45)),
        ("1.5h", timedelta(minutes=90)),
        (" 3 d ", timedelta(days=3)),
        (3600, timedelta(hours=1)),
        (0.5, timedelta(milliseconds=500)),
        (timedelta(hours=5), timedelta(hours=5)),
    ],
)
def test_parse_duration(text: object, expected: timedelta) -> None:
    assert parse_duration(text) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "ten minutes", "5", "5y", "-5m", "h", "1h30m", "5 mins"])
def test_bad_duration_is_a_definition_error_with_examples(text: str) -> None:
    with pytest.raises(DefinitionError) as raised:
        parse_duration(text)
    assert raised.value.problems == [f"Duration {text!r} is not understood: write it like '90m', '26h' or '2d'."]


def test_policy_parses_its_lag_and_serializes_in_seconds() -> None:
    policy = FreshnessPolicy(max_lag="26h")
    assert policy.max_lag == timedelta(hours=26)
    assert policy.to_dict() == {"max_lag": 93600.0}
    assert policy == FreshnessPolicy(max_lag=timedelta(hours=26))


def test_freshness_from_accepts_a_policy_a_dict_or_none() -> None:
    policy = FreshnessPolicy(max_lag="1d")
    assert freshness_from(policy) is policy
    assert freshness_from({"max_lag": "1d"}) == policy
    assert freshness_from(None) is None
    with pytest.raises(DefinitionError, match="has max_lag='one day': write a duration like '90m'"):
        freshness_from({"max_lag": "one day"})


def test_asset_decorator_reads_a_freshness_dict() -> None:
    @asset(freshness={"max_lag": "2h"})
    def orders(): ...

    assert orders.freshness == FreshnessPolicy("2h")


# -- time-partitioned assets: newest published window end vs newest due window end ------


def test_partitioned_asset_within_its_lag_passes() -> None:
    result = evaluate(
        "orders", FreshnessPolicy("26h"), NOW,
        newest_window_end=utc(2025, 1, 10), expected_window_end=utc(2025, 1, 10), last_published_at=None,
    )
    assert result.passed
    assert result.lag == timedelta(0)
    assert result.reason == "data reaches 2025-01-10T00:00:00+00:00, 0s behind"


def test_partitioned_asset_exactly_at_its_lag_passes_and_one_second_more_fails() -> None:
    policy = FreshnessPolicy("1d")
    at_limit = evaluate("orders", policy, NOW, utc(2025, 1, 9), utc(2025, 1, 10), None)
    assert at_limit.passed and at_limit.lag == timedelta(days=1)
    past = evaluate("orders", policy, NOW, utc(2025, 1, 8, 23, 59, 59), utc(2025, 1, 10), None)
    assert not past.passed
    assert past.lag == timedelta(days=1, seconds=1)
    assert past.max_lag == timedelta(days=1)


def test_partitioned_asset_days_behind_fails_and_says_how_far() -> None:
    result = evaluate("orders", FreshnessPolicy("26h"), NOW, utc(2025, 1, 5), utc(2025, 1, 10), None)
    assert not result.passed
    assert result.lag == timedelta(days=5)
    assert result.reason == "data reaches 2025-01-05T00:00:00+00:00, 5d behind"
    assert result.asset == "orders"


def test_partitioned_asset_with_nothing_published_fails() -> None:
    result = evaluate("orders", FreshnessPolicy("26h"), NOW, None, utc(2025, 1, 10), utc(2025, 1, 10))
    assert not result.passed
    assert result.lag is None
    assert result.reason == "no partition is published"


def test_the_reference_time_does_not_change_a_partitioned_verdict() -> None:
    policy = FreshnessPolicy("1d")
    early = evaluate("orders", policy, utc(2025, 1, 1), utc(2025, 1, 5), utc(2025, 1, 10), None)
    late = evaluate("orders", policy, utc(2030, 1, 1), utc(2025, 1, 5), utc(2025, 1, 10), None)
    assert early == late


# -- other assets: age of the last publish -------------------------------------------------


def test_unpartitioned_asset_published_recently_passes() -> None:
    result = evaluate("summary", FreshnessPolicy("90m"), NOW, None, None, utc(2025, 1, 10, 11))
    assert result.passed
    assert result.lag == timedelta(hours=1)
    assert result.reason == "last published 60m ago"


def test_unpartitioned_asset_published_long_ago_fails() -> None:
    result = evaluate("summary", FreshnessPolicy("90m"), NOW, None, None, utc(2025, 1, 10, 10))
    assert not result.passed
    assert result.lag == timedelta(hours=2)
    assert result.reason == "last published 2h ago"


def test_unpartitioned_asset_never_published_fails() -> None:
    result = evaluate("summary", FreshnessPolicy("90m"), NOW, None, None, None)
    assert (result.passed, result.lag, result.reason) == (False, None, "never published")


def test_publish_after_the_reference_time_counts_as_no_lag() -> None:
    result = evaluate("summary", FreshnessPolicy("1m"), NOW, None, None, NOW + timedelta(minutes=5))
    assert result.passed and result.lag == timedelta(0)


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(seconds=5), "5s"),
        (timedelta(seconds=119), "119s"),
        (timedelta(minutes=2), "2m"),
        (timedelta(minutes=119), "119m"),
        (timedelta(hours=2), "2h"),
        (timedelta(hours=47), "47h"),
        (timedelta(days=2), "2d"),
        (timedelta(days=400), "400d"),
    ],
)
def test_human_duration(delta: timedelta, text: str) -> None:
    assert human_duration(delta) == text
