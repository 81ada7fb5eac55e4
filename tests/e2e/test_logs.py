"""Attempt logs: what asset code logs and prints, and the traceback of a failed attempt, kept
in the catalog per attempt and shown by `assets logs` and `assets runs show`; the global
`--version`, `-v/--verbose` and `--quiet` flags."""

from __future__ import annotations

import pytest
from cli_project import DAY, DAYS, EXECUTORS, Project


_DOC = '    """The landing file of the partition\'s day, as it is."""\n'


def _noisy_raw(landing: Project, extra: str = "") -> None:
    """raw logs and prints for every day, and fails on DAY."""
    landing.edit("landing_assets.py", _DOC, _DOC + (
        '    import sys\n'
        '    context.log.info("reading %s", context.partition_key)\n'
        '    print(f"printed {context.partition_key}")\n'
        '    print(f"to stderr {context.partition_key}", file=sys.stderr)\n'
        f'    if context.partition_key == "{DAY}":\n'
        '        context.log.warning("about to fail")\n'
        '        helper_that_fails(context.partition_key)\n'
    ) + extra)
    landing.edit("landing_assets.py", "@asset(partitions=DAYS)\ndef raw(",
                 "def helper_that_fails(key: str) -> None:\n"
                 "    raise ValueError(f'no orders file for {key}')\n\n\n"
                 "@asset(partitions=DAYS)\ndef raw(")


@pytest.mark.parametrize("executor", EXECUTORS)
def test_each_attempt_keeps_its_log_records_output_and_traceback(landing: Project, executor: str) -> None:
    _noisy_raw(landing)
    result = landing.run("materialize", "--select", "raw", *EXECUTORS[executor])
    assert result.returncode == 1, str(result)
    assert "printed" not in result.stdout, str(result)  # captured, not mixed into the run's output
    # the one-line error stays as it was
    assert f"failed: raw[{DAY}]: ValueError: no orders file for {DAY} at " in result.stdout, str(result)
    run_id = landing.json("runs")[0]["run_id"]

    logs = landing.json("logs", run_id[:10], "raw", DAY)
    assert [(a["asset"], a["partition"], a["status"]) for a in logs["attempts"]] == [("raw", DAY, "failed")]
    attempt = logs["attempts"][0]
    assert [(r["level"], r["message"]) for r in attempt["records"]] == [
        ("INFO", f"reading {DAY}"), ("WARNING", "about to fail")]
    assert all(r["time"].startswith("20") for r in attempt["records"])
    assert attempt["stdout"] == f"printed {DAY}\n"
    assert attempt["stderr"] == f"to stderr {DAY}\n"
    assert attempt["traceback"].startswith("Traceback (most recent call last):"), attempt
    assert "helper_that_fails" in attempt["traceback"] and "ValueError: no orders file" in attempt["traceback"]
    assert "assets_core" not in attempt["traceback"], attempt["traceback"]  # the user's frames only

    every = landing.json("logs", run_id)["attempts"]
    assert sorted((a["partition"], a["stdout"]) for a in every) == [(d, f"printed {d}\n") for d in DAYS]
    assert all(a["traceback"] is None for a in every if a["partition"] != DAY)

    text = landing.ok("logs", run_id, "raw", DAY).stdout
    for line in (f"reading {DAY}", "about to fail", f"printed {DAY}", f"to stderr {DAY}", "helper_that_fails"):
        assert line in text, text

    show = landing.ok("runs", "show", run_id).stdout
    assert "Traceback (most recent call last):" in show and "helper_that_fails" in show, show
    assert "about to fail" in show, show
    assert f"assets logs {run_id} raw {DAY}" in show, show


def test_an_attempt_that_logs_nothing_stores_nothing(landing: Project) -> None:
    landing.ok("materialize", "--select", "raw")
    run_id = landing.json("runs")[0]["run_id"]
    assert landing.catalog("SELECT count(*) FROM attempt_logs") == [(0,)]
    assert landing.json("logs", run_id)["attempts"] == []
    assert "logged nothing" in landing.ok("logs", run_id).stdout


def test_logs_are_cut_to_their_limit_keeping_head_and_tail(landing: Project) -> None:
    landing.edit("landing_assets.py", _DOC, _DOC + (
        '    print("FIRST")\n'
        '    for i in range(20000):\n'
        '        print("x" * 20)\n'
        '    print("LAST")\n'
    ))
    landing.ok("materialize", "--select", "raw", "--partitions", DAY)
    run_id = landing.json("runs")[0]["run_id"]
    stdout = landing.json("logs", run_id)["attempts"][0]["stdout"]
    assert stdout.startswith("FIRST\n") and stdout.endswith("LAST\n")
    assert "characters cut ..." in stdout
    assert len(stdout) <= 64 * 1024 + 100


def test_unknown_names_get_one_line(landing: Project) -> None:
    _noisy_raw(landing)
    landing.run("materialize", "--select", "raw")
    run_id = landing.json("runs")[0]["run_id"]
    for args, words in ((("nope",), "No single run 'nope'"), ((run_id, "rwa"), "Did you mean 'raw'"),
                        ((run_id, "raw", "2025-13-01"), "2025-13-01")):
        result = landing.run("logs", *args)
        assert result.returncode != 0 and len(result.error_lines) == 1, str(result)
        assert words in result.stderr, str(result)


def test_control_characters_from_logs_never_reach_the_terminal(landing: Project) -> None:
    landing.edit("landing_assets.py", _DOC, _DOC + (
        '    print("evil\\x1b]0;title\\x07")\n'
        '    context.log.info("bad\\x1b[2J")\n'
    ))
    landing.ok("materialize", "--select", "raw", "--partitions", DAY)
    run_id = landing.json("runs")[0]["run_id"]
    text = landing.ok("logs", run_id).stdout
    assert "\x1b" not in text and "\\x1b]0;title" in text and "\\x1b[2J" in text, text


def test_version_verbose_and_quiet(landing: Project) -> None:
    from importlib.metadata import version

    shown = landing.ok("--version")
    assert shown.stdout.strip().endswith(version("assets-core")), str(shown)
    _noisy_raw(landing)
    verbose = landing.run("-v", "materialize", "--select", "raw", "--partitions", DAYS[0])
    assert verbose.returncode == 0, str(verbose)
    assert f"raw[{DAYS[0]}] INFO reading {DAYS[0]}" in verbose.stderr, str(verbose)
    plain = landing.run("materialize", "--select", "raw", "--partitions", DAYS[0])
    assert "reading" not in plain.stderr, str(plain)
    quiet = landing.run("--quiet", "materialize", "--select", "raw", "--partitions", f"{DAYS[0]},{DAY}")
    assert quiet.returncode == 1, str(quiet)
    lines = [line for line in quiet.stdout.splitlines() if line.strip()]
    assert lines[-1].startswith("Run ") and f"failed: raw[{DAY}]" in quiet.stdout, str(quiet)
    assert "raw: " not in quiet.stdout and "published:" not in quiet.stdout, str(quiet)
    assert "about to fail" not in quiet.stderr, str(quiet)  # a warning record: not an error


@pytest.mark.parametrize("executor", ["inline", "processes"])
def test_each_retried_attempt_keeps_its_own_logs_and_a_timed_out_one_what_it_said(landing: Project, executor: str) -> None:
    landing.edit("landing_assets.py", "@asset(partitions=DAYS)\ndef raw(",
                 "@asset(partitions=DAYS, retry=RetryPolicy(max_attempts=2, delay=0))\ndef raw(")
    landing.edit("landing_assets.py", "from assets_core import AssetContext,", "from assets_core import RetryPolicy, AssetContext,")
    landing.edit("landing_assets.py", _DOC, _DOC + (
        '    marker = LANDING.parent / f"tried-{context.partition_key}"\n'
        '    first = not marker.exists()\n'
        '    marker.touch()\n'
        '    print("try", "first" if first else "again")\n'
        '    if first:\n'
        '        raise ConnectionError("flaky network")\n'
    ))
    landing.edit("landing_assets.py", "@asset(freshness=", (
        "@asset(timeout=1)\n"
        "def hangs(context: AssetContext) -> pl.DataFrame:\n"
        "    import time\n"
        "    print('before the hang', flush=True)\n"
        "    context.log.info('waiting')\n"
        "    time.sleep(30)\n"
        "    return pl.DataFrame({'x': [1]})\n\n\n"
        "@asset(freshness="))
    landing.ok("materialize", "--select", "raw", "--partitions", DAY, *EXECUTORS[executor])
    run_id = landing.json("runs")[0]["run_id"]
    raw = landing.json("logs", run_id, "raw")["attempts"]
    assert [(a["attempt"], a["status"], a["stdout"]) for a in raw] == [
        (1, "retried", "try first\n"), (2, "published", "try again\n")], raw
    assert "ConnectionError: flaky network" in raw[0]["traceback"] and raw[1]["traceback"] is None
    result = landing.run("materialize", "--select", "hangs", *EXECUTORS[executor])
    assert result.returncode == 1, str(result)
    run_id = landing.json("runs")[0]["run_id"]
    [hung] = landing.json("logs", run_id, "hangs")["attempts"]
    assert hung["status"] == "failed" and "timed out" in hung["error"], hung
    assert hung["stdout"] == "before the hang\n" and [r["message"] for r in hung["records"]] == ["waiting"], hung


def test_a_failed_query_keeps_its_whole_message_not_the_engines_frames(landing: Project) -> None:
    landing.edit("sql/revenue.sql", "count(*) AS orders", "CAST(customer || 'x' AS INTEGER) AS orders")
    result = landing.run("materialize", "--select", "+revenue", "--partitions", DAY)
    assert result.returncode == 1, str(result)
    run_id = landing.json("runs")[0]["run_id"]
    [failed] = landing.json("logs", run_id, "revenue")["attempts"]
    assert "ConversionException" in failed["traceback"] and "\nLINE 1:" in failed["traceback"], failed  # all its lines
    assert "assets_core" not in failed["traceback"] and "Traceback" not in failed["traceback"], failed


def test_runs_show_prints_the_last_records_of_a_failed_attempt(landing: Project) -> None:
    landing.edit("landing_assets.py", _DOC, _DOC + (
        '    for i in range(8):\n'
        '        context.log.info("step %d", i)\n'
        f'    if context.partition_key == "{DAY}":\n'
        '        raise RuntimeError("late failure")\n'
    ))
    landing.run("materialize", "--select", "raw")
    run_id = landing.json("runs")[0]["run_id"]
    show = landing.ok("runs", "show", run_id).stdout
    tail = show[show.index(f"raw[{DAY}] attempt 1 failed"):]
    assert "log (last 5 of 8 records)" in tail and "step 7" in tail and "step 2" not in tail, show
    assert show.count("attempt 1 failed") == 1, show  # the published ones' logs are not shown
    attempts = landing.json("runs", "show", run_id)["attempts"]
    by_day = {a["partition"]: a for a in attempts}
    assert [r["message"] for r in by_day[DAY]["logs"]["records"]] == [f"step {i}" for i in range(8)]
    assert "RuntimeError: late failure" in by_day[DAY]["logs"]["traceback"]
