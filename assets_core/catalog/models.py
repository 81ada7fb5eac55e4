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
FailureClass = Literal["error", "transient", "timeout", "check", "storage", "lease"]
"""Why an attempt failed. ``transient`` and ``timeout`` may pass when simply tried again;
the others wait until the code, an upstream version or the checks change. ``lease``: its run
lost the partition's lease (taken over after it expired) before the publish, which was
refused; such an attempt is history only (the run that took over owns the partition)."""
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
    expires_at: str | None = None
    """Until when the run is known alive: renewed by its heartbeat with its leases. A
    ``running`` run past it has stopped (killed, paused, its machine gone)."""


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


class LogRecord(Record):
    """One record an attempt's code logged (``context.log.info(...)``, or any logger)."""

    level: str
    """``DEBUG``, ``INFO``, ``WARNING``, ``ERROR``, ``CRITICAL``; ``CUT`` for the marker that
    stands for the records cut from the middle of a long log."""
    time: str
    """ISO-8601, UTC, to the millisecond."""
    message: str


class AttemptLogs(Record):
    """What one attempt's code said: its log records, what it printed to stdout and stderr,
    and the traceback of its failure (the asset's frames, not the engine's). Each part is cut
    to a limit set by the engine, its head and tail kept around a marker."""

    records: tuple[LogRecord, ...] = ()
    stdout: str | None = None
    stderr: str | None = None
    traceback: str | None = None


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
    logs: AttemptLogs | None = None
    """What the attempt's code logged, printed and raised; None when it said nothing (and in
    ``Catalog.materializations``, which leaves logs out: ``Catalog.attempt_logs`` reads them)."""
    data_time: str | None = None
    """The newest value of the freshness policy's ``timestamp_column`` in the published data
    (ISO-8601, UTC), recorded at validate time; None without one or for empty data."""
    due_at: str | None = None
    """When the partition was due (its freshness policy's deadline), written to the freshness
    ledger by a published attempt; not kept with the attempt itself (read back as None)."""


@dataclass(frozen=True)
class Lease:
    """One run's hold on one partition: its owner (run, and the process: ``pid`` on ``host``),
    until when it holds unless renewed (``expires_at``, ISO-8601 text; None for a lease taken
    before expiries were recorded: lapsed), and its ``generation``, the fencing token: one more
    than the previous lease granted on the partition, so a takeover always changes it.

    >>> Lease("clean", "2025-01-02", "run-1", 4242, "box", "2025-01-03T00:00:00.000+00:00", 3).generation
    3
    """

    asset: str
    partition: str
    run_id: str
    pid: int
    host: str
    expires_at: str | None = None
    generation: int = 0
    acquired_at: str | None = None


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


@dataclass(frozen=True)
class LedgerEntry:
    """One row of the freshness ledger: when a partition was due and when it was met (first
    published), its last publish, its data time and rows. Times are ISO-8601 text, UTC."""

    partition: str
    due_at: str | None
    met_at: str | None
    published_at: str | None = None
    data_time: str | None = None
    rows: int | None = None
