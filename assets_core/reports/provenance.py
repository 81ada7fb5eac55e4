"""Partition provenance: the exact upstream partitions one published partition was built from.

Every published attempt records the versions it read (``inputs``: ``{upstream asset:
{upstream key: data version}}``). From the partition's current version the walk goes up:
each upstream partition at the version that was read, the attempt that published *that*
version (its run, its time, and the versions it read in turn: the recursion follows that
attempt, not the partition's current one), whether that version is still current, and if
not the version that replaced it. It asks the catalog for a few partitions of one asset at
a time (:class:`VersionLookup`, which :class:`~assets_core.catalog.Catalog` is), one level
of the walk per round: never a snapshot of the whole catalog.

    >>> tree = provenance(catalog, "rolling", "2025-01-20", depth=2)   # doctest: +SKIP
    >>> [(n.asset, n.partition, n.current) for n in tree.nodes][:2]    # doctest: +SKIP
    [('rolling', '2025-01-20', True), ('daily', '2025-01-13', True)]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from assets_core.catalog.inputs import OBSERVED
from assets_core.catalog.models import PublishedVersion
from assets_core.errors import AssetsCoreError

Ref = tuple[str, str, str]
"""(asset, partition, data version): one partition at one version, a node of the walk."""


class VersionLookup(Protocol):
    """What the walk asks of a catalog (the two methods of :class:`~assets_core.catalog.Catalog`)."""

    def published_versions(self, asset: str, keys: Iterable[str] | None = None) -> dict[str, PublishedVersion]: ...

    def publish_history(self, asset: str, keys: Iterable[str]) -> dict[str, list[PublishedVersion]]: ...


class NotPublished(AssetsCoreError):
    """The partition asked about has no published version."""


@dataclass(frozen=True)
class Publish:
    """A version as one published attempt wrote it: the version, its run and its time."""

    data_version: str
    run_id: str | None
    published_at: str | None

    @classmethod
    def of(cls, version: PublishedVersion) -> Publish:
        return cls(version.data_version, version.run_id, version.published_at)

    def to_dict(self) -> dict[str, Any]:
        return {"data_version": self.data_version, "run_id": self.run_id, "published_at": self.published_at}


@dataclass(frozen=True)
class Node:
    """One upstream partition at the version that was read.

    ``run_id`` and ``published_at`` are the attempt that published this version (None when
    no attempt in the catalog recorded it: a catalog written by hand, or history removed);
    ``inputs`` what that attempt read, sorted; ``observed`` the source version it was built
    from (a source asset's partition). ``current``: the partition is still at this version;
    if not, ``replaced_by`` is the first version published after it and ``current_version``
    the one published now (None: the partition is not published now)."""

    asset: str
    partition: str
    data_version: str
    depth: int
    run_id: str | None
    published_at: str | None
    inputs: tuple[Ref, ...]
    observed: str | None
    current: bool
    replaced_by: Publish | None = None
    current_version: Publish | None = None

    @property
    def ref(self) -> Ref:
        return (self.asset, self.partition, self.data_version)

    def to_dict(self) -> dict[str, Any]:
        return {
            "asset": self.asset, "partition": self.partition, "data_version": self.data_version,
            "depth": self.depth, "run_id": self.run_id, "published_at": self.published_at,
            "current": self.current,
            "replaced_by": None if self.replaced_by is None else self.replaced_by.to_dict(),
            "current_version": None if self.current_version is None else self.current_version.to_dict(),
            "observed": self.observed,
            "inputs": [{"asset": a, "partition": k, "data_version": v} for a, k, v in self.inputs],
        }


@dataclass(frozen=True)
class Provenance:
    """The walk from one published partition: ``nodes`` holds each (partition, version) once,
    the partition itself first, then level by level (``depth``: the fewest steps from it).
    ``depth`` is the limit asked for (None: down to the sources); ``truncated`` says the
    limit left some inputs of the deepest nodes unvisited."""

    nodes: tuple[Node, ...]
    depth: int | None
    truncated: bool

    @property
    def root(self) -> Node:
        return self.nodes[0]

    def by_ref(self) -> dict[Ref, Node]:
        return {node.ref: node for node in self.nodes}

    def to_dict(self) -> dict[str, Any]:
        root = self.root
        return {
            "asset": root.asset, "partition": root.partition, "data_version": root.data_version,
            "depth": self.depth, "truncated": self.truncated,
            "partitions": [node.to_dict() for node in self.nodes],
        }


def provenance(catalog: VersionLookup, asset: str, key: str, depth: int | None = None) -> Provenance:
    """What the published partition ``asset[key]`` was built from, ``depth`` levels up (None:
    down to the sources; 0: the partition alone). Raises :class:`NotPublished` when it has no
    published version."""
    current = catalog.published_versions(asset, [key]).get(key)
    if current is None:
        shown = f"{asset}[{key}]" if key else asset
        partitions = f" --partitions {key}" if key else ""
        raise NotPublished(
            f"{shown} is not published, so nothing records what it was built from: "
            f"`assets materialize --select {asset}{partitions}` builds it."
        )
    root = _node(current, 0, current.data_version, current, [])
    found: dict[Ref, Node] = {root.ref: root}
    frontier = [root]
    level = 0
    truncated = False
    while frontier:
        wanted = sorted({ref for node in frontier for ref in node.inputs if ref not in found})
        if not wanted:
            break
        if depth is not None and level >= depth:
            truncated = True
            break
        level += 1
        frontier = _level(catalog, wanted, level)
        found.update((node.ref, node) for node in frontier)
    return Provenance(tuple(found.values()), depth, truncated)


def _level(catalog: VersionLookup, wanted: list[Ref], depth: int) -> list[Node]:
    """The nodes of ``wanted`` (sorted): two questions to the catalog per upstream asset, the
    second only for versions that are no longer current."""
    by_asset: dict[str, list[tuple[str, str]]] = {}
    for asset, key, version in wanted:
        by_asset.setdefault(asset, []).append((key, version))
    nodes: list[Node] = []
    for asset, pairs in by_asset.items():
        current = catalog.published_versions(asset, [key for key, _ in pairs])
        replaced = [key for key, version in pairs if key not in current or current[key].data_version != version]
        history = catalog.publish_history(asset, replaced) if replaced else {}
        for key, version in pairs:
            nodes.append(_node(PublishedVersion(asset, key, version, None, None, None), depth, version,
                               current.get(key), history.get(key, [])))
    return nodes


def _node(
    read: PublishedVersion, depth: int, version: str, current: PublishedVersion | None,
    history: list[PublishedVersion],
) -> Node:
    """The node of ``read``'s partition at ``version``: from its current state when that is the
    version, else from the newest published attempt of that version in ``history``."""
    if current is not None and current.data_version == version:
        return _made(current, depth, current=True)
    at = next((i for i in range(len(history) - 1, -1, -1) if history[i].data_version == version), None)
    now = None if current is None else Publish.of(current)
    if at is None:  # no attempt recorded this version
        return _made(read, depth, current=False, current_version=now)
    after = next((Publish.of(v) for v in history[at + 1:] if v.data_version != version), now)
    return _made(history[at], depth, current=False, replaced_by=after, current_version=now)


def _made(version: PublishedVersion, depth: int, current: bool, replaced_by: Publish | None = None,
          current_version: Publish | None = None) -> Node:
    inputs = version.inputs or {}
    refs = tuple(sorted(
        (upstream, key, read) for upstream, keys in inputs.items() if upstream != OBSERVED
        for key, read in keys.items()
    ))
    observed = next(iter(inputs.get(OBSERVED, {}).values()), None)
    return Node(version.asset, version.partition, version.data_version, depth, version.run_id,
                version.published_at, refs, observed, current, replaced_by, current_version)
