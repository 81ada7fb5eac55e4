"""The planner's bulk freshness check: which partitions of an asset need a closer look.

A million partitions pass through here on every plan, so each rule compares whole columns,
one entry per due key, with built-in operations that loop in C (string comparison, ``join``,
``split``, ``count``, ``map``), and only looks for the keys that differ when a column does.
The result may name a fresh partition (the planner then asks ``planning.direct_reason``,
which is exact), never leave out one that is not fresh.

A catalog snapshot gives each column of an asset as one text (``assets_core.catalog.snapshot``): the
status and code-version columns are each compared whole with the text they should be, and
the inputs every partition recorded (the catalog's JSON, sorted keys) with the texts they
would record if built now, put end to end the same way. Those expected texts are joined
from pieces: text common to every key, and columns with an entry per key, the upstream's
``"key": "version"`` pairs (a lookback's, shifted once per key it reads; other runs of
consecutive keys, cut out of one string of all the pairs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import cached_property
from typing import Any
from itertools import accumulate, compress, repeat
from operator import add, attrgetter, is_, ne, sub

from assets_core.catalog.snapshot import SEPARATOR, AssetStates, CatalogSnapshot, Column, PartitionState, StateColumns
from assets_core.graph import AssetGraph, Edge
from assets_core.partitions import IdentityMapping
from assets_core.planning.reads import OBSERVED, Runs, UpstreamKeys
from assets_core.planning.rules import CurrentInputs, Equals, Expectation, Holds, Present, guards

_NO_STATE = PartitionState()  # stands for a partition never recorded
_ABSENT = "\x00"
"""The current version of an upstream partition that is not published, and the text of its
pair: JSON never holds it raw, so a text made with it never equals a recorded one."""
_STATUS = attrgetter("last_status")
_CODE_VERSION = attrgetter("code_version")
_DATA_VERSION = attrgetter("data_version")


class CurrentVersions:
    """The current data versions of each asset's partitions, gathered once per plan: as a
    dict, as a column in the order of its due keys, and as the JSON text of its pairs."""

    def __init__(self, snapshot: CatalogSnapshot) -> None:
        self.snapshot = snapshot
        self._dicts: dict[str, dict[str, str]] = {}
        self._kept: dict[str, tuple[list[str], int, Column]] = {}
        self._columns: dict[str, tuple[list[str], bool]] = {}
        self._pairs: dict[str, _Pairs] = {}

    def __getitem__(self, asset: str) -> dict[str, str]:
        """Unpublished partitions have no version: left out, or ``_ABSENT``."""
        found = self._dicts.get(asset)
        if found is None:
            kept = self._kept.get(asset)
            if kept is not None:
                found = dict(zip(kept[0], self._kept_column(asset, kept[0])[0]))  # type: ignore[index]
            else:
                states = self.snapshot.partitions.get(asset, {})
                columns = states.columns if isinstance(states, AssetStates) else None
                if columns is not None:
                    pairs = zip(columns.keys, columns.data_version.values)
                else:
                    pairs = zip(states.keys(), map(_DATA_VERSION, states.values()))
                found = {k: v for k, v in pairs if v is not None}
            self._dicts[asset] = found
        return found

    def keep_column(self, asset: str, keys: list[str], start: int, column: Column) -> None:
        """The versions of ``keys[start:start + column.length]`` (of the due ``keys`` of
        ``asset``), as the bulk check found them; the other keys have none. Split into a
        list only when something reads ``asset``."""
        self._kept[asset] = (keys, start, column)

    def _kept_column(self, asset: str, keys: list[str]) -> tuple[list[str], bool] | None:
        """(the versions of ``keys``, whether every one is published) as kept, if kept for these keys."""
        kept = self._kept.get(asset)
        if kept is None or not (kept[0] is keys or kept[0] == keys):
            return None
        found = self._columns.get(asset)
        if found is None:
            start, column = kept[1], kept[2]
            values: list[str] = column.values  # type: ignore[assignment]
            complete = column.is_complete()
            if not complete:
                values = [_ABSENT if v is None else v for v in values]
            if column.length < len(keys):  # the keys with no state have no version either
                complete = False
                values = [*repeat(_ABSENT, start), *values, *repeat(_ABSENT, len(keys) - start - column.length)]
            found = self._columns[asset] = (values, complete)
        return found

    def column(self, asset: str, keys: list[str]) -> list[str]:
        """The versions of ``keys`` of ``asset`` in order, ``_ABSENT`` where none is published."""
        kept = self._kept_column(asset, keys)
        if kept is not None:
            return kept[0]
        return list(map(self[asset].get, keys, repeat(_ABSENT)))

    def complete_column(self, asset: str, keys: list[str]) -> list[str] | None:
        """The versions of ``keys`` when every one is published, else None."""
        kept = self._kept_column(asset, keys)
        if kept is not None:
            return kept[0] if kept[1] else None
        column = self.column(asset, keys)
        return None if _ABSENT in column else column

    def pairs(self, asset: str, due: list[str]) -> _Pairs:
        found = self._pairs.get(asset)
        if found is None:
            found = self._pairs[asset] = _Pairs(due, self.column(asset, due))
        return found


class _Pairs:
    """``"key": "version"`` of each due key of an asset as JSON writes it, all joined by
    ``", "`` in one string, and where each starts and ends: a run of consecutive keys is then
    one slice of it. Position ``len(due)`` is an empty slice."""

    def __init__(self, due: list[str], versions: list[str]) -> None:
        self.due = due
        self.versions = versions

    @cached_property
    def texts(self) -> list[str]:
        # One join of the keys and versions, split again: no string made per pair in Python.
        count = len(self.due)
        flat: list[str] = [""] * (4 * count)
        flat[0::4], flat[1::4], flat[3::4] = self.due, repeat('": "', count), repeat(f'"{SEPARATOR}"', count)
        flat[2::4] = self.versions
        texts = ('"' + "".join(flat[:-1]) + '"').split(SEPARATOR) if count else []
        if len(texts) != count:  # a version holding the separator (pinned by hand?): one by one
            texts = [f'"{key}": "{version}"' for key, version in zip(self.due, self.versions)]
        return texts

    @cached_property
    def text(self) -> str:
        return ", ".join(self.texts)

    @cached_property
    def ends(self) -> list[int]:
        """Where each pair ends in :attr:`text`; then 0 (position ``len(due)``, an empty slice)."""
        width = self._width
        if width is not None:  # every pair as long as the others: no sum to run
            return [*range(width, len(self.text) + 1, width + 2), 0]
        after = accumulate(map(add, map(len, self.texts), repeat(2)))  # each pair and its ", "
        return [*map(sub, after, repeat(2)), 0]

    @cached_property
    def starts(self) -> list[int]:
        width = self._width
        if width is not None:
            return [*range(0, len(self.text), width + 2), 0]
        return [0, *map(add, self.ends[:-2], repeat(2)), 0] if self.due else [0]

    @cached_property
    def _width(self) -> int | None:
        """The length of every pair, when they all have one (keys of one grain, hashed versions)."""
        if not self.due:
            return None
        key_lengths, version_lengths = list(map(len, self.due)), list(map(len, self.versions))
        if min(key_lengths) != max(key_lengths) or min(version_lengths) != max(version_lengths):
            return None
        return key_lengths[0] + version_lengths[0] + 6

    def slices(self, firsts: Iterable[int], lasts: Iterable[int]) -> list[str]:
        """The pairs from position ``firsts[i]`` to ``lasts[i]``, for each i: one slice each."""
        cut = map(slice, map(self.starts.__getitem__, firsts), map(self.ends.__getitem__, lasts))
        return list(map(self.text.__getitem__, cut))  # loops in C, not a Python loop per key

    def runs(self, runs: Runs) -> list[str | list[str]]:
        """The pieces of the pairs each key reads, a run each. Where the runs slide (each key
        reads as many pairs as the one before, one further on: a lookback), the pieces are
        columns of the pairs themselves, shifted, with no text cut per key."""
        if runs.sliding is None:
            return [self.slices(runs.firsts, runs.lasts)]
        start, width = runs.sliding
        tail, first, texts = len(runs.firsts) - start, runs.firsts[start], self.texts
        head = [""] * start
        commas = head + [", "] * tail
        runs_before = [", ".join(texts[f:l + 1]) for f, l in zip(runs.firsts[:start], runs.lasts[:start])]
        pieces: list[str | list[str]] = [runs_before + texts[first:first + tail]]
        for shift in range(1, width):
            pieces += [commas, head + texts[first + shift:first + shift + tail]]
        return pieces

    def of(self, keys: list[str]) -> list[str]:
        """The pair of each of ``keys``."""
        return self.texts if keys is self.due or keys == self.due else list(map(self.by_key.get, keys, repeat(_ABSENT)))

    @cached_property
    def by_key(self) -> dict[str, str]:
        return dict(zip(self.due, self.texts))

    def joined(self, keys: list[str]) -> str:
        """The pairs of any ``keys``, in their order."""
        return ", ".join(map(self.by_key.get, keys, repeat(_ABSENT)))


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
            maybe.update(_inputs_not_current_keys(graph, snapshot, asset, keys, start, recorded, upstream_keys, versions))
        elif guard.field == "interrupted" and expectation == Equals(False):
            maybe.update(k for a, k in snapshot.interrupted if a == asset)
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


def _inputs_not_current_keys(
    graph: AssetGraph, snapshot: CatalogSnapshot, asset: str, keys: list[str], start: int, recorded: StateColumns,
    upstream_keys: UpstreamKeys, versions: CurrentVersions,
) -> set[str]:
    """The keys whose recorded inputs are not the current ones: a source observed at another
    version than it was built from, or upstream versions other than the current ones."""
    states = snapshot.partitions.get(asset, {})
    observed = snapshot.observed.get(asset, {})
    found: set[str] = set()
    for key, version in observed.items():
        state = states.get(key)
        if state is None or (state.inputs or {}).get(OBSERVED, {}).get(key) != version:
            found.add(key)
    edges = graph.edges_in[asset]
    if edges and recorded.keys:
        found.update(_inputs_not_current(edges, keys, start, recorded, observed, upstream_keys, versions))
    return found


def _recorded(states: Mapping[str, PartitionState], keys: list[str]) -> tuple[int, StateColumns]:
    """What the catalog holds of the due ``keys`` as columns: ``(start, columns)``, where the
    columns are those of ``keys[start:start + len(columns.keys)]`` and the other keys have
    no state. A catalog's columns are used as read when they hold a run of the due keys (all
    of them, or all but the days that came due since)."""
    columns = states.columns if isinstance(states, AssetStates) else None
    if columns is not None:
        start = _window(keys, columns.keys)
        return (start, columns) if start is not None else (0, columns.take(keys))
    found = list(map(states.get, keys, repeat(_NO_STATE)))
    return 0, StateColumns(
        keys, Column.of(list(map(_STATUS, found))), Column.of(list(map(_CODE_VERSION, found))),
        Column.of(list(map(_DATA_VERSION, found))), Column.of([state.inputs_json for state in found]),
    )


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


def _differing(keys: list[str], column: Sequence[object], expected: Sequence[object]) -> set[str]:
    """The keys whose entry in ``column`` differs from the one in ``expected`` (usually none)."""
    if column == expected:
        return set()
    return set(compress(keys, map(ne, column, expected)))


def _inputs_not_current(
    edges: list[Edge], keys: list[str], start: int, recorded: StateColumns, observed: dict[str, str],
    upstream_keys: UpstreamKeys, versions: CurrentVersions,
) -> set[str]:
    """The keys among ``recorded.keys`` (``keys[start:]`` onwards) whose recorded inputs text
    is not the text they would record if built now.

    The expected text of each key is pieces put end to end: text that is the same for every
    key, and columns with one entry per key, e.g. ``{"clean": {`` + its pairs of clean +
    ``}, "rates": {`` + its pairs of rates + ``}}`` ("@observed" first: it sorts before any
    asset name). Usually every key is fresh, which one comparison shows: of the catalog's
    column of inputs texts, joined by a character JSON never holds raw (so equal strings mean
    equal texts one by one), with the expected texts joined the same way."""
    pieces: list[str | list[str]] = ["{"]
    if observed:
        pieces.append([f'"{OBSERVED}": {{"{k}": "{observed[k]}"}}, ' if k in observed else "" for k in keys])
    by_name = {edge.upstream: edge for edge in edges}
    for i, name in enumerate(sorted(by_name)):
        pieces += [(", " if i else "") + f'"{name}": {{', *_read_pieces(by_name[name], keys, upstream_keys, versions), "}"]
    pieces.append("}")
    if len(recorded.keys) < len(keys):  # the columns of the keys that have a state
        stop = start + len(recorded.keys)
        pieces = [piece if isinstance(piece, str) else piece[start:stop] for piece in pieces]
    recorded_end_to_end, expected_end_to_end = recorded.inputs.text, _end_to_end([*pieces, SEPARATOR], len(recorded.keys))
    if len(expected_end_to_end) != len(recorded_end_to_end) + 1 or not expected_end_to_end.startswith(recorded_end_to_end):
        expected = list(map("".join, zip(*_columns(_merged(pieces), len(recorded.keys)))))
        return _differing(recorded.keys, recorded.inputs.values, expected)
    return set()


def _read_pieces(
    edge: Edge, keys: list[str], upstream_keys: UpstreamKeys, versions: CurrentVersions
) -> list[str | list[str]]:
    """The pieces of the ``"key": "version"`` pairs each key reads of ``edge.upstream``."""
    if isinstance(edge.mapping, IdentityMapping):  # its own key's pair, from the keys and versions themselves
        column = versions.complete_column(edge.upstream, keys)
        if column is not None:
            return ['"', keys, '": "', column, '"']
    return _pairs_read(edge, keys, upstream_keys, versions)


def _merged(pieces: list[str | list[str]]) -> list[str | list[str]]:
    """Neighbouring texts joined into one."""
    merged: list[str | list[str]] = []
    for piece in pieces:
        if isinstance(piece, str) and merged and isinstance(merged[-1], str):
            merged[-1] += piece
        else:
            merged.append(piece)
    return merged


def _columns(pieces: list[str | list[str]], count: int) -> list[Iterable[str]]:
    return [repeat(piece, count) if isinstance(piece, str) else piece for piece in pieces]


def _end_to_end(pieces: list[str | list[str]], count: int) -> str:
    """The text of every one of ``count`` keys, one after the other: ``pieces`` put end to
    end for each key.

    Built by one join of a flat list of the pieces, filled one piece at a time by slice
    assignment: no tuple per key, so a million keys give the cyclic garbage collector
    nothing to walk."""
    pieces = _merged(pieces)
    match pieces:
        case [str(first), list(column), str(last)]:  # one column: a single join
            return first + (last + first).join(column) + last
    width = len(pieces)
    flat: list[str] = [""] * (width * count)
    for i, piece in enumerate(pieces):
        flat[i::width] = [piece] * count if isinstance(piece, str) else piece
    return "".join(flat)


def _pairs_read(
    edge: Edge, keys: list[str], upstream_keys: UpstreamKeys, versions: CurrentVersions
) -> list[str | list[str]]:
    """The pieces of the ``"key": "version"`` pairs each key reads of ``edge.upstream``."""
    due = upstream_keys.due(upstream_keys.graph[edge.upstream].partitions)
    pairs = versions.pairs(edge.upstream, due)
    if isinstance(edge.mapping, IdentityMapping):  # one pair: its own key's
        return [pairs.of(keys)]
    if edge.mapping.is_fan_in():
        return [pairs.joined(sorted(upstream_keys(edge, "")))]
    runs = upstream_keys.spans(edge, keys)
    if runs is not None:  # a run of consecutive keys each
        return pairs.runs(runs)
    return [[pairs.joined(read) for read in upstream_keys.of_all(edge, keys)]]
