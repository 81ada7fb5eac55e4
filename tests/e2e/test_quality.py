"""Quality gates through the real CLI on the `quality` project: retries, timeouts, pools,
hooks, the quarantine lifecycle, audits and run history."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from cli_project import Project

DAY = "2025-01-03"


@pytest.fixture
def quality(make_project: Callable[..., Project]) -> Project:
    project = make_project("quality")
    (project.root / "switches").mkdir()
    return project


def switch(project: Project, name: str, value: Any = "") -> None:
    path = project.root / "switches" / name
    path.write_text(value if isinstance(value, str) else json.dumps(value))


def attempts_of(project: Project, asset: str, key: str) -> list[dict[str, Any]]:
    run_id = project.json("runs")[0]["run_id"]
    every = project.json("runs", "show", run_id)["attempts"]
    return [a for a in every if (a["asset"], a["partition"]) == (asset, key)]


def calls(project: Project, name: str) -> int:
    path = project.root / "attempts" / name
    return int(path.read_text()) if path.exists() else 0


def events(project: Project) -> list[dict[str, Any]]:
    path = project.root / "events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


# -- retries and failure classes ------------------------------------------------------------------


def test_a_transient_error_that_clears_on_the_third_attempt_publishes_once(quality: Project) -> None:
    switch(quality, "flaky", "2")  # every partition fails twice with ConnectionError
    quality.ok("materialize", "--select", "flaky", "--partitions", DAY)
    attempts = attempts_of(quality, "flaky", DAY)
    assert [(a["attempt"], a["status"]) for a in attempts] == [(1, "retried"), (2, "retried"), (3, "published")]
    assert all("ConnectionError: the broker went away" in a["error"] for a in attempts[:2])
    assert calls(quality, f"flaky-{DAY}") == 3
    assert quality.files("flaky") == [quality.partition_file("flaky", DAY)]
    counts = quality.json("runs")[0]["counts"]
    assert (counts["published"], counts["failed"]) == (1, 0)


def test_a_transient_error_that_never_clears_fails_after_max_attempts_and_is_retried_next_run(quality: Project) -> None:
    switch(quality, "flaky", "5")
    result = quality.run("materialize", "--select", "flaky", "--partitions", DAY)
    assert result.returncode == 1
    assert [a["status"] for a in attempts_of(quality, "flaky", DAY)] == ["retried", "retried", "failed"]
    # Transient: a plain materialize tries it again (here it finally passes on the 5th call... 6th).
    steps = quality.json("plan", "--select", "flaky")["steps"]
    assert (("flaky", DAY, "failed") in {(s["asset"], s["partition"], s["cause"]) for s in steps})


def test_an_ordinary_exception_is_attempted_once_and_then_waits_for_a_change(quality: Project) -> None:
    switch(quality, "broken")
    result = quality.run("materialize", "--select", "broken")
    assert result.returncode == 1
    assert "ValueError: the mapping table has no entry for 'XX'" in result.stdout
    assert calls(quality, f"broken-{DAY}") == 1
    assert [(a["attempt"], a["status"]) for a in attempts_of(quality, "broken", DAY)] == [(1, "failed")]

    # Deterministic: nothing changed, so a plain run leaves it alone and says why.
    plan = quality.json("plan", "--select", "broken")
    assert plan["steps"] == [] and len(plan["waiting"]) == 6
    assert "--retry-failed" in plan["waiting"][0]["detail"]
    status = {s["asset"]: s for s in quality.json("status")}["broken"]
    assert (status["failed"], status["waiting"]) == (6, 6)
    assert "6 failed or quarantined partitions wait" in quality.ok("status").stdout
    quality.ok("materialize", "--select", "broken")
    assert calls(quality, f"broken-{DAY}") == 1

    # --retry-failed forces it; once fixed it publishes.
    (quality.root / "switches" / "broken").unlink()
    quality.ok("materialize", "--select", "broken", "--retry-failed")
    assert calls(quality, f"broken-{DAY}") == 2
    plan = quality.json("plan", "--select", "broken")
    assert (plan["steps"], plan["waiting"]) == ([], [])


def test_a_code_change_wakes_a_waiting_partition(quality: Project) -> None:
    switch(quality, "broken")
    quality.run("materialize", "--select", "broken")
    module = quality.root / "quality_assets.py"
    module.write_text(module.read_text().replace(
        'raise ValueError("the mapping table has no entry for \'XX\'")', 'return pl.DataFrame({"day": ["fixed"]})'
    ))
    steps = quality.json("plan", "--select", "broken")["steps"]
    assert len(steps) == 6 and all("tried again because its code changed" in s["detail"] for s in steps)


# -- timeouts and pools -----------------------------------------------------------------------------


@pytest.mark.parametrize("executor", ["threads", "processes"])
def test_a_hung_partition_is_stopped_at_its_timeout_and_the_run_finishes(quality: Project, executor: str) -> None:
    switch(quality, "hang", DAY)
    result = quality.run("materialize", "--select", "hung", "--workers", "2", "--executor", executor, timeout=50)
    assert result.returncode == 1, str(result)
    assert "5 published, 1 failed" in result.stdout
    [attempt] = attempts_of(quality, "hung", DAY)
    assert attempt["status"] == "failed" and attempt["failure"] == "timeout"
    assert "timed out after 1.5 s" in attempt["error"]
    if executor == "processes":  # the hung code ran in a worker process: it is killed, not left running
        assert "its worker process was killed" in attempt["error"]
    assert not quality.partition_file("hung", DAY).exists()
    # A timeout may pass next time: it is planned again, not left waiting.
    assert [s["partition"] for s in quality.json("plan", "--select", "hung")["steps"]] == [DAY]


def test_a_pool_never_runs_more_partitions_at_once_than_its_limit(quality: Project) -> None:
    quality.ok("materialize", "--select", "pooled", "--workers", "4")
    running, most = 0, 0
    moments = []
    for line in (quality.root / "pool.log").read_text().splitlines():
        kind, at = line.split()
        moments.append((float(at), 0 if kind == "end" else 1))
    for _, starts in sorted(moments):
        running += 1 if starts else -1
        most = max(most, running)
    assert most == 2  # [pools] warehouse = 2, with four workers free


# -- hooks ------------------------------------------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append({"content_type": self.headers["Content-Type"], "payload": json.loads(body)})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    handler = type("Receiver", (_Receiver,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/assets", received
    server.shutdown()
    server.server_close()


def test_failure_and_quarantine_hooks_reach_a_webhook_and_a_callable(quality: Project, webhook: tuple[str, list[dict[str, Any]]]) -> None:
    url, received = webhook
    config = quality.root / "assets.toml"
    config.write_text(config.read_text().replace(
        'on_failure = ["quality_hooks:record"]', f'on_failure = ["quality_hooks:record", "{url}", "http://127.0.0.1:9/down"]'
    ))
    switch(quality, "broken")
    switch(quality, f"amounts-{DAY}.json", [5.0, -1.0])
    result = quality.run("materialize", "--select", "broken amounts", "--partitions", DAY)
    assert result.returncode == 1

    [posted] = received
    assert posted["content_type"] == "application/json"
    payload = posted["payload"]
    assert {k: payload[k] for k in ("event", "project", "asset", "partition", "status", "attempts")} == {
        "event": "failure", "project": "quality", "asset": "broken", "partition": DAY, "status": "failed", "attempts": 1,
    }
    assert "ValueError" in payload["error"] and payload["run_id"] == quality.json("runs")[0]["run_id"]
    recorded = {(e["event"], e["asset"]) for e in events(quality)}
    assert recorded == {("failure", "broken"), ("quarantine", "amounts")}
    quarantine = next(e for e in events(quality) if e["event"] == "quarantine")
    assert [c["check"] for c in quarantine["checks"] if not c["passed"]] == ["in_range(amount, min=0)"]
    # The unreachable webhook is logged, and did not change the run's outcome.
    assert "127.0.0.1:9" in result.stderr


# -- quarantine lifecycle ---------------------------------------------------------------------------


def _quarantine_a_day(project: Project) -> tuple[bytes, Path]:
    project.ok("materialize", "--select", "amounts")
    published = project.partition_file("amounts", DAY)
    before = published.read_bytes()
    switch(project, f"amounts-{DAY}.json", [3.0, -7.5, 4.0, -1.0])
    result = project.run("materialize", "--select", "amounts", "--partitions", DAY)
    assert result.returncode == 1 and f"quarantined: amounts[{DAY}]" in result.stdout
    # A failed check is deterministic: attempted once, even with a retry policy of three.
    assert [(a["attempt"], a["status"], a["failure"]) for a in attempts_of(project, "amounts", DAY)] == [(1, "quarantined", "check")]
    assert calls(project, f"amounts-{DAY}") == 2  # the first materialize, then this one
    [kept] = project.files(".quarantine")
    return before, kept


def test_quarantine_list_and_show_give_the_failed_checks_and_failing_rows(quality: Project) -> None:
    _quarantine_a_day(quality)
    [listed] = quality.json("quarantine", "list")
    assert (listed["asset"], listed["partition"], listed["rows"]) == ("amounts", DAY, 4)
    shown = quality.json("quarantine", "show", "amounts", DAY)
    failed = next(c for c in shown["checks"] if c["check"] == "in_range(amount, min=0)")
    assert failed["passed"] is False and failed["observed"] == 2
    assert sorted(row["amount"] for row in failed["sample"]) == [-7.5, -1.0]
    assert "few_orders" in {c["check"] for c in shown["checks"]}
    text = quality.ok("quarantine", "show", "amounts", DAY).stdout
    assert "FAIL" in text and '"amount": -7.5' in text and "quarantine release amounts" in text


def test_release_publishes_exactly_the_quarantined_bytes_with_the_reason(quality: Project) -> None:
    _, kept = _quarantine_a_day(quality)
    quarantined = kept.read_bytes()
    missing_reason = quality.run("quarantine", "release", "amounts", DAY)
    assert missing_reason.returncode == 2 and "--reason is required" in missing_reason.stderr

    quality.ok("quarantine", "release", "amounts", DAY, "--reason", "refunds are negative orders")
    assert quality.partition_file("amounts", DAY).read_bytes() == quarantined
    assert quality.files(".quarantine") == []
    assert quality.json("quarantine", "list") == []
    run = quality.json("runs")[0]
    assert (run["trigger"], run["reason"], run["status"]) == ("quarantine release", "refunds are negative orders", "succeeded")
    [released] = quality.json("runs", "show", run["run_id"])["attempts"]
    assert (released["status"], released["cause"], released["note"]) == ("published", "released", "refunds are negative orders")
    assert quality.json("plan", "--select", "amounts")["steps"] == []


def test_discard_leaves_the_published_partition_unchanged_and_waits(quality: Project) -> None:
    before, _ = _quarantine_a_day(quality)
    quality.ok("quarantine", "discard", "amounts", DAY, "--reason", "bad export")
    assert quality.partition_file("amounts", DAY).read_bytes() == before
    assert quality.files(".quarantine") == []
    assert quality.json("quarantine", "list") == []
    plan = quality.json("plan", "--select", "amounts")
    assert plan["steps"] == [] and [w["partition"] for w in plan["waiting"]] == [DAY]
    gone = quality.run("quarantine", "show", "amounts", DAY)
    assert gone.returncode == 2 and "is not in quarantine" in gone.stderr


# -- audits and history -----------------------------------------------------------------------------


def test_check_audits_published_data_without_materializing(quality: Project) -> None:
    quality.ok("materialize", "--select", "amounts")
    files_before = {p: p.read_bytes() for p in quality.files("amounts")}
    assert quality.ok("check", "--select", "amounts").stdout.strip().startswith("Checked 6 published partitions: 0")

    # A check added later finds bad data that is already published.
    module = quality.root / "quality_assets.py"
    module.write_text(module.read_text().replace("return data.height <= 100", "return data.height <= 1"))
    result = quality.run("check", "--select", "amounts", "--partitions", f"{DAY}..2025-01-04")
    assert result.returncode == 1
    assert f"FAIL amounts[{DAY}]: few_orders" in result.stdout
    assert "Checked 2 published partitions: 2 with a blocking failure" in result.stdout
    assert {p: p.read_bytes() for p in quality.files("amounts")} == files_before
    run = quality.json("runs")[0]
    assert (run["trigger"], run["status"]) == ("check", "failed")
    audited = quality.json("runs", "show", run["run_id"])["attempts"]
    assert {a["status"] for a in audited} == {"audited"} and len(audited) == 2


def test_runs_asset_shows_the_history_and_trend_of_one_asset(quality: Project) -> None:
    for day in ("2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"):
        quality.ok("materialize", "--select", "pooled", "--partitions", day)
    history = quality.json("runs", "--asset", "pooled")
    assert [p["partitions"] for p in history["runs"]] == [1, 1, 1, 1]
    assert all(p["seconds"] >= 0.3 for p in history["runs"])
    assert history["duration_trend"]["direction"] in ("slower", "faster", "steady")
    assert len(history["duration_trend"]["sparkline"]) == 4
    text = quality.ok("runs", "--asset", "pooled").stdout
    assert "duration per partition" in text and "rows per partition" in text
    unknown = quality.run("runs", "--asset", "poold")
    assert unknown.returncode == 2 and "pooled" in unknown.stderr


def test_release_publishes_a_quarantined_duckdb_partition_and_audits_see_it(make_project: Callable[..., Project]) -> None:
    project = make_project("landing")
    with project.landing_csv("2025-01-02").open("a") as landing:
        landing.write("999,,5.0\n")  # an order without a customer: revenue's not_null(customer) fails
    result = project.run("materialize")
    assert result.returncode == 1 and "quarantined: revenue[2025-01-02]" in result.stdout
    assert project.table_rows("revenue", "2025-01-02") == []

    project.ok("quarantine", "release", "revenue", "2025-01-02", "--reason", "walk-in customers")
    rows = project.table_rows("revenue", "2025-01-02", columns="customer, orders")
    assert (None, 1) in rows and len(rows) == 5
    assert project.json("plan")["steps"] == []
    audit = project.run("check", "--select", "revenue")
    assert audit.returncode == 1 and "FAIL revenue[2025-01-02]: not_null(customer)" in audit.stdout
    assert "Warning" not in audit.stderr
