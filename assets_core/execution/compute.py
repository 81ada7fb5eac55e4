"""Computing one partition: load its inputs, call the asset, STAGE the result, VALIDATE it,
then QUARANTINE it, or hand it back staged for the run to PUBLISH under its lease.

The call follows the asset's retry policy (transient failures only) and timeout; a SQL
asset with ``batch_size`` computes several partitions in one query, then stages, validates
and publishes each on its own.

This part needs no catalog, so it runs the same in the main thread, in a worker thread, or
in a worker process. Publishing (fenced by the partition's lease, whatever the storage) and
recording stay with the run (``execution.run``): a worker orphaned by its run can never
publish.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import traceback
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from collections.abc import Callable
from typing import Any, Literal, TypeVar

from assets_core.checks import CheckContext, CheckResult, run_checks
from assets_core.definitions.specs import AssetContext, AssetSpec
from assets_core.errors import AssetsCoreError, StorageError, TransientStorageError
from assets_core.execution.capture import AttemptCapture, install as install_capture, user_traceback
from assets_core.execution.capture import attempt as capture_attempt, current as current_capture
from assets_core.execution.data_time import newest_time
from assets_core.execution.faults import fault_point
from assets_core.execution.recent import RecentFrames
from assets_core.graph import AssetGraph
from assets_core.partitions import UNPARTITIONED
from assets_core.definitions.retries import RetryPolicy
from assets_core.storage.store import KEY_COLUMN, StagedPartition, Storage, file_versions, to_polars
from assets_core.catalog.models import AttemptLogs, FailureClass


T = TypeVar("T")
REREADS = 20
"""How many times a partition's code is run again when a concurrent publish replaced an input
DuckDB was reading by path: each time is a new read of the versions then published."""


@dataclass(frozen=True)
class Slice:
    """The published partitions of one upstream asset that one input reads."""

    param: str
    asset: str
    io: str
    keys: tuple[str, ...]
    with_key: bool
    type: str
    objects: tuple[str, ...] = ()
    """On a bucket, the current object of each key (what the run resolved from the catalog,
    or published itself): what a worker reads."""
    versions: tuple[str, ...] = ()
    """The data version of each key the run resolved (what the attempt records as read): a
    frame this process staged at exactly that version may be read instead of its file."""

    @property
    def partitioned(self) -> bool:
        return self.keys != (UNPARTITIONED,)


@dataclass(frozen=True)
class Work:
    """Everything needed to compute one partition; picklable, for worker processes."""

    asset: str
    key: str
    run_id: str
    slices: tuple[Slice, ...]
    row_history: tuple[int, ...] = ()
    """Rows of the asset's latest published partitions before this one, for row-count checks."""

    @property
    def reads_warehouse(self) -> bool:
        return any(s.io == "duckdb" for s in self.slices)


@dataclass(frozen=True)
class Computed:
    """A validated partition (``state``: staged, published or quarantined), or the error
    that stopped it."""

    staged: StagedPartition | None
    checks: tuple[CheckResult, ...]
    error: str | None
    started_at: float
    seconds: float
    state: Literal["failed", "staged", "published", "quarantined"] = "failed"
    location: str | None = None
    timings: dict[str, float] = field(default_factory=dict)
    failure: FailureClass | None = None
    added_partitions: tuple[tuple[str, str], ...] = ()
    """Dynamic partition keys the asset's code added (``context.add_partitions``)."""
    observed: str | None = None
    """For a source: the version of its data observed just before it was read."""
    attempt: int = 1
    retried: tuple[Computed, ...] = ()
    """Earlier attempts of this partition in this run that failed transiently."""
    logs: AttemptLogs | None = None
    """What the attempt's code logged, printed and raised (``execution.capture``); None: nothing."""
    data_time: str | None = None
    """The newest value of the freshness policy's timestamp_column (see ``data_time.py``)."""


class UserCodeError(Exception):
    """An exception from an asset's code or query, summarized as its type, message and line."""

    failure: FailureClass = "error"

    @classmethod
    def from_exception(cls, exc: BaseException, spec: AssetSpec) -> UserCodeError:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        if isinstance(exc, SystemExit):  # would end the run (or the worker) without a word
            first = f"the asset's code called sys.exit({exc.code!r}), which ends only this partition"
        if spec.kind == "sql":
            return cls(f"{type(exc).__name__} in the query of '{spec.name}' ({spec.source}): {first}")
        # The deepest frame in the asset's own file, not in polars or in this module.
        source = spec.source.rsplit(":", 1)[0]
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == source]
        where = f" at {frames[-1].filename}:{frames[-1].lineno}" if frames else f" in {spec.source}"
        return cls(f"{type(exc).__name__}: {first}{where}")


class TimedOut(UserCodeError):
    failure: FailureClass = "timeout"


class Interrupted(KeyboardInterrupt):
    """The run was interrupted (Ctrl-C) while this partition computed: not its failure, and
    not recorded; the run stops as for any KeyboardInterrupt."""


def _failed(exc: Exception, started: float, phases: _Phases, policy: RetryPolicy) -> Computed:
    failure = _failure_of(exc, exc.__cause__, policy)
    return Computed(None, (), str(exc), started, phases.total, timings=phases.seconds, failure=failure)


def _failure_of(exc: Exception, cause: BaseException | None, policy: RetryPolicy) -> FailureClass:
    if isinstance(exc, UserCodeError):
        return "transient" if exc.failure == "error" and cause is not None and policy.retries(cause) else exc.failure
    if isinstance(exc, TransientStorageError):
        return "transient"
    return "storage" if isinstance(exc, StorageError) else "error"


class _Phases:
    """What one attempt measured and noted on the way: seconds per phase (for the catalog
    and the benchmarks), and what the asset's code reported (keys added, a source's version)."""

    def __init__(self, seconds: dict[str, float] | None = None) -> None:
        self.seconds: dict[str, float] = dict(seconds or {})
        self.added_partitions: list[tuple[str, str]] = []  # what the attempt's code asked to add
        self.observed: str | None = None  # a source's version, observed before reading it
        self._clock = time.perf_counter() - sum(self.seconds.values())

    def timed(self, phase: str, fn: Callable[..., T], *args: Any) -> T:
        clock = time.perf_counter()
        try:
            return fn(*args)
        finally:
            self.seconds[phase] = self.seconds.get(phase, 0.0) + time.perf_counter() - clock

    @property
    def total(self) -> float:
        return time.perf_counter() - self._clock


def check_context(
    graph: AssetGraph, storage: Storage, asset: str, key: str, row_history: tuple[int, ...],
    now: datetime | None = None,
) -> CheckContext:
    """What checks may look at beyond the data: the partition, its history, other assets."""
    spec = graph[asset]
    interval = spec.partitions.data_interval(key) if spec.partitions is not None else None
    return CheckContext(
        asset, key, interval, row_history,
        lambda other, column: storage.read_column(other, graph[other].io, column),
        now or datetime.now(timezone.utc),
    )


class Computer:
    """Computes partitions of a graph; one per process, safe to share across threads."""

    def __init__(self, graph: AssetGraph, storage: Storage, default_retry: RetryPolicy = RetryPolicy()) -> None:
        self.graph = graph
        self.default_retry = default_retry
        self.storage = storage
        self._memory: Any = None  # the in-memory DuckDB database queries without a warehouse input run on
        self._sql: dict[Any, str] = {}  # rendered queries, per asset and input shape (and batch size)
        self._dynamic_partitions = frozenset(d.name for _, d, _ in graph.dynamic_definitions())
        self._cursors: set[Any] = set()  # DuckDB cursors in use, to interrupt on Ctrl-C
        self._cursors_lock = threading.Lock()
        self.interrupted = threading.Event()
        self.recent = RecentFrames()
        """What this process staged moments ago, read instead of the files (``execution.recent``)."""

    def interrupt(self) -> None:
        """Stop every DuckDB query in progress (Ctrl-C): their partitions end as ``Interrupted``."""
        import duckdb

        self.interrupted.set()
        with self._cursors_lock:
            cursors = list(self._cursors)
        for cursor in cursors:
            try:
                cursor.interrupt()
            except duckdb.Error:  # closed meanwhile: nothing left to stop
                continue

    def _release(self, db: Any) -> None:
        with self._cursors_lock:
            self._cursors.discard(db)
        db.close()

    def compute(self, work: Work) -> Computed:
        """Attempt the partition; transient failures are tried again as its retry policy says."""
        policy = self.graph[work.asset].retry or self.default_retry
        self._pin_inputs([work])
        retried: list[Computed] = []
        for attempt in range(1, policy.max_attempts + 1):
            computed = self._captured_attempt(work, policy)
            if computed.failure != "transient" or attempt == policy.max_attempts:
                return replace(computed, attempt=attempt, retried=tuple(retried))
            retried.append(replace(computed, attempt=attempt))
            time.sleep(policy.delay_before(attempt + 1))
        raise AssertionError("unreachable: max_attempts is at least 1")

    def compute_batch(self, works: list[Work]) -> list[Computed]:
        """Partitions of one SQL asset computed by one query (``batch_size``); each is then
        staged, validated and published on its own. When the query fails, every partition is
        computed alone, so a partition that breaks it fails by itself, with its own error."""
        if len(works) == 1:
            return [self.compute(works[0])]
        self._pin_inputs(works)
        started, clock = time.time(), time.perf_counter()
        try:
            frames = self._run_sql_batch(self.graph[works[0].asset], works)
        except Exception:  # the asset's query: find out which partition, one by one
            if self.interrupted.is_set():
                raise Interrupted() from None
            return [self.compute(work) for work in works]
        share = (time.perf_counter() - clock) / len(works)
        return [self._stage_and_validate(work, frames[work.key], started, _Phases({"compute": share})) for work in works]

    def _captured_attempt(self, work: Work, policy: RetryPolicy) -> Computed:
        """One attempt, with what its code logs, prints and raises (``execution.capture``)."""
        capture = AttemptCapture(f"{work.asset}[{work.key}]" if work.key else work.asset)
        with capture_attempt(capture):
            computed = self._attempt(work, policy)
        logs = capture.logs()
        return computed if logs is None else replace(computed, logs=logs)

    def _pin_inputs(self, works: list[Work]) -> None:
        """On a bucket, read the objects the run resolved for each input (in a worker process,
        the run's publishes are not in the catalog yet)."""
        if self.storage.remote is not None:
            for s in (s for work in works for s in work.slices):
                self.storage.remote.pin(s.asset, ((k, o) for k, o in zip(s.keys, s.objects) if o))

    def _attempt(self, work: Work, policy: RetryPolicy) -> Computed:
        started = time.time()
        phases = _Phases()
        try:
            data = self._call_with_timeout(work, phases, self.graph[work.asset].timeout)
        except (AssetsCoreError, UserCodeError) as exc:
            capture = current_capture()
            if capture is not None and isinstance(exc, UserCodeError) and exc.__cause__ is not None:
                capture.traceback = user_traceback(exc.__cause__)
            return _failed(exc, started, phases, policy)
        return self._stage_and_validate(work, data, started, phases, policy)

    def _stage_and_validate(
        self, work: Work, data: Any, started: float, phases: _Phases, policy: RetryPolicy = RetryPolicy()
    ) -> Computed:
        staged: StagedPartition | None = None
        spec = self.graph[work.asset]
        try:
            staged = phases.timed("stage", self.storage.stage, work.run_id, work.asset, work.key, data)
            fault_point("stage", work.asset, work.key)
            results = tuple(phases.timed("validate", run_checks, spec.checks, data,
                                          check_context(self.graph, self.storage, work.asset, work.key, work.row_history)))
            fault_point("validate", work.asset, work.key)
            column = spec.freshness.timestamp_column if spec.freshness is not None else None
            data_time = newest_time(data, column, work.asset) if column else None
        except (AssetsCoreError, UserCodeError) as exc:
            if staged is not None:
                staged.path.unlink(missing_ok=True)
            return _failed(exc, started, phases, policy)
        try:
            if any(r.blocks for r in results):
                kept = str(self.storage.quarantine(staged))
                return Computed(staged, results, None, started, phases.total, "quarantined", kept, phases.seconds, "check")
        except StorageError as exc:
            staged.path.unlink(missing_ok=True)
            return _failed(exc, started, phases, policy)
        # Staged and valid: the run publishes it, under the partition's lease (execution.run).
        if spec.io == "parquet" and staged.frame is not None:
            self.recent.put(work.asset, work.key, staged.data_version, staged.frame)
        return Computed(staged, results, None, started, phases.total, "staged", None, phases.seconds,
                        added_partitions=tuple(phases.added_partitions), observed=phases.observed,
                        data_time=data_time)

    def _call_with_timeout(self, work: Work, phases: _Phases, timeout: float | None) -> Any:
        """The asset's code, stopped waiting for after ``timeout`` seconds.

        Python cannot stop a thread: code that hangs keeps running in the background, its
        result thrown away, until the process ends (worker processes are replaced)."""
        if timeout is None:
            return self._call(work, phases)
        outcome: list[Any] = []
        capture = current_capture()

        def target() -> None:
            try:
                with capture_attempt(capture):  # the code runs in this thread: its output is the attempt's
                    outcome.append((True, self._call(work, phases)))
            except BaseException as exc:  # handed to the waiting thread
                outcome.append((False, exc))

        thread = threading.Thread(target=target, name=f"assets-{work.asset}", daemon=True)
        thread.start()
        thread.join(timeout)
        if not outcome:
            raise TimedOut(f"timed out after {timeout:g} s (timeout={timeout:g} on '{work.asset}'); the partition was stopped")
        ok, value = outcome[0]
        if not ok:
            raise value
        return value

    def _call(self, work: Work, phases: _Phases) -> Any:
        """:meth:`_call_once`, again when it failed while a publish replaced a Parquet input
        that DuckDB reads by path (a swap between DuckDB's opens of a file breaks the read;
        polars reads open files, see ``Storage.scan``)."""
        read_by_path = self._read_by_path(work)
        for _ in range(REREADS):
            before = file_versions(read_by_path)
            try:
                return self._call_once(work, phases)
            except UserCodeError:
                if not read_by_path or file_versions(read_by_path) == before:
                    raise
        return self._call_once(work, phases)

    def _read_by_path(self, work: Work) -> list[Path]:
        """The Parquet files of ``work``'s inputs that DuckDB reads by path (SQL assets, and
        inputs handed over as DuckDB relations)."""
        sql = self.graph[work.asset].kind == "sql"
        return [self.storage.parquet_path(s.asset, key) for s in work.slices
                if s.io == "parquet" and (sql or s.type == "duckdb") for key in s.keys]

    def _call_once(self, work: Work, phases: _Phases) -> Any:
        spec = self.graph[work.asset]
        interval = spec.partitions.data_interval(work.key) if spec.partitions is not None else None
        context = AssetContext(work.asset, work.key, interval, work.run_id, logging.getLogger(f"assets.{work.asset}"),
                               dynamic_partitions=self._dynamic_partitions)
        needs_duckdb = spec.kind == "sql" or any(s.type == "duckdb" for s in work.slices)
        db = self._duckdb(work.reads_warehouse) if needs_duckdb else None
        try:
            if spec.kind == "sql":  # the query reads its inputs itself: all of it is compute
                return phases.timed("compute", self._run_sql, db, spec, work.slices, context)
            kwargs: dict[str, Any] = phases.timed(
                "inputs", lambda: {s.param: self._hand_over(db, s) for s in work.slices}
            )
            if spec.wants_context:
                kwargs["context"] = context
            fn = spec.fn
            assert fn is not None
            if spec.observe is not None:  # what version of the source this partition is built from
                phases.observed = str(spec.observe(context))
            data = phases.timed("compute", lambda: to_polars(fn(**kwargs), work.asset))
            phases.added_partitions = context.added_partitions
            return data
        except AssetsCoreError:
            raise
        except (Exception, SystemExit) as exc:  # the asset's own code (or query) failed
            if self.interrupted.is_set():  # or was stopped by Ctrl-C: not its failure
                raise Interrupted() from None
            raise UserCodeError.from_exception(exc, spec) from exc
        finally:
            if db is not None:
                self._release(db)

    def _duckdb(self, with_warehouse: bool) -> Any:
        """A DuckDB cursor of its own (on the warehouse when an input lives there, else on this
        process's in-memory database), kept among those :meth:`interrupt` stops until :meth:`_release`."""
        if with_warehouse:
            cursor = self.storage.warehouse()
        else:
            with self._cursors_lock:  # one in-memory database for the process (each costs resident memory)
                if self._memory is None:
                    import duckdb

                    self._memory = duckdb.connect()
                cursor = self._memory.cursor()
        with self._cursors_lock:
            self._cursors.add(cursor)
        return cursor

    def _hand_over(self, db: Any, source: Slice) -> Any:
        keys = list(source.keys)
        if not keys:  # e.g. the first partition of an asset that reads its own previous one
            return _empty_input(source.type, db)
        kept = self._kept(source) if source.type != "duckdb" else None
        if kept is not None:
            return kept.to_arrow() if source.type == "arrow" else kept.lazy() if source.type == "lazy" else kept
        if source.type == "duckdb":
            query = self.storage.input_query(source.asset, source.io, source.with_key, "keys", source.partitioned)
            return db.sql(query, params={"keys": self.storage.input_value(source.asset, source.io, keys)})
        frame = self.storage.scan(source.asset, source.io, keys, source.with_key)
        if source.type == "lazy":
            return frame
        collected = frame.collect(engine="in-memory")  # the streaming engine costs more per small query
        return collected.to_arrow() if source.type == "arrow" else collected

    def _kept(self, source: Slice) -> Any:
        """The input as one frame from what this process staged at exactly the versions the
        run resolved (``execution.recent``), or None: then its files are read."""
        if source.io != "parquet" or not source.versions:
            return None
        frames = self.recent.get(source.asset, source.keys, source.versions)
        if frames is None:
            return None
        import polars as pl

        if source.with_key and source.partitioned:  # as a read of the files adds it: last, as text
            frames = [f.with_columns(pl.lit(k, pl.String).alias(KEY_COLUMN)) for f, k in zip(frames, source.keys)]
        try:
            return frames[0] if len(frames) == 1 else pl.concat(frames, how="vertical")
        except pl.exceptions.PolarsError:  # the partitions' schemas differ: the files' read says how
            return None

    def _run_sql(self, db: Any, spec: AssetSpec, slices: tuple[Slice, ...], context: AssetContext) -> Any:
        """Input tables are rewritten to read exactly the partitions mapped; values are bound.
        An input this process staged moments ago is read from memory (a view of its frame)."""
        import polars as pl

        kept = {_kept_view(s.param): frame.to_arrow() for s in slices if (frame := self._kept(s)) is not None}
        params = self._sql_params(spec, context.partition_key, slices,
                                  kept=frozenset(s.param for s in slices if _kept_view(s.param) in kept))
        query = self._rendered_sql(spec, slices, frozenset(s.param for s in slices if _kept_view(s.param) in kept))
        if any(s.io == "duckdb" for s in slices):  # on the warehouse's connection
            return pl.from_arrow(_query_leaving_no_trace(db, query, params, kept))
        # On this process's in-memory database: nothing the query could leave matters to a reader.
        return pl.from_arrow(_interruptible(lambda: _execute(db, query, params, kept)))

    def _sql_params(self, spec: AssetSpec, key: str, slices: tuple[Slice, ...], suffix: str = "",
                    kept: frozenset[str] = frozenset()) -> dict[str, Any]:
        """The values a partition's query binds: its interval and key, and the inputs to read
        (not those read from memory, ``kept``)."""
        interval = spec.partitions.data_interval(key) if spec.partitions is not None else None
        bound = {"start": interval and interval.start, "end": interval and interval.end, "partition_key": key}
        params: dict[str, Any] = {f"{p}{suffix}": bound[p] for p in spec.sql_params}
        for s in slices:
            if s.param not in kept:
                params[f"input_{s.param}{suffix}"] = self.storage.input_value(s.asset, s.io, list(s.keys))
        return params

    def _run_sql_batch(self, spec: AssetSpec, works: list[Work]) -> dict[str, Any]:
        """One UNION ALL query over the partitions of ``works``; their rows, by key."""
        import polars as pl

        from assets_core.storage.sql import BATCH_KEY, batch_query

        rendered = self._rendered_sql(spec, works[0].slices)
        shape = ("batch", rendered, len(works))
        query = self._sql.get(shape) or self._sql.setdefault(shape, batch_query(rendered, len(works)))
        params: dict[str, Any] = {}
        for i, work in enumerate(works):
            params.update(self._sql_params(spec, work.key, work.slices, f"_{i}"))
            params[f"__key_{i}"] = work.key
        db = self._duckdb(any(w.reads_warehouse for w in works))
        try:
            result: pl.DataFrame = pl.from_arrow(_query_leaving_no_trace(db, query, params))  # type: ignore[assignment]
        finally:
            self._release(db)
        parts = {str(key[0]): frame.drop(BATCH_KEY) for key, frame in result.partition_by(BATCH_KEY, as_dict=True).items()}
        empty = result.clear().drop(BATCH_KEY)
        return {work.key: parts.get(work.key, empty) for work in works}

    def _rendered_sql(self, spec: AssetSpec, slices: tuple[Slice, ...], kept: frozenset[str] = frozenset()) -> str:
        """The asset's query with its input tables replaced, rendered once per asset and shape
        (``kept``: the inputs read from memory, through a view each)."""
        shape = (spec.name, tuple((s.param, s.io, s.with_key, s.partitioned, s.param in kept) for s in slices))
        rendered = self._sql.get(shape)
        if rendered is None:
            from assets_core.storage.sql import replace_tables

            assert spec.sql is not None
            sources = {
                s.param: f"SELECT * FROM {_kept_view(s.param)}" if s.param in kept
                else self.storage.input_query(s.asset, s.io, s.with_key, f"input_{s.param}", s.partitioned)
                for s in slices
            }
            rendered = self._sql[shape] = replace_tables(spec.sql, sources)
        return rendered


def _kept_view(param: str) -> str:
    """The name a SQL asset's query reads an input kept in memory under."""
    return f"__assets_core_input_{param}"


_EXECUTE = compile("__assets_core_rows = __assets_core_db.execute(__assets_core_query, __assets_core_params).to_arrow_table()",
                   __file__, "exec")  # an engine frame: left out of an asset's traceback (execution.capture)


def _execute(db: Any, query: str, params: dict[str, Any], kept: dict[str, Any]) -> Any:
    """The rows of ``query``; the Arrow tables of ``kept`` are the tables it reads under their
    names. DuckDB finds a name it has no table for among the variables of the frame that runs
    the query (its replacement scan): the frame here is one of our own, with exactly those
    variables, so nothing is registered (registering a view costs a query its time again)."""
    scope: dict[str, Any] = {**kept, "__assets_core_db": db, "__assets_core_query": query, "__assets_core_params": params}
    exec(_EXECUTE, {}, scope)  # noqa: S102  a fixed statement of ours
    return scope["__assets_core_rows"]


def _query_leaving_no_trace(db: Any, query: str, params: dict[str, Any], kept: dict[str, Any] | None = None) -> Any:
    """An asset's query in a transaction rolled back once its rows are read: on the warehouse's
    connection, nothing it could do (parse_select refuses DML and DDL anywhere in the tree:
    this is the second wall) is ever committed to the published tables."""
    db.execute("BEGIN TRANSACTION")
    try:
        return _interruptible(lambda: _execute(db, query, params, kept or {}))
    finally:
        db.execute("ROLLBACK")


def _interruptible(fn: Callable[[], T]) -> T:
    """``fn()``; on the main thread, run in a helper thread while the main thread waits, so a
    Ctrl-C is handled at once (Python runs signal handlers only between the main thread's
    bytecodes, and a DuckDB query holds it for as long as it runs)."""
    if threading.current_thread() is not threading.main_thread():
        return fn()
    return _query_thread().run(fn)


class _QueryThread:
    """The one long-lived thread that runs the main thread's queries: DuckDB sets a thread up
    on its first query (about 2 ms of CPU), so a thread per query paid that every time."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[tuple[Callable[[], Any], list[tuple[bool, Any]], threading.Event]] = queue.SimpleQueue()
        threading.Thread(target=self._serve, name="assets-query", daemon=True).start()

    def _serve(self) -> None:
        while True:
            fn, outcome, done = self._jobs.get()
            try:
                outcome.append((True, fn()))
            except BaseException as exc:  # noqa: BLE001  handed to the main thread
                outcome.append((False, exc))
            finally:
                done.set()

    def run(self, fn: Callable[[], T]) -> T:
        outcome: list[tuple[bool, Any]] = []
        done = threading.Event()  # not Thread.join: a join cut by KeyboardInterrupt marks the thread ended
        self._jobs.put((fn, outcome, done))
        try:
            done.wait()
        except KeyboardInterrupt:
            done.wait(10)  # the handler interrupted the query: let it end before the rollback
            raise
        ok, value = outcome[0]
        if not ok:
            raise value
        return value  # type: ignore[no-any-return]


_QUERIES: list[_QueryThread] = []
_QUERIES_LOCK = threading.Lock()


def _query_thread() -> _QueryThread:
    with _QUERIES_LOCK:
        if not _QUERIES:
            _QUERIES.append(_QueryThread())
        return _QUERIES[0]


def _empty_input(kind: str, db: Any) -> Any:
    """An input with no partitions to read: no rows, and no columns either (there is no
    published partition to take a schema from); asset code checks ``height == 0``."""
    import polars as pl

    if kind == "duckdb":
        return db.sql("SELECT * FROM (SELECT 1 AS no_rows) WHERE false")
    empty = pl.DataFrame()
    return {"lazy": empty.lazy(), "arrow": empty.to_arrow()}.get(kind, empty)


# -- worker processes ----------------------------------------------------------------------------

_WORKER: Computer | None = None


def start_worker(project_root: str) -> None:
    """Initializer of a worker process: load the project's definitions once."""
    from pathlib import Path

    from assets_core.execution.stores import open_storage
    from assets_core.project.loading import load_graph, load_project

    global _WORKER
    project = load_project(Path(project_root))
    storage = open_storage(project, fault_point)
    _WORKER = Computer(load_graph(project, use_manifest=False), storage, project.retry)
    # For the process's life, once the project's modules ran as in the run's process (a
    # logging.basicConfig of theirs still configures): each attempt's output goes back with it.
    install_capture()


def compute_in_worker(work: Work) -> Computed:
    assert _WORKER is not None, "worker process was not started with start_worker"
    return _WORKER.compute(work)
