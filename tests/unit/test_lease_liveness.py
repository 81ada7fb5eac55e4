"""Liveness by expiry (a pid alone proves nothing), the lease duration and its variable, the
message that says who holds what, and workers that die with their run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from assets_core.catalog import Lease, Run
from assets_core.execution.leases import (
    HOST, LEASE_ENV, expired, expiry, held_message, lease_alive, lease_seconds, process_gone, run_alive,
)

NOW = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
LATER = (NOW + timedelta(seconds=10)).isoformat(timespec="milliseconds")
EARLIER = (NOW - timedelta(seconds=10)).isoformat(timespec="milliseconds")


def _free_pid() -> int:
    """A pid no process has now: one that just ended (and was reaped)."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(done.stdout)


def test_an_expiry_is_passed_or_not_and_a_missing_one_has_passed() -> None:
    assert expired(EARLIER, NOW) and not expired(LATER, NOW)
    assert expired(None, NOW) and expired("not a time", NOW)
    assert expiry(2.5, NOW) == "2025-01-02T03:04:07.500+00:00"


def test_pid_1_on_this_host_is_never_known_gone_so_only_its_expiry_ends_it() -> None:
    assert not process_gone(HOST, 1)
    run = Run(run_id="r", reference_time="t", started_at="t", pid=1, host=HOST, expires_at=EARLIER)
    assert not run_alive(run, NOW)  # issue 13 item 15: kill(1, 0) succeeds, yet the run is dead
    assert run_alive(run.model_copy(update={"expires_at": LATER}), NOW)
    assert not run_alive(run.model_copy(update={"expires_at": None}), NOW)


def test_a_process_gone_from_this_host_is_dead_before_its_expiry_but_not_one_of_another_host() -> None:
    pid = _free_pid()
    assert process_gone(HOST, pid)
    assert not lease_alive(Lease("a", "k", "r", pid, HOST, LATER), NOW)
    assert not process_gone("another-machine", pid)
    assert lease_alive(Lease("a", "k", "r", pid, "another-machine", LATER), NOW)
    assert not lease_alive(Lease("a", "k", "r", pid, "another-machine", EARLIER), NOW)


def test_the_lease_duration_is_the_variable_else_the_setting_else_30_s(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(LEASE_ENV, raising=False)
    assert lease_seconds() == 30.0 and lease_seconds(12.0) == 12.0
    monkeypatch.setenv(LEASE_ENV, "2")
    assert lease_seconds(12.0) == 2.0
    for bad in ("soon", "0", "-3"):
        monkeypatch.setenv(LEASE_ENV, bad)
        assert lease_seconds(12.0) == 12.0


def test_the_message_says_who_holds_which_partitions_until_when_and_how_to_take_over() -> None:
    leases = [Lease("clean", "2025-01-01", "run-a", 41, "box", LATER), Lease("clean", "2025-01-02", "run-a", 41, "box", LATER),
              Lease("revenue", "2025-01-01", "run-b", 7, "other", None)]
    text = held_message(leases)
    assert text.startswith("3 of the planned partitions are leased: ")
    assert f"run run-a (pid 41 on box) holds clean[2025-01-01] and 1 more until {LATER}" in text
    assert "run run-b (pid 7 on other) holds revenue[2025-01-01] until an unrecorded time (lapsed)" in text
    assert "taken over by the first run started after that time" in text
    assert "\n" not in text


CHILD = """
import os, sys, time
from assets_core.execution.workers import _die_with
_die_with(os.getppid(), kernel={kernel})  # False: no prctl, only the thread that watches the parent
print("ready", flush=True)
time.sleep(60)
"""

PARENT = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c", sys.argv[1]], stdout=sys.stdout)
print(child.pid, flush=True)
child.wait()
"""


@pytest.mark.parametrize("kernel", [True, False], ids=["prctl", "parent-watch"])
def test_a_worker_dies_with_its_parent_however_it_dies(kernel: bool) -> None:
    """On Linux the kernel's parent-death signal; the portable thread alone (``kernel=False``)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    parent = subprocess.Popen([sys.executable, "-c", PARENT, CHILD.format(kernel=kernel)], stdout=subprocess.PIPE,
                              text=True, env=env)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert parent.stdout.readline().strip() == "ready"
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 20
    while _running(child):
        assert time.monotonic() < deadline, "the worker outlived its parent"
        time.sleep(0.05)
    parent.stdout.close()


def _running(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
