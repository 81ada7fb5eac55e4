"""Revenue of one unit per day of each partition's interval: the sum over every partition is
the number of days, whatever the grain (59 for January and February 2025)."""

import polars as pl

from assets_core import (
    AssetContext,
    DailyPartitions,
    DynamicPartitions,
    MonthlyPartitions,
    StaticPartitions,
    WeeklyPartitions,
    asset,
)

GRAIN = DailyPartitions(start="2025-01-01", end="2025-03-01")
REGIONS = StaticPartitions(["eu", "us", "apac"])
STORES = DynamicPartitions("stores")
OTHER_GRAINS = (MonthlyPartitions, WeeklyPartitions)  # what the tests change GRAIN to


def _days(context: AssetContext) -> pl.DataFrame:
    assert context.start is not None and context.end is not None
    return pl.DataFrame({"revenue": [float((context.end - context.start).days)]})


@asset(partitions=GRAIN)
def sales(context: AssetContext) -> pl.DataFrame:
    return _days(context)


@asset(partitions=GRAIN, io="duckdb")
def sales_db(context: AssetContext) -> pl.DataFrame:
    return _days(context)


@asset(partitions=REGIONS)
def regional(context: AssetContext) -> pl.DataFrame:
    return pl.DataFrame({"region": [context.partition_key], "revenue": [10.0]})


@asset(partitions=REGIONS, io="duckdb")
def regional_db(context: AssetContext) -> pl.DataFrame:
    return pl.DataFrame({"region": [context.partition_key], "revenue": [10.0]})


@asset(partitions=STORES)
def store_sales(context: AssetContext) -> pl.DataFrame:
    return pl.DataFrame({"store": [context.partition_key], "revenue": [5.0]})


@asset(partitions=STORES, io="duckdb")
def store_sales_db(context: AssetContext) -> pl.DataFrame:
    return pl.DataFrame({"store": [context.partition_key], "revenue": [5.0]})
