"""The same asset as lease_assets.py, published into the DuckDB warehouse (assets.toml lists
one of the two modules: a test of the warehouse switches to this one).

Each partition notes that it started (``started/<key>.<pid>``), then waits while a file
``hold-<VERSION>`` exists in the project folder (two minutes at most): a test holds the runs of
one code version where it wants, edits ``VERSION`` to change the code, and the new code does
not wait for the old one's file. A file ``delay`` holds seconds each partition sleeps."""

import os
import time
from pathlib import Path

import polars as pl

from assets_core import AssetContext, DailyPartitions, asset

VERSION = "v1"
ROOT = Path(__file__).parent
DAYS = DailyPartitions(start="2025-01-01", end="2025-01-07")


@asset(partitions=DAYS, io="duckdb")
def tagged(context: AssetContext) -> pl.DataFrame:
    """One row per day, naming the code version that computed it."""
    key = context.partition_key
    started = ROOT / "started"
    started.mkdir(exist_ok=True)
    (started / f"{key}.{os.getpid()}").touch()
    deadline = time.monotonic() + 120
    while (ROOT / f"hold-{VERSION}").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    delay = ROOT / "delay"
    if delay.exists():
        time.sleep(float(delay.read_text()))
    return pl.DataFrame({"day": [key], "version": [VERSION]})
