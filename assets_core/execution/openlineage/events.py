"""OpenLineage RunEvents (spec 2-0-2) as plain dicts: pure functions of values, no I/O.

Every event and facet carries what the spec requires (``eventTime``, ``producer``,
``schemaURL``; ``_producer`` and ``_schemaURL`` on each facet), and the schema URL of a facet
is the ``$id`` of the spec's JSON schema that defines it (the tests validate each one there).

    >>> event = run_event("START", "2025-01-02T03:04:05.000+00:00", "urn:x", attempt_run_id("r", "a", "k", 1),
    ...                   {"namespace": "n", "name": "a"})
    >>> event["eventType"], event["schemaURL"]
    ('START', 'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent')
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

EventType = Literal["START", "COMPLETE", "FAIL", "ABORT"]
Edge = Literal["direct", "indirect"]
ColumnLineage = Mapping[str, Sequence[tuple[str, str, Edge]]]
"""{output column: [(upstream asset, upstream column, "direct" | "indirect")]}."""

SPEC = "https://openlineage.io/spec/2-0-2/OpenLineage.json"
RUN_EVENT_SCHEMA = f"{SPEC}#/$defs/RunEvent"
_FACETS = "https://openlineage.io/spec/facets"
FACET_SCHEMAS = {
    # run facets
    "parent": f"{_FACETS}/1-2-0/ParentRunFacet.json#/$defs/ParentRunFacet",
    "processing_engine": f"{_FACETS}/1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet",
    "nominalTime": f"{_FACETS}/1-0-1/NominalTimeRunFacet.json#/$defs/NominalTimeRunFacet",
    "errorMessage": f"{_FACETS}/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet",
    # job facets
    "jobType": f"{_FACETS}/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet",
    "sql": f"{_FACETS}/1-1-0/SQLJobFacet.json#/$defs/SQLJobFacet",
    "documentation": f"{_FACETS}/1-1-0/DocumentationJobFacet.json#/$defs/DocumentationJobFacet",
    # dataset facets
    "schema": f"{_FACETS}/1-2-0/SchemaDatasetFacet.json#/$defs/SchemaDatasetFacet",
    "columnLineage": f"{_FACETS}/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet",
    "version": f"{_FACETS}/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet",
    "outputStatistics": (
        f"{_FACETS}/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet"
    ),
    "dataQualityAssertions": (
        f"{_FACETS}/1-1-0/DataQualityAssertionsDatasetFacet.json#/$defs/DataQualityAssertionsDatasetFacet"
    ),
    "inputSubset": f"{_FACETS}/1-0-0/BaseSubsetDatasetFacet.json#/$defs/InputSubsetInputDatasetFacet",
    "outputSubset": f"{_FACETS}/1-0-0/BaseSubsetDatasetFacet.json#/$defs/OutputSubsetOutputDatasetFacet",
}
"""The schema of each facet the engine emits, by facet name (the subset facet, named
``subset`` in both places, has one definition for inputs and one for outputs)."""

_IDS = uuid.uuid5(uuid.NAMESPACE_URL, "assets-core:openlineage")
_CHECK_CALL = re.compile(r"^(\w+)\(")


def parent_run_id(run_id: str) -> str:
    """The OpenLineage runId (a UUID) of an ``assets`` run: derived from its id, so anyone
    holding the catalog's run id finds its events.

        >>> parent_run_id("20250102T030405-ab12cd") == parent_run_id("20250102T030405-ab12cd")
        True
    """
    return str(uuid.uuid5(_IDS, run_id))


def attempt_run_id(run_id: str, asset: str, key: str, attempt: int) -> str:
    """The OpenLineage runId of one attempt at one partition in one ``assets`` run."""
    return str(uuid.uuid5(_IDS, f"{run_id}\0{asset}\0{key}\0{attempt}"))


def facet(producer: str, kind: str, /, **fields: Any) -> dict[str, Any]:
    """A facet: the fields, with ``_producer`` and the ``_schemaURL`` of ``kind`` (a key of
    :data:`FACET_SCHEMAS`)."""
    return {"_producer": producer, "_schemaURL": FACET_SCHEMAS[kind], **fields}


def run_event(
    event_type: EventType, event_time: str, producer: str, run_id: str, job: Mapping[str, Any],
    run_facets: Mapping[str, Any] | None = None, inputs: Sequence[Mapping[str, Any]] = (),
    outputs: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """One RunEvent; ``job`` is a ``{"namespace", "name", "facets"?}`` dict (see :func:`job`)."""
    run: dict[str, Any] = {"runId": run_id}
    if run_facets:
        run["facets"] = dict(run_facets)
    return {
        "eventType": event_type, "eventTime": event_time, "producer": producer, "schemaURL": RUN_EVENT_SCHEMA,
        "run": run, "job": job, "inputs": list(inputs), "outputs": list(outputs),
    }


# -- run facets ------------------------------------------------------------------------------------


def parent_facet(producer: str, namespace: str, job_name: str, run_id: str) -> dict[str, Any]:
    """The ``assets`` run an attempt belongs to, as its parent and its root."""
    parent = {"run": {"runId": run_id}, "job": {"namespace": namespace, "name": job_name}}
    return facet(producer, "parent", **parent, root=parent)


def engine_facet(producer: str, version: str) -> dict[str, Any]:
    return facet(producer, "processing_engine", name="assets-core", version=version, openlineageAdapterVersion=version)


def nominal_time_facet(producer: str, start: str, end: str) -> dict[str, Any]:
    """A time partition's data interval ``[start, end)``."""
    return facet(producer, "nominalTime", nominalStartTime=start, nominalEndTime=end)


def error_facet(producer: str, message: str) -> dict[str, Any]:
    return facet(producer, "errorMessage", message=message, programmingLanguage="python")


# -- jobs ------------------------------------------------------------------------------------------


def job(
    producer: str, namespace: str, name: str, kind: str, sql: str | None = None, description: str | None = None
) -> dict[str, Any]:
    """The job of an asset: a batch job of the ASSETS_CORE integration, with its SQL and description."""
    facets: dict[str, Any] = {"jobType": facet(producer, "jobType", processingType="BATCH", integration="ASSETS_CORE",
                                               jobType=f"{kind.upper()}_ASSET")}
    if sql is not None:
        facets["sql"] = facet(producer, "sql", query=sql, dialect="duckdb")
    if description:
        facets["documentation"] = facet(producer, "documentation", description=description, contentType="text/plain")
    return {"namespace": namespace, "name": name, "facets": facets}


# -- datasets --------------------------------------------------------------------------------------


def subset_condition(keys: Iterable[tuple[str, Mapping[str, str]]]) -> dict[str, Any]:
    """A partition condition: each ``(key, dimensions)`` as one partition."""
    return {"type": "partition", "partitions": [{"identifier": k, "dimensions": dict(d)} for k, d in keys]}


def input_dataset(
    producer: str, namespace: str, asset: str, key: str, dimensions: Mapping[str, str] | None, version: str
) -> dict[str, Any]:
    """One upstream partition read, at the data version read (``dimensions`` None: unpartitioned)."""
    dataset: dict[str, Any] = {
        "namespace": namespace, "name": asset, "facets": {"version": facet(producer, "version", datasetVersion=version)},
    }
    if dimensions is not None:
        condition = subset_condition([(key, dimensions)])
        dataset["inputFacets"] = {"subset": facet(producer, "inputSubset", inputCondition=condition)}
    return dataset


def output_dataset(
    producer: str, namespace: str, asset: str, key: str, dimensions: Mapping[str, str] | None, *,
    version: str | None = None, schema: Sequence[tuple[str, str, bool]] | None = None,
    column_lineage: Mapping[str, Any] | None = None, rows: int | None = None, size: int | None = None,
    assertions: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The partition written: what is known of it at this point of the attempt."""
    facets: dict[str, Any] = {}
    if schema is not None:
        fields = [{"name": name, "type": kind, "ordinal_position": i} for i, (name, kind, _) in enumerate(schema, 1)]
        facets["schema"] = facet(producer, "schema", fields=fields)
    if column_lineage:
        facets["columnLineage"] = column_lineage
    if version is not None:
        facets["version"] = facet(producer, "version", datasetVersion=version)
    output_facets: dict[str, Any] = {}
    if dimensions is not None:
        condition = subset_condition([(key, dimensions)])
        output_facets["subset"] = facet(producer, "outputSubset", outputCondition=condition)
    if rows is not None:
        output_facets["outputStatistics"] = facet(producer, "outputStatistics", rowCount=rows, size=size or 0)
    if assertions is not None:
        output_facets["dataQualityAssertions"] = facet(producer, "dataQualityAssertions", assertions=list(assertions))
    dataset: dict[str, Any] = {"namespace": namespace, "name": asset}
    if facets:
        dataset["facets"] = facets
    if output_facets:
        dataset["outputFacets"] = output_facets
    return dataset


def column_lineage_facet(producer: str, namespace: str, lineage: ColumnLineage) -> dict[str, Any] | None:
    """The columnLineage facet of a mapping {output column: [(upstream asset, column, edge)]};
    None for an empty mapping. An upstream column both copied and filtered on is one input
    field with both transformations.

        >>> facet_ = column_lineage_facet("urn:x", "n", {"total": [("orders", "amount", "direct")]})
        >>> facet_["fields"]["total"]["inputFields"][0]["transformations"]
        [{'type': 'DIRECT'}]
    """
    if not lineage:
        return None
    fields: dict[str, Any] = {}
    for column, sources in lineage.items():
        merged: dict[tuple[str, str], list[dict[str, str]]] = {}
        for asset, upstream_column, edge in sources:
            kinds = merged.setdefault((asset, upstream_column), [])
            if {"type": edge.upper()} not in kinds:
                kinds.append({"type": edge.upper()})
        fields[column] = {"inputFields": [
            {"namespace": namespace, "name": asset, "field": upstream_column, "transformations": kinds}
            for (asset, upstream_column), kinds in merged.items()
        ]}
    return facet(producer, "columnLineage", fields=fields)


def assertion(check: Any, name: str, passed: bool, severity: str, observed: Any) -> dict[str, Any]:
    """One check result as a dataQualityAssertions entry. ``check`` is the check object (None
    when the definition is not at hand): its class names the assertion, its column the column.

        >>> assertion(None, "not_null(order_id)", True, "blocking", 0)["assertion"]
        'not_null'
    """
    kind = _assertion_kind(check, name)
    entry: dict[str, Any] = {"assertion": kind, "success": passed, "name": name,
                             "severity": "error" if severity == "blocking" else severity}
    column = _column(check)
    if column is not None:
        entry["column"] = column
    if observed is not None:
        entry["actual"] = str(observed)
    return entry


def _assertion_kind(check: Any, name: str) -> str:
    if check is not None:
        kind = type(check).__name__
        return "custom" if kind == "CustomCheck" else kind
    match = _CHECK_CALL.match(name)
    return match.group(1) if match else "custom"


def _column(check: Any) -> str | None:
    for attribute in ("column", "col", "columns"):
        value = getattr(check, attribute, None)
        if isinstance(value, str):
            return value
        if isinstance(value, (list, tuple)) and len(value) == 1 and isinstance(value[0], str):
            return value[0]
    return None
