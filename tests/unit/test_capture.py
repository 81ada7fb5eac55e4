"""execution.capture: each thread's output and records go to the attempt it computes, the
rest to the streams and handlers they would have reached; every part bounded."""

from __future__ import annotations

import io
import logging
import sys
import threading

import pytest

from assets_core.execution import capture
from assets_core.execution.capture import LIMIT, AttemptCapture, bounded, capturing, user_traceback


def test_threads_capture_their_own_output_and_the_others_reach_the_real_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    real_out, real_err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stdout", real_out)
    monkeypatch.setattr(sys, "stderr", real_err)
    captures = [AttemptCapture(f"a[{n}]") for n in range(4)]
    barrier = threading.Barrier(4)

    def work(n: int) -> None:
        with capture.attempt(captures[n]):
            barrier.wait()  # all four write at once
            for i in range(100):
                print(f"{n}-{i}")
                print(f"err {n}", file=sys.stderr)
                logging.getLogger("assets.a").info("record %d of %d", i, n)

    with capturing():
        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        print("the run's own line")
        for t in threads:
            t.join()
    assert sys.stdout is real_out and sys.stderr is real_err  # put back
    for n, c in enumerate(captures):
        logs = c.logs()
        assert logs is not None
        assert logs.stdout == "".join(f"{n}-{i}\n" for i in range(100))
        assert logs.stderr == f"err {n}\n" * 100
        assert [r.message for r in logs.records] == [f"record {i} of {n}" for i in range(100)]
        assert {r.level for r in logs.records} == {"INFO"}
    assert real_out.getvalue() == "the run's own line\n"
    assert real_err.getvalue() == ""  # INFO records are not echoed by default


def test_an_attempt_that_says_nothing_has_no_logs() -> None:
    with capturing(), capture.attempt(AttemptCapture("a")) as c:
        pass
    assert c is not None and c.logs() is None


def test_records_outside_attempts_reach_the_last_resort_handler_as_without_capture(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.setattr(logging, "lastResort", logging.StreamHandler(err))  # writes where stderr is now
    monkeypatch.setattr(logging.root, "handlers", [])  # as in `assets` (pytest adds its own)
    logging.lastResort.setLevel(logging.WARNING)
    with capturing():
        logging.getLogger("assets.notify").warning("hook failed")
        logging.getLogger("assets.notify").info("not shown")
    assert err.getvalue() == "hook failed\n"


def test_warnings_of_an_attempt_are_echoed_live_with_their_partition(monkeypatch: pytest.MonkeyPatch) -> None:
    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.delenv(capture.ECHO_LEVEL, raising=False)
    with capturing(), capture.attempt(AttemptCapture("raw[2025-01-01]")):
        logging.getLogger("assets.raw").info("quiet")
        logging.getLogger("assets.raw").warning("loud")
    assert err.getvalue() == "raw[2025-01-01] WARNING loud\n"
    monkeypatch.setenv(capture.ECHO_LEVEL, "INFO")
    with capturing(), capture.attempt(AttemptCapture("raw[2025-01-01]")):
        logging.getLogger("assets.raw").info("now shown")
    assert err.getvalue().endswith("raw[2025-01-01] INFO now shown\n")


def test_each_part_keeps_its_head_and_tail() -> None:
    c = AttemptCapture("a")
    c.stream("stdout").write("HEAD")
    for _ in range(10_000):
        c.stream("stdout").write("x" * 99 + "\n")
    c.stream("stdout").write("TAIL")
    text = c.stream("stdout").text()
    assert text is not None and text.startswith("HEAD") and text.endswith("TAIL")
    cut = 4 + 10_000 * 100 + 4 - LIMIT
    assert f"\n... {cut} characters cut ...\n" in text
    assert len(text) == LIMIT + len(f"\n... {cut} characters cut ...\n")
    assert bounded("short") == "short"


def test_records_keep_the_first_and_the_latest_around_a_marker() -> None:
    with capturing(), capture.attempt(AttemptCapture("a")) as c:
        for i in range(5000):
            logging.getLogger("assets.a").info("record %05d %s", i, "y" * 80)
    assert c is not None
    logs = c.logs()
    assert logs is not None
    messages = [r.message for r in logs.records]
    assert messages[0].startswith("record 00000") and messages[-1].startswith("record 04999")
    [marker] = [r for r in logs.records if r.level == "CUT"]
    kept = len(messages) - 1
    assert marker.message == f"... {5000 - kept} records cut ..."
    assert sum(len(m) for m in messages) < LIMIT + 200


def test_a_nul_character_is_stored_escaped() -> None:
    c = AttemptCapture("a")
    c.stream("stdout").write("a\x00b")
    assert c.stream("stdout").text() == "a\\x00b"


def _helper() -> None:
    raise ValueError("deep")


def test_a_traceback_leaves_out_the_engine_frames_above_the_asset_code() -> None:
    def engine_like() -> None:  # this test's frames stand for the asset's: not under assets_core/
        _helper()

    try:
        engine_like()
    except ValueError as exc:
        text = user_traceback(exc)
    assert text.startswith("Traceback (most recent call last):") and "_helper" in text and text.endswith("ValueError: deep\n")
