"""The emitter of a run's OpenLineage events: what the run loop calls (see the package's
docstring for the naming and the guarantees)."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assets_core.catalog.inputs import OBSERVED
from assets_core.execution.clock import stamp, stamp_epoch
from assets_core.execution.openlineage import events as ol
from assets_core.execution.openlineage.transports import (
    FileTransport,
    HttpTransport,
    Transport,
)

if TYPE_CHECKING:
    from assets_core.catalog import Run
    from assets_core.definitions.specs import AssetSpec
    from assets_core.execution.compute import Computed
    from assets_core.graph import AssetGraph
    from assets_core.project.loading import Project

PARENT_JOB = "materialize"
"""The job name of an ``assets`` run, the parent of every attempt in it."""

Schema = Sequence[tuple[str, str, bool]]
"""Columns as (name, type, nullable)."""


@dataclass(frozen=True)
class LineageSettings:
    """Where events go, resolved from ``[openlineage]`` and the environment."""

    namespace: str
    file: Path | None = None
    url: str | None = None
    endpoint: str = "api/v1/lineage"
    api_key: str | None = None
    timeout: float = 5.0


@dataclass(frozen=True)
class LineageSummary:
    """What a run emitted: ``events`` made, ``failed`` deliveries (per transport)."""

    events: int
    failed: int

    def to_json(self) -> dict[str, int]:
        return {"events": self.events, "failed": self.failed}


def lineage_settings(project: Project, environ: Mapping[str, str] = os.environ) -> LineageSettings | None:
    """The project's OpenLineage settings; None when nothing is to be emitted (no file and no
    URL configured, or ``OPENLINEAGE_DISABLED=true``). The table's keys win over the variables.

        >>> from assets_core.project.loading import Project, ProjectConfig
        >>> lineage_settings(Project(Path("/p"), ProjectConfig(name="shop")), {}) is None
        True
        >>> lineage_settings(Project(Path("/p"), ProjectConfig(name="shop")), {"OPENLINEAGE_URL": "http://h:5000"})
        LineageSettings(namespace='assets-core://shop', file=None, url='http://h:5000', endpoint='api/v1/lineage', api_key=None, timeout=5.0)
    """
    if environ.get("OPENLINEAGE_DISABLED", "").strip().lower() == "true":
        return None
    config = project.settings.openlineage
    url = config.url or environ.get("OPENLINEAGE_URL") or None
    file = None if config.file is None else project.root / config.file
    if url is None and file is None:
        return None
    return LineageSettings(
        namespace=config.namespace or environ.get("OPENLINEAGE_NAMESPACE") or f"assets-core://{project.config.name}",
        file=file, url=url,
        endpoint=config.endpoint or environ.get("OPENLINEAGE_ENDPOINT") or "api/v1/lineage",
        api_key=config.api_key or environ.get("OPENLINEAGE_API_KEY") or None,
        timeout=config.timeout,
    )


def _column_lineage(spec: AssetSpec, upstream_schemas: Mapping[str, Schema], own: Schema | None = None) -> ol.ColumnLineage:
    """{output column: [(upstream asset, upstream column, "direct" | "indirect")]} of an asset,
    from :mod:`assets_core.definitions.column_lineage` (SQL through sqlglot, Python from
    ``column_lineage=`` or inferred from ``own``, the schema it published): the one place
    column lineage enters the events. What it cannot follow is left out of the facet."""
    from assets_core.definitions.column_lineage import column_lineage

    def by_name(schema: Schema) -> dict[str, str]:
        return {name: type_ for name, type_, _ in schema}

    found = column_lineage(spec, {asset: by_name(s) for asset, s in upstream_schemas.items()},
                           None if own is None else by_name(own))
    return {column: [(edge.asset, edge.column, edge.kind) for edge in edges]
            for column, edges in found.columns.items() if edges}


def _version() -> str:
    try:
        return metadata.version("assets-core")
    except metadata.PackageNotFoundError:  # run from a checkout that is not installed
        return "0+unknown"


class Lineage:
    """The OpenLineage events of one run, sent to the configured transports."""

    def __init__(
        self, settings: LineageSettings, run: Run, graph: AssetGraph,
        latest_schemas: Mapping[str, Schema] | None = None,
    ) -> None:
        self.settings = settings
        self.graph = graph
        self.run_id = run.run_id
        version = _version()
        self.producer = f"urn:assets-core:{version}"
        self.namespace = settings.namespace
        self.transports: list[Transport] = []
        if settings.file is not None:
            self.transports.append(FileTransport(settings.file))
        if settings.url is not None:
            self.transports.append(HttpTransport(settings.url, settings.endpoint, settings.api_key, settings.timeout))
        self._parent = ol.parent_facet(self.producer, self.namespace, PARENT_JOB, ol.parent_run_id(run.run_id))
        self._engine = ol.engine_facet(self.producer, version)
        self._jobs: dict[str, dict[str, Any]] = {}
        self._checks: dict[str, dict[str, Any]] = {}
        self._schemas: dict[str, Schema] = dict(latest_schemas or {})
        """The newest schema of each asset: the catalog's, then what this run published."""
        self._column_lineage: dict[str, dict[str, Any] | None] = {}
        self._lock = threading.Lock()
        self._events = 0
        self._open: dict[tuple[str, str], tuple[int, Mapping[str, Mapping[str, str]]]] = {}
        """Attempts started and not ended: (asset, key) -> (attempt, inputs)."""

    # what the run loop calls -------------------------------------------------------------------

    def started(self, asset: str, key: str, inputs: Mapping[str, Mapping[str, str]], attempt: int = 1,
                at: str | None = None) -> None:
        """An attempt starts (``at`` defaults to now)."""
        with self._lock:
            self._open[asset, key] = (attempt, inputs)
        self._emit(self._event("START", asset, key, attempt, at or stamp(), inputs, self._output(asset, key)))

    def skipped(self, asset: str, key: str, reason: str) -> None:
        """A partition that could not run (an upstream failed): START, then ABORT with the reason."""
        now = stamp()
        output = self._output(asset, key)
        self._emit(self._event("START", asset, key, 1, now, {}, output))
        self._emit(self._event("ABORT", asset, key, 1, now, {}, output, reason))

    def concluded(
        self, asset: str, key: str, computed: Computed, kind: str, inputs: Mapping[str, Mapping[str, str]],
        message: str = "",
    ) -> None:
        """The end of a partition's attempts in this run: each earlier attempt that failed and
        was retried (its FAIL, the next one's START), then the last one's COMPLETE or FAIL."""
        attempts = (*computed.retried, computed)
        for earlier, after in pairwise(attempts):
            ended = stamp_epoch(earlier.started_at + earlier.seconds)
            self._emit(self._event("FAIL", asset, key, earlier.attempt, ended, inputs, self._output(asset, key),
                                   earlier.error or "failed"))
            self.started(asset, key, inputs, after.attempt, stamp_epoch(max(after.started_at, earlier.started_at + earlier.seconds)))
        with self._lock:
            self._open.pop((asset, key), None)
        staged = computed.staged
        published = kind == "published"
        output = self._output(asset, key) if staged is None else self._output(
            asset, key, staged.schema, published, staged.data_version, staged.rows, staged.bytes, computed.checks,
        )
        self._emit(self._event("COMPLETE" if published else "FAIL", asset, key, computed.attempt, stamp(), inputs,
                               output, None if published else message or computed.error or kind))

    def close(self) -> LineageSummary:
        """ABORT the attempts still open (an interrupted run), deliver what is queued, waiting
        at most the timeout; the run's counts."""
        with self._lock:
            left, self._open = self._open, {}
        for (asset, key), (attempt, inputs) in left.items():
            self._emit(self._event("ABORT", asset, key, attempt, stamp(), inputs, self._output(asset, key),
                                   "the run was interrupted before this attempt ended"))
        deadline = time.monotonic() + self.settings.timeout
        failed = sum(transport.close(deadline) for transport in self.transports)
        return LineageSummary(self._events, failed)

    # building events ---------------------------------------------------------------------------

    def _event(
        self, event_type: ol.EventType, asset: str, key: str, attempt: int, at: str,
        inputs: Mapping[str, Mapping[str, str]], output: dict[str, Any], error: str | None = None,
    ) -> dict[str, Any]:
        spec = self.graph[asset]
        facets: dict[str, Any] = {"parent": self._parent, "processing_engine": self._engine}
        interval = spec.partitions.data_interval(key) if spec.partitions is not None else None
        if interval is not None:
            facets["nominalTime"] = ol.nominal_time_facet(self.producer, stamp(interval.start), stamp(interval.end))
        if error is not None:
            facets["errorMessage"] = ol.error_facet(self.producer, error)
        return ol.run_event(
            event_type, at, self.producer, ol.attempt_run_id(self.run_id, asset, key, attempt), self._job(spec),
            facets, self._inputs(inputs), [output],
        )

    def _job(self, spec: AssetSpec) -> dict[str, Any]:
        job = self._jobs.get(spec.name)
        if job is None:
            job = ol.job(self.producer, self.namespace, spec.name, spec.kind, spec.sql, spec.description)
            self._jobs[spec.name] = job
        return job

    def _inputs(self, inputs: Mapping[str, Mapping[str, str]]) -> list[dict[str, Any]]:
        return [
            ol.input_dataset(self.producer, self.namespace, upstream, key, self._dimensions(upstream, key), version)
            for upstream, versions in inputs.items() if upstream != OBSERVED
            for key, version in versions.items()
        ]

    def _output(
        self, asset: str, key: str, schema: Schema | None = None, published: bool = False,
        data_version: str | None = None, rows: int | None = None, size: int | None = None,
        checks: Sequence[Any] = (),
    ) -> dict[str, Any]:
        """The partition written; once staged, its schema and check results; once published,
        its version, statistics and column lineage."""
        lineage = None
        if schema is not None and published:
            with self._lock:
                self._schemas[asset] = schema
            lineage = self._lineage_of(asset)
        return ol.output_dataset(
            self.producer, self.namespace, asset, key, self._dimensions(asset, key),
            version=data_version if published else None, schema=schema, column_lineage=lineage,
            rows=rows if published else None, size=size if published else None,
            assertions=self._assertions(asset, checks) if schema is not None else None,
        )

    def _dimensions(self, asset: str, key: str) -> dict[str, str] | None:
        partitions = self.graph[asset].partitions
        if partitions is None:
            return None
        split = getattr(partitions, "split", None)  # MultiPartitions: one dimension each
        return split(key) if split is not None else {"partition_key": key}

    def _lineage_of(self, asset: str) -> dict[str, Any] | None:
        if asset not in self._column_lineage:
            spec = self.graph[asset]
            with self._lock:
                upstream = {name: self._schemas[name] for name in spec.upstream if name in self._schemas}
                own = self._schemas.get(asset)
            mapping = _column_lineage(spec, upstream, own)
            self._column_lineage[asset] = ol.column_lineage_facet(self.producer, self.namespace, mapping)
        return self._column_lineage[asset]

    def _assertions(self, asset: str, results: Sequence[Any]) -> list[dict[str, Any]]:
        by_name = self._checks.get(asset)
        if by_name is None:
            by_name = self._checks[asset] = {check.name: check for check in self.graph[asset].checks}
        return [ol.assertion(by_name.get(r.check), r.check, r.passed, r.severity, r.observed) for r in results]

    def _emit(self, event: dict[str, Any]) -> None:
        line = json.dumps(event, separators=(",", ":"), default=str).encode()
        with self._lock:
            self._events += 1
        for transport in self.transports:
            transport.send(line)


__all__ = ["Lineage", "LineageSettings", "LineageSummary", "lineage_settings"]
