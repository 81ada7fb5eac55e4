"""The inputs a partition would record if built now, as the text this catalog stores them
in, compared with what it holds: whole columns at a time.

The planner describes what it expects structurally (:class:`ExpectedInputs`: for each
upstream asset, which of its keys each partition reads, at their current versions); only
this module knows that the catalog keeps inputs as JSON with sorted keys and joins a
column's entries with :data:`SEPARATOR`. The expected text of each key is pieces put end to
end: text that is the same for every key, and columns with one entry per key, e.g.
``{"clean": {`` + its pairs of clean + ``}, "rates": {`` + its pairs of rates + ``}}``
("@observed" first: it sorts before any asset name). Usually every key is fresh, which one
comparison shows: the catalog's column of inputs texts, joined by a character JSON never
holds raw (so equal strings mean equal texts one by one), with the expected texts joined
the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from itertools import accumulate, compress, repeat
from operator import add, ne, sub

from assets_core.catalog.snapshot import SEPARATOR, StateColumns

ABSENT = "\x00"
"""The version of an upstream partition that is not published, and the text of its pair:
JSON never holds it raw, so a text made with it never equals a recorded one."""

OBSERVED = "@observed"
"""The key, among a partition's recorded inputs, of the source version it was built from."""


@dataclass(frozen=True)
class Spans:
    """Each downstream key reads the run of upstream due keys from position ``firsts[i]`` to
    ``lasts[i]``; ``sliding`` is ``(start, width)`` when, from key ``start`` on, each reads
    ``width`` keys one further on than the key before it (a lookback), else None."""

    firsts: list[int]
    lasts: list[int]
    sliding: tuple[int, int] | None


@dataclass(frozen=True)
class OwnKeys:
    """Each key reads the upstream partition of its own key, all published, at ``versions``."""

    versions: list[str]


@dataclass(frozen=True)
class Reads:
    """Which keys of ``upstream`` each key reads: its own (``own``), the same keys for all
    (``every``), consecutive runs (``spans``), or a list per key (``each``)."""

    upstream: UpstreamPairs
    own: bool = False
    every: list[str] | None = None
    spans: Spans | None = None
    each: list[list[str]] | None = None


@dataclass(frozen=True)
class ExpectedInputs:
    """What each of ``keys`` would record if built now: the source version observed for it
    (``observed``), and, per upstream asset, what it reads."""

    keys: list[str]
    observed: Mapping[str, str]
    reads: Mapping[str, OwnKeys | Reads]


class UpstreamPairs:
    """``"key": "version"`` of each due key of an asset as JSON writes it, all joined by
    ``", "`` in one string, and where each starts and ends: a run of consecutive keys is then
    one slice of it. Position ``len(due)`` is an empty slice."""

    def __init__(self, due: list[str], versions: list[str | None]) -> None:
        self.due = due
        self.versions: list[str] = [ABSENT if v is None else v for v in versions] if None in versions else versions  # type: ignore[assignment]

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

    def runs(self, runs: Spans) -> list[str | list[str]]:
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
        return self.texts if keys is self.due or keys == self.due else list(map(self.by_key.get, keys, repeat(ABSENT)))

    @cached_property
    def by_key(self) -> dict[str, str]:
        return dict(zip(self.due, self.texts))

    def joined(self, keys: list[str]) -> str:
        """The pairs of any ``keys``, in their order."""
        return ", ".join(map(self.by_key.get, keys, repeat(ABSENT)))


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


def keys_with_other_inputs(recorded: StateColumns, start: int, expected: ExpectedInputs) -> set[str]:
    """The keys among ``recorded.keys`` (``expected.keys[start:]`` onwards) whose recorded
    inputs text is not the text they would record if built now."""
    keys, observed = expected.keys, expected.observed
    pieces: list[str | list[str]] = ["{"]
    if observed:
        pieces.append([f'"{OBSERVED}": {{"{k}": "{observed[k]}"}}, ' if k in observed else "" for k in keys])
    for i, name in enumerate(sorted(expected.reads)):
        pieces += [(", " if i else "") + f'"{name}": {{', *_read_pieces(expected.reads[name], keys), "}"]
    pieces.append("}")
    if len(recorded.keys) < len(keys):  # the columns of the keys that have a state
        stop = start + len(recorded.keys)
        pieces = [piece if isinstance(piece, str) else piece[start:stop] for piece in pieces]
    recorded_end_to_end, expected_end_to_end = recorded.inputs.text, _end_to_end([*pieces, SEPARATOR], len(recorded.keys))
    if len(expected_end_to_end) != len(recorded_end_to_end) + 1 or not expected_end_to_end.startswith(recorded_end_to_end):
        texts = list(map("".join, zip(*_columns(_merged(pieces), len(recorded.keys)))))
        return _differing(recorded.keys, recorded.inputs.values, texts)
    return set()


def _read_pieces(read: OwnKeys | Reads, keys: list[str]) -> list[str | list[str]]:
    """The pieces of the ``"key": "version"`` pairs each key reads of one upstream asset."""
    if isinstance(read, OwnKeys):  # its own key's pair, from the keys and versions themselves
        return ['"', keys, '": "', read.versions, '"']
    pairs = read.upstream
    if read.own:
        return [pairs.of(keys)]
    if read.every is not None:
        return [pairs.joined(read.every)]
    if read.spans is not None:
        return pairs.runs(read.spans)
    assert read.each is not None
    return [[pairs.joined(keys_read) for keys_read in read.each]]


def _differing(keys: list[str], column: Sequence[object], expected: Sequence[object]) -> set[str]:
    """The keys whose entry in ``column`` differs from the one in ``expected`` (usually none)."""
    if column == expected:
        return set()
    return set(compress(keys, map(ne, column, expected)))
