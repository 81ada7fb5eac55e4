"""OpenLineage through the real CLI: `[openlineage]` in assets.toml and OPENLINEAGE_URL, every
event validated against the spec's JSON schemas, compared with what the catalog recorded; an
HTTP endpoint that fails or hangs never fails or holds up the run."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

import polars as pl
import pytest
from cli_project import DAY, DAYS, Project
from openlineage_check import LineageServer, assert_valid, read_events

NAMESPACE = "assets-core://landing"
IDS = uuid.uuid5(uuid.NAMESPACE_URL, "assets-core:openlineage")  # the derivation the README documents


def configure(project: Project, **table: Any) -> None:
    lines = "".join(f"{key} = {json.dumps(value)}\n" for key, value in table.items())
    with (project.root / "assets.toml").open("a") as out:
        out.write(f"\n[openlineage]\n{lines}")


def by_partition(events: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Events per (asset, partition), in the order written; the partition from the subset facet."""
    found: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        output = event["outputs"][0]
        subset = output.get("outputFacets", {}).get("subset")
        key = subset["outputCondition"]["partitions"][0]["identifier"] if subset else ""
        assert output["name"] == event["job"]["name"]
        found[event["job"]["name"], key].append(event)
    return found


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["eventType"] for e in events]


@pytest.fixture
def server() -> Iterator[Callable[[str], LineageServer]]:
    servers: list[LineageServer] = []

    def start(mode: str) -> LineageServer:
        servers.append(LineageServer(mode))
        return servers[-1]

    yield start
    for each in servers:
        each.stop()


@pytest.mark.parametrize("options", [[], ["--workers", "2"], ["--workers", "2", "--executor", "processes"]],
                         ids=["inline", "threads", "processes"])
def test_every_partition_emits_a_valid_start_and_complete_matching_the_catalog(landing: Project, options: list[str]) -> None:
    configure(landing, file="lineage/events.jsonl")
    run = landing.json("materialize", *options)
    events = read_events(landing.root / "lineage" / "events.jsonl")  # each one validated
    assert run["openlineage"] == {"events": 26, "failed": 0}
    assert len(events) == 26

    partitions = by_partition(events)
    expected = {(a, d) for a in ("raw", "clean", "revenue") for d in DAYS} | {("summary", "")}
    assert set(partitions) == expected
    published = landing.published_versions()
    rows = {(a, k): r for a, k, r in landing.catalog(
        "SELECT asset, partition, rows FROM materializations WHERE run_id = ? AND status = 'published'", (run["run_id"],))}
    parent = str(uuid.uuid5(IDS, run["run_id"]))
    for (asset, key), pair in partitions.items():
        assert kinds(pair) == ["START", "COMPLETE"], (asset, key)
        start, complete = pair
        assert start["run"]["runId"] == complete["run"]["runId"]
        assert complete["run"]["runId"] == str(uuid.uuid5(IDS, f"{run['run_id']}\0{asset}\0{key}\0{1}"))
        assert complete["run"]["facets"]["parent"]["run"]["runId"] == parent
        assert complete["run"]["facets"]["parent"]["job"] == {"namespace": NAMESPACE, "name": "materialize"}
        assert complete["job"]["namespace"] == NAMESPACE
        output = complete["outputs"][0]
        assert output["facets"]["version"]["datasetVersion"] == published[asset, key]
        assert output["outputFacets"]["outputStatistics"]["rowCount"] == rows[asset, key]
        # Inputs: exactly the upstream partitions read, at the data versions the catalog holds.
        read = {(i["name"], i.get("inputFacets", {}).get("subset", {}).get("inputCondition", {})
                 .get("partitions", [{}])[0].get("identifier", ""), i["facets"]["version"]["datasetVersion"])
                for i in complete["inputs"]}
        assert read == {(up, k, published[up, k]) for up, k, _ in read}
        assert {(up, k) for up, k, _ in read} == {
            "raw": set(), "clean": {("raw", key)}, "revenue": {("clean", key)},
            "summary": {("clean", d) for d in DAYS},
        }[asset]
        assert start["inputs"] == complete["inputs"]

    clean = partitions["clean", DAY][1]["outputs"][0]
    schema = pl.read_parquet_schema(landing.partition_file("clean", DAY))
    assert [(f["name"], f["type"]) for f in clean["facets"]["schema"]["fields"]] == [(n, str(t)) for n, t in schema.items()]
    assertions = clean["outputFacets"]["dataQualityAssertions"]["assertions"]
    assert [(a["name"], a["success"], a["severity"]) for a in assertions] == [
        ("not_null(order_id)", True, "error"), ("unique(order_id)", True, "error"),
        ("non_negative_amount", True, "error"), ("plausible_amount", True, "warn"),
    ]
    revenue = partitions["revenue", DAY][1]["job"]["facets"]
    assert revenue["jobType"]["jobType"] == "SQL_ASSET" and "FROM clean" in revenue["sql"]["query"]
    # Column lineage, as `assets lineage ASSET --columns` derives it: SQL from the query, Python inferred.
    fields = partitions["revenue", DAY][1]["outputs"][0]["facets"]["columnLineage"]["fields"]
    assert {(f["name"], f["field"], t["type"]) for f in fields["revenue"]["inputFields"] for t in f["transformations"]} == {
        ("clean", "amount", "DIRECT"), ("clean", "customer", "INDIRECT")}
    inferred = partitions["clean", DAY][1]["outputs"][0]["facets"]["columnLineage"]["fields"]
    assert {column: [(f["name"], f["field"]) for f in field["inputFields"]] for column, field in inferred.items()} == {
        "order_id": [("raw", "order_id")], "customer": [("raw", "customer")], "amount": [("raw", "amount")]}


def test_a_quarantined_partition_fails_and_its_downstream_partitions_abort(built_landing: Project) -> None:
    project = built_landing
    configure(project, file="events.jsonl", namespace="shop")
    rows = project.landing_rows(DAY)
    project.write_landing(DAY, [*((int(r["order_id"]), r["customer"], float(r["amount"])) for r in rows),
                                (int(rows[0]["order_id"]), "eve", 3.0)])  # a duplicate id: unique(order_id) fails
    result = project.run("materialize", "--partitions", DAY)
    assert result.returncode == 1, str(result)
    assert "OpenLineage: 8 events, 0 not delivered" in result.stdout
    partitions = by_partition(read_events(project.root / "events.jsonl"))
    assert {k: kinds(v) for k, v in partitions.items()} == {
        ("raw", DAY): ["START", "COMPLETE"], ("clean", DAY): ["START", "FAIL"],
        ("revenue", DAY): ["START", "ABORT"], ("summary", ""): ["START", "ABORT"],
    }
    fail = partitions["clean", DAY][1]
    assert fail["job"]["namespace"] == "shop" and fail["outputs"][0]["namespace"] == "shop"
    assert "unique(order_id)" in fail["run"]["facets"]["errorMessage"]["message"]
    output = fail["outputs"][0]
    assert "version" not in output["facets"]  # nothing was published
    failed = [a for a in output["outputFacets"]["dataQualityAssertions"]["assertions"] if not a["success"]]
    assert [(a["assertion"], a["column"], a["actual"]) for a in failed] == [("unique", "order_id", "1")]
    abort = partitions["revenue", DAY][1]
    assert f"clean[{DAY}]" in abort["run"]["facets"]["errorMessage"]["message"]


@pytest.fixture
def quality(make_project: Callable[..., Project]) -> Project:
    project = make_project("quality")
    (project.root / "switches").mkdir()
    configure(project, file="lineage.jsonl")  # events.jsonl is its hooks' file
    return project


def test_a_failing_partition_fails_and_each_retried_attempt_is_a_run_of_its_own(quality: Project) -> None:
    (quality.root / "switches" / "broken").write_text("")
    (quality.root / "switches" / "flaky").write_text("2")  # two ConnectionErrors, then published
    day = "2025-01-03"
    result = quality.run("materialize", "--select", "broken flaky", "--partitions", day, "--json")
    assert result.returncode == 1, str(result)
    assert result.json()["openlineage"] == {"events": 8, "failed": 0}
    partitions = by_partition(read_events(quality.root / "lineage.jsonl"))
    broken = partitions["broken", day]
    assert kinds(broken) == ["START", "FAIL"]
    assert "ValueError: the mapping table has no entry for 'XX'" in broken[1]["run"]["facets"]["errorMessage"]["message"]
    assert broken[1]["run"]["facets"]["errorMessage"]["programmingLanguage"] == "python"
    flaky = partitions["flaky", day]
    assert kinds(flaky) == ["START", "FAIL", "START", "FAIL", "START", "COMPLETE"]
    run_ids = [e["run"]["runId"] for e in flaky]
    assert run_ids[0] == run_ids[1] != run_ids[2] == run_ids[3] != run_ids[4] == run_ids[5]
    assert len({e["run"]["facets"]["parent"]["run"]["runId"] for e in flaky + broken}) == 1
    assert "ConnectionError" in flaky[1]["run"]["facets"]["errorMessage"]["message"]
    assert [e["eventTime"] for e in flaky] == sorted(e["eventTime"] for e in flaky)


def test_openlineage_url_sends_every_event_to_the_endpoint(landing: Project, server: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    endpoint = server("ok")
    configure(landing, file="events.jsonl")
    monkeypatch.setenv("OPENLINEAGE_URL", endpoint.url)
    monkeypatch.setenv("OPENLINEAGE_API_KEY", "s3cret")
    run = landing.json("materialize")
    assert run["openlineage"] == {"events": 26, "failed": 0}
    received = endpoint.events()
    for event in received:
        assert_valid(event)
    assert received == read_events(landing.root / "events.jsonl")  # the same events, in the same order
    assert {path for path, _, _ in endpoint.received} == {"/api/v1/lineage"}
    assert {headers["Authorization"] for _, headers, _ in endpoint.received} == {"Bearer s3cret"}


def test_a_failing_endpoint_is_logged_and_counted_and_the_run_succeeds(landing: Project, server: Any) -> None:
    endpoint = server("fail")
    configure(landing, file="events.jsonl", url=endpoint.url)
    result = landing.run("materialize", "--json")
    assert result.returncode == 0, str(result)
    run = result.json()
    assert run["status"] == "succeeded" and run["counts"]["published"] == 13
    assert run["openlineage"] == {"events": 26, "failed": 26}
    assert len(read_events(landing.root / "events.jsonl")) == 26  # the file still has every event
    assert "HTTP 500" in result.stderr and "the database is down" in result.stderr
    assert len(result.error_lines) == 2  # the first failure, then the count: not one line per event


def test_a_slow_endpoint_does_not_hold_up_the_run(landing: Project, server: Any) -> None:
    endpoint = server("slow")  # answers nothing for 30 s
    configure(landing, url=endpoint.url, timeout=0.5)
    result = landing.run("materialize", "--json")
    assert result.returncode == 0, str(result)
    run = result.json()
    assert run["openlineage"] == {"events": 26, "failed": 26}
    # Waiting on each event would take 26 x 30 s; the run pays at most a few timeouts.
    assert run["seconds"] < 10, run["seconds"]
    assert "no answer within 0.5 s" in result.stderr


@pytest.mark.parametrize(("table", "message"), [
    ({"url": "ftp://lineage.example"}, "[openlineage] url: 'ftp://lineage.example' is not an http:// or https:// URL"),
    ({"fiel": "events.jsonl"}, "unknown key 'fiel'. Did you mean 'file'?"),
    ({"file": "e.jsonl", "timeout": 0}, "timeout"),
])
def test_a_mistake_in_the_table_is_one_line_before_anything_runs(landing: Project, table: dict[str, Any], message: str) -> None:
    configure(landing, **table)
    result = landing.run("materialize")
    assert result.returncode == 1, str(result)
    assert len(result.error_lines) == 1 and message in result.error_lines[0], result.stderr
    assert not landing.data.exists() or not landing.files("raw")
