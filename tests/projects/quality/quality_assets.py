"""Assets whose misbehaviour the tests switch on with files in switches/ (one per behaviour).

flaky: fails with ConnectionError until its partition has been tried `switches/flaky` times.
broken: raises ValueError while `switches/broken` exists (a deterministic failure).
hung: sleeps far past its timeout on the day named in `switches/hang`.
pooled: notes when it starts and ends, to measure how many run at once.
amounts: its rows come from `switches/amounts-<day>.json` when that exists; checked in range.
"""

import json
import time
from pathlib import Path

import polars as pl

from assets_core import AssetContext, DailyPartitions, RetryPolicy, asset, check, in_range

DAYS = DailyPartitions(start="2025-01-01", end="2025-01-07")
HERE = Path(__file__).parent
SWITCHES = HERE / "switches"
COUNTS = HERE / "attempts"


def _count(name: str) -> int:
    """How many times this was called before (a file per asset and partition)."""
    COUNTS.mkdir(exist_ok=True)
    path = COUNTS / name
    before = int(path.read_text()) if path.exists() else 0
    path.write_text(str(before + 1))
    return before


@asset(partitions=DAYS, retry=RetryPolicy(max_attempts=3, delay=0.01, jitter=0))
def flaky(context: AssetContext) -> pl.DataFrame:
    failures = int((SWITCHES / "flaky").read_text()) if (SWITCHES / "flaky").exists() else 0
    if _count(f"flaky-{context.partition_key}") < failures:
        raise ConnectionError("the broker went away")
    return pl.DataFrame({"day": [context.partition_key]})


@asset(partitions=DAYS, retry=RetryPolicy(max_attempts=3, delay=0.01, jitter=0))
def broken(context: AssetContext) -> pl.DataFrame:
    _count(f"broken-{context.partition_key}")
    if (SWITCHES / "broken").exists():
        raise ValueError("the mapping table has no entry for 'XX'")
    return pl.DataFrame({"day": [context.partition_key]})


@asset(partitions=DAYS, timeout=1.5)
def hung(context: AssetContext) -> pl.DataFrame:
    hang = SWITCHES / "hang"
    if hang.exists() and hang.read_text().strip() == context.partition_key:
        time.sleep(60)
    return pl.DataFrame({"day": [context.partition_key]})


@asset(partitions=DAYS, pool="warehouse")
def pooled(context: AssetContext) -> pl.DataFrame:
    log = HERE / "pool.log"
    with log.open("a") as out:
        out.write(f"start {time.monotonic()}\n")
    time.sleep(0.3)
    with log.open("a") as out:
        out.write(f"end {time.monotonic()}\n")
    return pl.DataFrame({"day": [context.partition_key]})


@asset(partitions=DAYS, checks=[in_range("amount", min=0)], retry=RetryPolicy(max_attempts=3, delay=0.01, jitter=0))
def amounts(context: AssetContext) -> pl.DataFrame:
    _count(f"amounts-{context.partition_key}")
    source = SWITCHES / f"amounts-{context.partition_key}.json"
    values = json.loads(source.read_text()) if source.exists() else [1.0, 2.0]
    return pl.DataFrame({"order_id": list(range(len(values))), "amount": values})


@check(asset="amounts")
def few_orders(data: pl.DataFrame) -> bool:
    """At most 100 orders a day in this test project."""
    return data.height <= 100
