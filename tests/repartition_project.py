"""The repartition project (tests/projects/repartition) and readers of its data that know only
the documented layout (README "Storage layout"): shared by its end-to-end and fault tests."""

from __future__ import annotations

from typing import Any

import duckdb
from cli_project import Project

MODULE = "repartition_assets.py"
DAILY = 'GRAIN = DailyPartitions(start="2025-01-01", end="2025-03-01")'
MONTHLY = 'GRAIN = MonthlyPartitions(start="2025-01-01", end="2025-03-01")'
DAYS_IN_JAN_FEB = 59.0


def total(project: Project, asset: str) -> Any:
    """``sum(revenue)`` over every published partition, as an outside reader computes it: the
    README's glob over a Parquet asset's folders, or the DuckDB asset's table."""
    if asset.endswith("_db"):
        with duckdb.connect(str(project.warehouse), read_only=True) as db:
            return db.execute(f'SELECT sum(revenue) FROM "{asset}"').fetchone()[0]  # type: ignore[index]
    with duckdb.connect() as db:
        pattern = str(project.data / asset / "*" / "*.parquet")
        return db.execute("SELECT sum(revenue) FROM read_parquet(?, hive_partitioning = true)", [pattern]).fetchone()[0]  # type: ignore[index]


def keys_on_disk(project: Project, asset: str) -> set[str]:
    if asset.endswith("_db"):
        with duckdb.connect(str(project.warehouse), read_only=True) as db:
            return {row[0] for row in db.execute(f'SELECT DISTINCT partition_key FROM "{asset}"').fetchall()}
    return {p.name.split("=", 1)[1] for p in (project.data / asset).glob("partition_key=*")}


def published(project: Project, asset: str) -> set[str]:
    return {k for (a, k), v in project.published_versions().items() if a == asset and v is not None}
