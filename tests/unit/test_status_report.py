"""``assets status``: the table and ``--json`` render the same values (reports.status), so
they agree on every count; the values themselves come from the planner's statuses."""

from __future__ import annotations

import contextlib
import io
import json
import os
from unittest import mock

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from assets_core import DailyPartitions, asset
from assets_core.catalog import PartitionState
from assets_core.cli.plan import render_status
from assets_core.graph import build_graph
from assets_core.reports.status import STATUSES, AssetStatus, asset_statuses
from snapshot_helpers import fresh_snapshot, utc

COLUMNS = ["asset", "partitions", "freshness", "fresh", "upstream stale", "stale", "missing", "failed", "quarantined", "unknown", "waiting", "warned", "last publish"]


def table_rows(text: str) -> list[dict[str, str]]:
    """The body rows of a rich table, by column name."""
    rows = [[cell.strip() for cell in line.strip("│").split("│")] for line in text.splitlines() if line.startswith("│")]
    return [dict(zip(COLUMNS, row, strict=True)) for row in rows]


statuses = st.builds(
    lambda name, counts, waiting, last, upstream: AssetStatus(
        name, sum(counts), dict(zip(STATUSES, counts, strict=True)), min(waiting, counts[3] + counts[4]), last,
        upstream_stale=min(upstream, counts[0])),
    st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True),
    st.lists(st.integers(0, 10_000), min_size=len(STATUSES), max_size=len(STATUSES)),
    st.integers(0, 10_000),
    st.none() | st.just("2025-01-02T03:04:05.000+00:00"),
    st.integers(0, 10_000),
)


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(statuses, max_size=6, unique_by=lambda s: s.asset))
def test_the_table_and_the_json_agree_on_every_count(report: list[AssetStatus]) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), mock.patch.dict(os.environ, {"COLUMNS": "200"}):  # no cell cut short
        render_status(report, per_partition=False)
    rows = table_rows(out.getvalue())
    entries = json.loads(json.dumps([s.to_json() for s in report]))
    assert [r["asset"] for r in rows] == [e["asset"] for e in entries]
    for row, entry in zip(rows, entries, strict=True):
        assert int(row["partitions"]) == entry["partitions"] == sum(entry[s] for s in STATUSES)
        assert int(row["fresh"]) == entry["fresh"]
        assert int(row["upstream stale"]) == entry["upstream_stale"] <= entry["fresh"]
        assert int(row["stale"]) == entry["stale"] and int(row["unknown"]) == entry["unknown"]
        for column in ("missing", "failed", "quarantined", "waiting"):
            assert int(row[column]) == entry[column], column
        assert int(row["warned"]) == entry["warned"]
        assert row["last publish"] == (entry["last_published_at"] or "never")
        assert row["freshness"] == (entry["freshness"] or "-")


def test_statuses_count_what_the_planner_says_with_the_last_publish_by_name() -> None:
    def raw() -> pl.DataFrame:
        return pl.DataFrame()

    def clean(raw: pl.DataFrame) -> pl.DataFrame:
        return raw

    days = DailyPartitions(start="2025-01-01", end="2025-01-05")
    graph = build_graph([asset(partitions=days)(raw), asset(partitions=days)(clean)])
    now = utc(2025, 1, 10)
    snapshot = fresh_snapshot(graph, now)
    del snapshot.partitions["clean"]["2025-01-04"]
    snapshot.partitions["clean"]["2025-01-03"] = PartitionState(last_status="failed", last_failure="error")
    report = asset_statuses(graph, snapshot, ["raw", "clean"], now, {"raw": (4, "T1")}, detail=True)
    assert [(s.asset, s.partitions, s.count("fresh"), s.count("missing"), s.count("failed"), s.last_published_at)
            for s in report] == [("raw", 4, 4, 0, 0, "T1"), ("clean", 4, 2, 1, 1, None)]
    clean_detail = {p.partition: p.status for p in report[1].detail or ()}
    assert clean_detail == {"2025-01-01": "fresh", "2025-01-02": "fresh", "2025-01-03": "failed", "2025-01-04": "missing"}
    assert list(report[0].to_json()) == ["asset", "partitions", *STATUSES, "waiting", "upstream_stale", "warned", "last_published_at", "freshness", "detail"]
