"""A small working project: page views per day, then a daily summary and a top-pages table."""

import polars as pl

from assets_core import AssetContext, DailyPartitions, asset, not_null, row_count, sql_asset

WEEK = DailyPartitions(start="2025-01-01", end="2025-01-08")


@asset(partitions=WEEK, checks=[not_null("page"), row_count(min=1)], freshness={"max_lag": "2d"})
def page_views(context: AssetContext) -> pl.DataFrame:
    """Synthetic page views of one day, generated from the partition key."""
    day = int(context.partition_key[-2:])
    return pl.DataFrame(
        {
            "page": [f"/page/{(i * day) % 7}" for i in range(100)],
            "user_id": [i % 13 for i in range(100)],
            "viewed_at": [context.data_interval.start] * 100,
        }
    )


@sql_asset(partitions=WEEK, io="duckdb")
def daily_views():
    """Views and distinct users per day."""
    return """
        SELECT CAST($partition_key AS DATE) AS day, count(*) AS views, count(DISTINCT user_id) AS users
        FROM page_views
    """
