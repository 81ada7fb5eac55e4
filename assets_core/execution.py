"""The run loop: plan, take leases, then per partition load -> compute -> STAGE -> VALIDATE ->
PUBLISH | QUARANTINE, and record the attempts in the catalog in batches.

Effects happen in a fixed order so that a crash anywhere converges on the next run: staging
paths are unique per run and partition; publishing is one atomic step; the catalog record
(and the release of the partition's lease) comes last. A lease left by a dead run makes the
planner rebuild that partition.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import socket
import threading
import time
import traceback
import warnings
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from catalog import CatalogSnapshot, CheckRecord, Lease, Materialization, PartitionState, Run, SqliteCatalog
from assets_core.checks import run_checks
from assets_core.definitions import AssetContext, AssetSpec
from assets_core.errors import AssetsCoreError, ConflictError, PartitionError
from assets_core.graph import AssetGraph, select
from assets_core.planning import Cause, Plan, Step, UpstreamKeys, direct_reason, plan
from assets_core.project import Project
from assets_core.partitions import UNPARTITIONED
from assets_core.storage import Storage, StagedPartition, to_polars

FAULT_ENV = "ASSETS_CORE_FAULT"
FAULT_POINTS = ("stage", "validate", "publish", "catalog")
FLUSH_EVERY_RECORDS = 200
FLUSH_EVERY_SECONDS = 0.5

# DuckDB warns that Arrow output of a DB-API result copies; for one partition that is cheapest.
warnings.filterwarnings("ignore", message="Arrow output on a DB-API result")

OutcomeKind = Literal["published", "failed", "quarantined", "skipped", "up_to_date"]


# -- fault points: named places where a test can SIGKILL the process ---------------------------


def _fault_from_env() -> tuple[str, str | None, str | None] | None:
    raw = os.environ.get(FAULT_ENV)
    if not raw:
        return None
    point, _, rest = raw.partition(":")
    asset, _, key = rest.partition(":")
    return point, asset or None, key or None


_FAULT = _fault_from_env()


def fault_point(point: str, asset: str, key: str) -> None:
    """Kill this process with SIGKILL when ``ASSETS_CORE_FAULT=point[:asset[:key]]`` matches.

    Points: ``stage`` (staged, not validated), ``validate`` (validated, not published),
    ``publish`` (inside the publish step), ``catalog`` (inside the catalog write).
    """
    if _FAULT and _FAULT[0] == point and _FAULT[1] in (None, asset) and _FAULT[2] in (None, key):
        os.kill(os.getpid(), signal.SIGKILL)


# -- values ------------------------------------------------------------------------------------


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def _stamp(moment: datetime | None = None) -> str:
    return (moment or utc_now()).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Event:
    """Progress, for the CLI to render. ``kind`` is the outcome, or ``started``."""

    kind: str
    asset: str
    key: str
    rows: int | None = None
    duration: float = 0.0
    message: str = ""


@dataclass
class Outcome:
    kind: OutcomeKind
    message: str = ""
    rows: int | None = None
    duration: float = 0.0


@dataclass
class RunResult:
    run: Run
    plan: Plan
    outcomes: list[Outcome]
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.counts.get("failed", 0) == 0 and self.counts.get("quarantined", 0) == 0


# -- liveness of other runs --------------------------------------------------------------------

HOST = socket.gethostname()


def _process_alive(host: str | None, pid: int | None) -> bool:
    if host != HOST or pid is None:
        return host != HOST  # another machine's run: assume it is alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def live_snapshot(catalog: SqliteCatalog) -> CatalogSnapshot:
    """A snapshot in which leases of dead runs (crashed, killed) mark partitions interrupted."""
    catalog.mark_interrupted(lambda r: _process_alive(r.host, r.pid), _stamp())
    running = {r.run_id for r in catalog.runs(status="running")}
    return catalog.snapshot(lambda lease: lease.run_id in running)


# -- selection and --partitions ------------------------------------------------------------------


def parse_partitions(expression: str, graph: AssetGraph, assets: Iterable[str]) -> dict[str, list[str]]:
    """``A..B`` ranges and comma lists, resolved against each selected partitioned asset.

    Assets whose definition does not hold these keys (an unpartitioned or monthly asset
    below daily ones) are left out: they follow what is rebuilt upstream of them.
    """
    items = [item.strip() for item in expression.split(",") if item.strip()]
    if not items:
        raise PartitionError("--partitions is empty: give keys like 2025-01-01..2025-01-07 or eu,us.")
    partitioned = [a for a in sorted(assets, key=graph.position.__getitem__) if graph[a].partitions is not None]
    if not partitioned:
        raise PartitionError("--partitions was given, but no selected asset is partitioned: drop it.")
    requested: dict[str, list[str]] = {}
    first_error: PartitionError | None = None
    for asset in partitioned:
        definition = graph[asset].partitions
        assert definition is not None
        try:
            keys: list[str] = []
            for item in items:
                if ".." in item:
                    first, _, last = item.partition("..")
                    keys.extend(definition.key_range(first.strip(), last.strip(), asset))
                else:
                    definition.check_key(item, asset)
                    keys.append(item)
            requested[asset] = list(dict.fromkeys(keys))
        except PartitionError as exc:
            first_error = first_error or exc
    if not requested:
        assert first_error is not None
        raise first_error
    return requested


def make_plan(
    graph: AssetGraph,
    snapshot: CatalogSnapshot,
    now: datetime,
    selection: str | None = None,
    partitions: str | None = None,
) -> Plan:
    assets = select(graph, selection)
    requested = parse_partitions(partitions, graph, assets) if partitions else None
    return plan(graph, snapshot, assets, now, requested)


# -- the run -------------------------------------------------------------------------------------


class _RecordBuffer:
    """Attempts waiting to be written: one catalog transaction per batch, not per event."""

    def __init__(self, catalog: SqliteCatalog) -> None:
        self.catalog = catalog
        self.pending: list[Materialization] = []
        self.lock = threading.Lock()
        self.last_flush = time.monotonic()

    def add(self, record: Materialization) -> None:
        with self.lock:
            self.pending.append(record)
            due = len(self.pending) >= FLUSH_EVERY_RECORDS or time.monotonic() - self.last_flush > FLUSH_EVERY_SECONDS
            if due:
                self._flush()

    def flush(self) -> None:
        with self.lock:
            self._flush()

    def _flush(self) -> None:
        batch, self.pending = self.pending, []
        self.last_flush = time.monotonic()

        def before_commit() -> None:
            for record in batch:
                fault_point("catalog", record.asset, record.partition)

        self.catalog.record(batch, before_commit)


class _Runner:
    def __init__(
        self, graph: AssetGraph, catalog: SqliteCatalog, storage: Storage, snapshot: CatalogSnapshot,
        the_plan: Plan, run: Run, on_event: Callable[[Event], None],
    ) -> None:
        self.graph = graph
        self.catalog = catalog
        self.storage = storage
        self.snapshot = snapshot
        self.plan = the_plan
        self.run = run
        self.on_event = on_event
        self.records = _RecordBuffer(catalog)
        self.upstream_keys = UpstreamKeys(graph, the_plan.reference_time)
        self.outcomes: list[Outcome | None] = [None] * len(the_plan.steps)
        self.local = threading.local()
        self._sql_cache: dict[Any, str] = {}
        self.log = logging.getLogger("assets")

    # one step -------------------------------------------------------------------------------

    def execute(self, index: int) -> Outcome:
        step = self.plan.steps[index]
        blocked = self._blocked_by(step)
        if blocked:
            outcome = Outcome("skipped", blocked)
            self._record(step, outcome, _stamp(), None)
            return outcome
        if step.reason.cause == Cause.UPSTREAM_PLANNED and direct_reason(
            self.graph, self.snapshot, step.asset, step.key, self.upstream_keys
        ) is None:
            return Outcome("up_to_date", "upstream rebuilt with the same data")
        self.on_event(Event("started", step.asset, step.key))
        started, clock = _stamp(), time.perf_counter()
        inputs: dict[str, dict[str, str]] = {}
        staged: StagedPartition | None = None
        try:
            data = self._compute(step, inputs)
            staged = self.storage.stage(self.run.run_id, step.asset, step.key, data)
            fault_point("stage", step.asset, step.key)
            results = run_checks(self.graph[step.asset].checks, data)
            fault_point("validate", step.asset, step.key)
            checks = tuple(CheckRecord(**r.__dict__) for r in results)
            blocking = [r for r in results if r.blocks]
            if blocking:
                location = str(self.storage.quarantine(staged))
                message = "; ".join(f"{r.check}: {r.message}" for r in blocking)
                outcome = Outcome("quarantined", message, staged.rows, time.perf_counter() - clock)
            else:
                location = self.storage.publish(staged, self.graph[step.asset].io)
                self._remember_published(step, staged, inputs)
                outcome = Outcome("published", "", staged.rows, time.perf_counter() - clock)
            self._record(step, outcome, started, staged, inputs, checks, location)
        except _Blocked as exc:
            outcome = Outcome("skipped", str(exc))
            self._record(step, outcome, started, None)
        except (AssetsCoreError, _UserCodeError) as exc:
            outcome = Outcome("failed", str(exc), None, time.perf_counter() - clock)
            if staged is not None:
                staged.path.unlink(missing_ok=True)
            self._record(step, outcome, started, None, inputs)
        return outcome

    def _blocked_by(self, step: Step) -> str:
        for dep in step.deps:
            outcome = self.outcomes[dep]
            if outcome is None or outcome.kind not in ("published", "up_to_date"):
                up = self.plan.steps[dep]
                kind = "did not run" if outcome is None else outcome.kind
                return f"upstream {up.asset}[{up.key}] {kind}"
        return ""

    def _compute(self, step: Step, inputs: dict[str, dict[str, str]]) -> Any:
        spec = self.graph[step.asset]
        slices: dict[str, tuple[str, str, list[str], bool]] = {}
        for edge, item in zip(self.graph.edges_in[step.asset], spec.inputs):
            keys = self.upstream_keys(edge, step.key)
            versions = {k: self.snapshot.version(edge.upstream, k) for k in keys}
            missing = [k for k, v in versions.items() if v is None]
            if missing:
                raise _Blocked(
                    f"waits for {edge.upstream}[{missing[0]}], which is not published: "
                    f"materialize it too, e.g. `assets materialize --select +{step.asset}`"
                )
            inputs[edge.upstream] = versions  # type: ignore[assignment]
            slices[item.param] = (edge.upstream, self.graph[edge.upstream].io, keys, edge.mapping.is_fan_in())
        interval = spec.partitions.data_interval(step.key) if spec.partitions is not None else None
        context = AssetContext(step.asset, step.key, interval, self.run.run_id, logging.getLogger(f"assets.{step.asset}"))
        needs_duckdb = spec.kind == "sql" or any(item.type == "duckdb" for item in spec.inputs)
        db = self._duckdb(any(io == "duckdb" for _, io, _, _ in slices.values())) if needs_duckdb else None
        try:
            if spec.kind == "sql":
                return self._run_sql(db, spec, slices, context)
            kwargs = {item.param: self._hand_over(db, slices[item.param], item.type) for item in spec.inputs}
            if spec.wants_context:
                kwargs["context"] = context
            assert spec.fn is not None
            return to_polars(spec.fn(**kwargs), step.asset)
        except AssetsCoreError:
            raise
        except Exception as exc:  # the asset's own code (or query) failed
            raise _UserCodeError.from_exception(step, exc) from exc
        finally:
            if db is not None:
                db.close()

    def _run_sql(self, db: Any, spec: AssetSpec, slices: dict[str, Any], context: AssetContext) -> Any:
        """Input tables are rewritten to read exactly the partitions mapped; values are bound."""
        import polars as pl

        query = self._rendered_sql(spec, slices)
        bound: dict[str, Any] = {"start": context.start, "end": context.end, "partition_key": context.partition_key}
        params = {p: bound[p] for p in spec.sql_params}
        for name, (asset, io, keys, _) in slices.items():
            params[f"input_{name}"] = self.storage.input_value(asset, io, keys)
        return pl.from_arrow(db.execute(query, params).to_arrow_table())

    def _rendered_sql(self, spec: AssetSpec, slices: dict[str, Any]) -> str:
        """The asset's query with its input tables replaced, rendered once per asset and shape."""
        shape = (spec.name, tuple((n, io, with_key, keys != [UNPARTITIONED]) for n, (_, io, keys, with_key) in slices.items()))
        rendered = self._sql_cache.get(shape)
        if rendered is None:
            from assets_core.sql import replace_tables

            assert spec.sql is not None
            sources = {
                name: self.storage.input_query(asset, io, with_key, f"input_{name}", keys != [UNPARTITIONED])
                for name, (asset, io, keys, with_key) in slices.items()
            }
            rendered = self._sql_cache[shape] = replace_tables(spec.sql, sources)
        return rendered

    def _duckdb(self, with_warehouse: bool) -> Any:
        """A DuckDB cursor for this thread: on the warehouse when an input lives there."""
        if with_warehouse:
            return self.storage.warehouse()
        connection = getattr(self.local, "duckdb", None)
        if connection is None:
            import duckdb

            connection = self.local.duckdb = duckdb.connect()
        return connection.cursor()

    def _hand_over(self, db: Any, source: tuple[str, str, list[str], bool], kind: str) -> Any:
        asset, io, keys, with_key = source
        if kind == "duckdb":
            query = self.storage.input_query(asset, io, with_key, "keys", keys != [UNPARTITIONED])
            return db.sql(query, params={"keys": self.storage.input_value(asset, io, keys)})
        frame = self.storage.scan(asset, io, keys, with_key)
        if kind == "lazy":
            return frame
        collected = frame.collect()
        return collected.to_arrow() if kind == "arrow" else collected

    def _remember_published(self, step: Step, staged: StagedPartition, inputs: dict[str, dict[str, str]]) -> None:
        """Downstream steps of this run read the version just published."""
        self.snapshot.partitions.setdefault(step.asset, {})[step.key] = PartitionState(
            staged.data_version, self.graph[step.asset].code_version, inputs, _stamp(), staged.rows,
            "published", self.run.run_id, None,
        )

    def _record(
        self, step: Step, outcome: Outcome, started: str, staged: StagedPartition | None,
        inputs: dict[str, dict[str, str]] | None = None, checks: tuple[CheckRecord, ...] = (),
        location: str | None = None,
    ) -> None:
        self.records.add(Materialization(
            run_id=self.run.run_id, asset=step.asset, partition=step.key, status=outcome.kind,  # type: ignore[arg-type]
            cause=step.reason.cause.value, started_at=started, ended_at=_stamp(),
            rows=None if staged is None else staged.rows, bytes=None if staged is None else staged.bytes,
            code_version=self.graph[step.asset].code_version,
            data_version=staged.data_version if staged is not None and outcome.kind == "published" else None,
            inputs=inputs or None, error=outcome.message or None, location=location, checks=checks,
        ))

    # the loop -------------------------------------------------------------------------------

    def run_all(self, workers: int) -> None:
        steps = self.plan.steps
        waiting = [len(set(s.deps)) for s in steps]
        dependents: list[list[int]] = [[] for _ in steps]
        for i, step in enumerate(steps):
            for dep in set(step.deps):
                dependents[dep].append(i)
        ready = deque(i for i, n in enumerate(waiting) if n == 0)

        def finish(index: int, outcome: Outcome) -> None:
            self.outcomes[index] = outcome
            step = steps[index]
            self.on_event(Event(outcome.kind, step.asset, step.key, outcome.rows, outcome.duration, outcome.message))
            for child in dependents[index]:
                waiting[child] -= 1
                if waiting[child] == 0:
                    ready.append(child)

        if workers <= 1:
            while ready:
                index = ready.popleft()
                finish(index, self.execute(index))
            return
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="assets") as pool:
            running: dict[Future[Outcome], int] = {}
            while ready or running:
                while ready and len(running) < workers:
                    index = ready.popleft()
                    running[pool.submit(self.execute, index)] = index
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    finish(running.pop(future), future.result())


class _Blocked(Exception):
    """An input partition is not published and not part of this run: the step cannot run."""


class _UserCodeError(Exception):
    """An exception from an asset's code, summarized as its type, message and line."""

    @classmethod
    def from_exception(cls, step: Step, exc: Exception) -> _UserCodeError:
        frames = traceback.extract_tb(exc.__traceback__)
        where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else ""
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        return cls(f"{type(exc).__name__}: {first}{where}")


def materialize(
    project: Project,
    graph: AssetGraph,
    catalog: SqliteCatalog,
    the_plan: Plan,
    workers: int = 1,
    selection: str | None = None,
    partitions: str | None = None,
    on_event: Callable[[Event], None] = lambda event: None,
    trigger: str = "cli",
) -> RunResult:
    """Run a plan. The graph must be the fully loaded one (functions, checks)."""
    run = Run(
        run_id=f"{utc_now():%Y%m%dT%H%M%S}-{secrets.token_hex(3)}",
        selection=selection, partitions=partitions, trigger=trigger,
        reference_time=the_plan.reference_time.isoformat(), started_at=_stamp(),
        pid=os.getpid(), host=HOST,
    )
    catalog.upsert_assets(
        (
            {
                "name": spec.name, "kind": spec.kind, "code_version": spec.code_version,
                "partitions": None if spec.partitions is None else str(spec.partitions.to_dict()),
                "inputs": ",".join(spec.upstream),
            }
            for spec in graph.specs.values()
        ),
        _stamp(),
    )
    catalog.mark_interrupted(lambda r: _process_alive(r.host, r.pid), _stamp())
    catalog.start_run(run)
    running = {r.run_id for r in catalog.runs(status="running")}
    conflicts = catalog.acquire_leases(
        ((s.asset, s.key) for s in the_plan.steps), run.run_id, run.pid or 0, HOST, _stamp(),
        lambda lease: lease.run_id in running and lease.run_id != run.run_id,
    )
    if conflicts:
        catalog.finish_run(run.run_id, "failed", _stamp(), {})
        first = conflicts[0]
        raise ConflictError(
            f"Run {first.run_id} (pid {first.pid} on {first.host}) is materializing "
            f"{len(conflicts)} of the planned partitions, e.g. {first.asset}[{first.partition}]: "
            "wait for it to finish, or narrow --select/--partitions."
        )
    storage = Storage(project.data_dir, project.warehouse_path, fault_point)
    storage.discard_dead_staging(running)
    snapshot = live_snapshot(catalog)
    runner = _Runner(graph, catalog, storage, snapshot, the_plan, run, on_event)
    status = "interrupted"
    try:
        runner.run_all(workers)
        status = "succeeded"
    finally:
        runner.records.flush()
        catalog.release_leases(run.run_id)
        storage.discard_staging(run.run_id)
        storage.close()
        counts: dict[str, int] = {}
        for outcome in runner.outcomes:
            if outcome is not None:
                counts[outcome.kind] = counts.get(outcome.kind, 0) + 1
        if status == "succeeded" and (counts.get("failed") or counts.get("quarantined")):
            status = "failed"
        catalog.finish_run(run.run_id, status, _stamp(), counts)
    finished = catalog.run(run.run_id)
    assert finished is not None
    return RunResult(finished, the_plan, [o for o in runner.outcomes if o is not None], counts)
