"""Catalog records (pydantic, they cross process and JSON boundaries) and the snapshot.

The snapshot holds one small slotted object per partition instead of pydantic models: the
planner walks millions of them and must stay fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

AttemptStatus = Literal["published", "failed", "quarantined", "skipped", "retried", "audited"]
"""``retried``: failed, then tried again in the same run; ``audited``: its published data was
checked by ``assets check`` (no new data)."""
FailureClass = Literal["error", "transient", "timeout", "check", "storage"]
"""Why an attempt failed. ``transient`` and ``timeout`` may pass when simply tried again;
the others wait until the code, an upstream version or the checks change."""
RunStatus = Literal["running", "succeeded", "failed", "interrupted"]


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


@dataclass(slots=True)
class PartitionState:
    """The current state of one partition: its published version and its last attempt."""

    data_version: str | None = None
    code_version: str | None = None
    inputs: dict[str, dict[str, str]] | None = None
    published_at: str | None = None
    rows: int | None = None
    last_status: str | None = None
    last_run: str | None = None
    last_error: str | None = None
    last_code_version: str | None = None
    last_checks_version: str | None = None
    last_inputs: dict[str, dict[str, str]] | None = None
    last_failure: str | None = None

    @property
    def is_published(self) -> bool:
        return self.data_version is not None


@dataclass(frozen=True)
class Lease:
    asset: str
    partition: str
    run_id: str
    pid: int
    host: str


@dataclass
class CatalogSnapshot:
    """What the planner needs to know, read in one go.

    ``partitions[asset][key]``; ``interrupted`` holds partitions whose lease belongs to a run
    that died, so their published data may not match the catalog.
    """

    partitions: dict[str, dict[str, PartitionState]] = field(default_factory=dict)
    interrupted: frozenset[tuple[str, str]] = frozenset()
    observed: dict[str, dict[str, str]] = field(default_factory=dict)
    """The latest observed version of each source partition: ``observed[asset][key]``."""

    def state(self, asset: str, key: str) -> PartitionState | None:
        return self.partitions.get(asset, {}).get(key)

    def version(self, asset: str, key: str) -> str | None:
        state = self.partitions.get(asset, {}).get(key)
        return None if state is None else state.data_version
