"""A graph for the selection grammar: orders -> clean -> revenue <- customers, revenue -> report,
and an hourly asset over 126 years (1,104,000 hours by 2026: cheap to declare, never built)."""

import polars as pl

from assets_core import AssetContext, HourlyPartitions, asset


@asset(group="raw", tags=["raw"])
def orders() -> pl.DataFrame:
    return pl.DataFrame({"amount": [1, 2, 3]})


@asset(group="raw", tags=["raw"])
def customers() -> pl.DataFrame:
    return pl.DataFrame({"customer": ["a", "b"]})


@asset(group="sales", tags=["finance"])
def clean(orders: pl.DataFrame) -> pl.DataFrame:
    return orders


@asset(group="sales", tags=["finance"])
def revenue(clean: pl.DataFrame, customers: pl.DataFrame) -> pl.DataFrame:
    return pl.DataFrame({"revenue": [clean["amount"].sum()], "customers": [customers.height]})


@asset(group="reporting")
def report(revenue: pl.DataFrame) -> pl.DataFrame:
    return revenue


@asset(partitions=HourlyPartitions(start="1900-01-01T00:00"), group="clicks")
def clicks(context: AssetContext) -> pl.DataFrame:
    return pl.DataFrame({"hour": [context.partition_key]})
