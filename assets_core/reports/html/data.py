"""The HTML report's data: one JSON-able dict built from the graph, the catalog snapshot and
the catalog's history. The page draws exactly this; nothing here is HTML.

Statuses and reasons are the planner's (``planning.statuses``, the rows ``assets status``
counts), freshness is ``reports.freshness``, run durations ``reports.history``: nothing is
judged again here. Per partition the data is compact, so that a million partitions stay a
few megabytes: one status character per partition, the keys once per distinct set of keys,
and the reasons as runs of consecutive partitions sharing one text.

    >>> data = report_data(graph, snapshot, catalog, graph.order, now, "landing")  # doctest: +SKIP
    >>> data["assets"][0]["strip"]                                                # doctest: +SKIP
    'ffmm'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from itertools import compress
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assets_core.definitions.freshness import human_duration
from assets_core.partitions import PartitionsDefinition
from assets_core.planning.plan import Status, statuses
from assets_core.reports.columns import ColumnIndex, columns_report, schemas_of
from assets_core.reports.describe import asset_definition, last_results
from assets_core.reports.freshness import evaluate_freshness, read_facts
from assets_core.reports.history import asset_history
from assets_core.reports.html.calendar import calendar
from assets_core.reports.html.layout import NODE_HEIGHT, NODE_WIDTH, layout
from assets_core.reports.status import asset_status

if TYPE_CHECKING:
    from assets_core.catalog import Catalog, CatalogSnapshot
    from assets_core.catalog.models import ColumnRecord, Materialization, Run
    from assets_core.graph import AssetGraph

STATUS_CHARS = {"fresh": "f", "stale": "s", "missing": "m", "failed": "x", "quarantined": "q", "unknown": "u"}
"""One character per partition in an asset's strip."""
SEVERITY = ("failed", "quarantined", "stale", "unknown", "missing", "fresh")
"""An asset is coloured by the worst status among its partitions, in this order."""
ATTEMPTS_READ = 200
"""Newest attempts read per asset for its last runs and its checks' last results."""
RUNS_SHOWN = 10

def report_data(
    graph: AssetGraph,
    snapshot: CatalogSnapshot,
    catalog: Catalog,
    assets: Iterable[str],
    now: datetime,
    project: str,
    selection: str | None = None,
    root: Path | None = None,
) -> dict[str, Any]:
    """Everything the page shows about ``assets`` (a selection of ``graph``) at ``now``;
    ``root``: the project folder, which code locations are given relative to."""
    chosen = set(assets)
    names = [name for name in graph.order if name in chosen]
    edges = [(e.upstream, e.downstream, e.mapping.describe()) for name in names for e in graph.edges_in[name]
             if e.upstream in chosen and e.upstream != name]
    # The catalog's history is read in a thread while the planner works on the snapshot:
    # SQLite runs its queries without the GIL, and a million partitions take both a while.
    with ThreadPoolExecutor(max_workers=1) as pool:
        history = pool.submit(_read_history, catalog, names)
        placed = layout(names, [(up, down) for up, down, _ in edges])
        rows = statuses(graph, snapshot, names, now)
        fresh_by_asset = {r.asset: r for r in evaluate_freshness(graph, read_facts(catalog, graph, names, now), names, now)}
        published, runs, attempts, schemas = history.result()
    columns = ColumnIndex(graph, schemas_of(schemas))  # each asset's lineage computed when its page is
    keysets = _KeySets()
    reasons = _Texts()
    index = {name: i for i, name in enumerate(names)}
    entries = []
    for name in names:
        spec = graph[name]
        summary = asset_status(name, rows[name], published)
        policy = fresh_by_asset.get(name)
        entries.append({
            "name": name,
            "group": spec.group,
            "kind": spec.kind,
            "tags": list(spec.tags),
            "layer": placed.layer[name], "rank": placed.rank[name], "x": placed.x[name], "y": placed.y[name],
            "status": overall_status(summary.counts),
            "partitions": summary.partitions,
            "counts": {status: count for status, count in summary.counts.items() if count},
            "upstream_stale": summary.upstream_stale,
            "waiting": summary.waiting,
            "last_published_at": summary.last_published_at,
            "freshness": None if policy is None else {
                "passed": policy.state == "pass", "state": policy.state, "reason": policy.reason,
                "max_lag": "-" if policy.policy.error_threshold is None else human_duration(policy.policy.error_threshold)},
            "keyset": keysets.add(spec.partitions, rows[name]),
            "strip": strip(rows[name]),
            "reasons": reason_runs(rows[name], reasons),
            "page": asset_page(graph, name, attempts[name], runs, schemas.get(name), root,
                               columns_report(columns, name)),
        })
    return {
        "project": project,
        "generated_at": now.isoformat(timespec="seconds"),
        "selection": selection,
        "total_assets": len(graph.specs),
        "statuses": STATUS_CHARS,
        "layout": {"width": placed.width, "height": placed.height, "node_width": NODE_WIDTH,
                   "node_height": NODE_HEIGHT},
        "assets": entries,
        "edges": [[index[up], index[down], mapping] for up, down, mapping in edges],
        "keysets": keysets.entries,
        "reasons": reasons.entries,
    }


_History = tuple[dict[str, tuple[int, str | None]], list["Run"], dict[str, list["Materialization"]],
                 dict[str, tuple["ColumnRecord", ...]]]


def _read_history(catalog: Catalog, names: Sequence[str]) -> _History:
    """What the report reads of the catalog besides the snapshot: the publish summary, the
    runs, each asset's newest attempts, and the schema every asset published last (those
    outside the selection resolve the column lineage of those in it)."""
    attempts = {name: catalog.materializations(asset=name, limit=ATTEMPTS_READ) for name in names}
    return catalog.published_summary(), catalog.runs(), attempts, catalog.latest_schemas()


def overall_status(counts: Mapping[str, int]) -> str:
    """The worst status any partition has; ``empty`` when none is due yet."""
    return next((status for status in SEVERITY if counts.get(status)), "empty")


def strip(rows: Sequence[Status]) -> str:
    """One character of :data:`STATUS_CHARS` per partition, in the definition's order."""
    return "".join(map(STATUS_CHARS.__getitem__, map(itemgetter(1), rows)))  # in C: a million rows


def reason_runs(rows: Sequence[Status], texts: _Texts) -> list[int]:
    """Why each partition is not plainly fresh, as flat ``[start, length, text]`` triples:
    consecutive partitions with the same reason (a backfill never run: "missing: never
    published" a thousand times) are one triple; a fresh partition without a reason is in none."""
    runs: list[int] = []
    reasons = list(map(itemgetter(2), rows))
    for position in compress(range(len(reasons)), reasons):  # only those with a reason, found in C
        reason = reasons[position]
        assert reason is not None
        text = texts.add(f"{reason.cause.value}: {reason.detail}")
        if runs and runs[-1] == text and runs[-3] + runs[-2] == position:
            runs[-2] += 1
        else:
            runs.extend((position, 1, text))
    return runs


class _Texts:
    """Distinct strings, each stored once and referred to by its position."""

    def __init__(self) -> None:
        self.entries: list[str] = []
        self._index: dict[str, int] = {}

    def add(self, text: str) -> int:
        found = self._index.get(text)
        if found is None:
            found = self._index[text] = len(self.entries)
            self.entries.append(text)
        return found


class _KeySets:
    """Distinct lists of due keys, each with its calendar: assets sharing a partitions
    definition (most of a project's) share one entry."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []
        self._index: dict[tuple[PartitionsDefinition, int], int] = {}

    def add(self, definition: PartitionsDefinition | None, rows: Sequence[Status]) -> int | None:
        """The entry of the due keys ``rows`` hold; equal definitions (they compare by value)
        with as many due keys hold the same keys, so the keys are read once per definition."""
        if definition is None:
            return None
        identity = (definition, len(rows))
        found = self._index.get(identity)
        if found is None:
            keys = list(map(itemgetter(0), rows))
            found = self._index[identity] = len(self.entries)
            self.entries.append({"kind": definition.kind, "describe": definition.describe(), "keys": keys,
                                 "calendar": calendar(definition, keys)})
        return found


# -- the asset's page --------------------------------------------------------------------------


def asset_page(
    graph: AssetGraph, name: str, attempts: Sequence[Materialization], runs: Sequence[Run],
    schema: Sequence[ColumnRecord] | None = None, root: Path | None = None,
    column_lineage: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What clicking an asset shows, as sections the page renders generically (a section it
    does not know is drawn as a nested definition list, all as text): ``describe`` (the
    definition, as ``assets describe`` gives it), ``checks`` (each check with its newest
    result, the one ``describe`` gives), ``runs`` (its last runs with durations), ``schema``
    (the columns of its newest published attempt) and ``column_lineage`` (each output
    column's upstream columns, as ``assets lineage ASSET --columns --format json`` gives it)."""
    definition = asset_definition(graph, name, root)
    latest = {r["check"]: r for r in last_results(name, attempts)["check_results"]}
    defined = [check["name"] for check in definition["checks"]]
    return {
        "describe": definition,
        "checks": [{"check": check, "last": latest.get(check)} for check in dict.fromkeys([*defined, *latest])],
        "runs": last_runs(name, attempts, runs),
        "schema": None if schema is None else [column.model_dump() for column in schema],
        "column_lineage": column_lineage,
    }


def last_runs(name: str, attempts: Sequence[Materialization], runs: Sequence[Run]) -> list[dict[str, Any]]:
    """The newest runs that did work on the asset, newest first, each with the seconds its
    attempts of the asset took (``reports.history``). ``attempts`` are the newest ones only: when
    they are :data:`ATTEMPTS_READ`, the oldest run among them may have done more, and says
    ``"complete": false``."""
    by_id = {run.run_id: run for run in runs}
    points = asset_history(name, runs, attempts, limit=RUNS_SHOWN)
    oldest_read = attempts[-1].run_id if len(attempts) >= ATTEMPTS_READ else None
    return [
        {"run_id": p.run_id, "started_at": p.started_at, "status": by_id[p.run_id].status,
         "trigger": by_id[p.run_id].trigger, "seconds": round(p.seconds, 3), "partitions": p.partitions,
         "rows": p.rows, "failed": p.failed, "complete": p.run_id != oldest_read}
        for p in reversed(points)
    ]
