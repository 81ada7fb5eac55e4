"""assets-core: partitioned software-defined assets, materialized through stage -> validate -> publish.

    from assets_core import asset, DailyPartitions, not_null

    @asset(partitions=DailyPartitions("2025-01-01"), checks=[not_null("order_id")])
    def clean_orders(raw_orders):
        return raw_orders.unique("order_id")
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from assets_core.checks import (
        Check,
        CheckContext,
        CheckOutcome,
        CheckResult,
        CustomCheck,
        accepted_values,
        check,
        expect,
        expect_sql,
        freshness_in_data,
        in_range,
        matches,
        not_null,
        relationships,
        row_count,
        row_count_change,
        schema,
        sql_check,
        unique,
    )
    from assets_core.definitions.specs import AssetContext, AssetSpec, asset, source, sql_asset
    from assets_core.errors import AssetsCoreError, DefinitionError, PartitionError
    from assets_core.definitions.freshness import Freshness, FreshnessPolicy
    from assets_core.definitions.retries import RetryPolicy
    from assets_core.partitions import (
        AllPartitionsMapping,
        DimensionMapping,
        DynamicPartitions,
        MultiPartitions,
        StaticMapping,
        TimeWindowMapping,
        lookback,
        offset,
        DailyPartitions,
        DataInterval,
        HourlyPartitions,
        IdentityMapping,
        MonthlyPartitions,
        PartitionMapping,
        StaticPartitions,
        WeeklyPartitions,
    )

# The public API is imported on first use (PEP 562), so that `assets` commands which only read
# the catalog do not pay for modules they never touch.
_EXPORTS = {
    "AllPartitionsMapping": "assets_core.partitions",
    "AssetContext": "assets_core.definitions.specs",
    "AssetSpec": "assets_core.definitions.specs",
    "AssetsCoreError": "assets_core.errors",
    "Check": "assets_core.checks",
    "CheckContext": "assets_core.checks",
    "CheckOutcome": "assets_core.checks",
    "CheckResult": "assets_core.checks",
    "CustomCheck": "assets_core.checks",
    "DailyPartitions": "assets_core.partitions",
    "DataInterval": "assets_core.partitions",
    "DefinitionError": "assets_core.errors",
    "DimensionMapping": "assets_core.partitions",
    "DynamicPartitions": "assets_core.partitions",
    "Freshness": "assets_core.definitions.freshness",
    "FreshnessPolicy": "assets_core.definitions.freshness",
    "HourlyPartitions": "assets_core.partitions",
    "IdentityMapping": "assets_core.partitions",
    "MonthlyPartitions": "assets_core.partitions",
    "MultiPartitions": "assets_core.partitions",
    "PartitionError": "assets_core.errors",
    "PartitionMapping": "assets_core.partitions",
    "RetryPolicy": "assets_core.definitions.retries",
    "StaticMapping": "assets_core.partitions",
    "StaticPartitions": "assets_core.partitions",
    "TimeWindowMapping": "assets_core.partitions",
    "WeeklyPartitions": "assets_core.partitions",
    "accepted_values": "assets_core.checks",
    "asset": "assets_core.definitions.specs",
    "check": "assets_core.checks",
    "expect": "assets_core.checks",
    "expect_sql": "assets_core.checks",
    "freshness_in_data": "assets_core.checks",
    "in_range": "assets_core.checks",
    "lookback": "assets_core.partitions",
    "matches": "assets_core.checks",
    "not_null": "assets_core.checks",
    "offset": "assets_core.partitions",
    "relationships": "assets_core.checks",
    "row_count": "assets_core.checks",
    "row_count_change": "assets_core.checks",
    "schema": "assets_core.checks",
    "source": "assets_core.definitions.specs",
    "sql_asset": "assets_core.definitions.specs",
    "sql_check": "assets_core.checks",
    "unique": "assets_core.checks",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'assets_core' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AllPartitionsMapping",
    "AssetContext",
    "AssetSpec",
    "AssetsCoreError",
    "Check",
    "CheckContext",
    "CheckOutcome",
    "CheckResult",
    "CustomCheck",
    "DailyPartitions",
    "DataInterval",
    "DefinitionError",
    "DimensionMapping",
    "DynamicPartitions",
    "Freshness",
    "FreshnessPolicy",
    "HourlyPartitions",
    "IdentityMapping",
    "MonthlyPartitions",
    "MultiPartitions",
    "PartitionError",
    "PartitionMapping",
    "RetryPolicy",
    "StaticMapping",
    "StaticPartitions",
    "TimeWindowMapping",
    "WeeklyPartitions",
    "accepted_values",
    "asset",
    "check",
    "expect",
    "expect_sql",
    "freshness_in_data",
    "in_range",
    "lookback",
    "matches",
    "not_null",
    "offset",
    "relationships",
    "row_count",
    "row_count_change",
    "schema",
    "source",
    "sql_asset",
    "sql_check",
    "unique",
]
