"""raw (one landing CSV per day) -> clean (checked) -> revenue (SQL, DuckDB) and summary (all days)."""

from pathlib import Path

import polars as pl

from assets_core import AssetContext, DailyPartitions, asset, expect, not_null, unique

DAYS = DailyPartitions(start="2025-01-01", end="2025-01-05")
LANDING = Path(__file__).parent / "landing"
SCHEMA = {"order_id": pl.Int64, "customer": pl.String, "amount": pl.Float64}


@asset(partitions=DAYS)
def raw(context: AssetContext) -> pl.DataFrame:
    """The landing file of the partition's day, as it is."""
    return pl.read_csv(LANDING / f"{context.partition_key}.csv", schema=SCHEMA)


@asset(
    partitions=DAYS,
    checks=[
        not_null("order_id"),
        unique("order_id"),
        expect(pl.col("amount") >= 0, label="non_negative_amount"),
        expect(pl.col("amount") < 1000, label="plausible_amount", severity="warn"),
    ],
)
def clean(raw: pl.DataFrame) -> pl.DataFrame:
    """Orders with an amount, sorted by id."""
    return raw.filter(pl.col("amount").is_not_null()).sort("order_id")


@asset(freshness={"max_lag": "1d"})
def summary(clean: pl.DataFrame) -> pl.DataFrame:
    """Per customer, over every day: orders and revenue."""
    return (
        clean.group_by("customer")
        .agg(orders=pl.len(), revenue=pl.col("amount").sum().round(2))
        .sort("customer")
    )
