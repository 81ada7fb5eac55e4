"""The run loop: take leases, then per partition prepare -> compute (stage, validate,
publish or quarantine) -> record, with upstream partitions first.

Effects happen in a fixed order so that a crash anywhere converges on the next run: staging
paths are unique per run and partition; publishing is one atomic step; the catalog record
(and the release of the partition's lease) comes last. A lease left by a dead run makes the
planner rebuild that partition.

Executors: ``inline`` (one partition at a time), ``threads`` (polars and DuckDB release the
GIL), ``processes`` (worker processes compute, stage and validate, and hand back the staged
file; this process publishes and records, since it owns the leases, the warehouse and the
catalog; workers die with it).

Leases fence every publish (``execution.leases``): the run holds each planned partition's lease,
renewed by a heartbeat; the data switch (the Parquet rename, the DuckDB commit) happens inside
``Catalog.fence`` with the lease's generation, so a run whose lease was taken over (it was
paused or cut off past its expiry) never publishes: that attempt is refused, recorded as
failed (``lease lost: ...``, history only) and its staged data discarded.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import threading
import time
import heapq
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from types import FrameType
from typing import TYPE_CHECKING, Any, Literal, get_args

from assets_core.catalog import Catalog, CatalogSnapshot, CheckRecord, Lease, LeaseLost, LeasesLost, Materialization, PartitionState, Run
from assets_core.catalog.models import FailureClass, RunStatus
from assets_core.errors import AssetsCoreError, ConflictError, StorageError, TransientStorageError
from assets_core.execution.capture import capturing
from assets_core.execution.compute import Computed, Computer, Slice, Work
from assets_core.execution.faults import fault_point
from assets_core.execution.retire import retire_all, retired_refs
from assets_core.execution.clock import stamp, stamp_epoch, utc_now
from assets_core.execution.leases import HOST, Heartbeat, expiry, held_message, lease_alive, lease_seconds
from assets_core.execution.row_history import row_history
from assets_core.definitions.deadlines import ledger_due_at
from assets_core.execution.runs import columns_of, live_run_ids, new_run
from assets_core.execution.stores import committed, open_storage, run_is_finished
from assets_core.graph import AssetGraph
from assets_core.partitions.grain import grain
from assets_core.partitions import UNPARTITIONED, partition_ref
from assets_core.planning.plan import Cause, Plan, Step, direct_reason
from assets_core.catalog.inputs import OBSERVED
from assets_core.planning.reads import UpstreamKeys
from assets_core.project.loading import Project
from assets_core.storage.store import StagedPartition, Storage

if TYPE_CHECKING:
    from assets_core.execution.dask_pool import DaskPool
    from assets_core.execution.openlineage.emitter import Lineage, LineageSummary
    from assets_core.execution.workers import WorkerPool

FLUSH_EVERY_RECORDS = 200
FLUSH_EVERY_SECONDS = 0.5

OutcomeKind = Literal["published", "failed", "quarantined", "skipped", "up_to_date", "retried"]
Executor = Literal["inline", "threads", "processes", "dask"]
EXECUTORS: tuple[str, ...] = get_args(Executor)


class WorkerDied(AssetsCoreError):
    """A worker process vanished mid-partition; its partitions keep their leases and are
    planned again (as unknown) by the next run."""


@dataclass(frozen=True)
class Event:
    """Progress, for the CLI to render. ``kind`` is the outcome, or ``started``."""

    kind: str
    asset: str
    key: str
    rows: int | None = None
    duration: float = 0.0
    message: str = ""
    warnings: tuple[str, ...] = ()
    """The warn-severity checks that failed (``check: message``), on a published partition."""


@dataclass
class Outcome:
    kind: OutcomeKind
    message: str = ""
    rows: int | None = None
    duration: float = 0.0
    attempts: int = 1
    warnings: tuple[str, ...] = ()


@dataclass
class RunResult:
    run: Run
    plan: Plan
    outcomes: list[Outcome]
    counts: dict[str, int] = field(default_factory=dict)
    openlineage: LineageSummary | None = None
    """Events emitted and deliveries that failed; None when OpenLineage is not configured."""

    retire_failures: list[str] = field(default_factory=list)
    """Why partitions to retire were not (their storage refused; the next run tries again)."""

    @property
    def ok(self) -> bool:
        return self.counts.get("failed", 0) == 0 and self.counts.get("quarantined", 0) == 0 and not self.retire_failures


class _RecordBuffer:
    """Attempts waiting to be written: one catalog transaction per batch, not per event.
    On a bucket, that commit is the switch: ``storage`` then updates its manifests and
    deletes what the commit superseded."""

    def __init__(self, catalog: Catalog, storage: Storage | None = None) -> None:
        self.catalog = catalog
        self.storage = storage
        self.pending: list[Materialization] = []
        self.observations: list[tuple[str, str, str]] = []  # (source, partition, version) read
        self.lock = threading.Lock()
        self.last_flush = time.monotonic()

    def add(self, record: Materialization) -> None:
        with self.lock:
            self.pending.append(record)
            if len(self.pending) >= FLUSH_EVERY_RECORDS or time.monotonic() - self.last_flush > FLUSH_EVERY_SECONDS:
                self._flush()

    def flush(self) -> None:
        """Write what is pending: the run's last commit, after which every manifest is current."""
        with self.lock:
            self._flush(final=True)

    def observed(self, asset: str, key: str, version: str) -> None:
        with self.lock:
            self.observations.append((asset, key, version))

    def _flush(self, final: bool = False) -> None:
        batch, self.pending = self.pending, []
        observations, self.observations = self.observations, []
        self.last_flush = time.monotonic()
        if observations:
            self.catalog.record_observations(observations, stamp())

        def before_commit() -> None:
            for record in batch:
                fault_point("catalog", record.asset, record.partition)

        self.catalog.record(batch, before_commit)
        if self.storage is not None:
            committed(self.storage, batch, final)


GROUP_PARTITIONS = 64
GROUP_BYTES = 64 * 2**20
GROUP_SECONDS = 1.0


@dataclass
class _Parked:
    """A partition of a DuckDB asset staged and valid, waiting for its group's commit."""

    index: int
    computed: Computed
    inputs: dict[str, dict[str, str]]
    clock: float
    size: float
    """Bytes of its staged rows in memory (of its file when not held)."""


class _PublishGroups:
    """Group commit: partitions of a DuckDB asset that each passed their own checks wait here,
    then are published together in one warehouse transaction, fenced by all their leases at
    once (``Storage.publish_group``, ``Catalog.fence_all``), and recorded one by one. A group
    is committed once it holds ``GROUP_PARTITIONS`` partitions or ``GROUP_BYTES`` of staged
    rows, once its first partition waited ``GROUP_SECONDS``, or as soon as the run has
    nothing else to start (a partition's dependents wait for its commit)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parked: dict[str, list[_Parked]] = {}

    def park(self, asset: str, parked: _Parked) -> None:
        with self._lock:
            self._parked.setdefault(asset, []).append(parked)

    def due(self, everything: bool = False) -> list[list[_Parked]]:
        """Take the groups to commit now (every one with ``everything``)."""
        now = time.perf_counter()
        with self._lock:
            taken = [asset for asset, group in self._parked.items() if everything or len(group) >= GROUP_PARTITIONS
                     or sum(p.size for p in group) >= GROUP_BYTES or now - group[0].clock >= GROUP_SECONDS]
            return [self._parked.pop(asset) for asset in taken]

    def __bool__(self) -> bool:
        with self._lock:
            return bool(self._parked)


class _ReadySteps:
    """Steps whose inputs are done, downstream-most first: finishing a partition's chain
    before starting the next one spreads the warehouse publishes over the whole run and keeps
    fewer staged partitions in flight."""

    def __init__(self, graph: AssetGraph, steps: list[Step]) -> None:
        self._rank = [-graph.position[s.asset] for s in steps]
        self._asset = [s.asset for s in steps]
        self._heap: list[tuple[int, int]] = []
        self.by_asset: dict[str, int] = {}
        """How many steps of each asset are ready."""

    def append(self, index: int) -> None:
        heapq.heappush(self._heap, (self._rank[index], index))
        self.by_asset[self._asset[index]] = self.by_asset.get(self._asset[index], 0) + 1

    def pop(self, can_start: Callable[[int], bool] = lambda index: True) -> int | None:
        """The first ready step that may start now (its pool has room), or None."""
        passed: list[tuple[int, int]] = []
        found = None
        while self._heap:
            item = heapq.heappop(self._heap)
            if can_start(item[1]):
                found = item[1]
                self.by_asset[self._asset[found]] -= 1
                break
            passed.append(item)
        for item in passed:
            heapq.heappush(self._heap, item)
        return found

    def __bool__(self) -> bool:
        return bool(self._heap)


class _Pools:
    """Concurrency limits of assets.toml's [pools], counted across the whole run."""

    def __init__(self, limits: dict[str, int], graph: AssetGraph, steps: list[Step]) -> None:
        self.limits = limits
        self._pool = [graph[s.asset].pool for s in steps]
        self._used = dict.fromkeys(limits, 0)

    def can_start(self, index: int) -> bool:
        pool = self._pool[index]
        return pool is None or self._used[pool] < self.limits[pool]

    def take(self, index: int) -> None:
        if (pool := self._pool[index]) is not None:
            self._used[pool] += 1

    def release(self, index: int) -> None:
        if (pool := self._pool[index]) is not None:
            self._used[pool] -= 1


HOOKS_WAIT = 5.0
"""Seconds the end of a run waits, in all, for hooks still being delivered (after its leases
are released and its record is finished); what is left then is dropped with a warning."""


class _Notifier:
    """Sends on_failure / on_quarantine hooks from a background thread: a slow webhook never
    holds up the run, and a failing one is only logged (see ``assets_core.execution.hooks``)."""

    def __init__(self, project: Project, run: Run) -> None:
        self.project = project
        self.run = run
        self.hooks = {"failure": project.settings.hooks.on_failure, "quarantine": project.settings.hooks.on_quarantine}
        self._queue: queue.Queue[tuple[list[str], dict[str, Any]] | None] = queue.Queue()
        self._sender: threading.Thread | None = None
        if any(self.hooks.values()):  # a daemon: a hook that hangs never keeps the process alive
            self._sender = threading.Thread(target=self._send_all, name="assets-hooks", daemon=True)
            self._sender.start()

    def __call__(self, event: str, step: Step, outcome: Outcome, checks: tuple[CheckRecord, ...] = ()) -> None:
        if self._sender is None or not self.hooks[event]:
            return
        payload = {
            "event": event, "project": self.project.config.name, "run_id": self.run.run_id,
            "asset": step.asset, "partition": step.key, "status": outcome.kind, "error": outcome.message,
            "checks": [c.model_dump() for c in checks], "attempts": outcome.attempts, "at": stamp(),
        }
        self._queue.put((list(self.hooks[event]), payload))

    def _send_all(self) -> None:
        from assets_core.execution.hooks import send

        while (item := self._queue.get()) is not None:
            send(item[0], item[1], self.project.root)

    def close(self, wait: float = HOOKS_WAIT) -> None:
        """Wait at most ``wait`` seconds in all for the hooks not yet delivered."""
        if self._sender is None:
            return
        self._queue.put(None)
        self._sender.join(wait)
        if self._sender.is_alive():
            left = self._queue.qsize()
            logging.getLogger("assets.notify").warning(
                "Hooks still being delivered after %g s were dropped (%d waiting, one in progress): "
                "check that the webhooks answer.", wait, max(0, left - 1),
            )


class _Runner:
    def __init__(
        self, project: Project, graph: AssetGraph, catalog: Catalog, storage: Storage,
        snapshot: CatalogSnapshot, the_plan: Plan, run: Run, on_event: Callable[[Event], None],
        generations: dict[tuple[str, str], int] | None = None,
    ) -> None:
        self.project = project
        self.graph = graph
        self.storage = storage
        self.snapshot = snapshot
        self.plan = the_plan
        self.run = run
        self.on_event = on_event
        self.records = _RecordBuffer(catalog, storage)
        self.upstream_keys = UpstreamKeys(graph, the_plan.reference_time)
        self.outcomes: list[Outcome | None] = [None] * len(the_plan.steps)
        self.started: set[int] = set()
        """Steps whose partition this run began to compute: an interrupted run keeps only their leases."""
        self.inputs: dict[int, dict[str, dict[str, str]]] = {}
        self.computer = Computer(graph, storage, project.retry)
        self.pools = _Pools(dict(project.settings.pools), graph, the_plan.steps)
        self.notify = _Notifier(project, run)
        self.lineage = _lineage(project, run, graph, catalog)
        self.generations = generations or {}
        """The generation of each lease this run was granted: what its publishes must still hold."""
        self.groups = _PublishGroups()

    # the phases of one step -------------------------------------------------------------------

    def prepare(self, index: int) -> Work | Outcome:
        """The work for a step, or its outcome when it must not run (blocked, up to date)."""
        step = self.plan.steps[index]
        blocked = self._blocked_by(step)
        if not blocked and step.reason.cause == Cause.UPSTREAM_PLANNED and direct_reason(
            self.graph, self.snapshot, step.asset, step.key, self.upstream_keys
        ) is None:
            return Outcome("up_to_date", "upstream rebuilt with the same data")
        slices: list[Slice] = []
        inputs: dict[str, dict[str, str]] = {}
        for edge, item in zip(self.graph.edges_in[step.asset], self.graph[step.asset].inputs):
            if blocked:
                break
            keys = self.upstream_keys(edge, step.key)
            versions = {k: self.snapshot.version(edge.upstream, k) for k in keys}
            missing = next((k for k, v in versions.items() if v is None), None)
            if missing is not None:
                blocked = (
                    f"waits for {partition_ref(edge.upstream, missing)}, which is not published: materialize it "
                    f"too, e.g. `assets materialize --select +{step.asset}`"
                )
                break
            inputs[edge.upstream] = versions  # type: ignore[assignment]
            io = self.graph[edge.upstream].io
            many = edge.mapping.reads_many(self.graph[edge.upstream].partitions, self.graph[step.asset].partitions)
            slices.append(Slice(item.param, edge.upstream, io, tuple(keys), many, item.type,
                                self._objects(edge.upstream, io, keys), tuple(versions[k] for k in keys)))  # type: ignore[misc]
        if blocked:
            outcome = Outcome("skipped", blocked)
            self._record(step, outcome, stamp(), stamp())
            if self.lineage is not None:
                self.lineage.skipped(step.asset, step.key, blocked)
            return outcome
        observed = self.snapshot.observed.get(step.asset, {}).get(step.key)
        if observed is not None:  # the source version this partition is built from
            inputs[OBSERVED] = {step.key: observed}
        self.inputs[index] = inputs
        self.started.add(index)
        self.on_event(Event("started", step.asset, step.key))
        if self.lineage is not None:
            self.lineage.started(step.asset, step.key, inputs)
        return Work(step.asset, step.key, self.run.run_id, tuple(slices), row_history(self.snapshot, self.graph, step.asset, step.key))

    def _objects(self, asset: str, io: str, keys: list[str]) -> tuple[str, ...]:
        """On a bucket, the current object of each of ``keys`` (this run's publishes included),
        for workers to read without asking the catalog."""
        if self.storage.remote is None or io != "parquet":
            return ()
        current = self.storage.remote.current(asset, keys)
        return tuple(current.get(key, "") for key in keys)

    def _blocked_by(self, step: Step) -> str:
        for dep in step.deps:
            outcome = self.outcomes[dep]
            if outcome is None or outcome.kind not in ("published", "up_to_date"):
                up = self.plan.steps[dep]
                return f"upstream {partition_ref(up.asset, up.key)} {'did not run' if outcome is None else outcome.kind}"
        return ""

    def conclude(self, index: int, computed: Computed) -> Outcome | None:
        """Publish what is only staged, then record the attempts; None when the partition
        waits for its group's commit (a DuckDB asset's: :meth:`commit_groups`)."""
        step = self.plan.steps[index]
        clock = time.perf_counter()
        inputs = self.inputs.pop(index, {})
        for earlier in computed.retried:
            self._record(step, Outcome("retried", earlier.error or ""), stamp_epoch(earlier.started_at),
                         stamp_epoch(earlier.started_at + earlier.seconds), inputs=inputs, attempt=earlier)
        if computed.observed is not None:  # a source: record the version it was read at
            inputs[OBSERVED] = {step.key: computed.observed}
            if self.snapshot.observed.get(step.asset, {}).get(step.key) != computed.observed:
                self.records.observed(step.asset, step.key, computed.observed)
        staged = computed.staged
        if staged is None:
            return self._failed(step, computed, computed.error or "failed", inputs)
        location = computed.location
        if computed.state == "staged":
            if self.graph[step.asset].io == "duckdb" and step.key != UNPARTITIONED:
                size = staged.frame.estimated_size() if staged.frame is not None else staged.bytes
                self.groups.park(step.asset, _Parked(index, computed, inputs, clock, size))
                return None
            try:
                location = self._publish(step, staged)
            except LeaseLost as exc:
                staged.path.unlink(missing_ok=True)  # never published: another run owns the partition
                computed.timings["publish"] = time.perf_counter() - clock
                return self._failed(step, replace(computed, failure="lease"), str(exc), inputs,
                                    time.perf_counter() - clock)
            except AssetsCoreError as exc:
                failure: FailureClass = "transient" if isinstance(exc, TransientStorageError) else "storage"
                return self._failed(step, replace(computed, failure=failure), str(exc), inputs,
                                    time.perf_counter() - clock)
            finally:
                computed.timings["publish"] = time.perf_counter() - clock
        return self._concluded(index, computed, inputs, location, clock)

    def _concluded(self, index: int, computed: Computed, inputs: dict[str, dict[str, str]], location: str | None,
                   clock: float) -> Outcome:
        """Record a partition published or quarantined (``computed.state``)."""
        step = self.plan.steps[index]
        staged = computed.staged
        assert staged is not None
        started = stamp_epoch(computed.started_at)
        if computed.state == "quarantined":
            blocking = [r for r in computed.checks if r.blocks]
            message = "; ".join(f"{r.check}: {r.message}" for r in blocking)
            kind: OutcomeKind = "quarantined"
        else:
            if self.storage.remote is not None and location is not None and self.graph[step.asset].io == "parquet":
                self.storage.remote.published(step.asset, step.key, location)  # switched by the catalog commit
            self.snapshot.partitions.setdefault(step.asset, {})[step.key] = PartitionState(
                staged.data_version, self.graph[step.asset].code_version, inputs or None, stamp(),
                staged.rows, "published", self.run.run_id, None,
            )
            message, kind = "", "published"
            self._add_partitions(computed.added_partitions)
        checks = tuple(CheckRecord(**r.__dict__) for r in computed.checks)
        warned = tuple(f"{r.check}: {r.message}" for r in computed.checks if not r.passed and not r.blocks)
        outcome = Outcome(kind, message, staged.rows, computed.seconds + time.perf_counter() - clock, computed.attempt,
                          warned if kind == "published" else ())
        self._record(step, outcome, started, stamp(), staged.rows, staged.bytes,
                     staged.data_version if kind == "published" else None, inputs, checks, location, computed)
        if self.lineage is not None:
            self.lineage.concluded(step.asset, step.key, computed, kind, inputs, message)
        if kind == "quarantined":
            self.notify("quarantine", step, outcome, checks)
        return outcome

    def commit_groups(self, everything: bool = False) -> list[tuple[int, Outcome]]:
        """Commit the groups that are due (every one with ``everything``); their outcomes."""
        return [done for group in self.groups.due(everything) for done in self._commit_group(group)]

    def _commit_group(self, group: list[_Parked]) -> list[tuple[int, Outcome]]:
        """Publish a group in one warehouse transaction, under all its leases. A partition whose
        lease was lost is left out (recorded as failed, ``lease``) and the others committed
        without it; when the transaction fails, each partition is published alone, so the one
        that breaks it fails by itself, with its own error."""
        clock = time.perf_counter()
        done: list[tuple[int, Outcome]] = []
        remaining = list(group)
        while remaining:
            try:
                location = self._publish_group(remaining)
            except LeasesLost as exc:
                lost = {(refused.lease.asset, refused.lease.partition): refused for refused in exc.lost}
                for parked in remaining:
                    step = self.plan.steps[parked.index]
                    if (step.asset, step.key) in lost:
                        done.append((parked.index, self._not_published(parked, "lease", str(lost[step.asset, step.key]), clock)))
                remaining = [p for p in remaining if (self.plan.steps[p.index].asset, self.plan.steps[p.index].key) not in lost]
                continue
            except AssetsCoreError as exc:
                if len(remaining) > 1:
                    for parked in remaining:
                        done.extend(self._commit_group([parked]))
                    return done
                failure: FailureClass = "transient" if isinstance(exc, TransientStorageError) else "storage"
                return [*done, (remaining[0].index, self._not_published(remaining[0], failure, str(exc), clock))]
            share = (time.perf_counter() - clock) / len(remaining)
            for parked in remaining:
                parked.computed.timings["publish"] = share
                done.append((parked.index, self._concluded(parked.index, parked.computed, parked.inputs, location,
                                                           time.perf_counter() - share)))
            break
        return done

    def _not_published(self, parked: _Parked, failure: FailureClass, error: str, clock: float) -> Outcome:
        computed = parked.computed
        assert computed.staged is not None
        computed.staged.path.unlink(missing_ok=True)  # never published
        computed.timings["publish"] = time.perf_counter() - clock
        return self._failed(self.plan.steps[parked.index], replace(computed, failure=failure), error, parked.inputs,
                            time.perf_counter() - clock)

    def _publish_group(self, group: list[_Parked]) -> str:
        """Publish a group under its partitions' leases, all fenced in one catalog transaction
        (``Catalog.fence_all``); a transient refusal is tried again as the asset's retry policy says."""
        steps = [self.plan.steps[p.index] for p in group]
        leases = [Lease(step.asset, step.key, self.run.run_id, self.run.pid or 0, self.run.host or "",
                        generation=self.generations.get((step.asset, step.key), 0)) for step in steps]
        staged = [p.computed.staged for p in group]
        assert all(s is not None for s in staged)

        def fence(switch: Callable[[], Any]) -> Any:
            return self.records.catalog.fence_all(leases, switch)

        policy = self.graph[steps[0].asset].retry or self.project.retry
        for attempt in range(1, policy.max_attempts):
            try:
                return self.storage.publish_group(staged, fence)  # type: ignore[arg-type]
            except TransientStorageError:
                time.sleep(policy.delay_before(attempt + 1))
        return self.storage.publish_group(staged, fence)  # type: ignore[arg-type]

    def _publish(self, step: Step, staged: StagedPartition) -> str:
        """Publish under the partition's lease: the switch (the rename, the warehouse's commit)
        runs in ``Catalog.fence``, refused with LeaseLost once another run took the lease over
        (a DuckDB publish writes its rows first and only commits inside); a transient refusal (the warehouse's lock held, a full disk)
        is tried again as the asset's retry policy says, waiting outside the fence."""
        asset = step.asset
        lease = Lease(asset, step.key, self.run.run_id, self.run.pid or 0, self.run.host or "",
                      generation=self.generations.get((asset, step.key), 0))
        io = self.graph[asset].io

        def fence(switch: Callable[[], Any]) -> Any:
            return self.records.catalog.fence(lease, switch)

        policy = self.graph[asset].retry or self.project.retry
        for attempt in range(1, policy.max_attempts):
            try:
                return self.storage.publish(staged, io, fence)
            except TransientStorageError:
                time.sleep(policy.delay_before(attempt + 1))
        return self.storage.publish(staged, io, fence)

    def _add_partitions(self, added: tuple[tuple[str, str], ...]) -> None:
        by_name: dict[str, list[str]] = {}
        for name, key in added:
            by_name.setdefault(name, []).append(key)
        for name, keys in by_name.items():
            self.records.catalog.add_dynamic_keys(name, keys, stamp())

    def _failed(
        self, step: Step, computed: Computed, error: str, inputs: dict[str, dict[str, str]], extra: float = 0.0
    ) -> Outcome:
        outcome = Outcome("failed", error, None, computed.seconds + extra, computed.attempt)
        self._record(step, outcome, stamp_epoch(computed.started_at), stamp(), inputs=inputs, attempt=computed)
        if self.lineage is not None:
            self.lineage.concluded(step.asset, step.key, computed, "failed", inputs, error)
        self.notify("failure", step, outcome)
        return outcome

    def execute(self, indices: list[int]) -> list[tuple[int, Outcome]]:
        """Steps of one asset: one partition, or a batch of a SQL asset's (``batch_size``)."""
        done: list[tuple[int, Outcome]] = []
        works: list[tuple[int, Work]] = []
        for index in indices:
            work = self.prepare(index)
            if isinstance(work, Outcome):
                done.append((index, work))
            else:
                works.append((index, work))
        if works:
            computed = self.computer.compute_batch([work for _, work in works])
            for (index, _), c in zip(works, computed):
                outcome = self.conclude(index, c)
                if outcome is not None:
                    done.append((index, outcome))
        done.extend(self.commit_groups())
        return done

    def _take(self, ready: _ReadySteps) -> list[int]:
        """The next ready step its pool has room for, with more ready partitions of the same
        asset when that asset computes in batches; the pool's slots are taken."""
        def full(index: int) -> bool:  # a batch waits to fill up while other work can run
            asset = self.plan.steps[index].asset
            return ready.by_asset[asset] >= (self.graph[asset].batch_size or 1)

        first = ready.pop(lambda i: self.pools.can_start(i) and full(i))
        if first is None:
            first = ready.pop(self.pools.can_start)
        if first is None:
            return []
        self.pools.take(first)
        taken = [first]
        asset = self.plan.steps[first].asset
        size = self.graph[asset].batch_size or 1
        while len(taken) < size:
            more = ready.pop(lambda i: self.plan.steps[i].asset == asset and self.pools.can_start(i))
            if more is None:
                break
            self.pools.take(more)
            taken.append(more)
        return taken

    def _record(
        self, step: Step, outcome: Outcome, started: str, ended: str, rows: int | None = None,
        size: int | None = None, data_version: str | None = None,
        inputs: dict[str, dict[str, str]] | None = None, checks: tuple[CheckRecord, ...] = (),
        location: str | None = None, attempt: Computed | None = None,
    ) -> None:
        spec = self.graph[step.asset]
        timings = attempt.timings if attempt is not None else None
        self.records.add(Materialization(
            run_id=self.run.run_id, asset=step.asset, partition=step.key, status=outcome.kind,  # type: ignore[arg-type]
            cause=step.reason.cause.value, started_at=started, ended_at=ended, rows=rows, bytes=size,
            code_version=spec.code_version, data_version=data_version,
            inputs=inputs or None, error=outcome.message or None, location=location, checks=checks,
            timings={phase: round(seconds, 6) for phase, seconds in timings.items()} if timings else None,
            attempt=attempt.attempt if attempt is not None else 1,
            failure=attempt.failure if attempt is not None and outcome.kind != "published" else None,
            checks_version=spec.checks_version,
            columns=columns_of(attempt.staged) if attempt is not None and attempt.staged is not None and outcome.kind == "published" else None,
            logs=attempt.logs if attempt is not None else None,
            data_time=attempt.data_time if attempt is not None and outcome.kind == "published" else None,
            due_at=ledger_due_at(spec, step.key) if outcome.kind == "published" else None,
        ))

    # the loops --------------------------------------------------------------------------------

    def run_all(self, workers: int, executor: Executor, dask_address: str | None = None) -> None:
        steps = self.plan.steps
        waiting = [len(set(s.deps)) for s in steps]
        dependents: list[list[int]] = [[] for _ in steps]
        for i, step in enumerate(steps):
            for dep in set(step.deps):
                dependents[dep].append(i)
        ready = _ReadySteps(self.graph, steps)
        for i, n in enumerate(waiting):
            if n == 0:
                ready.append(i)

        def finish(index: int, outcome: Outcome) -> None:
            self.outcomes[index] = outcome
            step = steps[index]
            self.on_event(Event(outcome.kind, step.asset, step.key, outcome.rows, outcome.duration, outcome.message,
                                outcome.warnings))
            for child in dependents[index]:
                waiting[child] -= 1
                if waiting[child] == 0:
                    ready.append(child)

        if executor == "inline" or (workers <= 1 and executor != "dask"):
            while ready or self.groups:
                taken = self._take(ready) if ready else []
                for index, outcome in self.execute(taken) if taken else self.commit_groups(everything=True):
                    self.pools.release(index)
                    finish(index, outcome)
        elif executor == "threads":
            self._run_threads(workers, ready, finish)
        else:
            self._run_processes(workers, ready, finish, self._pool(executor, workers, dask_address))

    def _run_threads(self, workers: int, ready: _ReadySteps, finish: Callable[[int, Outcome], None]) -> None:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="assets") as pool:
            running: set[Future[list[tuple[int, Outcome]]]] = set()
            while ready or running or self.groups:
                while ready and len(running) < workers:
                    taken = self._take(ready)
                    if not taken:
                        break
                    running.add(pool.submit(self.execute, taken))
                if not running:  # nothing else to start: what waits for a group commit goes now
                    for index, outcome in self.commit_groups(everything=True):
                        self.pools.release(index)
                        finish(index, outcome)
                    continue
                done, running = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    for index, outcome in future.result():
                        self.pools.release(index)
                        finish(index, outcome)

    def _pool(self, executor: Executor, workers: int, dask_address: str | None) -> WorkerPool | DaskPool:
        size = min(workers, len(self.plan.steps))
        if executor == "dask":
            from assets_core.execution.dask_pool import DaskPool

            return DaskPool(size, str(self.project.root), dask_address)
        from assets_core.execution.workers import WorkerPool

        return WorkerPool(size, str(self.project.root))

    def _run_processes(self, workers: int, ready: _ReadySteps, finish: Callable[[int, Outcome], None],
                       pool: WorkerPool | DaskPool) -> None:
        """Workers (processes, or a Dask cluster's) compute and stage; this process publishes
        and records. Work that reads the DuckDB warehouse runs here in a thread, since this
        process holds the file: the warehouse's single writer holds cluster-wide."""
        from assets_core.execution.workers import WorkerLost

        finished = False
        try:
            with ThreadPoolExecutor(1, thread_name_prefix="assets-warehouse") as local:
                running: dict[Future[Any], list[int]] = {}
                while ready or running or self.groups:
                    while ready and len(running) < 2 * workers:  # keep the workers busy while we publish
                        taken = self._take(ready)
                        if not taken:
                            break
                        works: list[tuple[int, Work]] = []
                        for index in taken:
                            work = self.prepare(index)
                            if isinstance(work, Outcome):
                                self.pools.release(index)
                                finish(index, work)
                            else:
                                works.append((index, work))
                        if not works:
                            continue
                        batch = [work for _, work in works]
                        local_work = len(batch) > 1 or batch[0].reads_warehouse  # batches are DuckDB queries
                        future = (local.submit(self.computer.compute_batch, batch) if local_work
                                  else pool.submit(batch[0], self._time_limit(batch[0].asset)))
                        running[future] = [index for index, _ in works]
                    if not running:  # nothing else to start: what waits for a group commit goes now
                        for index, outcome in self.commit_groups(everything=True):
                            self.pools.release(index)
                            finish(index, outcome)
                        continue
                    done, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        indices = running.pop(future)
                        try:
                            result = future.result()
                        except WorkerLost:
                            step = self.plan.steps[indices[0]]
                            raise WorkerDied(
                                f"A worker process died while computing {partition_ref(step.asset, step.key)} (killed, or out "
                                "of memory?): the run is interrupted; `assets materialize` again resumes it."
                            ) from None
                        for index, computed in zip(indices, result if isinstance(result, list) else [result]):
                            concluded = self.conclude(index, computed)
                            if concluded is not None:
                                self.pools.release(index)
                                finish(index, concluded)
                    for index, outcome in self.commit_groups():
                        self.pools.release(index)
                        finish(index, outcome)
            finished = True
        finally:
            pool.shutdown(kill=not finished)

    def _time_limit(self, asset: str) -> float | None:
        """How long a worker may stay silent on a partition of ``asset``: every attempt's
        timeout and the waits between them, doubled (staging and checks take time too)."""
        spec = self.graph[asset]
        if spec.timeout is None:
            return None
        policy = spec.retry or self.project.retry
        waits = (policy.max_attempts - 1) * policy.max_delay * (1 + policy.jitter)
        return 2 * (policy.max_attempts * spec.timeout + waits)


def _refuse_foreign_tables(graph: AssetGraph, catalog: Catalog, storage: Storage, the_plan: Plan) -> None:
    """A DuckDB asset never takes over a warehouse table it did not publish (made by hand, or
    by another tool): refused before anything changes. Tables its publishes made before they
    were marked as such are adopted (the catalog holds their published partitions)."""
    unowned = storage.unowned_tables({s.asset for s in the_plan.steps if graph[s.asset].io == "duckdb"})
    if not unowned:
        return
    published = catalog.published_summary()
    foreign = [asset for asset in sorted(unowned) if published.get(asset, (0, None))[0] == 0]
    if foreign:
        table = unowned[foreign[0]]
        raise StorageError(
            f"The warehouse {storage.warehouse_path.name} already has a table or view '{table}' that asset "
            f"'{foreign[0]}' did not publish (made by hand, or by another tool?): rename the asset, or drop "
            f"the table (DROP TABLE \"{table}\") if its rows may be replaced."
        )
    storage.adopt_tables(sorted(unowned))

def _lineage(project: Project, run: Run, graph: AssetGraph, catalog: Catalog) -> Lineage | None:
    """The run's OpenLineage emitter, when [openlineage] or OPENLINEAGE_URL asks for one (the
    module is imported only then: a run without it pays nothing)."""
    if project.settings.openlineage.file is None and project.settings.openlineage.url is None and not os.environ.get(
        "OPENLINEAGE_URL"
    ):
        return None
    from assets_core.execution.openlineage.emitter import Lineage, lineage_settings

    settings = lineage_settings(project)
    if settings is None:
        return None
    schemas = catalog.latest_schemas()  # what each asset reads, and its own (inferred column lineage)
    return Lineage(settings, run, graph, {a: [(c.name, c.type, c.nullable) for c in cols] for a, cols in schemas.items()})


@contextmanager
def _ctrl_c_stops_queries(computer: Computer) -> Iterator[None]:
    """For the run, Ctrl-C also interrupts the DuckDB queries in progress (they do not see
    it otherwise), then raises KeyboardInterrupt as usual; the previous handler is restored."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        computer.interrupt()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def materialize(
    project: Project,
    graph: AssetGraph,
    catalog: Catalog,
    the_plan: Plan,
    workers: int = 1,
    selection: str | None = None,
    partitions: str | None = None,
    on_event: Callable[[Event], None] = lambda event: None,
    trigger: str = "cli",
    executor: Executor = "threads",
    reason: str | None = None,
    dask_address: str | None = None,
) -> RunResult:
    """Run a plan. The graph must be the fully loaded one (functions, checks)."""
    storage = open_storage(project, fault_point, catalog)
    try:
        _refuse_foreign_tables(graph, catalog, storage, the_plan)
    except BaseException:
        storage.close()
        raise
    seconds = lease_seconds(project.settings.execution.lease_seconds)
    run = new_run(
        selection=selection, partitions=partitions, trigger=trigger, reason=reason,
        reference_time=the_plan.reference_time.isoformat(), expires_at=expiry(seconds),
    )
    catalog.upsert_assets(
        (
            {
                "name": spec.name, "kind": spec.kind, "code_version": spec.code_version,
                "partitions": None if spec.partitions is None else str(spec.partitions.to_dict()),
                "inputs": ",".join(spec.upstream), "partitions_grain": grain(spec.partitions),
            }
            for spec in graph.specs.values()
        ),
        stamp(),
    )
    running = live_run_ids(catalog) | {run.run_id}
    catalog.start_run(run)
    now = utc_now()
    conflicts = catalog.acquire_leases(
        [*((s.asset, s.key) for s in the_plan.steps), *retired_refs(the_plan.retire)], run.run_id, run.pid or 0, HOST,
        stamp(now), lambda lease: lease.run_id in running and lease.run_id != run.run_id and lease_alive(lease, now),
        expiry(seconds, now),
    )
    if conflicts:
        storage.close()
        catalog.finish_run(run.run_id, "failed", stamp(), {})
        raise ConflictError(held_message(conflicts))
    heartbeat = Heartbeat(catalog, run.run_id, seconds).start()
    storage.discard_dead_staging(running)
    if storage.remote is not None:  # what a crash left in the bucket, for the assets this run writes
        try:
            storage.remote.collect_garbage(sorted({s.asset for s in the_plan.steps if graph[s.asset].io == "parquet"}),
                                           run_is_finished(catalog))
        except StorageError:  # the bucket cannot be reached: nothing was computed, the run ends here
            storage.close()
            catalog.release_leases(run.run_id)
            catalog.finish_run(run.run_id, "failed", stamp(), {})
            raise
    snapshot = catalog.snapshot(lambda lease: lease.run_id in running)
    generations = {(lease.asset, lease.partition): lease.generation for lease in catalog.leases(run.run_id)}
    runner = _Runner(project, graph, catalog, storage, snapshot, the_plan, run, on_event, generations)
    finished_cleanly = False
    retired: dict[str, int] = {}
    not_retired: list[str] = []
    try:
        with _ctrl_c_stops_queries(runner.computer), capturing():
            retired = retire_all(catalog, storage, run, the_plan.retire, graph,
                                 lambda retirement, message: not_retired.append(message))  # before any publish
            runner.run_all(workers, executor, dask_address)
        finished_cleanly = True
    finally:
        lineage = runner.lineage.close() if runner.lineage is not None else None
        runner.records.flush()
        counts: dict[str, int] = {}
        for outcome in runner.outcomes:
            if outcome is not None:
                counts[outcome.kind] = counts.get(outcome.kind, 0) + 1
        if retired:
            counts["retired"] = sum(retired.values())
        if finished_cleanly:
            # Leases of steps that did not run.
            catalog.release_leases(run.run_id)
            storage.discard_staging(run.run_id)
        else:  # interrupted: the partitions it was writing stay leased (replanned as unknown), not the others
            catalog.release_leases(run.run_id, [(s.asset, s.key) for i, s in enumerate(the_plan.steps)
                                                if i not in runner.started])
        status: RunStatus = "interrupted" if not finished_cleanly else (
            "failed" if counts.get("failed") or counts.get("quarantined") or not_retired else "succeeded"
        )
        storage.close()
        heartbeat.stop()
        catalog.finish_run(run.run_id, status, stamp(), counts)
        runner.notify.close()  # last: its leases released and its record finished, the run waits for hooks once
    finished = catalog.run(run.run_id)
    assert finished is not None
    return RunResult(finished, the_plan, [o for o in runner.outcomes if o is not None], counts, lineage, not_retired)
