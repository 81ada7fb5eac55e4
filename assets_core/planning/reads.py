"""Which upstream partitions each partition reads, asked a million times per plan.

Each edge's mapping answers key by key; :class:`UpstreamKeys` asks it once per edge (an
identity needs no call, a fan-in is listed once) and, for the bulk freshness check, once for
all due keys of every edge with the same mapping between the same definitions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from assets_core.graph import AssetGraph, Edge
from assets_core.partitions import (
    UNPARTITIONED,
    IdentityMapping,
    LookbackMapping,
    OffsetMapping,
    PartitionMapping,
    PartitionsDefinition,
    keys_of,
)



class UpstreamKeys:
    """Upstream keys per (edge, downstream key). Each edge gets a resolver once: fan-in
    results are computed once, identity needs no call at all (the planner asks a million times)."""

    def __init__(self, graph: AssetGraph, now: datetime | None) -> None:
        self.graph = graph
        self.now = now
        self._resolvers: dict[int, Callable[[str], list[str]]] = {}
        self._reads_of_all: dict[tuple[object, ...], list[list[str]]] = {}
        self._due: dict[PartitionsDefinition | None, list[str]] = {}
        self._spans: dict[tuple[object, ...], Runs | None] = {}
        self._positions: dict[PartitionsDefinition | None, dict[str, int]] = {}

    def due(self, definition: PartitionsDefinition | None) -> list[str]:
        """The due keys of a definition, listed once per plan (shared by its assets: do not change it)."""
        keys = self._due.get(definition)
        if keys is None:
            keys = self._due[definition] = keys_of(definition, self.now)
        return keys

    def positions(self, definition: PartitionsDefinition | None) -> dict[str, int]:
        """Where each due key of a definition is among them, once per plan."""
        found = self._positions.get(definition)
        if found is None:
            found = self._positions[definition] = {key: i for i, key in enumerate(self.due(definition))}
        return found

    def __call__(self, edge: Edge, key: str) -> list[str]:
        return self.resolver(edge)(key)

    def resolver(self, edge: Edge) -> Callable[[str], list[str]]:
        resolver = self._resolvers.get(id(edge))
        if resolver is None:
            resolver = self._resolvers[id(edge)] = self._resolver(edge)
        return resolver

    def of_all(self, edge: Edge, keys: list[str]) -> list[list[str]]:
        """The upstream keys of each of ``keys`` (all the due keys of the downstream asset, in
        order), each list sorted as the catalog's JSON sorts them. Edges with the same mapping
        between the same definitions read the same keys: computed once for all of them."""
        up, down = self.graph[edge.upstream].partitions, self.graph[edge.downstream].partitions
        shared = (edge.mapping, up, down)
        reads = self._reads_of_all.get(shared)
        if reads is None:
            found = reads_in_bulk(edge.mapping, up, down, keys, self.now)
            if found is None:
                found = list(map(self.resolver(edge), keys))
            reads = self._reads_of_all[shared] = list(map(sorted, found))
        return reads

    def spans(self, edge: Edge, keys: list[str]) -> Runs | None:
        """Where the upstream keys each of ``keys`` reads sit among the upstream's due keys
        (see :class:`Runs`), computed once per mapping and pair of definitions; None when
        some partition reads no single run."""
        up, down = self.graph[edge.upstream].partitions, self.graph[edge.downstream].partitions
        shared = (edge.mapping, up, down)
        if shared not in self._spans:
            self._spans[shared] = _runs(self.of_all(edge, keys), self.due(up))
        return self._spans[shared]

    def _resolver(self, edge: Edge) -> Callable[[str], list[str]]:
        up, down, now = self.graph[edge.upstream].partitions, self.graph[edge.downstream].partitions, self.now
        mapping = edge.mapping
        if mapping.is_fan_in():
            every = mapping.upstream_keys(UNPARTITIONED, up, down, now)
            return lambda key: every
        if isinstance(mapping, IdentityMapping):
            return lambda key: [key]
        return lambda key: mapping.upstream_keys(key, up, down, now)


@dataclass(frozen=True)
class Runs:
    """Each downstream key reads the run of upstream due keys from position ``firsts[i]`` to
    ``lasts[i]`` (an empty read: ``due``, the number of upstream due keys, twice)."""

    firsts: list[int]
    lasts: list[int]
    due: int

    @cached_property
    def sliding(self) -> tuple[int, int] | None:
        """``(start, width)`` when, from key ``start`` on, each key reads ``width`` keys, one
        further on than the key before it did (a lookback, an offset); else None."""
        firsts, lasts, count = self.firsts, self.lasts, len(self.firsts)
        if not count:
            return None
        width = lasts[-1] - firsts[-1] + 1
        first = firsts[-1] - count + 1  # where key 0 would start if every key slid
        low, high = 0, count - 1  # the first position from which all slide; the last one always does
        while low < high:
            middle = (low + high) // 2
            tail = range(first + middle, first + count)
            if firsts[middle:] == list(tail) and lasts[middle:] == [k + width - 1 for k in tail]:
                high = middle
            else:
                low = middle + 1
        if count - low < 2 or lasts[-1] >= self.due:  # too short to gain, or the empty reads at the end
            return None
        return low, width


def _runs(reads: list[list[str]], due: list[str]) -> Runs | None:
    """Each of ``reads`` as the positions of its first and last key among ``due``, when
    ``due`` is sorted and each read is a run of consecutive due keys; None otherwise."""
    if due != sorted(due):
        return None
    position = {key: i for i, key in enumerate(due)}
    firsts: list[int] = []
    lasts: list[int] = []
    for read in reads:
        if not read:
            firsts.append(len(due))
            lasts.append(len(due))
            continue
        first = position.get(read[0])
        if first is None or due[first:first + len(read)] != read:
            return None
        firsts.append(first)
        lasts.append(first + len(read) - 1)
    return Runs(firsts, lasts, len(due))


def reads_in_bulk(
    mapping: PartitionMapping, up: PartitionsDefinition | None, down: PartitionsDefinition | None, keys: list[str],
    now: datetime | None = None,
) -> list[list[str]] | None:
    """The upstream keys of each of ``keys`` (all due keys of ``down``, in order) at once, by
    position: for a lookback or a backward offset within one definition, and for a coarser
    upstream grain (asked the other way round, once per upstream key); None otherwise.
    Equal to asking the mapping key by key (tests hold them together), without parsing a
    million keys."""
    if up is None or down is None or isinstance(mapping, IdentityMapping) or mapping.is_fan_in():
        return None
    if up != down:
        upstream = keys_of(up, now)
        if len(upstream) >= len(keys):
            return None
        reads: dict[str, list[str]] = {key: [] for key in keys}
        for upstream_key in upstream:  # in order, so each list comes out sorted
            for key in mapping.downstream_keys(upstream_key, up, down, now):
                if key in reads:
                    reads[key].append(upstream_key)
        return [reads[key] for key in keys]
    if isinstance(mapping, LookbackMapping):
        return [keys[max(0, i - mapping.n): i + 1] for i in range(len(keys))]
    if isinstance(mapping, OffsetMapping) and mapping.shift <= 0:
        shift = mapping.shift
        return [[keys[i + shift]] if i + shift >= 0 else [] for i in range(len(keys))]
    return None
