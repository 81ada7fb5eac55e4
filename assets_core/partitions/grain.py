"""What a key of a partitions definition means, as a short text: its *grain*.

Two definitions of one grain give every key they both hold the same meaning: the same data
interval (time windows start at local midnight, on Monday, on the first of the month, on the
hour, whatever ``start``, ``end`` or ``end_offset`` say), or the same named thing (static and
dynamic keys name themselves). Extending a daily range or adding a region keeps the grain;
daily -> weekly, or UTC -> Europe/Berlin, changes it, and a key both hold (``2025-01-06``, a
Monday) then covers another interval: built under the old grain, it is stale
(``partitions changed``, :mod:`assets_core.planning.rules`).

    >>> grain(DailyPartitions("2025-01-01")), grain(StaticPartitions(["eu"])), grain(None)   # doctest: +SKIP
    ('daily@UTC', 'keys', None)
"""

from __future__ import annotations

from assets_core.partitions.base import PartitionsDefinition


_MEMO: dict[int, tuple[PartitionsDefinition, str]] = {}
"""Grains by definition object (kept alive with its grain, so an id is never reused for
another): the planner asks once per partition it judges, and ``to_dict`` is not free."""
_MEMO_SIZE = 4096


def grain(definition: PartitionsDefinition | None) -> str | None:
    """The grain of ``definition``; None for an unpartitioned asset."""
    if definition is None:
        return None
    found = _MEMO.get(id(definition))
    if found is not None and found[0] is definition:
        return found[1]
    if len(_MEMO) >= _MEMO_SIZE:
        _MEMO.clear()
    value = _grain(definition)
    _MEMO[id(definition)] = (definition, value)
    return value


def _grain(definition: PartitionsDefinition) -> str:
    spec = definition.to_dict()
    kind = spec.get("kind")
    if kind in ("static", "dynamic"):
        return "keys"
    if kind == "multi":
        dimensions = getattr(definition, "dimensions", {})
        return "multi(" + ",".join(f"{name}={grain(d)}" for name, d in dimensions.items()) + ")"
    return f"{kind}@{spec.get('timezone', 'UTC')}"
