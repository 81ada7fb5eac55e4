"""Freshness policies: durations, and pass/fail against a reference time passed in."""

from __future__ import annotations

from datetime import timedelta

import pytest

from assets_core import DefinitionError, Freshness, FreshnessPolicy, asset
from assets_core.definitions.freshness import freshness_from, human_duration, parse_duration
from snapshot_helpers import utc


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


def test_policy_parses_its_lag_and_max_lag_is_error_after() -> None:
    policy = FreshnessPolicy(max_lag="26h")
    assert policy.max_lag == policy.error_after == timedelta(hours=26)
    assert policy == Freshness(error_after="26h") == Freshness("26h")
    assert Freshness.from_dict(policy.to_dict()) == policy
    assert Freshness.from_dict(93600.0) == policy  # a manifest written before warn/error


def test_freshness_from_accepts_a_policy_a_dict_or_none() -> None:
    policy = Freshness(max_lag="1d")
    assert freshness_from(policy) is policy
    assert freshness_from({"max_lag": "1d"}) == policy
    assert freshness_from(None) is None
    with pytest.raises(DefinitionError, match="Duration|duration"):
        freshness_from({"max_lag": "one day"})


def test_asset_decorator_reads_a_freshness_dict() -> None:
    @asset(freshness={"warn_after": "1h", "error_after": "2h", "deadline": "09:00", "timestamp_column": "ts"})
    def orders() -> None: ...

    assert orders.freshness == Freshness(warn_after="1h", error_after="2h", deadline="09:00", timestamp_column="ts")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "needs warn_after, error_after (max_lag) or deadline"),
        ({"warn_after": "2d", "error_after": "1d"}, "warn_after is longer than error_after"),
        ({"max_lag": "1d", "error_after": "2d"}, "max_lag means error_after"),
        ({"deadline": "25:00"}, "deadline='25:00'"),
        ({"deadline": "every morning"}, "deadline='every morning'"),
        ({"error_after": "-1h"}, "error_after='-1h'"),
        ({"error_after": "1h", "allow_empty": "yes"}, "allow_empty"),
        ({"error_afterr": "1h"}, "Did you mean 'error_after'"),
    ],
)
def test_a_bad_policy_is_one_line_naming_the_option(values: dict[str, object], message: str) -> None:
    with pytest.raises(DefinitionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Freshness(**values)


def test_human_duration() -> None:
    assert [human_duration(timedelta(seconds=s)) for s in (5, 600, 36000, 400000)] == ["5s", "10m", "10h", "4d"]


def test_a_rule_between_options_is_said_on_the_asset() -> None:
    from assets_core.definitions.options import AssetOptions
    from assets_core.definitions.schema import read_options

    assert read_options(AssetOptions, {"freshness": {"warn_after": "2d", "error_after": "1d"}}, "Asset 'orders'")[1] == [
        "Asset 'orders' has freshness={'error_after': '1d', 'warn_after': '2d'}: "
        "warn_after is longer than error_after: warn first, then error."]
