"""clean_orders names an input that no asset defines (a typo of raw_orders)."""

import polars as pl

from assets_core import asset


@asset
def raw_orders() -> pl.DataFrame:
    return pl.DataFrame({"order_id": [1, 2]})


@asset
def clean_orders(raw_ordrs: pl.DataFrame) -> pl.DataFrame:
    return raw_ordrs
