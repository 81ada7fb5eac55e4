"""Twenty daily partitions, 0.2 s each. While a file named ``hold`` exists in the project
folder, the last partition waits (up to a minute): a test holds a run open deterministically."""

import time
from pathlib import Path

import polars as pl

from assets_core import AssetContext, DailyPartitions, asset, not_null

DAYS = DailyPartitions(start="2025-01-01", end="2025-01-21")
HOLD = Path(__file__).parent / "hold"
LAST_DAY = "2025-01-20"


@asset(partitions=DAYS, checks=[not_null("value")])
def slow(context: AssetContext) -> pl.DataFrame:
    """One row per day, computed slowly."""
    time.sleep(0.2)
    if context.partition_key == LAST_DAY:
        deadline = time.monotonic() + 60
        while HOLD.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
    return pl.DataFrame({"day": [context.partition_key], "value": [int(context.partition_key[-2:]) * 10]})


@asset
def slow_total(slow: pl.DataFrame) -> pl.DataFrame:
    """The sum over every day."""
    return slow.select(days=pl.len(), total=pl.col("value").sum())
