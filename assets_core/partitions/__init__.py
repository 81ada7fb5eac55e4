"""Partitions definitions, keys, data intervals and partition mappings.

Pure values: nothing here reads a clock. "Due" keys are computed against a reference time
that the caller passes in, so a plan can be reproduced later.

    >>> daily = DailyPartitions(start="2025-01-01", end="2025-01-04")
    >>> daily.keys()
    ['2025-01-01', '2025-01-02', '2025-01-03']
    >>> daily.data_interval("2025-01-02").start.isoformat()
    '2025-01-02T00:00:00+00:00'

One module per concept: ``base`` (what every definition offers), ``time``, ``static``,
``dynamic`` and ``multi`` (the definitions), ``mapping`` (the mapping interface, identity,
all), ``time_mappings`` (time windows, lookback, offset), ``key_mappings`` (static table,
dimension), ``defaults`` (the mapping an input gets by default) and ``serialize``.
"""

from __future__ import annotations

from assets_core.partitions.base import (
    UNPARTITIONED,
    DataInterval,
    PartitionsDefinition,
    keys_of,
    partition_ref,
)
from assets_core.partitions.defaults import default_mapping
from assets_core.partitions.dynamic import DynamicPartitions, validate_key
from assets_core.partitions.key_mappings import DimensionMapping, StaticMapping
from assets_core.partitions.mapping import AllPartitionsMapping, IdentityMapping, PartitionMapping
from assets_core.partitions.multi import SEPARATOR, MultiPartitions, multi_dimensions
from assets_core.partitions.serialize import mapping_from_dict, partitions_from_dict
from assets_core.partitions.static import STATIC_KEY, StaticPartitions
from assets_core.partitions.time import (
    TIME_GRAINS,
    DailyPartitions,
    HourlyPartitions,
    MonthlyPartitions,
    TimeWindowPartitions,
    WeeklyPartitions,
)
from assets_core.partitions.time_mappings import (
    LookbackMapping,
    OffsetMapping,
    TimeWindowMapping,
    lookback,
    offset,
)

__all__ = [
    "SEPARATOR",
    "STATIC_KEY",
    "TIME_GRAINS",
    "UNPARTITIONED",
    "AllPartitionsMapping",
    "DailyPartitions",
    "DataInterval",
    "DimensionMapping",
    "DynamicPartitions",
    "HourlyPartitions",
    "IdentityMapping",
    "LookbackMapping",
    "MonthlyPartitions",
    "MultiPartitions",
    "OffsetMapping",
    "PartitionMapping",
    "PartitionsDefinition",
    "StaticMapping",
    "StaticPartitions",
    "TimeWindowMapping",
    "TimeWindowPartitions",
    "WeeklyPartitions",
    "default_mapping",
    "keys_of",
    "lookback",
    "mapping_from_dict",
    "multi_dimensions",
    "offset",
    "partition_ref",
    "partitions_from_dict",
    "validate_key",
]
