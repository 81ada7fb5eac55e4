"""The catalog's freshness ledger and alert states, on every backend (see catalog_backends)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from assets_core import DailyPartitions, Freshness, asset
from assets_core.catalog import Catalog, LedgerEntry, Materialization
from assets_core.definitions.deadlines import ledger_due_at
from assets_core.graph import build_graph
from assets_core.reports.freshness import FreshnessFacts, evaluate_freshness, read_facts
from catalog_backends import catalog, catalog_url, open_again  # noqa: F401 (fixtures)


def published(key: str, ended: str, run_id: str = "run-1", **extra: object) -> Materialization:
    fields: dict[str, object] = {"rows": 3, **extra}
    return Materialization(run_id=run_id, asset="orders", partition=key, status="published", started_at=ended,
                           ended_at=ended, code_version="cv", data_version=f"dv-{run_id}", **fields)  # type: ignore[arg-type]


def test_a_publish_writes_its_ledger_row_and_a_republish_keeps_when_it_was_met(catalog: Catalog) -> None:
    catalog.record([published("2025-01-01", "2025-01-02T10:00:00.000+00:00",
                              due_at="2025-01-02T09:00:00.000+00:00", data_time="2025-01-01T23:00:00.000+00:00")])
    catalog.record([published("2025-01-01", "2025-01-05T10:00:00.000+00:00", run_id="run-2",
                              due_at="2025-01-09T09:00:00.000+00:00")])
    (row,) = catalog.freshness_ledger(["orders", "nothing"])["orders"].values()
    # met when first published (late, and it stays late), due as first written, last publish the newest
    assert row == LedgerEntry("2025-01-01", "2025-01-02T09:00:00.000+00:00", "2025-01-02T10:00:00.000+00:00",
                              "2025-01-05T10:00:00.000+00:00", None, 3)
    assert catalog.materializations(run_id="run-1")[0].data_time == "2025-01-01T23:00:00.000+00:00"


def test_a_failed_attempt_writes_no_ledger_row(catalog: Catalog) -> None:
    catalog.record([Materialization(run_id="r", asset="orders", partition="k", status="failed", started_at="t",
                                    ended_at="t", error="boom")])
    assert catalog.freshness_ledger(["orders"]) == {}


def test_record_due_adds_missing_partitions_and_never_rewrites_a_due_time(catalog: Catalog) -> None:
    catalog.record([published("2025-01-01", "2025-01-02T10:00:00.000+00:00")])  # no due time known
    catalog.record_due([("orders", "2025-01-01", "2025-01-02T00:00:00.000+00:00"),
                        ("orders", "2025-01-02", "2025-01-03T00:00:00.000+00:00")])
    catalog.record_due([("orders", "2025-01-02", "2025-01-09T00:00:00.000+00:00")])
    ledger = catalog.freshness_ledger(["orders"])["orders"]
    assert ledger["2025-01-01"].due_at == "2025-01-02T00:00:00.000+00:00"
    assert ledger["2025-01-01"].met_at == "2025-01-02T10:00:00.000+00:00"
    assert ledger["2025-01-02"] == LedgerEntry("2025-01-02", "2025-01-03T00:00:00.000+00:00", None, None, None, None)
    catalog.record_due([])


def test_ledger_history_reads_rows_due_since_in_due_order(catalog: Catalog) -> None:
    catalog.record_due([("orders", f"2025-01-{d:02d}", f"2025-01-{d + 1:02d}T00:00:00.000+00:00") for d in (5, 1, 3)])
    history = catalog.ledger_history(["orders", "other"], "2025-01-03T00:00:00.000+00:00")
    assert [r.partition for r in history["orders"]] == ["2025-01-03", "2025-01-05"]
    assert "other" not in history


def test_claim_alert_is_a_compare_and_swap_across_connections(
    catalog: Catalog, open_again: Callable[[], Catalog]
) -> None:
    other = open_again()
    assert catalog.claim_alert("orders", None, "pass", "t1") is True
    assert other.claim_alert("orders", None, "pass", "t1") is False       # the row exists: lost the race
    assert other.claim_alert("orders", "pass", "error", "t2") is True
    assert catalog.claim_alert("orders", "pass", "error", "t2") is False  # already moved by the other
    assert catalog.alert_states() == other.alert_states() == {"orders": "error"}


def test_observation_times_give_the_latest_version_and_when_it_was_seen(catalog: Catalog) -> None:
    catalog.record_observations([("feed", "", "v1")], "2025-01-01T00:00:00.000+00:00")
    catalog.record_observations([("feed", "", "v2")], "2025-01-02T00:00:00.000+00:00")
    assert catalog.observation_times(["feed", "none"]) == {"feed": {"": ("v2", "2025-01-02T00:00:00.000+00:00")}}


@pytest.mark.parametrize("late_rows", [True, False])
@pytest.mark.parametrize("hole", [None, "2025-01-03", "2025-01-09"])
@pytest.mark.parametrize("policy", [Freshness(deadline="09:00"), Freshness(warn_after="1d", error_after="2d"),
                                    Freshness(error_after="1d", timestamp_column="ts")])
def test_the_outline_read_gives_the_evaluation_of_every_row(
    catalog: Catalog, policy: Freshness, hole: str | None, late_rows: bool
) -> None:
    """read_facts reads the exceptions and counts the rest: the same states, lags, counts and late
    partitions as the whole ledger, with a key without any row, late, empty and missing ones."""
    @asset(partitions=DailyPartitions(start="2025-01-01", timezone="Europe/Berlin"), freshness=policy)
    def orders() -> pl.DataFrame: ...

    graph = build_graph([orders])
    now = datetime(2025, 1, 11, 12, tzinfo=UTC)
    for n, key in enumerate(orders.partitions.keys(now)):  # type: ignore[union-attr]
        if key == hole:
            continue
        due = ledger_due_at(orders, key)
        assert due is not None
        late = timedelta(hours=5 if n % 4 == 0 else -1)
        if key == "2025-01-10":
            catalog.record_due([("orders", key, due)])  # missing
            continue
        ended = (datetime.fromisoformat(due) + late).isoformat(timespec="milliseconds")
        catalog.record([published(key, ended, due_at=due, data_time=ended,
                                  **({"rows": 0} if key == "2025-01-06" else {}))])  # type: ignore[arg-type]
    outline = read_facts(catalog, graph, ["orders"], now, late_rows)
    whole = FreshnessFacts(catalog.freshness_ledger(["orders"]))
    assert ("orders" in outline.plain) == (hole is None)
    fast, = evaluate_freshness(graph, outline, ["orders"], now)
    slow, = evaluate_freshness(graph, whole, ["orders"], now)
    assert (fast.state, fast.lag, fast.reason, dict(fast.counts)) == (slow.state, slow.lag, slow.reason, dict(slow.counts))
    assert slow.counts["late"] > 0 and slow.counts["missing"] > 0
    # without late_rows the late partitions are counted, not listed (but those of the newest windows)
    listed = list(fast.late) if late_rows or hole is not None else [p for p in slow.late if p in fast.late]
    assert listed == list(fast.late) and [p for p in slow.late if p.status == "missing"] == \
        [p for p in fast.late if p.status == "missing"]
    if late_rows:
        assert fast.late == slow.late


def test_claim_transitions_alert_on_the_listed_changes_only(catalog: Catalog) -> None:
    from assets_core.execution.freshness_alerts import claim_transitions
    from assets_core.reports.freshness import AssetFreshness

    policy = Freshness(warn_after="1h", error_after="2h")
    now = datetime(2025, 1, 1, tzinfo=UTC)

    def evaluate(state: str) -> list[str]:
        result = AssetFreshness("orders", state, timedelta(hours=1), "why", policy)  # type: ignore[arg-type]
        return [p["transition"] for p in claim_transitions(catalog, "shop", [result], now)]

    assert evaluate("pass") == []            # a first pass is no news
    assert evaluate("pass") == []
    assert evaluate("warn") == ["warn"]
    assert evaluate("warn") == []            # once per transition
    assert evaluate("error") == ["error"]
    assert evaluate("warn") == []            # better, not yet recovered: stored, not sent
    assert evaluate("pass") == ["recovered"]
    assert evaluate("unknown") == []
    assert evaluate("error") == ["error"]
    assert catalog.alert_states() == {"orders": "error"}
