"""Worker processes for ``--executor processes``: one partition at a time each, and a worker
whose partition hangs is killed and replaced.

``concurrent.futures.ProcessPoolExecutor`` cannot stop one task: killing a worker breaks the
whole pool. Here each worker process has a feeder thread in the run's process that hands it
work over a pipe and waits for the answer, so a worker can be killed on its own:

- when its partition timed out (the worker's own watchdog answered "timed out", but the
  hung code still runs inside it), the worker is killed and a fresh one started;
- when it does not answer within the partition's timeout plus a grace period (code stuck
  in C, holding the GIL), it is killed and the partition recorded as timed out;
- when it dies (killed from outside, out of memory), the run is interrupted.

A worker dies with its run: on Linux the kernel kills it when the run's process ends
(``prctl(PR_SET_PDEATHSIG)``), and on every system a thread in the worker ends it as soon as
its parent changes (the run's process is gone). It never publishes anyway (the run does,
under the partition's lease), so an orphan could only waste time.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
from concurrent.futures import Future
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any

from assets_core.execution.compute import Computed, Work, compute_in_worker, start_worker
from assets_core.partitions import partition_ref

GRACE_SECONDS = 5.0
"""How long past its timeout (times its attempts) a silent worker gets before it is killed."""


class WorkerLost(Exception):
    """A worker process died while computing a partition."""


PARENT_CHECK_SECONDS = 0.2
"""How often a worker looks whether its run's process is still its parent."""


def _die_with(parent: int, kernel: bool = True) -> None:
    """End this process when ``parent`` (the run's process) ends, however it ends (kill -9):
    by the kernel's parent-death signal where there is one (``kernel``), and by a thread that
    watches the parent everywhere."""
    if kernel and sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
        except (OSError, AttributeError):  # no prctl here: the thread below is enough
            pass
    if os.getppid() != parent:  # it died before the line above
        os._exit(1)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="assets-parent-watch", daemon=True).start()


def _serve(project_root: str, connection: Connection, parent: int | None = None) -> None:
    """A worker process: load the project once, then compute whatever arrives."""
    if parent is not None:
        _die_with(parent)
    # A Ctrl-C reaches every process of the terminal's group: the run's process alone handles it
    # (it kills its workers), no worker prints a traceback of its own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    start_worker(project_root)
    while True:
        work = connection.recv()
        if work is None:
            return
        connection.send(compute_in_worker(work))


class _Worker:
    def __init__(self, context: Any, project_root: str) -> None:
        self.connection, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(project_root, child, os.getpid()), daemon=True)
        self.process.start()
        child.close()
        self._killed = False
        self._kill_lock = threading.Lock()

    def kill(self) -> None:
        """End the process and close its pipe. Safe twice and from two threads at once: an
        interrupted run kills every worker while their feeders see the pipe close and kill too."""
        with self._kill_lock:
            if self._killed:
                return
            self._killed = True
        self.process.kill()
        self.process.join(5)
        try:
            self.connection.close()
        except OSError:  # closed under a feeder that was still using it
            pass


class WorkerPool:
    """``submit(work, limit)`` returns a Future of the partition's :class:`Computed`."""

    def __init__(self, size: int, project_root: str) -> None:
        self._context = multiprocessing.get_context("spawn")  # forking a process running polars threads is unsafe
        self._root = project_root
        self._queue: queue.Queue[tuple[Work, float | None, Future[Computed]] | None] = queue.Queue()
        self._workers: dict[int, _Worker] = {}  # by feeder: so shutdown can kill them all
        self._closing = threading.Event()  # no new worker replaces one lost while shutting down
        self._feeders = [threading.Thread(target=self._feed, name=f"assets-worker-{n}", daemon=True) for n in range(size)]
        for feeder in self._feeders:
            feeder.start()

    def submit(self, work: Work, limit: float | None) -> Future[Computed]:
        """``limit``: seconds after which a silent worker is killed (None: never)."""
        future: Future[Computed] = Future()
        self._queue.put((work, limit, future))
        return future

    def _feed(self) -> None:
        """One worker process, started with its first partition: a pool bigger than the work
        there is starts only the processes the work needs (each costs ~70 MB)."""
        me = threading.get_ident()
        worker: _Worker | None = None
        try:
            while (item := self._queue.get()) is not None:
                work, limit, future = item
                if not future.set_running_or_notify_cancel():
                    continue
                if worker is None:
                    worker = self._workers[me] = _Worker(self._context, self._root)
                worker = self._workers[me] = self._compute(worker, work, limit, future)
            if worker is not None:
                worker.connection.send(None)
                worker.process.join(5)
        except (OSError, EOFError):
            if worker is not None:
                worker.kill()

    def _compute(self, worker: _Worker, work: Work, limit: float | None, future: Future[Computed]) -> _Worker:
        """Run one partition on ``worker``; returns the worker to use next (a fresh one if killed)."""
        started = time.time()
        try:
            worker.connection.send(work)
            answered = worker.connection.poll(None if limit is None else limit + GRACE_SECONDS)
            result: Computed | None = worker.connection.recv() if answered else None
        except (OSError, EOFError):
            worker.kill()
            future.set_exception(WorkerLost(partition_ref(work.asset, work.key)))
            return worker if self._closing.is_set() else _Worker(self._context, self._root)
        if result is None:  # stuck where its own watchdog cannot answer
            worker.kill()
            seconds = time.time() - started
            future.set_result(Computed(
                None, (), f"timed out: no answer after {seconds:.0f} s; its worker process was killed",
                started, seconds, failure="timeout",
            ))
            return _Worker(self._context, self._root)
        if result.failure == "timeout":  # the hung code still runs in that process: end it
            worker.kill()
            future.set_result(replace(result, error=f"{result.error}; its worker process was killed"))
            return _Worker(self._context, self._root)
        future.set_result(result)
        return worker

    def shutdown(self, kill: bool = False) -> None:
        """Let the workers finish and exit; ``kill`` ends them now (an interrupted run)."""
        self._closing.set()
        for _ in self._feeders:
            self._queue.put(None)
        if kill:
            for worker in list(self._workers.values()):
                worker.kill()
        for feeder in self._feeders:
            feeder.join(10)
