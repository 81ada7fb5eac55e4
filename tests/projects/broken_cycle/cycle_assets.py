"""orders reads revenue, revenue reads orders: a cycle."""

import polars as pl

from assets_core import asset


@asset
def orders(revenue: pl.DataFrame) -> pl.DataFrame:
    return revenue


@asset
def revenue(orders: pl.DataFrame) -> pl.DataFrame:
    return orders
