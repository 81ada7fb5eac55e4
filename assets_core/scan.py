"""The planner's bulk freshness check: which partitions of an asset need a closer look.

A million partitions pass through here on every plan, so each rule compares whole columns,
one entry per due key, with built-in operations that loop in C (``map``, list equality,
``count``, string slicing), and only looks for the keys that differ when a column does. The
result may name a fresh partition (the planner then asks ``planning.direct_reason``, which is
exact), never leave out one that is not fresh.

Inputs are compared as the catalog stores them: JSON text with sorted keys. For each key the
expected text (the current versions of exactly the upstream keys it reads now) is cut out of
one string per upstream asset holding all its ``"key": "version"`` pairs in order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property
from itertools import accumulate, chain, compress, repeat
from operator import add, attrgetter, is_, ne, sub

from catalog.models import CatalogSnapshot, PartitionState
from assets_core.graph import AssetGraph, Edge
from assets_core.partitions import IdentityMapping
from assets_core.reads import OBSERVED, UpstreamKeys

_NO_STATE = PartitionState()  # stands for a partition never recorded
_ABSENT = object()  # the current version of an upstream partition that is not published
_NO_TEXT = "\x00"  # the text of a pair that is not published: JSON never holds it unescaped
_END = "\x01"  # follows each key's inputs text when comparing all of an asset's at once
_STATUS = attrgetter("last_status")
_CODE_VERSION = attrgetter("code_version")
_DATA_VERSION = attrgetter("data_version")
_INPUTS_TEXT = attrgetter("inputs_text")


class CurrentVersions:
    """The current data versions of each asset's partitions, gathered once per plan: as a
    dict, as a column in the order of its due keys, and as the JSON text of its pairs."""

    def __init__(self, snapshot: CatalogSnapshot) -> None:
        self.snapshot = snapshot
        self._dicts: dict[str, dict[str, str | object]] = {}
        self._columns: dict[str, tuple[list[str], list[str | object], bool]] = {}
        self._pairs: dict[str, _Pairs] = {}
        self.reads: dict[tuple[object, ...], list[str]] = {}
        """The pairs each key reads, per (upstream, mapping, downstream definition)."""

    def __getitem__(self, asset: str) -> dict[str, str | object]:
        """Unpublished partitions have no version: left out, or ``_ABSENT``."""
        found = self._dicts.get(asset)
        if found is None:
            kept = self._columns.get(asset)
            if kept is not None:
                found = dict(zip(kept[0], kept[1]))
            else:
                states = self.snapshot.partitions.get(asset, {})
                pairs = zip(states.keys(), map(_DATA_VERSION, states.values()))
                found = {k: v for k, v in pairs if v is not None}
            self._dicts[asset] = found
        return found

    def keep_column(self, asset: str, keys: list[str], versions: list[str | object], complete: bool) -> None:
        """The versions of ``keys`` in order, ``_ABSENT`` where none is published (then not ``complete``)."""
        self._columns[asset] = (keys, versions, complete)

    def column(self, asset: str, keys: list[str]) -> list[str | object]:
        """The versions of ``keys`` of ``asset`` in order, ``_ABSENT`` where none is published."""
        kept = self._columns.get(asset)
        if kept is not None and (kept[0] is keys or kept[0] == keys):
            return kept[1]
        return list(map(self[asset].get, keys, repeat(_ABSENT)))

    def complete_column(self, asset: str, keys: list[str]) -> list[str] | None:
        """The versions of ``keys`` when every one is published, else None."""
        kept = self._columns.get(asset)
        if kept is not None and (kept[0] is keys or kept[0] == keys):
            return kept[1] if kept[2] else None  # type: ignore[return-value]
        column = self.column(asset, keys)
        return None if any(map(is_, column, repeat(_ABSENT))) else column  # type: ignore[return-value]

    def pairs(self, asset: str, due: list[str]) -> _Pairs:
        found = self._pairs.get(asset)
        if found is None:
            found = self._pairs[asset] = _Pairs(due, self.column(asset, due))
        return found


class _Pairs:
    """``"key": "version"`` of each due key of an asset as JSON writes it, all joined by
    ``", "`` in one string, and where each starts and ends: a run of consecutive keys is then
    one slice of it. Position ``len(due)`` is an empty slice."""

    def __init__(self, due: list[str], versions: list[str | object]) -> None:
        self.due = due
        self.texts = [f'"{key}": "{version}"' for key, version in zip(due, versions)]

    @cached_property
    def text(self) -> str:
        return ", ".join(self.texts)

    @cached_property
    def ends(self) -> list[int]:
        """Where each pair ends in :attr:`text`; then 0 (position ``len(due)``, an empty slice)."""
        after = accumulate(map(add, map(len, self.texts), repeat(2)))  # each pair and its ", "
        return [*map(sub, after, repeat(2)), 0]

    @cached_property
    def starts(self) -> list[int]:
        return [0, *map(add, self.ends[:-2], repeat(2)), 0] if self.texts else [0]

    def runs(self, firsts: Iterable[int], lasts: Iterable[int]) -> list[str]:
        """The pairs from position ``firsts[i]`` to ``lasts[i]``, for each i: one slice each."""
        text, starts, ends = self.text, self.starts, self.ends
        return [text[starts[first]:ends[last]] for first, last in zip(firsts, lasts)]

    def of(self, keys: list[str]) -> list[str]:
        """The pair of each of ``keys``."""
        return self.texts if keys is self.due or keys == self.due else list(map(self.by_key.get, keys, repeat(_NO_TEXT)))

    @cached_property
    def by_key(self) -> dict[str, str]:
        return dict(zip(self.due, self.texts))

    def joined(self, keys: list[str]) -> str:
        """The pairs of any ``keys``, in their order."""
        return ", ".join(map(self.by_key.get, keys, repeat(_NO_TEXT)))


def maybe_not_fresh(
    graph: AssetGraph, snapshot: CatalogSnapshot, asset: str, keys: list[str], upstream_keys: UpstreamKeys,
    versions: CurrentVersions,
) -> set[str]:
    """The keys (all due keys of ``asset``) whose record does not show at a glance that they
    are fresh: not published by the current code, interrupted, a source observed at another
    version, or inputs other than the current versions of what they read now."""
    states = snapshot.partitions.get(asset, {})
    if len(states) == len(keys) and list(states) == keys:  # recorded in key order, as a catalog usually is
        found = list(states.values())
    else:
        found = list(map(states.get, keys, repeat(_NO_STATE)))
    maybe = _not_equal_to(keys, list(map(_STATUS, found)), "published")
    maybe.update(_not_equal_to(keys, list(map(_CODE_VERSION, found)), graph[asset].code_version))
    data_versions: list[str | object] = list(map(_DATA_VERSION, found))
    complete = all(data_versions)  # else a missing (None) version; faster to ask than `None in`
    if not complete:
        maybe.update(compress(keys, map(is_, data_versions, repeat(None))))
        data_versions = [_ABSENT if v is None else v for v in data_versions]
    versions.keep_column(asset, keys, data_versions, complete)
    maybe.update(k for a, k in snapshot.interrupted if a == asset)
    observed = snapshot.observed.get(asset, {})
    for key, version in observed.items():
        state = states.get(key)
        if state is None or (state.inputs or {}).get(OBSERVED, {}).get(key) != version:
            maybe.add(key)
    edges = graph.edges_in[asset]
    if edges:
        recorded = list(map(_INPUTS_TEXT, found))
        if not all(recorded):  # given as dicts (built in memory), or no inputs recorded
            recorded = [state.inputs_json or _NO_TEXT for state in found]
        maybe.update(_inputs_not_current(edges, keys, recorded, observed, upstream_keys, versions))
    return maybe


def _not_equal_to(keys: list[str], column: Sequence[object], value: object) -> set[str]:
    """The keys whose entry in ``column`` is not ``value`` (usually none)."""
    if column.count(value) == len(column):
        return set()
    return set(compress(keys, map(ne, column, repeat(value))))


def _differing(keys: list[str], column: Sequence[object], expected: Sequence[object]) -> set[str]:
    """The keys whose entry in ``column`` differs from the one in ``expected`` (usually none)."""
    if column == expected:
        return set()
    return set(compress(keys, map(ne, column, expected)))


def _inputs_not_current(
    edges: list[Edge], keys: list[str], recorded: list[str], observed: dict[str, str], upstream_keys: UpstreamKeys,
    versions: CurrentVersions,
) -> set[str]:
    """The keys whose recorded inputs text is not the text they would record if built now.

    The expected text of each key is pieces put end to end: text that is the same for every
    key, and columns with one entry per key, e.g. ``{"clean": {`` + its pairs of clean +
    ``}, "rates": {`` + its pairs of rates + ``}}`` ("@observed" first: it sorts before any
    asset name). Usually every key is fresh, which one comparison of all texts of the asset
    end to end shows, the texts separated by a character JSON never holds raw (so equal
    strings mean equal texts one by one), without building a string per key."""
    if not keys:
        return set()
    pieces: list[str | list[str]] = ["{"]
    if observed:
        pieces.append([f'"{OBSERVED}": {{"{k}": "{observed[k]}"}}, ' if k in observed else "" for k in keys])
    by_name = {edge.upstream: edge for edge in edges}
    for i, name in enumerate(sorted(by_name)):
        pieces += [(", " if i else "") + f'"{name}": {{', *_read_pieces(by_name[name], keys, upstream_keys, versions), "}"]
    pieces.append("}")
    recorded_end_to_end, expected_end_to_end = _END.join(recorded), _end_to_end([*pieces, _END])
    if len(expected_end_to_end) != len(recorded_end_to_end) + 1 or not expected_end_to_end.startswith(recorded_end_to_end):
        return _differing(keys, recorded, list(map("".join, zip(*_columns(_merged(pieces))))))
    return set()


def _read_pieces(
    edge: Edge, keys: list[str], upstream_keys: UpstreamKeys, versions: CurrentVersions
) -> list[str | list[str]]:
    """The pieces of the ``"key": "version"`` pairs each key reads of ``edge.upstream``."""
    if isinstance(edge.mapping, IdentityMapping):  # its own key's pair, from the keys and versions themselves
        column = versions.complete_column(edge.upstream, keys)
        if column is not None:
            return ['"', keys, '": "', column, '"']
    return [_pairs_read(edge, keys, upstream_keys, versions)]


def _merged(pieces: list[str | list[str]]) -> list[str | list[str]]:
    """Neighbouring texts joined into one."""
    merged: list[str | list[str]] = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged


def _columns(pieces: list[str | list[str]]) -> list[Iterable[str]]:
    return [repeat(piece) if isinstance(piece, str) else piece for piece in pieces]


def _end_to_end(pieces: list[str | list[str]]) -> str:
    """The text of every key, one after the other: ``pieces`` put end to end for each key."""
    pieces = _merged(pieces)
    match pieces:
        case [str(first), list(column), str(last)]:  # one column: a single join, no tuple per key
            return first + (last + first).join(column) + last
    return "".join(chain.from_iterable(zip(*_columns(pieces))))


def _pairs_read(edge: Edge, keys: list[str], upstream_keys: UpstreamKeys, versions: CurrentVersions) -> list[str]:
    """For each key, the ``"key": "version"`` pairs it reads of ``edge.upstream`` (the same
    list for every asset that reads it the same way)."""
    shared = (edge.upstream, edge.mapping, upstream_keys.graph[edge.downstream].partitions)
    found = versions.reads.get(shared)
    if found is None:
        due = upstream_keys.due(upstream_keys.graph[edge.upstream].partitions)
        pairs = versions.pairs(edge.upstream, due)
        if isinstance(edge.mapping, IdentityMapping):  # one pair: its own key's
            found = pairs.of(keys)
        elif edge.mapping.is_fan_in():
            found = [pairs.joined(sorted(upstream_keys(edge, "")))] * len(keys)
        elif (spans := upstream_keys.spans(edge, keys)) is not None:  # a run of consecutive keys each
            found = pairs.runs(*spans)
        else:
            found = [pairs.joined(read) for read in upstream_keys.of_all(edge, keys)]
        versions.reads[shared] = found
    return found
