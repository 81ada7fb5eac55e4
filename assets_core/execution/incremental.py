"""What ``plan``, ``status`` and ``why`` read: only what changed since the stored verdict.

The verdict of the last evaluation (:mod:`assets_core.planning.verdict`) is kept in
``.assets/verdict.json``, for the catalog it was made from. A read-only command reads the
catalog's changes since the verdict's mark, the partitions they and the verdict say to look
at (with what those read), judges those, and stores the new verdict: its cost grows with
what changed, not with the catalog. It reads the whole catalog instead, and evaluates every
partition as a full plan does, when there is no verdict it can trust: none yet, damaged,
made for another catalog or history, too many changes (:data:`MOST_CHANGES`), other
definitions of dynamic keys or grains, a run that died holding partitions, or published data
gone from disk.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from assets_core.catalog import Catalog, CatalogSnapshot, ChangeMark, Lease
from assets_core.execution.presence import folder_stamp, forget_missing_data, forget_missing_files, write_cache
from assets_core.execution.runs import live_run_ids
from assets_core.graph import AssetGraph
from assets_core.planning.reads import UpstreamKeys
from assets_core.planning.retirement import retirements
from assets_core.planning.verdict import AssetVerdict, Looks, NotFresh, Verdict, context_of, fingerprints, reads_for, to_look_at
from assets_core.storage.store import Storage

VERDICT_FILE = "verdict.json"
MOST_CHANGES = 50_000
"""Past this many partitions changed since the verdict (a backfill), the whole catalog is read:
comparing whole columns is then faster than looking partition by partition."""


@dataclass
class Reading:
    """A read-only command's view: the graph bound to the catalog's dynamic keys, a snapshot
    that knows which due partitions are not fresh at ``now`` (partial when read incrementally,
    judged per asset when the planner asks), and with ``summaries``,
    ``catalog.published_summary()`` and ``warned_partitions()``. :meth:`save` stores the
    verdict of what was judged, for the next command."""

    graph: AssetGraph
    snapshot: CatalogSnapshot
    incremental: bool
    published: dict[str, tuple[int, str | None]] | None
    warned: dict[str, int] | None
    _verdict: Callable[[], Verdict]
    _path: Any
    _catalog_url: str

    def save(self) -> None:
        body = {"catalog": self._catalog_url, **self._verdict().to_json(self.graph)}
        write_cache(self._path, json.dumps(body, separators=(",", ":")))


def read_for_planning(project: Any, graph: AssetGraph, catalog: Catalog, now: datetime, summaries: bool = False) -> Reading:
    """The view of ``plan``, ``status`` and ``why`` at ``now``, incremental when it can be."""
    running = live_run_ids(catalog)

    def is_alive(lease: Lease) -> bool:
        return lease.run_id in running

    path = project.state_dir / VERDICT_FILE
    found = _incremental(project, graph, catalog, now, summaries, is_alive, path)
    return found if found is not None else _whole(project, graph, catalog, now, summaries, is_alive, path)


def _catalog_id(project: Any) -> str:
    """Which catalog a verdict was made from: a digest of its URL (a URL may hold a password,
    which has no place in a file of the project)."""
    return hashlib.sha256(str(project.config.catalog).encode()).hexdigest()[:24]


def _stored(path: Any, catalog_url: str, graph: AssetGraph) -> Verdict | None:
    try:
        body = json.loads(path.read_bytes())
        if not isinstance(body, dict) or body.pop("catalog", None) != catalog_url:
            return None
    except (OSError, ValueError):
        return None
    return Verdict.from_json(body, graph)


def _incremental(
    project: Any, graph: AssetGraph, catalog: Catalog, now: datetime, summaries: bool,
    is_alive: Callable[[Lease], bool], path: Any,
) -> Reading | None:
    context = catalog.snapshot(is_alive, only={})  # no partition: what asks for a whole read, and the dead runs
    if context.interrupted:  # a dead run's partitions: healed or retired on a whole read
        return None
    bound = graph.with_dynamic_keys(context.dynamic_keys or {})
    stored = _stored(path, _catalog_id(project), bound)
    changes = None if stored is None else catalog.changes_since(stored.mark, MOST_CHANGES)
    if stored is None or changes is None:
        return None
    mark, changed = changes
    prints = fingerprints(bound)
    looks = to_look_at(stored, bound, prints, context_of(context), changed, context.interrupted, now)
    if looks is None:
        return None
    changed_assets = {asset for asset, _ in changed}
    storage = None if project.data_url is not None else Storage(project.data_dir, project.warehouse_path)
    checked = _to_check(bound, stored, storage, changed_assets, looks)
    snapshot = catalog.snapshot(is_alive, only=reads_for(bound, looks, now), counted=changed_assets)
    if context_of(snapshot) != context_of(context):
        return None
    if storage is not None and checked:
        on_disk = CatalogSnapshot({a: s for a, s in snapshot.partitions.items() if a in checked})
        if forget_missing_data(bound, on_disk, storage):
            return None  # published data gone: what reads it is looked at on a whole read
    sizes = snapshot.sizes if snapshot.sizes is not None else {}
    for asset, entry in stored.assets.items():
        sizes.setdefault(asset, entry.recorded)
    snapshot.sizes = sizes
    judged = NotFresh(bound, snapshot, now, looks)
    snapshot.not_fresh, snapshot.not_fresh_at = judged, now
    published = warned = None
    if summaries:
        recount = [a for a in bound.order if a in changed_assets or a not in stored.assets
                   or stored.assets[a].published is None]
        published, warned = _summaries(catalog, stored, recount)
    folders = {a: folder_stamp(storage, a) for a in checked} if storage is not None else {}
    return Reading(bound, snapshot, True, published, warned, lambda: _verdict(
        bound, prints, judged, mark, now, published, warned, stored, changed_assets, folders, looks), path,
        _catalog_id(project))


def _to_check(
    graph: AssetGraph, stored: Verdict, storage: Storage | None, changed: set[str], looks: Looks,
) -> set[str]:
    """The Parquet assets whose folder must be listed (each then looked at whole, into
    ``looks``): those with published partitions whose folder changed since the verdict, or that
    changed themselves; with the warehouse file gone, every DuckDB asset with published data."""
    if storage is None:
        return set()
    checked: set[str] = set()
    warehouse = storage.warehouse_path.exists()
    for asset in graph.order:
        entry = stored.assets.get(asset)
        if entry is not None and entry.recorded == 0 and asset not in changed:
            continue  # nothing recorded: nothing to be gone
        if graph[asset].io == "duckdb":
            if not warehouse:
                checked.add(asset)
        elif entry is None or entry.folder is None or asset in changed or entry.folder != folder_stamp(storage, asset):
            checked.add(asset)
    for asset in checked:
        looks[asset] = None
    return checked


def _summaries(
    catalog: Catalog, stored: Verdict | None, recount: list[str] | None,
) -> tuple[dict[str, tuple[int, str | None]], dict[str, int]]:
    """``status``'s per-asset counts: read for ``recount`` (None: every asset), the others as stored."""
    published = catalog.published_summary(recount)
    warned = catalog.warned_partitions(recount)
    if stored is not None and recount is not None:
        again = set(recount)
        for asset, entry in stored.assets.items():
            if asset not in again and entry.published is not None:
                if entry.recorded:  # the catalog lists the assets it holds a state for
                    published[asset] = entry.published
                if entry.warned:
                    warned[asset] = entry.warned
    return published, warned


def read_whole(
    project: Any, graph: AssetGraph, catalog: Catalog, is_alive: Callable[[Lease], bool] | None = None,
    bind_keys: bool = True,
) -> tuple[AssetGraph, CatalogSnapshot, dict[str, list[int]]]:
    """The whole catalog as every command reads it: the partitions of dead runs interrupted
    (``is_alive``; by default the runs still running are alive), a release killed half way
    healed first (said as it is on disk before anything), published data gone from disk
    missing (:mod:`assets_core.execution.presence`). Returns the graph bound to the catalog's
    dynamic keys (unless ``bind_keys`` is false: binding refuses a key the definition refuses
    now), the snapshot, and what the presence check found whole."""
    from assets_core.execution.quarantine import heal_releases

    if is_alive is None:
        running = live_run_ids(catalog)
        is_alive = lambda lease: lease.run_id in running  # noqa: E731
    snapshot = catalog.snapshot(is_alive)
    if snapshot.interrupted and heal_releases(project, graph, catalog, snapshot):
        snapshot = catalog.snapshot(is_alive)
    bound = graph.with_dynamic_keys(snapshot.dynamic_keys or {}) if bind_keys else graph
    seen = forget_missing_files(project, bound, snapshot)  # bound: it keeps the keys a definition no longer holds
    return bound, snapshot, seen


def _whole(
    project: Any, graph: AssetGraph, catalog: Catalog, now: datetime, summaries: bool, is_alive: Callable[[Lease], bool],
    path: Any,
) -> Reading:
    bound, snapshot, seen = read_whole(project, graph, catalog, is_alive)
    judged = NotFresh(bound, snapshot, now, None)
    snapshot.not_fresh, snapshot.not_fresh_at = judged, now
    published, warned = _summaries(catalog, None, None) if summaries else (None, None)
    folders = {a: stamp[0] for a, stamp in seen.items()
               if isinstance(stamp, list) and len(stamp) == 2 and stamp[1] == snapshot.recorded(a)}
    return Reading(bound, snapshot, False, published, warned, lambda: _verdict(
        bound, fingerprints(bound), judged, snapshot.mark or ChangeMark(), now, published, warned, None, set(), folders),
        path, _catalog_id(project))


def _verdict(
    graph: AssetGraph, prints: Mapping[str, str], judged: NotFresh, mark: ChangeMark, now: datetime,
    published: Mapping[str, tuple[int, str | None]] | None, warned: Mapping[str, int] | None,
    stored: Verdict | None, changed: set[str], folders: Mapping[str, int | None], looks: Looks | None = None,
) -> Verdict:
    """The verdict of this evaluation, of the assets it judged, and of those nothing asked to
    look at (``looks``: their stored verdict holds as it was); the others are looked at whole
    next time. What a later evaluation starts from."""
    snapshot, upstream_keys = judged.snapshot, judged.upstream_keys
    names = [name for name in graph.order if name in judged.judged]
    retire = {r.asset: frozenset(r.keys) for r in retirements(graph, snapshot, names, upstream_keys)}
    assets = {}
    for name in names:
        before = None if stored is None else stored.assets.get(name)
        entry = AssetVerdict(
            prints[name], len(upstream_keys.due(graph[name].partitions)), judged.judged[name],
            retire.get(name, frozenset()), snapshot.recorded(name),
        )
        if published is not None:
            entry = replace(entry, published=published.get(name, (0, None)), warned=(warned or {}).get(name, 0))
        elif before is not None and name not in changed:
            entry = replace(entry, published=before.published, warned=before.warned)
        if name in folders:
            entry = replace(entry, folder=folders[name])
        elif before is not None and name not in changed:
            entry = replace(entry, folder=before.folder)
        assets[name] = entry
    if stored is not None and looks is not None:  # a plan of a few assets keeps the others' verdicts
        for name, entry in stored.assets.items():
            if name not in assets and name not in looks and name in graph:
                assets[name] = entry
    return Verdict(mark, now, context_of(snapshot), assets)
