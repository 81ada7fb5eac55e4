"""One asset's page as a JSON-able dict: ``assets describe``, ``assets list --json`` and the
HTML report's asset page all render these values, so they cannot disagree.

:func:`asset_definition` is what the definitions say (no catalog: cheap, ``list --json`` gives
it for every asset); :func:`describe_asset` adds what the catalog knows (the latest schema,
the last publish, the last check results, the counts by status, read off the planner's rules
by :mod:`assets_core.reports.status`).

    >>> asset_definition(graph, "clean")["inputs"]            # doctest: +SKIP
    [{'asset': 'raw', 'param': 'raw', 'type': 'polars', 'mapping': 'identity'}]
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assets_core.definitions.freshness import human_duration, policy_summary
from assets_core.reports.status import asset_statuses

if TYPE_CHECKING:
    from assets_core.catalog import Catalog, CatalogSnapshot, Materialization
    from assets_core.definitions.specs import AssetSpec
    from assets_core.graph import AssetGraph

_ATTEMPTS_READ = 200
"""How many of an asset's newest attempts are read for its last publish and check results."""


def code_location(source: str, root: Path | None = None) -> dict[str, Any]:
    """``"path/file.py:12"`` as ``{"file", "line"}``, the file relative to ``root`` when it is
    inside it; ``line`` is None when the text names none.

    >>> code_location("/p/sql/revenue.sql:1", Path("/p"))
    {'file': 'sql/revenue.sql', 'line': 1}
    """
    path, _, line = source.rpartition(":")
    if not path or not line.isdigit():
        path, line = source, ""
    if root is not None and path:
        try:
            path = str(Path(path).resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return {"file": path or None, "line": int(line) if line else None}


def query_line(sql: str) -> int:
    """The line of a SQL file where its query starts, after the leading ``--`` options block.

    >>> query_line("-- io = 'duckdb'\\n\\nSELECT 1")
    3
    """
    for number, line in enumerate(sql.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("--"):
            return number
    return 1


def _code(spec: AssetSpec, root: Path | None) -> dict[str, Any]:
    """Where the code lives; for a SQL file, the line of its query."""
    location = code_location(spec.source, root)
    if spec.kind == "sql" and spec.sql is not None and str(location["file"]).endswith(".sql"):
        location["line"] = query_line(spec.sql)
    return location


def _check(check: Any) -> dict[str, Any]:
    """A check as its name and severity (None for a spec read from the cached manifest, which
    keeps only the names: ``describe`` and ``list --json`` read the real definitions)."""
    if isinstance(check, str):
        return {"name": check, "severity": None}
    return {"name": str(getattr(check, "name", check)), "severity": getattr(check, "severity", None)}


def _partitions(spec: AssetSpec) -> dict[str, Any] | None:
    if spec.partitions is None:
        return None
    return {"kind": spec.partitions.kind, "description": spec.partitions.describe(),
            "definition": spec.partitions.to_dict()}


def asset_definition(graph: AssetGraph, name: str, root: Path | None = None) -> dict[str, Any]:
    """What the definitions say of asset ``name``, as plain JSON types (keys always present;
    ``None`` where the asset sets nothing). ``root``: the project folder, which code paths are
    made relative to. No catalog, no I/O."""
    spec = graph[name]
    freshness = None
    if spec.freshness is not None:
        lag = spec.freshness.error_after
        freshness = {**spec.freshness.to_dict(), "summary": policy_summary(spec.freshness),
                     "max_lag_seconds": None if lag is None else lag.total_seconds(),
                     "max_lag": None if lag is None else human_duration(lag)}
    return {
        "asset": spec.name,
        "description": spec.description,
        "owner": spec.owner,
        "group": spec.group,
        "tags": list(spec.tags),
        "kind": "source" if spec.is_source else spec.kind,
        "io": spec.io,
        "partitions": _partitions(spec),
        "inputs": [
            {"asset": edge.upstream, "param": item.param, "type": item.type, "mapping": edge.mapping.describe()}
            for item, edge in zip(spec.inputs, graph.edges_in[name])  # one edge per input, in order
        ],
        "downstream": sorted({edge.downstream for edge in graph.edges_out[name]}, key=graph.position.__getitem__),
        "checks": [_check(c) for c in spec.checks],
        "freshness": freshness,
        "code_version": spec.code_version,
        "code": _code(spec, root),
    }


def _attempt(m: Materialization) -> dict[str, Any]:
    return {"run_id": m.run_id, "partition": m.partition, "at": m.ended_at, "rows": m.rows,
            "data_version": m.data_version}


SAMPLE_ROWS_SHOWN = 5
"""Failing rows kept with a check's result on an asset's page."""


def last_results(name: str, attempts: Sequence[Materialization]) -> dict[str, Any]:
    """The last publish and each check's newest result, from ``attempts`` (newest first): the
    catalog part of an asset's page that ``describe`` and the HTML report both show."""
    published = next((m for m in attempts if m.status == "published"), None)
    results: dict[str, dict[str, Any]] = {}
    for m in attempts:
        for result in m.checks:
            results.setdefault(result.check, {
                "check": result.check, "severity": result.severity, "passed": result.passed,
                "message": result.message, "observed": result.observed, "partition": m.partition,
                "run_id": m.run_id, "at": m.ended_at, "sample": (result.sample or [])[:SAMPLE_ROWS_SHOWN] or None,
            })
    return {"last_publish": None if published is None else _attempt(published),
            "check_results": sorted(results.values(), key=lambda r: str(r["check"]))}


def describe_asset(
    graph: AssetGraph, catalog: Catalog, snapshot: CatalogSnapshot, name: str, now: datetime,
    root: Path | None = None,
) -> dict[str, Any]:
    """:func:`asset_definition` and what the catalog knows of ``name`` at ``now``:

    - ``schema``: the columns of its newest published partition ``[{"name", "type", "nullable"}]``
      (None before its first publish);
    - ``last_publish``: ``{"run_id", "partition", "at", "rows", "data_version"}`` or None;
    - ``check_results``: each check's newest result ``{"check", "severity", "passed",
      "message", "observed", "partition", "run_id", "at", "sample"}`` (``sample``: up to
      five failing rows, or None);
    - ``status``: the ``status --json`` entry (counts by status, waiting, last publish time).
    """
    body = asset_definition(graph, name, root)
    columns = catalog.latest_schemas([name]).get(name)
    body["schema"] = None if columns is None else [c.model_dump() for c in columns]
    body.update(last_results(name, catalog.materializations(asset=name, limit=_ATTEMPTS_READ)))
    (entry,) = asset_statuses(graph, snapshot, [name], now, catalog.published_summary())
    body["status"] = entry.to_json()
    return body
