"""An asset named orders; sql/orders.sql defines another."""

import polars as pl

from assets_core import asset


@asset
def orders() -> pl.DataFrame:
    return pl.DataFrame({"order_id": [1, 2]})
