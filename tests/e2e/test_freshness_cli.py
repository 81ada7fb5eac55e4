"""``assets freshness`` end to end: a project with every policy kind, materialized now, judged
at reference times moved with ``--as-of``; alerts on change to a real HTTP server on 127.0.0.1,
deduplicated across two processes; a hook that hangs bounded by its timeout."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cli_project import Project, Result

NOW = datetime.now(UTC)
START = (NOW - timedelta(days=5)).date().isoformat()

MODULE = f'''
from datetime import timedelta

import polars as pl

from assets_core import DailyPartitions, Freshness, StaticPartitions, asset, source

DAYS = DailyPartitions(start="{START}")


@asset(partitions=DAYS, freshness=Freshness(warn_after="1d", error_after="2d"))
def trail(context) -> pl.DataFrame:
    return pl.DataFrame({{"day": [context.partition_key]}})


@asset(partitions=DailyPartitions(start="{START}", timezone="Europe/Berlin"), freshness=Freshness(deadline="09:00"))
def due_by_nine(context) -> pl.DataFrame:
    return pl.DataFrame({{"day": [context.partition_key]}})


@asset(partitions=DAYS, freshness=Freshness(error_after="6h", timestamp_column="ts"))
def events(context) -> pl.DataFrame:
    return pl.DataFrame({{"ts": [context.data_interval.end - timedelta(hours=1)]}})


@asset(partitions=StaticPartitions(["eu", "us"]), freshness={{"error_after": "1d"}})
def regions(context) -> pl.DataFrame:
    return pl.DataFrame({{"region": [context.partition_key]}})


@source(observe=lambda context: "v1", freshness=Freshness(error_after="1d"))
def feed() -> pl.DataFrame:
    return pl.DataFrame({{"x": [1]}})


@asset(freshness=Freshness(warn_after="1h"))
def summary(trail: pl.DataFrame) -> pl.DataFrame:
    return trail.select(pl.len())
'''

SQL = f'''-- partitions = {{ kind = "daily", start = "{START}" }}
-- freshness = {{ warn_after = "1d", error_after = "3d" }}
SELECT count(*) AS n FROM trail
'''

HOOKS = '''
import time


def hang(payload):
    time.sleep(60)
'''


class Hook(BaseHTTPRequestHandler):
    received: list[dict[str, object]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        type(self).received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict[str, object]]]]:
    received: list[dict[str, object]] = []
    handler = type("Recording", (Hook,), {"received": received})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    server.shutdown()
    server.server_close()


def write_project(root: Path, hooks: str = "") -> Project:
    (root / "sql").mkdir(parents=True)
    (root / "assets.toml").write_text(
        f'[project]\nname = "fresh"\nmodules = ["fresh_assets"]\nsql_dir = "sql"\n{hooks}')
    (root / "fresh_assets.py").write_text(MODULE)
    (root / "sql" / "daily_count.sql").write_text(SQL)
    (root / "alert_hooks.py").write_text(HOOKS)
    project = Project(root)
    project.ok("materialize")
    project.ok("observe")
    return project


def at(delta: timedelta) -> str:
    return (NOW + delta).isoformat()


def states(result: Result) -> dict[str, str]:
    return {entry["asset"]: entry["state"] for entry in result.json()}


@pytest.fixture
def fresh(tmp_path: Path) -> Project:
    return write_project(tmp_path / "fresh")


def test_every_policy_kind_moves_with_the_reference_time(fresh: Project) -> None:
    soon = fresh.run("freshness", "--json", "--as-of", at(timedelta(minutes=5)))
    assert soon.returncode == 0, str(soon)
    assert states(soon) == {"trail": "pass", "due_by_nine": "pass", "events": "pass", "regions": "pass",
                            "feed": "pass", "summary": "pass", "daily_count": "pass"}
    by_asset = {e["asset"]: e for e in soon.json()}
    assert by_asset["events"]["lag_seconds"] == 3600  # the data reaches an hour before its window's end
    assert set(by_asset["trail"]) == {"asset", "state", "lag_seconds", "reason", "warn_after_seconds",
                                      "error_after_seconds", "deadline", "error", "counts", "partitions", "ranges"}

    later = fresh.run("freshness", "--json", "--as-of", at(timedelta(days=2)))
    assert later.returncode == 1
    assert states(later) == {"trail": "warn", "due_by_nine": "error", "events": "error", "regions": "error",
                             "feed": "error", "summary": "warn", "daily_count": "warn"}
    assert {e["asset"]: e["lag_seconds"] for e in later.json()}["trail"] == 2 * 86400

    much_later = states(fresh.run("freshness", "--json", "--as-of", at(timedelta(days=3, hours=1))))
    assert much_later["trail"] == "error" and much_later["daily_count"] == "warn"


def test_fail_on_and_the_exit_codes(fresh: Project) -> None:
    warn_only = ("freshness", "--select", "trail", "--as-of", at(timedelta(days=2)))
    assert fresh.run(*warn_only).returncode == 0                       # default --fail-on error
    assert fresh.run(*warn_only, "--fail-on", "warn").returncode == 1
    assert fresh.run("freshness", "--select", "trail", "--fail-on", "warn").returncode == 0
    bad = fresh.run("freshness", "--fail-on", "fatal")
    assert bad.returncode == 2 and "--fail-on 'fatal' is not one of warn, error" in bad.stderr
    since = fresh.run("freshness", "--history", "--since", "a month")
    assert since.returncode == 2 and "--since 'a month' is not a duration" in since.stderr


def test_partitions_lists_missing_ones_grouped_into_ranges(fresh: Project) -> None:
    result = fresh.run("freshness", "--select", "due_by_nine", "--partitions", "--as-of", at(timedelta(days=4)))
    assert result.returncode == 1
    assert "missing " in result.stdout and ".." in result.stdout
    (entry,) = fresh.run("freshness", "--select", "due_by_nine", "--partitions", "--json",
                         "--as-of", at(timedelta(days=4))).json()
    missing = [r for r in entry["ranges"] if r["status"] == "missing"]
    assert len(missing) == 1 and missing[0]["count"] >= 3
    assert all(p["status"] in ("late", "missing") for p in entry["partitions"])


def test_the_ledger_keeps_lateness_and_history_reports_it(fresh: Project) -> None:
    fresh.run("freshness", "--as-of", at(timedelta(days=4)))  # records the missing partitions
    rows = fresh.catalog("SELECT partition, due_at, met_at FROM freshness_ledger WHERE asset = 'due_by_nine'")
    assert any(met is None for _, _, met in rows) and any(met is not None for _, _, met in rows)
    (record,) = fresh.json("freshness", "--history", "--select", "due_by_nine", "--json", "--as-of", at(timedelta(days=4)))
    assert record["due"] == record["on_time"] + record["late"] + record["missing"] and record["missing"] >= 3
    assert record["longest_late_streak"] >= 3 and record["lateness_max_seconds"] > 0
    assert record["sparkline"] and record["worst"]
    plain = fresh.ok("freshness", "--history", "--as-of", at(timedelta(days=4)))
    assert "due_by_nine" in plain.stdout and "late streak" in plain.stdout


def test_status_shows_each_assets_freshness_state(fresh: Project) -> None:
    entries = {e["asset"]: e for e in fresh.json("status", "--json")}
    assert entries["trail"]["freshness"] == "pass" and "partitions" in entries["trail"]
    assert "freshness" in fresh.ok("status").stdout


def test_a_failed_evaluation_is_kept_in_the_json(fresh: Project) -> None:
    fresh.edit("fresh_assets.py", '@asset(freshness=Freshness(warn_after="1h"))',
               '@asset(freshness=Freshness(deadline="09:00"))')
    result = fresh.run("freshness", "--json")
    assert result.returncode == 1
    (summary,) = [e for e in result.json() if e["asset"] == "summary"]
    assert summary["state"] == "error" and "needs time partitions" in summary["error"]


def test_alerts_once_per_transition_across_two_processes(
    tmp_path: Path, webhook: tuple[str, list[dict[str, object]]]
) -> None:
    url, received = webhook
    project = write_project(tmp_path / "alerts", f'\n[hooks]\non_freshness = ["{url}"]\n')
    args = ("freshness", "--select", "trail")
    project.ok(*args, "--as-of", at(timedelta(minutes=5)))
    assert received == []  # a first pass is no transition
    assert project.run(*args, "--as-of", at(timedelta(days=2))).returncode == 0
    assert [(a["previous"], a["state"], a["transition"]) for a in received] == [("pass", "warn", "warn")]
    # two machines' crons, each evaluating three times: one alert for warn -> error
    crons = [project.popen(*args, "--as-of", at(timedelta(days=3, hours=1))) for _ in range(2)]
    for process in crons:
        process.communicate(timeout=120)
    for _ in range(2):
        project.run(*args, "--as-of", at(timedelta(days=3, hours=1)))
    assert [a["transition"] for a in received] == ["warn", "error"]
    project.run(*args, "--as-of", at(timedelta(minutes=10)))
    assert [a["transition"] for a in received] == ["warn", "error", "recovered"]
    last = received[-1]
    assert set(last) == {"event", "project", "asset", "transition", "previous", "state", "lag_seconds", "reason",
                         "late_partitions", "at"}
    assert (last["event"], last["project"], last["asset"], last["previous"]) == ("freshness", "fresh", "trail", "error")


def test_a_hook_that_hangs_never_holds_the_command_past_its_timeout(tmp_path: Path) -> None:
    project = write_project(tmp_path / "hangs", '\n[hooks]\non_freshness = ["alert_hooks:hang"]\non_freshness_timeout = 1\n')
    started = time.monotonic()
    result = project.run("freshness", "--select", "trail", "--as-of", at(timedelta(days=3, hours=1)), timeout=60)
    elapsed = time.monotonic() - started
    assert result.returncode == 1 and "did not finish within 1 s" in result.stderr
    assert elapsed < 30  # the hook sleeps 60 s
