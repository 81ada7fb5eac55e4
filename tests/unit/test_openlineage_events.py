"""OpenLineage events built by the engine, validated against the spec's JSON schemas; the
settings read from [openlineage] and the OPENLINEAGE_* variables; the transports against a
real HTTP server on 127.0.0.1 (failing and slow)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from openlineage_check import LineageServer, assert_valid, event_problems, read_events

from assets_core import (
    DailyPartitions,
    StaticPartitions,
    asset,
    check,
    in_range,
    not_null,
    sql_asset,
    unique,
)
from assets_core.catalog import Run
from assets_core.checks.base import CheckResult
from assets_core.execution.compute import Computed
from assets_core.execution.openlineage import emitter
from assets_core.execution.openlineage import events as ol
from assets_core.execution.openlineage.emitter import (
    Lineage,
    LineageSettings,
    lineage_settings,
)
from assets_core.execution.openlineage.transports import (
    GIVE_UP_AFTER,
    FileTransport,
    HttpTransport,
)
from assets_core.graph import AssetGraph, build_graph
from assets_core.partitions.multi import MultiPartitions
from assets_core.project.loading import (
    OpenLineageConfig,
    Project,
    ProjectConfig,
    Settings,
)
from assets_core.storage.store import StagedPartition

DAYS = DailyPartitions("2025-01-01", "2025-01-05")
RUN = Run(run_id="20250105T010203-abcdef", reference_time="2025-01-05T00:00:00+00:00",
          started_at="2025-01-05T01:02:03.000+00:00")
SCHEMA = (("order_id", "Int64", True), ("amount", "Float64", True))


def shop() -> AssetGraph:
    @asset(partitions=DAYS, checks=[not_null("order_id"), unique("order_id"), in_range("amount", min=0)])
    def orders(): ...

    @check(asset="orders")
    def few(data: pl.DataFrame) -> bool:
        return data.height < 10

    @sql_asset(partitions=DAYS, description="Revenue per day.")
    def revenue() -> str:
        return "SELECT sum(amount) AS total FROM orders WHERE amount > 0"

    @asset(partitions=MultiPartitions(day=DAYS, region=StaticPartitions(["eu", "us"])))
    def regional(orders): ...  # type: ignore[no-untyped-def]

    @asset
    def totals(orders): ...  # type: ignore[no-untyped-def]

    orders = orders.with_checks([few])
    return build_graph([orders, revenue, regional, totals])


def staged(asset_name: str, key: str, schema: tuple[tuple[str, str, bool], ...] = SCHEMA) -> StagedPartition:
    return StagedPartition(asset_name, key, RUN.run_id, Path("/x"), 3, 1234, f"v-{asset_name}-{key}", schema)


def computed(part: StagedPartition | None, checks: tuple[CheckResult, ...] = (), error: str | None = None,
             **fields: Any) -> Computed:
    return Computed(part, checks, error, time.time(), 0.01, "published" if part else "failed", **fields)


def lineage_for(tmp_path: Path, graph: AssetGraph | None = None) -> Lineage:
    settings = LineageSettings(namespace="assets-core://shop", file=tmp_path / "events.jsonl")
    return Lineage(settings, RUN, graph or shop())


# -- facets and events -----------------------------------------------------------------------------


def test_the_column_lineage_facet_of_a_mapping_is_valid_and_merges_the_edges_of_one_column() -> None:
    mapping: ol.ColumnLineage = {
        "total": [("orders", "amount", "direct"), ("orders", "amount", "indirect"), ("orders", "status", "indirect")],
        "day": [("calendar", "day", "direct")],
    }
    facet = ol.column_lineage_facet("urn:assets-core:test", "assets-core://shop", mapping)
    assert facet is not None
    assert facet["fields"]["total"]["inputFields"] == [
        {"namespace": "assets-core://shop", "name": "orders", "field": "amount",
         "transformations": [{"type": "DIRECT"}, {"type": "INDIRECT"}]},
        {"namespace": "assets-core://shop", "name": "orders", "field": "status", "transformations": [{"type": "INDIRECT"}]},
    ]
    assert facet["fields"]["day"]["inputFields"][0]["name"] == "calendar"
    output = ol.output_dataset("urn:assets-core:test", "assets-core://shop", "revenue", "2025-01-01",
                               {"partition_key": "2025-01-01"}, version="v1", schema=SCHEMA, column_lineage=facet)
    event = ol.run_event("COMPLETE", "2025-01-01T00:00:00.000+00:00", "urn:assets-core:test",
                         ol.attempt_run_id("r", "revenue", "2025-01-01", 1),
                         {"namespace": "assets-core://shop", "name": "revenue"}, outputs=[output])
    assert_valid(event)
    assert ol.column_lineage_facet("urn:assets-core:test", "n", {}) is None


def test_the_column_lineage_function_feeds_the_output_facet_of_published_partitions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []

    def lineage_of(spec: Any, upstream_schemas: dict[str, Any], own: Any = None) -> ol.ColumnLineage:
        seen.append((spec.name, dict(upstream_schemas)))
        return {"total": [("orders", "amount", "direct")]}

    monkeypatch.setattr(emitter, "_column_lineage", lineage_of)
    lineage = lineage_for(tmp_path)
    lineage.started("orders", "2025-01-01", {})
    lineage.concluded("orders", "2025-01-01", computed(staged("orders", "2025-01-01")), "published", {})
    lineage.started("revenue", "2025-01-01", {"orders": {"2025-01-01": "v-orders-2025-01-01"}})
    total = (("total", "Float64", True),)
    lineage.concluded("revenue", "2025-01-01", computed(staged("revenue", "2025-01-01", total)), "published",
                      {"orders": {"2025-01-01": "v-orders-2025-01-01"}})
    assert lineage.close().to_json() == {"events": 4, "failed": 0}
    events = read_events(tmp_path / "events.jsonl")
    output = events[-1]["outputs"][0]
    assert output["facets"]["columnLineage"]["fields"]["total"]["inputFields"][0]["field"] == "amount"
    # The upstream schema is what this run published of orders.
    assert ("revenue", {"orders": list(SCHEMA)}) in [(n, {k: list(v) for k, v in s.items()}) for n, s in seen]
    assert events[-1]["job"]["facets"]["sql"]["query"].startswith("SELECT sum(amount)")
    assert events[-1]["job"]["facets"]["documentation"]["description"] == "Revenue per day."


def test_a_published_partition_carries_its_schema_statistics_version_partition_and_checks(tmp_path: Path) -> None:
    lineage = lineage_for(tmp_path)
    checks = (
        CheckResult("not_null(order_id)", True, "blocking", 0, ""),
        CheckResult("unique(order_id)", True, "blocking", 0, ""),
        CheckResult(in_range("amount", min=0).name, False, "warn", 2, "2 rows below 0"),
        CheckResult("few", True, "blocking", None, ""),
    )
    lineage.started("orders", "2025-01-02", {})
    lineage.concluded("orders", "2025-01-02", computed(staged("orders", "2025-01-02"), checks), "published", {})
    lineage.close()
    start, complete = read_events(tmp_path / "events.jsonl")
    assert (start["eventType"], complete["eventType"]) == ("START", "COMPLETE")
    assert start["run"]["runId"] == complete["run"]["runId"] == ol.attempt_run_id(RUN.run_id, "orders", "2025-01-02", 1)
    parent = complete["run"]["facets"]["parent"]
    assert parent["run"]["runId"] == ol.parent_run_id(RUN.run_id)
    assert parent["job"] == {"namespace": "assets-core://shop", "name": "materialize"}
    assert complete["run"]["facets"]["nominalTime"]["nominalStartTime"] == "2025-01-02T00:00:00.000+00:00"
    output = complete["outputs"][0]
    assert (output["namespace"], output["name"]) == ("assets-core://shop", "orders")
    assert [(f["name"], f["type"]) for f in output["facets"]["schema"]["fields"]] == [("order_id", "Int64"), ("amount", "Float64")]
    assert output["facets"]["version"]["datasetVersion"] == "v-orders-2025-01-02"
    stats = output["outputFacets"]["outputStatistics"]
    assert (stats["rowCount"], stats["size"]) == (3, 1234)
    assert output["outputFacets"]["subset"]["outputCondition"]["partitions"] == [
        {"identifier": "2025-01-02", "dimensions": {"partition_key": "2025-01-02"}}
    ]
    assertions = output["outputFacets"]["dataQualityAssertions"]["assertions"]
    assert [(a["assertion"], a.get("column"), a["success"], a["severity"]) for a in assertions] == [
        ("not_null", "order_id", True, "error"), ("unique", "order_id", True, "error"),
        ("in_range", "amount", False, "warn"), ("custom", None, True, "error"),
    ]
    assert assertions[2]["actual"] == "2"
    assert "columnLineage" not in output["facets"]  # an asset reading nothing: no column comes from another


def test_inputs_are_the_upstream_partitions_read_with_their_versions_and_dimensions(tmp_path: Path) -> None:
    lineage = lineage_for(tmp_path)
    key = "2025-01-03|eu"
    lineage.started("regional", key, {"orders": {"2025-01-03": "v3"}, "@observed": {key: "seen"}})
    lineage.started("totals", "", {"orders": {"2025-01-01": "v1", "2025-01-02": "v2"}})
    lineage.close()
    regional, totals, *aborted = read_events(tmp_path / "events.jsonl")
    assert [e["eventType"] for e in aborted] == ["ABORT", "ABORT"]  # never concluded
    assert [(i["name"], i["facets"]["version"]["datasetVersion"]) for i in regional["inputs"]] == [("orders", "v3")]
    assert regional["outputs"][0]["outputFacets"]["subset"]["outputCondition"]["partitions"] == [
        {"identifier": key, "dimensions": {"day": "2025-01-03", "region": "eu"}}
    ]
    assert [i["inputFacets"]["subset"]["inputCondition"]["partitions"][0]["identifier"] for i in totals["inputs"]] == [
        "2025-01-01", "2025-01-02",
    ]
    assert "outputFacets" not in totals["outputs"][0]  # unpartitioned: no subset
    assert "nominalTime" not in totals["run"]["facets"]


def test_retried_attempts_are_runs_of_their_own_and_a_skip_is_an_abort(tmp_path: Path) -> None:
    lineage = lineage_for(tmp_path)
    first = computed(None, error="ConnectionError: gone", attempt=1)
    second = computed(None, error="ConnectionError: gone", attempt=2)
    last = computed(staged("orders", "2025-01-04"), attempt=3, retried=(first, second))
    lineage.started("orders", "2025-01-04", {})
    lineage.concluded("orders", "2025-01-04", last, "published", {})
    lineage.skipped("revenue", "2025-01-04", "upstream orders[2025-01-04] failed")
    lineage.concluded("orders", "2025-01-03", computed(None, error="ValueError: bad"), "failed", {},
                      "ValueError: bad")
    lineage.close()
    events = read_events(tmp_path / "events.jsonl")
    kinds = [(e["eventType"], e["job"]["name"], e["run"]["runId"]) for e in events]
    ids = [ol.attempt_run_id(RUN.run_id, "orders", "2025-01-04", n) for n in (1, 2, 3)]
    skip = ol.attempt_run_id(RUN.run_id, "revenue", "2025-01-04", 1)
    failed = ol.attempt_run_id(RUN.run_id, "orders", "2025-01-03", 1)
    assert kinds == [
        ("START", "orders", ids[0]), ("FAIL", "orders", ids[0]), ("START", "orders", ids[1]),
        ("FAIL", "orders", ids[1]), ("START", "orders", ids[2]), ("COMPLETE", "orders", ids[2]),
        ("START", "revenue", skip), ("ABORT", "revenue", skip), ("FAIL", "orders", failed),
    ]
    assert events[1]["run"]["facets"]["errorMessage"] == {
        "_producer": events[1]["producer"], "_schemaURL": ol.FACET_SCHEMAS["errorMessage"],
        "message": "ConnectionError: gone", "programmingLanguage": "python",
    }
    assert events[7]["run"]["facets"]["errorMessage"]["message"] == "upstream orders[2025-01-04] failed"
    assert "version" not in events[-1]["outputs"][0].get("facets", {})


def test_attempts_still_open_when_an_interrupted_run_closes_are_aborted(tmp_path: Path) -> None:
    lineage = lineage_for(tmp_path)
    lineage.started("orders", "2025-01-01", {})
    lineage.started("orders", "2025-01-02", {})
    lineage.concluded("orders", "2025-01-01", computed(staged("orders", "2025-01-01")), "published", {})
    assert lineage.close().events == 4
    events = read_events(tmp_path / "events.jsonl")
    assert [(e["eventType"], e["outputs"][0]["outputFacets"]["subset"]["outputCondition"]["partitions"][0]["identifier"])
            for e in events] == [("START", "2025-01-01"), ("START", "2025-01-02"), ("COMPLETE", "2025-01-01"),
                                 ("ABORT", "2025-01-02")]
    assert events[-1]["run"]["runId"] == events[1]["run"]["runId"]
    assert "interrupted" in events[-1]["run"]["facets"]["errorMessage"]["message"]


def test_a_quarantined_partition_fails_with_the_check_results_of_its_staged_data_and_no_version(tmp_path: Path) -> None:
    lineage = lineage_for(tmp_path)
    checks = (CheckResult("unique(order_id)", False, "blocking", 1, "1 duplicate"),)
    part = staged("orders", "2025-01-02")
    lineage.concluded("orders", "2025-01-02", computed(part, checks), "quarantined", {}, "unique(order_id): 1 duplicate")
    lineage.close()
    (event,) = read_events(tmp_path / "events.jsonl")
    assert event["eventType"] == "FAIL"
    output = event["outputs"][0]
    assert "version" not in output["facets"] and "outputStatistics" not in output["outputFacets"]
    assert output["outputFacets"]["dataQualityAssertions"]["assertions"][0]["success"] is False
    assert event["run"]["facets"]["errorMessage"]["message"] == "unique(order_id): 1 duplicate"


def test_the_validator_rejects_what_breaks_the_spec() -> None:
    event = ol.run_event("START", "2025-01-01T00:00:00.000+00:00", "urn:assets-core:test",
                         ol.attempt_run_id("r", "a", "k", 1), {"namespace": "n", "name": "a"},
                         {"parent": ol.parent_facet("urn:assets-core:test", "n", "materialize", ol.parent_run_id("r"))})
    assert event_problems(event) == []
    event["run"]["runId"] = "not-a-uuid"
    event["eventTime"] = "2025-01-01 00:00"
    del event["run"]["facets"]["parent"]["_producer"]
    event["run"]["facets"]["made_up"] = {"_producer": "urn:x", "_schemaURL": "urn:y"}
    problems = "\n".join(event_problems(event))
    for expected in ("'not-a-uuid' is not a 'uuid'", "is not a 'date-time'", "'_producer' is a required property",
                     "no schema for a run facet named 'made_up'"):
        assert expected in problems


# -- settings --------------------------------------------------------------------------------------


def project(**table: Any) -> Project:
    return Project(Path("/p"), ProjectConfig(name="shop"), Settings(openlineage=OpenLineageConfig(**table)))


def test_settings_come_from_the_table_then_the_standard_variables() -> None:
    assert lineage_settings(project(), {}) is None
    assert lineage_settings(project(file="ol.jsonl"), {"OPENLINEAGE_DISABLED": "true"}) is None
    from_env = lineage_settings(project(), {"OPENLINEAGE_URL": "http://h:5000", "OPENLINEAGE_API_KEY": "k",
                                            "OPENLINEAGE_ENDPOINT": "api/v2/lineage", "OPENLINEAGE_NAMESPACE": "prod"})
    assert from_env == LineageSettings(namespace="prod", url="http://h:5000", endpoint="api/v2/lineage", api_key="k")
    table = lineage_settings(project(file="ol.jsonl", url="http://a:1", namespace="mine", timeout=0.5),
                             {"OPENLINEAGE_URL": "http://h:5000", "OPENLINEAGE_NAMESPACE": "prod"})
    assert table == LineageSettings(namespace="mine", file=Path("/p/ol.jsonl"), url="http://a:1", timeout=0.5)
    assert lineage_settings(project(file="ol.jsonl"), {}) == LineageSettings(
        namespace="assets-core://shop", file=Path("/p/ol.jsonl"))


# -- transports ------------------------------------------------------------------------------------


@pytest.fixture
def server_of() -> Any:
    servers: list[LineageServer] = []

    def start(mode: str) -> LineageServer:
        servers.append(LineageServer(mode))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def test_http_posts_each_event_to_the_endpoint_with_the_api_key(server_of: Any) -> None:
    server = server_of("ok")
    transport = HttpTransport(server.url, "api/v1/lineage", "secret", timeout=5)
    for n in range(5):
        transport.send(b'{"n": %d}' % n)
    assert transport.close(time.monotonic() + 10) == 0
    assert [body for _, _, body in server.received] == [b'{"n": %d}' % n for n in range(5)]
    path, headers, _ = server.received[0]
    assert path == "/api/v1/lineage"
    assert headers["Authorization"] == "Bearer secret" and headers["Content-Type"] == "application/json"


def test_a_failing_endpoint_is_counted_and_given_up_after_a_few_failures(
    server_of: Any, caplog: pytest.LogCaptureFixture
) -> None:
    server = server_of("fail")
    transport = HttpTransport(server.url, timeout=5)
    for _ in range(10):
        transport.send(b"{}")
    assert transport.close(time.monotonic() + 10) == 10
    assert len(server.received) == GIVE_UP_AFTER  # the rest are not even tried
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "HTTP 500" in warnings[0] and "the database is down" in warnings[0]
    assert warnings[-1].endswith(f"10 events were not delivered (given up after {GIVE_UP_AFTER} failures in a row)")


def test_a_slow_endpoint_never_holds_up_the_sender_nor_the_close_past_its_deadline(server_of: Any) -> None:
    server = server_of("slow")
    transport = HttpTransport(server.url, timeout=0.2)
    started = time.monotonic()
    for _ in range(20):
        transport.send(b"{}")
    assert time.monotonic() - started < 0.1  # sending only queues
    assert transport.close(time.monotonic() + 0.2) == 20
    assert time.monotonic() - started < 2.0  # not 20 timeouts
    tried = len(server.received)
    time.sleep(4 * 0.2)  # long enough for the sender to try again, were it still running
    assert len(server.received) == tried  # close stopped the sender: nothing is tried after its deadline
    assert [body for _, _, body in server.received] == [b"{}"] * tried


def test_a_file_that_cannot_be_opened_is_counted_not_raised(tmp_path: Path) -> None:
    (tmp_path / "blocked").write_text("a file where a folder should be")
    transport = FileTransport(tmp_path / "blocked" / "events.jsonl")
    transport.send(b"{}")
    transport.send(b"{}")
    assert transport.close(time.monotonic()) == 2
