"""``--executor dask``: partitions computed, staged and validated on a Dask distributed cluster.

The workers need no catalog: each loads the project's definitions once, computes the partition
it is given and stages it under the project's data folder (which must be shared storage: the
same machine, a shared path, or the bucket), and returns the small :class:`Computed` manifest
(rows, bytes, data version, check results). The run's process publishes under its lease and
records, as with ``--executor processes``; pools and the DuckDB warehouse's single writer are
decided there too, so they hold cluster-wide.

Task keys are deterministic per (run, asset, partition, submission) and submitted with
``pure=False``: two identical submits are never merged into one. A worker that dies under a
partition is not retried silently by the scheduler (``allowed-failures`` 0 on the clusters
this module starts); the run records the lost attempt and submits the partition again, up to
:data:`LOST_ATTEMPTS` times, so the data is published once, by whichever attempt finishes.
"""

from __future__ import annotations

import hashlib
import threading
import time
from concurrent.futures import Future
from dataclasses import replace
from typing import Any

from assets_core.errors import AssetsCoreError
from assets_core.execution.compute import Computed, Work, compute_in_worker, start_worker

LOST_ATTEMPTS = 3
"""Submissions of one partition whose worker died before the run gives up on it."""

_STARTED: set[str] = set()
_STARTED_LOCK = threading.Lock()


class DaskUnavailable(AssetsCoreError):
    """``--executor dask`` without the package, or a scheduler that cannot be reached."""


def compute_on_worker(project_root: str, work: Work) -> Computed:
    """The task: load the project once per worker process, then compute ``work``."""
    with _STARTED_LOCK:
        if project_root not in _STARTED:
            start_worker(project_root)
            _STARTED.add(project_root)
    return compute_in_worker(work)


def task_key(work: Work, submission: int) -> str:
    """Deterministic per (run, asset, partition, submission); readable in the dashboard. The
    hash keeps keys that differ only in characters Dask would not show apart."""
    digest = hashlib.sha256(f"{work.run_id}\0{work.asset}\0{work.key}".encode()).hexdigest()[:12]
    return f"assets-{work.run_id}-{work.asset}-{digest}-{submission}"


def _lost(work: Work, started: float, why: str) -> Computed:
    return Computed(None, (), f"its Dask worker was lost ({why}); submitted again", started,
                    time.time() - started, failure="transient")


class DaskPool:
    """``submit(work, limit)`` returns a Future of the partition's :class:`Computed`, as
    :class:`assets_core.execution.workers.WorkerPool` does."""

    def __init__(self, size: int, project_root: str, address: str | None = None) -> None:
        try:
            import dask
            import distributed as _distributed
        except ImportError:
            raise DaskUnavailable(
                "--executor dask needs Dask distributed: pip install 'assets-core[dask]'."
            ) from None
        distributed: Any = _distributed  # untyped: called through Any
        self._root = project_root
        self._cluster: Any = None
        if address is None:
            # A worker that dies is reported to the run, which records it and submits again.
            with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
                self._cluster = distributed.LocalCluster(
                    n_workers=size, threads_per_worker=1, processes=True, host="127.0.0.1",
                    dashboard_address=None, silence_logs=40,
                )
            self._client: Any = distributed.Client(self._cluster, set_as_default=False)
        else:
            try:
                self._client = distributed.Client(address, timeout=10, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise DaskUnavailable(
                    f"The Dask scheduler at {address} cannot be reached ({exc}): start it "
                    "(`dask scheduler`) or fix --dask-address / [execution] dask_address."
                ) from None

    @property
    def client(self) -> Any:
        return self._client

    def submit(self, work: Work, limit: float | None) -> Future[Computed]:
        """``limit``: seconds after which a partition still running is given up as timed out."""
        result: Future[Computed] = Future()
        result.set_running_or_notify_cancel()
        self._submit(work, limit, result, 1, ())
        return result

    def _submit(self, work: Work, limit: float | None, result: Future[Computed], submission: int,
                lost: tuple[Computed, ...]) -> None:
        started = time.time()
        task: Any = self._client.submit(compute_on_worker, self._root, work, key=task_key(work, submission), pure=False)
        timer = None
        if limit is not None:
            timer = threading.Timer(limit, self._time_out, (task, result, started, lost))
            timer.daemon = True
            timer.start()

        def done(task: Any) -> None:
            if timer is not None:
                timer.cancel()
            if result.done():
                return
            if task.status == "finished":
                computed: Computed = task.result()
                attempts = computed.attempt + len(lost)
                result.set_result(replace(computed, attempt=attempts, retried=lost + computed.retried))
            elif task.status == "cancelled":
                return
            else:
                try:
                    error = repr(task.exception())
                except Exception as exc:  # noqa: BLE001 (the client closing under us: any error is the loss)
                    error = repr(exc)
                spent = (*lost, _lost(work, started, error))
                if submission >= LOST_ATTEMPTS:
                    final = spent[-1]
                    result.set_result(replace(final, error=f"{final.error}; gave up after {submission} workers were lost",
                                              attempt=len(spent), retried=spent[:-1]))
                else:
                    self._submit(work, limit, result, submission + 1, tuple(replace(c, attempt=n + 1) for n, c in enumerate(spent)))

        task.add_done_callback(done)

    def _time_out(self, task: Any, result: Future[Computed], started: float, lost: tuple[Computed, ...]) -> None:
        if result.done():
            return
        seconds = time.time() - started
        result.set_result(Computed(
            None, (), f"timed out: no answer after {seconds:.0f} s; its Dask task was cancelled",
            started, seconds, failure="timeout", attempt=len(lost) + 1, retried=lost,
        ))
        task.cancel()

    def shutdown(self, kill: bool = False) -> None:
        """Close the client, and the cluster this pool started."""
        try:
            self._client.close(timeout=5 if kill else 30)
        finally:
            if self._cluster is not None:
                self._cluster.close(timeout=5 if kill else 30)
