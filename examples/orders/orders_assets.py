"""The orders example: synthetic raw orders, cleaned, then aggregated.

Daily partitions cover exactly 2025, so a full backfill is a bounded amount of work
(365 days x 3 partitioned assets) whatever today's date is.
"""

from datetime import date

import polars as pl

from assets_core import (
    AssetContext,
    DailyPartitions,
    accepted_values,
    asset,
    expect,
    not_null,
    row_count,
    unique,
)

DAYS_2025 = DailyPartitions(start="2025-01-01", end="2026-01-01")
ORDERS_PER_DAY = 20_000


@asset(partitions=DAYS_2025, group="orders", tags=["raw"], owner="data-eng", freshness={"max_lag": "2d"})
def raw_orders(context: AssetContext) -> pl.DataFrame:
    """Synthetic orders of one day, generated from the partition key alone (deterministic).

    About 1% of order ids are duplicated, about 5% of amounts are not positive, and about
    5% of orders are cancelled: clean_orders has real work to do.
    """
    day = date.fromisoformat(context.partition_key)
    day_index = (day - date(2025, 1, 1)).days
    noise = pl.col("i").hash(seed=day_index)
    start = context.data_interval.start
    return (
        pl.DataFrame({"i": pl.int_range(ORDERS_PER_DAY, eager=True)})
        .with_columns(
            order_id=pl.when(noise % 100 == 0).then(pl.col("i") - 1).otherwise(pl.col("i")) + day_index * 1_000_000,
            customer_id=(noise // 7 % 5_000).cast(pl.Int64),
            amount=((noise // 13 % 20_000).cast(pl.Float64) / 100 - 5).round(2),
            status=pl.when(noise % 20 == 0).then(pl.lit("cancelled"))
            .when(noise % 20 == 1).then(pl.lit("pending"))
            .otherwise(pl.lit("paid")),
            ordered_at=pl.lit(start) + pl.duration(seconds=(noise // 3 % 86_400).cast(pl.Int64)),
        )
        .drop("i")
    )


@asset(
    partitions=DAYS_2025,
    group="orders",
    owner="data-eng",
    checks=[
        not_null("order_id"),
        unique("order_id"),
        accepted_values("status", ["paid"]),
        expect(pl.col("amount") > 0, label="positive_amount"),
        row_count(min=ORDERS_PER_DAY // 2),
    ],
    freshness={"max_lag": "2d"},
)
def clean_orders(raw_orders: pl.DataFrame) -> pl.DataFrame:
    """Paid orders with a positive amount, one row per order id."""
    return (
        raw_orders.unique("order_id", keep="first", maintain_order=True)
        .filter((pl.col("status") == "paid") & (pl.col("amount") > 0))
    )


@asset(group="customers", owner="analytics", checks=[unique("customer_id")], freshness={"max_lag": "1d"})
def customer_lifetime_value(clean_orders: pl.LazyFrame) -> pl.LazyFrame:
    """Per customer, over every day of clean_orders: orders, revenue, first and last order."""
    return (
        clean_orders.group_by("customer_id")
        .agg(
            orders=pl.len(),
            revenue=pl.col("amount").sum().round(2),
            first_order=pl.col("ordered_at").min(),
            last_order=pl.col("ordered_at").max(),
        )
        .sort("customer_id")
    )
