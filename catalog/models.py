"""Catalog records (pydantic, they cross process and JSON boundaries) and the snapshot.

The snapshot holds one small slotted object per partition instead of pydantic models: the
planner walks millions of them and must stay fast.
"""

from __future__ import annotations

import json
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


Inputs = dict[str, dict[str, str]]
"""The versions a partition was built from: ``{upstream asset: {upstream key: data version}}``."""

_UNPARSED: Any = object()


def inputs_json(inputs: Inputs | None) -> str | None:
    """Inputs as the catalog stores them: JSON with sorted keys, so equal inputs are equal text."""
    return None if inputs is None else json.dumps(inputs, sort_keys=True)


class PartitionState:
    """The current state of one partition: its published version and its last attempt.

    ``inputs`` and ``last_inputs`` may be given as the catalog's JSON text (kept as
    ``inputs_text``), parsed on first use: a snapshot of a million partitions is read without
    parsing a million JSON documents, and the planner compares the text itself. States read
    from the catalog are not to be changed in place: replace them.
    """

    __slots__ = (
        "data_version", "code_version", "_inputs", "inputs_text", "published_at", "rows", "last_status",
        "last_run", "last_error", "last_code_version", "last_checks_version", "_last_inputs",
        "last_inputs_text", "last_failure",
    )
    data_version: str | None
    code_version: str | None
    _inputs: Any  # Inputs, None or _UNPARSED
    inputs_text: str | None
    published_at: str | None
    rows: int | None
    last_status: str | None
    last_run: str | None
    last_error: str | None
    last_code_version: str | None
    last_checks_version: str | None
    _last_inputs: Any
    last_inputs_text: str | None
    last_failure: str | None
    _FIELDS = (
        "data_version", "code_version", "inputs", "published_at", "rows", "last_status", "last_run",
        "last_error", "last_code_version", "last_checks_version", "last_inputs", "last_failure",
    )

    def __init__(
        self,
        data_version: str | None = None,
        code_version: str | None = None,
        inputs: Inputs | str | None = None,
        published_at: str | None = None,
        rows: int | None = None,
        last_status: str | None = None,
        last_run: str | None = None,
        last_error: str | None = None,
        last_code_version: str | None = None,
        last_checks_version: str | None = None,
        last_inputs: Inputs | str | None = None,
        last_failure: str | None = None,
    ) -> None:
        self.data_version = data_version
        self.code_version = code_version
        self.published_at = published_at
        self.rows = rows
        self.last_status = last_status
        self.last_run = last_run
        self.last_error = last_error
        self.last_code_version = last_code_version
        self.last_checks_version = last_checks_version
        self.last_failure = last_failure
        # What the setters do, inline: a snapshot builds a million of these.
        if isinstance(inputs, str):
            self._inputs, self.inputs_text = _UNPARSED, inputs
        else:
            self._inputs, self.inputs_text = inputs, None
        if isinstance(last_inputs, str):
            self._last_inputs, self.last_inputs_text = _UNPARSED, last_inputs
        else:
            self._last_inputs, self.last_inputs_text = last_inputs, None

    @property
    def inputs(self) -> Inputs | None:
        if self._inputs is _UNPARSED:
            self._inputs = json.loads(self.inputs_text or "null")
        return self._inputs  # type: ignore[no-any-return]

    @inputs.setter
    def inputs(self, value: Inputs | str | None) -> None:
        if isinstance(value, str):
            self._inputs, self.inputs_text = _UNPARSED, value
        else:
            self._inputs, self.inputs_text = value, None

    @property
    def inputs_json(self) -> str | None:
        """The inputs as canonical JSON text (see :func:`inputs_json`)."""
        return self.inputs_text if self.inputs_text is not None else inputs_json(self._inputs)

    @property
    def last_inputs(self) -> Inputs | None:
        if self._last_inputs is _UNPARSED:
            text = self.last_inputs_text
            self._last_inputs = self.inputs if text == self.inputs_text else json.loads(text or "null")
        return self._last_inputs  # type: ignore[no-any-return]

    @last_inputs.setter
    def last_inputs(self, value: Inputs | str | None) -> None:
        if isinstance(value, str):
            self._last_inputs, self.last_inputs_text = _UNPARSED, value
        else:
            self._last_inputs, self.last_inputs_text = value, None

    @property
    def is_published(self) -> bool:
        return self.data_version is not None

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._FIELDS)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PartitionState) and self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in zip(self._FIELDS, self._values()))
        return f"PartitionState({fields})"


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
