"""Assets whose user text is HTML: each payload would set window.__pwned if the report ran it.

notes (daily, 3 days; description with <script>) -> cleaned (a warn check whose message and
failing rows hold HTML; a blocking check that quarantines 2025-01-02); regions (static).
"""

import polars as pl

from assets_core import (
    CheckOutcome,
    DailyPartitions,
    StaticPartitions,
    asset,
    check,
    expect,
)

DAYS = DailyPartitions(start="2025-01-01", end="2025-01-04")
DESCRIPTION = "<script>window.__pwned = 'description'</script><img src=x onerror=\"window.__pwned = 'img'\">"
SAMPLE = "<img src=x onerror=\"window.__pwned = 'sample'\">"
MESSAGE = "<b>1 row</b> holds markup <script>window.__pwned = 'message'</script>"


@asset(partitions=DAYS, description=DESCRIPTION, owner="<i>owner</i>")
def notes() -> pl.DataFrame:
    return pl.DataFrame({"id": [1, 2], "note": ["plain", SAMPLE]})


@asset(partitions=DAYS, checks=[expect(~pl.col("note").str.contains("<"), label="no_markup", severity="warn")])
def cleaned(notes: pl.DataFrame) -> pl.DataFrame:
    """Notes as they are."""
    return notes


@check(asset="cleaned", blocking=False)
def markup_free(data: pl.DataFrame) -> CheckOutcome:
    return CheckOutcome(False, observed=1, message=MESSAGE)


@check(asset="cleaned")
def not_the_second(data: pl.DataFrame, context) -> CheckOutcome:
    held = context.partition_key == "2025-01-02"
    return CheckOutcome(not held, message="<em>2025-01-02</em> is held back" if held else "")


@asset(partitions=StaticPartitions(["eu", "us", "apac"]))
def regions() -> pl.DataFrame:
    return pl.DataFrame({"region": ["x"]})
