"""A partitions definition with a key that cannot be a folder name."""

import polars as pl

from assets_core import AssetContext, StaticPartitions, asset

REGIONS = StaticPartitions(["eu", "us/east"])


@asset(partitions=REGIONS)
def sales(context: AssetContext) -> pl.DataFrame:
    return pl.DataFrame({"region": [context.partition_key]})
