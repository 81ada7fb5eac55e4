"""The planner's bulk freshness check: which partitions of an asset need a closer look.

A million partitions pass through here on every plan, so the check compares whole columns,
one entry per due key, with built-in operations that loop in C, and only looks for the keys
that differ when a column does. What it compares is derived from the staleness rules
(:mod:`assets_core.planning.rules`): each guard's field, column by column, against what the
guard expects. The result may name a fresh partition (the exact rules then say so), never
leave out one that is not fresh.

The recorded inputs are compared with what each partition would record if built now, which
this module describes (:class:`~assets_core.catalog.inputs.ExpectedInputs`: per upstream,
which keys each partition reads, at their current versions) and the catalog compares with
the text it holds (:func:`~assets_core.catalog.inputs.keys_with_other_inputs`).
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import compress, repeat
from operator import attrgetter, is_, ne
from typing import Any

from assets_core.catalog.inputs import ExpectedInputs, OwnKeys, Reads, Spans, UpstreamPairs, keys_with_other_inputs
from assets_core.catalog.snapshot import AssetStates, CatalogSnapshot, Column, PartitionState, StateColumns
from assets_core.graph import AssetGraph, Edge
from assets_core.partitions import IdentityMapping
from assets_core.partitions.grain import grain
from assets_core.catalog.inputs import OBSERVED
from assets_core.planning.reads import UpstreamKeys
from assets_core.planning.rules import CurrentInputs, Equals, Expectation, Holds, Present, guards

_NO_STATE = PartitionState()  # stands for a partition never recorded
_DATA_VERSION = attrgetter("data_version")


class CurrentVersions:
    """The current data versions of each asset's partitions, gathered once per plan: as a
    dict, as a column in the order of its due keys, and as the catalog's pairs of them."""

    def __init__(self, snapshot: CatalogSnapshot) -> None:
        self.snapshot = snapshot
        self._dicts: dict[str, dict[str, str]] = {}
        self._kept: dict[str, tuple[list[str], int, Column]] = {}
        self._columns: dict[str, tuple[list[str | None], bool]] = {}
        self._pairs: dict[str, UpstreamPairs] = {}

    def __getitem__(self, asset: str) -> dict[str, str]:
        """Unpublished partitions have no version: left out."""
        found = self._dicts.get(asset)
        if found is None:
            kept = self._kept.get(asset)
            if kept is not None:
                pairs = zip(kept[0], self._kept_column(asset, kept[0])[0])  # type: ignore[index]
            else:
                states = self.snapshot.partitions.get(asset, {})
                columns = states.columns if isinstance(states, AssetStates) else None
                if columns is not None:
                    pairs = zip(columns.keys, columns.data_version.values)
                else:
                    pairs = zip(states.keys(), map(_DATA_VERSION, states.values()))
            found = self._dicts[asset] = {k: v for k, v in pairs if v is not None}
        return found

    def keep_column(self, asset: str, keys: list[str], start: int, column: Column) -> None:
        """The versions of ``keys[start:start + column.length]`` (of the due ``keys`` of
        ``asset``), as the bulk check found them; the other keys have none. Split into a
        list only when something reads ``asset``."""
        self._kept[asset] = (keys, start, column)

    def _kept_column(self, asset: str, keys: list[str]) -> tuple[list[str | None], bool] | None:
        """(the versions of ``keys``, whether every one is published) as kept, if kept for these keys."""
        kept = self._kept.get(asset)
        if kept is None or not (kept[0] is keys or kept[0] == keys):
            return None
        found = self._columns.get(asset)
        if found is None:
            start, column = kept[1], kept[2]
            values = column.values
            complete = column.is_complete()
            if column.length < len(keys):  # the keys with no state have no version either
                complete = False
                values = [*repeat(None, start), *values, *repeat(None, len(keys) - start - column.length)]
            found = self._columns[asset] = (values, complete)
        return found

    def column(self, asset: str, keys: list[str]) -> list[str | None]:
        """The versions of ``keys`` of ``asset`` in order, None where none is published."""
        kept = self._kept_column(asset, keys)
        if kept is not None:
            return kept[0]
        return list(map(self[asset].get, keys))

    def complete_column(self, asset: str, keys: list[str]) -> list[str] | None:
        """The versions of ``keys`` when every one is published, else None."""
        kept = self._kept_column(asset, keys)
        if kept is not None:
            return kept[0] if kept[1] else None  # type: ignore[return-value]
        column = self.column(asset, keys)
        return None if None in column else column  # type: ignore[return-value]

    def pairs(self, asset: str, due: list[str]) -> UpstreamPairs:
        found = self._pairs.get(asset)
        if found is None:
            found = self._pairs[asset] = UpstreamPairs(due, self.column(asset, due))
        return found


def maybe_not_fresh(
    graph: AssetGraph, snapshot: CatalogSnapshot, asset: str, keys: list[str], upstream_keys: UpstreamKeys,
    versions: CurrentVersions,
) -> set[str]:
    """The keys (all due keys of ``asset``) whose record does not show at a glance that they
    are fresh: those where some guard of the staleness rules (:data:`rules.RULES`) does not
    hold, found by comparing each guarded field's column with what its guard expects. A key
    with no record at all is always looked at."""
    states = snapshot.partitions.get(asset, {})
    start, recorded = _recorded(states, keys)
    stop = start + len(recorded.keys)
    maybe = {*keys[:start], *keys[stop:]}  # no state at all
    spec = graph[asset]
    for guard in guards():
        expectation = guard.expect(spec)
        if isinstance(expectation, CurrentInputs):
            if guard.field != "inputs":
                raise TypeError(f"a guard expects current inputs of '{guard.field}', which holds no inputs")
            maybe.update(_inputs_not_current(graph, snapshot, asset, states, keys, start, recorded, upstream_keys, versions))
        elif guard.field == "interrupted" and expectation == Equals(False):
            maybe.update(k for a, k in snapshot.interrupted if a == asset)
        elif guard.field == "published_grain":
            maybe.update(_other_grain(snapshot, asset, grain(spec.partitions), recorded.keys))
        else:
            maybe.update(_violations(recorded.keys, _field_column(snapshot, asset, states, recorded, guard.field), expectation))
    versions.keep_column(asset, keys, start, recorded.data_version)
    return maybe


_AS_COLUMNS = ("last_status", "code_version", "data_version")
"""Fields whose column (of the bulk read) holds the field's own values, one text per asset."""


def _field_column(
    snapshot: CatalogSnapshot, asset: str, states: Mapping[str, PartitionState], recorded: StateColumns, field: str,
) -> Column | list[Any]:
    """The values of ``field`` for each of ``recorded.keys``: a column as read when the
    catalog reads it as one, else the field of each state (every state built: slower, exact)."""
    if field in _AS_COLUMNS:
        return getattr(recorded, field)  # type: ignore[no-any-return]
    if field == "interrupted":
        return [(asset, k) in snapshot.interrupted for k in recorded.keys]
    if field == "observed":
        observed = snapshot.observed.get(asset, {})
        return [observed.get(k) for k in recorded.keys]
    return [getattr(states.get(k, _NO_STATE), field) for k in recorded.keys]


def _violations(keys: list[str], values: Column | list[Any], expectation: Expectation) -> set[str]:
    """The keys whose value does not meet ``expectation`` (usually none)."""
    if isinstance(values, Column):
        if isinstance(expectation, Equals) and isinstance(expectation.value, str):
            return _not_all(keys, values, expectation.value)
        if isinstance(expectation, Present) and values.is_complete():
            return set()
        values = values.values
    if isinstance(expectation, Equals):
        wanted = expectation.value
        return set(compress(keys, (v != wanted for v in values)))
    if isinstance(expectation, Present):
        return set(compress(keys, map(is_, values, repeat(None))))
    if isinstance(expectation, Holds):
        return set(compress(keys, (not expectation.test(v) for v in values)))
    raise TypeError(f"no bulk comparison for {expectation!r}")


def _other_grain(snapshot: CatalogSnapshot, asset: str, current: str | None, keys: list[str]) -> set[str]:
    """The keys that may have been published under another grain than ``current``: none at a
    glance when the asset's recorded grain is the current one (or not known) and no partition
    of it was published under another; all but those published under ``current`` otherwise."""
    recorded, own = snapshot.grains.get(asset), snapshot.published_grains.get(asset, {})
    if recorded is None or recorded == current:
        return {k for k, g in own.items() if g != current}
    return set(keys) - {k for k, g in own.items() if g == current}


def _recorded(states: Mapping[str, PartitionState], keys: list[str]) -> tuple[int, StateColumns]:
    """What the catalog holds of the due ``keys`` as columns: ``(start, columns)``, where the
    columns are those of ``keys[start:start + len(columns.keys)]`` and the other keys have
    no state. A catalog's columns are used as read when they hold a run of the due keys (all
    of them, or all but the days that came due since)."""
    columns = states.columns if isinstance(states, AssetStates) else None
    if columns is not None:
        start = _window(keys, columns.keys)
        return (start, columns) if start is not None else (0, columns.take(keys))
    return 0, StateColumns.of_states(keys, list(map(states.get, keys, repeat(_NO_STATE))))


def _window(keys: list[str], run: list[str]) -> int | None:
    """Where ``run`` sits in ``keys`` when it is a run of consecutive keys of it, else None."""
    if run == keys:
        return 0
    if not run or len(run) > len(keys):
        return None
    try:
        start = keys.index(run[0])
    except ValueError:
        return None
    return start if keys[start:start + len(run)] == run else None


def _not_all(keys: list[str], column: Column, value: str | None) -> set[str]:
    """The keys whose entry in ``column`` is not ``value`` (usually none: one comparison)."""
    if value is not None and column.is_all(value):
        return set()
    return set(compress(keys, map(ne, column.values, repeat(value))))


def _inputs_not_current(
    graph: AssetGraph, snapshot: CatalogSnapshot, asset: str, states: Mapping[str, PartitionState], keys: list[str],
    start: int, recorded: StateColumns, upstream_keys: UpstreamKeys, versions: CurrentVersions,
) -> set[str]:
    """The keys whose recorded inputs are not what they would record if built now: a source
    observed at another version than it was built from, or upstream versions other than the
    current ones (among ``recorded.keys``, ``keys[start:]`` onwards)."""
    observed = snapshot.observed.get(asset, {})
    found: set[str] = set()
    for key, version in observed.items():
        state = states.get(key)
        if state is None or (state.inputs or {}).get(OBSERVED, {}).get(key) != version:
            found.add(key)
    edges = graph.edges_in[asset]
    if edges and recorded.keys:
        reads = {edge.upstream: _read_of(edge, keys, upstream_keys, versions) for edge in edges}
        found.update(keys_with_other_inputs(recorded, start, ExpectedInputs(keys, observed, reads)))
    return found


def _read_of(edge: Edge, keys: list[str], upstream_keys: UpstreamKeys, versions: CurrentVersions) -> OwnKeys | Reads:
    """Which keys of ``edge.upstream`` each of ``keys`` reads, at their current versions."""
    if isinstance(edge.mapping, IdentityMapping):  # its own key's, from the keys and versions themselves
        column = versions.complete_column(edge.upstream, keys)
        if column is not None:
            return OwnKeys(column)
    due = upstream_keys.due(upstream_keys.graph[edge.upstream].partitions)
    pairs = versions.pairs(edge.upstream, due)
    if isinstance(edge.mapping, IdentityMapping):
        return Reads(pairs, own=True)
    if edge.mapping.is_fan_in():
        return Reads(pairs, every=sorted(upstream_keys(edge, "")))
    runs = upstream_keys.spans(edge, keys)
    if runs is not None:  # a run of consecutive keys each
        return Reads(pairs, spans=Spans(runs.firsts, runs.lasts, runs.sliding))
    return Reads(pairs, each=upstream_keys.of_all(edge, keys))
