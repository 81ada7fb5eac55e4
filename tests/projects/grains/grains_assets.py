"""Assets over several grains and mappings, for the end-to-end tests of partitions in depth."""

import hashlib
from pathlib import Path

import polars as pl

from assets_core import (
    AssetContext,
    DailyPartitions,
    DynamicPartitions,
    HourlyPartitions,
    MonthlyPartitions,
    MultiPartitions,
    StaticPartitions,
    asset,
    lookback,
    offset,
    source,
)

DAYS = DailyPartitions(start="2025-01-01", end="2025-03-01")
MONTHS = MonthlyPartitions(start="2025-01-01", end="2025-03-01")
LANDING = Path(__file__).parent / "landing"


def _landing_version(context: AssetContext) -> str:
    """A late or corrected file for the day changes its version; no file: the generated data."""
    path = LANDING / f"{context.partition_key}.csv"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16] if path.exists() else "generated"


@source(partitions=DAYS, observe=_landing_version)
def sales(context: AssetContext) -> pl.DataFrame:
    """The day's sales: its landing file when there is one, else one sale of (day of year) units."""
    path = LANDING / f"{context.partition_key}.csv"
    if path.exists():
        return pl.read_csv(path, schema={"amount": pl.Int64})
    assert context.start is not None
    return pl.DataFrame({"amount": [context.start.timetuple().tm_yday]})


@asset(partitions=DAYS)
def daily(sales: pl.DataFrame) -> pl.DataFrame:
    return sales.select(total=pl.col("amount").sum())


@asset(partitions=MONTHS)
def monthly(daily: pl.DataFrame) -> pl.DataFrame:
    """A month reads its days (a time-window mapping, by default)."""
    return daily.select(days=pl.len(), total=pl.col("total").sum())


@asset
def overall(monthly: pl.DataFrame) -> pl.DataFrame:
    return monthly.select(months=pl.len(), total=pl.col("total").sum())


@asset(partitions=DAYS, ins={"daily": lookback(days=7)})
def rolling(daily: pl.DataFrame) -> pl.DataFrame:
    """The day and the 7 before it."""
    return daily.select(days=pl.len(), total=pl.col("total").sum())


@asset(partitions=DAYS, ins={"running_total": offset(-1)})
def running_total(running_total: pl.DataFrame, daily: pl.DataFrame) -> pl.DataFrame:
    """Yesterday's running total plus today's (depends on its own past)."""
    before = running_total["total"].sum() if running_total.height else 0
    return pl.DataFrame({"total": [before + daily["total"].sum()]})


STORES = DynamicPartitions("stores")


@asset(partitions=STORES)
def store_report(context: AssetContext) -> pl.DataFrame:
    """Opening the head office registers the branch it manages."""
    if context.partition_key == "HQ":
        context.add_partitions("stores", ["BRANCH1"])
    return pl.DataFrame({"store": [context.partition_key]})


REGION_DAYS = MultiPartitions(
    date=DailyPartitions(start="2025-01-01", end="2025-01-08"), region=StaticPartitions(["eu", "us"])
)


@asset(partitions=REGION_DAYS)
def region_sales(context: AssetContext) -> pl.DataFrame:
    assert context.start is not None
    return pl.DataFrame({"key": [context.partition_key], "day": [context.start.date()]})


BERLIN_HOURS = HourlyPartitions(start="2025-03-29", end="2025-04-01", timezone="Europe/Berlin")
BERLIN_AUTUMN_HOURS = HourlyPartitions(start="2025-10-25", end="2025-10-28", timezone="Europe/Berlin")


@asset(partitions=BERLIN_HOURS)
def hourly_events(context: AssetContext) -> pl.DataFrame:
    assert context.start is not None and context.end is not None
    return pl.DataFrame({"start": [context.start], "end": [context.end]})


@asset(partitions=BERLIN_AUTUMN_HOURS)
def autumn_events(context: AssetContext) -> pl.DataFrame:
    assert context.start is not None and context.end is not None
    return pl.DataFrame({"start": [context.start], "end": [context.end]})
