"""Catalog records: pydantic, they cross process and JSON boundaries (the snapshot the
planner reads is in :mod:`assets_core.catalog.snapshot`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict

AttemptStatus = Literal["published", "failed", "quarantined", "skipped", "retried", "audited", "retired"]
"""``retried``: failed, then tried again in the same run; ``audited``: its published data was
checked by ``assets check`` (no new data); ``retired``: its data was removed from the published
location because the asset's partitions definition no longer holds its key."""
FailureClass = Literal["error", "transient", "timeout", "check", "storage"]
"""Why an attempt failed. ``transient`` and ``timeout`` may pass when simply tried again;
the others wait until the code, an upstream version or the checks change."""
RunStatus = Literal["running", "succeeded", "failed", "interrupted"]


class AssetRow(TypedDict):
    """An asset as a run records it (``Catalog.upsert_assets``)."""

    name: str
    kind: str
    code_version: str
    partitions: str | None
    """The partitions definition's text, None for an unpartitioned asset."""
    inputs: str
    """The names of the assets it reads, comma-separated."""
    partitions_grain: str | None
    """What its keys mean (``assets_core.partitions.grain``), None for an unpartitioned asset."""


class Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Run(Record):
    run_id: str
    selection: str | None = None
    partitions: str | None = None
    trigger: str = "cli"
    reason: str | None = None
    reference_time: str
    started_at: str
    ended_at: str | None = None
    status: RunStatus = "running"
    pid: int | None = None
    host: str | None = None
    counts: dict[str, int] = {}


class CheckRecord(Record):
    check: str
    severity: str
    passed: bool
    observed: Any = None
    message: str = ""
    duration: float = 0.0
    sample: list[dict[str, Any]] | None = None


class ColumnRecord(Record):
    """One column of a published partition's schema."""

    name: str
    type: str
    """The polars type as text: ``Int64``, ``String``, ``Datetime(time_unit='us', time_zone=None)``."""
    nullable: bool


class SchemaVersion(Record):
    """One schema an asset has published, and the attempt that published it first."""

    columns: tuple[ColumnRecord, ...]
    run_id: str
    partition: str
    published_at: str
    attempts: int
    """How many published attempts wrote this schema."""


class Materialization(Record):
    """One attempt to compute one partition of one asset."""

    run_id: str
    asset: str
    partition: str
    status: AttemptStatus
    cause: str | None = None
    started_at: str
    ended_at: str
    rows: int | None = None
    bytes: int | None = None
    code_version: str | None = None
    data_version: str | None = None
    inputs: dict[str, dict[str, str]] | None = None
    error: str | None = None
    location: str | None = None
    checks: tuple[CheckRecord, ...] = ()
    timings: dict[str, float] | None = None
    """Seconds per phase: inputs (reading upstream data), compute (the asset's code or query),
    stage, validate, publish."""
    attempt: int = 1
    failure: FailureClass | None = None
    checks_version: str | None = None
    note: str | None = None
    """A person's reason, e.g. for releasing a quarantined partition."""
    columns: tuple[ColumnRecord, ...] | None = None
    """The schema of the data a published attempt wrote (None for the other attempts)."""


@dataclass(frozen=True)
class Lease:
    asset: str
    partition: str
    run_id: str
    pid: int
    host: str


@dataclass(frozen=True)
class PublishedVersion:
    """One version of one partition, as the attempt that published it recorded it: the run,
    when (its ``ended_at``), and the upstream versions it was built from (``inputs``:
    ``{upstream asset: {upstream key: data version}}``, None when it read nothing). A frozen
    dataclass, not a pydantic record: provenance and impact read thousands of them.

    >>> PublishedVersion("clean", "2025-01-02", "c1:ab", "run-1", "2025-01-03T00:00:00+00:00", None).run_id
    'run-1'
    """

    asset: str
    partition: str
    data_version: str
    run_id: str | None
    published_at: str | None
    inputs: dict[str, dict[str, str]] | None
