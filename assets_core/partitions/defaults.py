"""The mapping an input gets when its asset does not name one in ``ins=``."""

from __future__ import annotations

from assets_core.partitions.base import PartitionsDefinition
from assets_core.partitions.key_mappings import DimensionMapping
from assets_core.partitions.mapping import AllPartitionsMapping, IdentityMapping, PartitionMapping
from assets_core.partitions.multi import MultiPartitions
from assets_core.partitions.time import TimeWindowPartitions
from assets_core.partitions.time_mappings import TimeWindowMapping


def default_mapping(
    upstream: PartitionsDefinition | None, downstream: PartitionsDefinition | None
) -> PartitionMapping:
    """What a partition reads when nobody said: the partitions that cover the same slice.

    Identity between equal definitions; overlapping time windows between two different time
    definitions; one dimension when one side is multi partitions and the other is
    partitioned like one of its dimensions (or by time, against its time dimension);
    otherwise every due upstream partition.

    >>> default_mapping(DailyPartitions("2025-01-01"), MonthlyPartitions("2025-01-01"))   # doctest: +SKIP
    TimeWindowMapping(time_window)
    """
    if upstream is not None and upstream == downstream:
        return IdentityMapping()
    if isinstance(upstream, TimeWindowPartitions) and isinstance(downstream, TimeWindowPartitions):
        return TimeWindowMapping()
    for multi, single in ((upstream, downstream), (downstream, upstream)):
        if isinstance(multi, MultiPartitions) and single is not None and not isinstance(single, MultiPartitions):
            mapping = _dimension_mapping(multi, single)
            if mapping is not None:
                return mapping
    return AllPartitionsMapping()


def _dimension_mapping(multi: MultiPartitions, single: PartitionsDefinition) -> DimensionMapping | None:
    for name, dimension in multi.dimensions.items():
        if dimension == single:
            return DimensionMapping(name)
    if isinstance(single, TimeWindowPartitions) and multi.time_dimension is not None:
        return DimensionMapping(multi.time_dimension, TimeWindowMapping())
    return None
