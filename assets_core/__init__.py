"""assets-core: partitioned software-defined assets, materialized through stage -> validate -> publish.

    from assets_core import asset, DailyPartitions, not_null

    @asset(partitions=DailyPartitions("2025-01-01"), checks=[not_null("order_id")])
    def clean_orders(raw_orders):
        return raw_orders.unique("order_id")
"""

from assets_core.checks import (
    Check,
    CheckResult,
    accepted_values,
    expect,
    expect_sql,
    not_null,
    row_count,
    unique,
)
from assets_core.definitions import AssetContext, AssetSpec, asset, sql_asset
from assets_core.errors import AssetsCoreError, DefinitionError, PartitionError
from assets_core.freshness import FreshnessPolicy
from assets_core.partitions import (
    AllPartitionsMapping,
    DailyPartitions,
    DataInterval,
    HourlyPartitions,
    IdentityMapping,
    MonthlyPartitions,
    PartitionMapping,
    StaticPartitions,
    WeeklyPartitions,
)

__all__ = [
    "AllPartitionsMapping",
    "AssetContext",
    "AssetSpec",
    "AssetsCoreError",
    "Check",
    "CheckResult",
    "DailyPartitions",
    "DataInterval",
    "DefinitionError",
    "FreshnessPolicy",
    "HourlyPartitions",
    "IdentityMapping",
    "MonthlyPartitions",
    "PartitionError",
    "PartitionMapping",
    "StaticPartitions",
    "WeeklyPartitions",
    "accepted_values",
    "asset",
    "expect",
    "expect_sql",
    "not_null",
    "row_count",
    "sql_asset",
    "unique",
]
