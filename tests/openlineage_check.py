"""Validation of OpenLineage events against the spec's JSON schemas (tests/openlineage_spec/,
copied from the spec 2-0-2): the event against ``RunEvent``, then every facet against the
schema of its own name and place, whose ``$id`` its ``_schemaURL`` must name.

The spec's ``date-time`` and ``uri`` formats are checked here (jsonschema needs extra
packages for them, and skips a format it cannot check): RFC 3339 with an offset, and a URI
with a scheme. ``uuid`` is checked by jsonschema itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC = Path(__file__).resolve().parent / "openlineage_spec"
RUN_EVENT = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"

# (where the facet is, its name) -> (schema file, the definition in it)
FACETS = {
    ("run", "parent"): ("ParentRunFacet", "ParentRunFacet"),
    ("run", "processing_engine"): ("ProcessingEngineRunFacet", "ProcessingEngineRunFacet"),
    ("run", "nominalTime"): ("NominalTimeRunFacet", "NominalTimeRunFacet"),
    ("run", "errorMessage"): ("ErrorMessageRunFacet", "ErrorMessageRunFacet"),
    ("job", "jobType"): ("JobTypeJobFacet", "JobTypeJobFacet"),
    ("job", "sql"): ("SQLJobFacet", "SQLJobFacet"),
    ("job", "documentation"): ("DocumentationJobFacet", "DocumentationJobFacet"),
    ("dataset", "schema"): ("SchemaDatasetFacet", "SchemaDatasetFacet"),
    ("dataset", "columnLineage"): ("ColumnLineageDatasetFacet", "ColumnLineageDatasetFacet"),
    ("dataset", "version"): ("DatasetVersionDatasetFacet", "DatasetVersionDatasetFacet"),
    ("input", "subset"): ("BaseSubsetDatasetFacet", "InputSubsetInputDatasetFacet"),
    ("output", "subset"): ("BaseSubsetDatasetFacet", "OutputSubsetOutputDatasetFacet"),
    ("output", "outputStatistics"): ("OutputStatisticsOutputDatasetFacet", "OutputStatisticsOutputDatasetFacet"),
    ("output", "dataQualityAssertions"): ("DataQualityAssertionsDatasetFacet", "DataQualityAssertionsDatasetFacet"),
}

_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*$")
FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    return _RFC3339.match(value) is not None


@FORMATS.checks("uri", raises=ValueError)
def _is_uri(value: object) -> bool:
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    return bool(_SCHEME.match(parts.scheme)) and bool(parts.netloc or parts.path) and " " not in value


@cache
def _schemas() -> dict[str, dict[str, Any]]:
    """Each schema file by name (``OpenLineage``, ``ParentRunFacet``...)."""
    files = [SPEC / "OpenLineage.json", *sorted((SPEC / "facets").glob("*.json"))]
    return {path.stem: json.loads(path.read_text()) for path in files}


@cache
def _registry() -> Registry[Any]:
    resources = [(s["$id"], Resource.from_contents(s, default_specification=DRAFT202012)) for s in _schemas().values()]
    return Registry().with_resources(resources)


def _validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, registry=_registry(), format_checker=FORMATS)


def _facets(event: dict[str, Any]) -> Iterator[tuple[str, str, str, Any]]:
    """(path for messages, place, name, facet) of every facet in the event."""
    for name, value in event.get("run", {}).get("facets", {}).items():
        yield f"run.facets.{name}", "run", name, value
    for name, value in event.get("job", {}).get("facets", {}).items():
        yield f"job.facets.{name}", "job", name, value
    for side, place in (("inputs", "input"), ("outputs", "output")):
        for i, dataset in enumerate(event.get(side, [])):
            for name, value in dataset.get("facets", {}).items():
                yield f"{side}[{i}].facets.{name}", "dataset", name, value
            for name, value in dataset.get(f"{place}Facets", {}).items():
                yield f"{side}[{i}].{place}Facets.{name}", place, name, value


def event_problems(event: dict[str, Any]) -> list[str]:
    """Every way ``event`` breaks the spec; [] for a valid RunEvent."""
    problems = [f"{'.'.join(map(str, e.absolute_path)) or 'event'}: {e.message}"
                for e in _validator({"$ref": RUN_EVENT}).iter_errors(event)]
    for where, place, name, value in _facets(event):
        if (place, name) not in FACETS:
            problems.append(f"{where}: no schema for a {place} facet named {name!r} in {SPEC}: copy it there")
            continue
        file, definition = FACETS[place, name]
        schema = _schemas()[file]
        expected = f"{schema['$id']}#/$defs/{definition}"
        if not isinstance(value, dict) or value.get("_schemaURL") != expected:
            problems.append(f"{where}: _schemaURL is {value.get('_schemaURL') if isinstance(value, dict) else None!r}, "
                            f"expected {expected!r}")
        facet_schema = {"$ref": expected}
        problems.extend(f"{where}.{'.'.join(map(str, e.absolute_path))}: {e.message}"
                        for e in _validator(facet_schema).iter_errors(value))
    return problems


def assert_valid(event: dict[str, Any]) -> None:
    problems = event_problems(event)
    assert not problems, "not a valid OpenLineage RunEvent:\n" + "\n".join(problems) + "\n" + json.dumps(event, indent=1)


def read_events(path: Path) -> list[dict[str, Any]]:
    """The events of a JSON-lines file, each validated."""
    events = [json.loads(line) for line in path.read_text().splitlines()]
    for event in events:
        assert_valid(event)
    return events


class LineageServer:
    """A real OpenLineage HTTP endpoint on 127.0.0.1, in a thread: it keeps what it is POSTed
    and answers as told: ``ok`` (201, as Marquez does), ``fail`` (500) or ``slow`` (answers
    only when stopped, at most after 30 s: longer than any client timeout of the tests)."""

    def __init__(self, mode: str = "ok") -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.mode = mode
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.release = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                server.received.append((self.path, dict(self.headers), body))
                if server.mode == "slow":
                    server.release.wait(30)
                status = 500 if server.mode == "fail" else 201
                answer = b'{"error": "the database is down"}' if status == 500 else b""
                self.send_response(status)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}"

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, _, body in self.received]

    def stop(self) -> None:
        self.release.set()
        self.http.shutdown()
        self.http.server_close()
