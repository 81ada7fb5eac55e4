"""Partition 'us' of sales returns a plain dict, which cannot be stored; 'eu' is fine."""

import polars as pl

from assets_core import AssetContext, StaticPartitions, asset


@asset(partitions=StaticPartitions(["eu", "us"]))
def sales(context: AssetContext):
    if context.partition_key == "us":
        return {"region": ["us"], "amount": [2.0]}
    return pl.DataFrame({"region": [context.partition_key], "amount": [1.0]})
