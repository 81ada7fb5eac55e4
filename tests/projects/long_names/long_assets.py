"""page_views_by_country_and_device_daily (a source) -> ..._cleaned_... (checked: 2025-01-02
is quarantined, a warn check fails every day) -> ..._report_... (fails on 2025-01-01), and
sql/views_by_key.sql (DuckDB)."""

import polars as pl

from assets_core import AssetContext, DailyPartitions, asset, expect, source

DAYS = DailyPartitions(start="2025-01-01", end="2025-01-03")  # two days: the end is excluded


@source(partitions=DAYS, observe=lambda context: "v1")
def page_views_by_country_and_device_daily(context: AssetContext) -> pl.DataFrame:
    views = -5 if context.partition_key == "2025-01-02" else 7
    return pl.DataFrame({"country": ["fr", "de"], "views": [views, 3]})


@asset(partitions=DAYS, checks=[
    expect(pl.col("views") >= 0, label="no_negative_views"),
    expect(pl.col("views") > 100, label="many_views", severity="warn"),
])
def page_views_cleaned_for_the_reporting_team_daily(page_views_by_country_and_device_daily: pl.DataFrame) -> pl.DataFrame:
    return page_views_by_country_and_device_daily


@asset(partitions=DAYS)
def page_views_report_for_the_board_meeting_daily(context: AssetContext, page_views_cleaned_for_the_reporting_team_daily: pl.DataFrame) -> pl.DataFrame:
    if context.partition_key == "2025-01-01":
        raise ValueError("the board template is missing")
    return page_views_cleaned_for_the_reporting_team_daily
