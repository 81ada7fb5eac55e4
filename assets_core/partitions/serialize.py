"""Definitions and mappings to JSON-able dicts and back, for the manifest and SQL headers.

Each definition and mapping writes itself (``to_dict``); reading back lives here, in one
place that knows every kind.
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Callable
from typing import Any

from assets_core.errors import PartitionError
from assets_core.partitions.base import PartitionsDefinition
from assets_core.partitions.dynamic import DynamicPartitions
from assets_core.partitions.key_mappings import DimensionMapping, StaticMapping
from assets_core.partitions.mapping import AllPartitionsMapping, IdentityMapping, PartitionMapping
from assets_core.partitions.multi import MultiPartitions
from assets_core.partitions.static import StaticPartitions
from assets_core.partitions.time import TIME_GRAINS
from assets_core.partitions.time_mappings import LookbackMapping, OffsetMapping, TimeWindowMapping

PARTITION_KINDS = (*TIME_GRAINS, "static", "dynamic", "multi")


def partitions_from_dict(spec: dict[str, Any] | None) -> PartitionsDefinition | None:
    """Inverse of ``to_dict``; also reads the ``partitions = {...}`` table of a SQL file."""
    if spec is None:
        return None
    options = dict(spec)
    kind = options.pop("kind", None)
    try:
        if kind == "static":
            _known_options(f"{kind} partitions", options, lambda keys: None)
            return StaticPartitions(list(options.get("keys", [])))
        if kind == "dynamic":
            _known_options(f"{kind} partitions", options, lambda name: None)  # its keys are the catalog's
            return DynamicPartitions(**options)
        if kind == "multi":
            return _multi_from_dict(options)
        if kind in TIME_GRAINS:
            _known_options(f"{kind} partitions", options, TIME_GRAINS[kind])
            return TIME_GRAINS[kind](**options)
    except TypeError as exc:
        raise PartitionError(f"Bad options for {kind} partitions: {exc}.") from None
    raise PartitionError(f"Unknown partitions kind {kind!r}: use one of {', '.join(PARTITION_KINDS)}.")


def _known_options(what: str, options: dict[str, Any], reader: Callable[..., Any]) -> None:
    """Refuse an option ``reader`` does not take, naming the closest one it does."""
    accepted = [name for name, p in inspect.signature(reader).parameters.items()
                if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and name != "self"]
    for name in options:
        if name not in accepted:
            close = difflib.get_close_matches(name, accepted, n=1)
            hint = f" Did you mean '{close[0]}'?" if close else f" It takes {', '.join(accepted)}."
            raise PartitionError(f"Unknown option '{name}' for {what}.{hint}")


def _multi_from_dict(options: dict[str, Any]) -> MultiPartitions:
    dimensions = options.get("dimensions")
    if not isinstance(dimensions, dict) or set(options) != {"dimensions"}:
        raise PartitionError(
            "Bad options for multi partitions: give only dimensions = {name = {kind = ...}, ...}."
        )
    # A missing dimension stays None, which the constructor refuses with the dimension's name.
    parts: dict[str, Any] = {name: partitions_from_dict(part) for name, part in dimensions.items()}
    return MultiPartitions(**parts)


_MAPPING_READERS: dict[str, Callable[..., PartitionMapping]] = {
    IdentityMapping.name: IdentityMapping,
    AllPartitionsMapping.name: AllPartitionsMapping,
    TimeWindowMapping.name: TimeWindowMapping,
    LookbackMapping.name: LookbackMapping,
    OffsetMapping.name: OffsetMapping,
    StaticMapping.name: StaticMapping,
    DimensionMapping.name: lambda dimension, inner=None: DimensionMapping(
        dimension, None if inner is None else mapping_from_dict(inner)
    ),
}


def mapping_from_dict(spec: dict[str, Any]) -> PartitionMapping:
    """Inverse of ``PartitionMapping.to_dict``.

    >>> mapping_from_dict({"kind": "offset", "shift": -1})
    OffsetMapping(offset(-1))
    """
    options = dict(spec)
    kind = options.pop("kind", None)
    reader = _MAPPING_READERS.get(kind) if isinstance(kind, str) else None
    if reader is None:
        raise PartitionError(
            f"Unknown partition mapping kind {kind!r}: use one of {', '.join(_MAPPING_READERS)}."
        )
    _known_options(f"partition mapping kind '{kind}'", options, reader)
    try:
        return reader(**options)
    except TypeError as exc:
        raise PartitionError(f"Bad options for partition mapping kind '{kind}': {exc}.") from None
