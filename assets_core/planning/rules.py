"""The staleness rules: each one defined once, with the parts of a partition's state it reads.

A rule is a judge, which looks at one partition and gives a reason it is not fresh, or None;
and guards, one per field it needs to pass: what that field holds when the rule passes. The
exact path (``direct_reason``: ``assets why``, and every key the plan looks at closely) runs
the judges in order; the bulk path (:mod:`assets_core.planning.bulk`: which keys of a million
need that close look) compares each guarded field's column with what its guards expect, so
it is derived from the same table and a new rule cannot be left out of it.

A judge sees only the fields its rule names (its guards' fields, and ``reads``: fields it
looks at only once a guard failed): asking for another raises :class:`UndeclaredField`.
``tests/property/test_planning_props.py`` holds every rule to its guards (when they all
pass, its judge says fresh) on generated states that vary every field.

    >>> [rule.name for rule in RULES]
    ['interrupted', 'failed', 'missing', 'partitions changed', 'code changed', 'source changed', 'upstream changed']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from enum import Enum
from typing import Any

from assets_core.catalog.snapshot import CatalogSnapshot, PartitionState
from assets_core.definitions.specs import AssetSpec
from assets_core.graph import AssetGraph
from assets_core.partitions import partition_ref
from assets_core.catalog.inputs import OBSERVED
from assets_core.partitions.grain import grain
from assets_core.planning.reads import UpstreamKeys


class Cause(str, Enum):
    MISSING = "missing"
    FAILED = "failed"
    QUARANTINED = "quarantined"
    CODE_CHANGED = "code changed"
    SOURCE_CHANGED = "source changed"
    """``assets observe`` saw a new version of a source partition (late or corrected data)."""
    UPSTREAM_CHANGED = "upstream changed"
    PARTITIONS_CHANGED = "partitions changed"
    """Published under a partitions definition of another grain (daily -> weekly, another
    timezone: the key covers another interval), so rebuilt; or under one that no longer holds
    its key (daily -> monthly, a static key dropped, a dynamic key removed with ``--force``):
    retired by the next ``materialize``, never planned (see :func:`retired_reason`)."""
    UPSTREAM_PLANNED = "upstream rebuilt in this run"
    UNKNOWN = "unknown"
    REQUESTED = "requested"
    WAITING = "waiting"
    """Failed deterministically or quarantined, and nothing it depends on changed since: not
    planned (it would fail the same way) unless ``--retry-failed``."""


@dataclass(frozen=True)
class Reason:
    """Why a partition needs work: a cause, the upstream partition involved, the versions."""

    cause: Cause
    detail: str
    upstream: tuple[str, str] | None = None
    old: str | None = None
    new: str | None = None


# -- what a guard expects of a field -----------------------------------------------------------


@dataclass(frozen=True)
class Equals:
    """The field holds exactly this value."""

    value: object


@dataclass(frozen=True)
class Present:
    """The field is not None."""


@dataclass(frozen=True)
class Holds:
    """``test(value)`` is true of the field (the general case: checked entry by entry)."""

    test: Callable[[Any], bool]


@dataclass(frozen=True)
class CurrentInputs:
    """The recorded inputs are those the partition would record if built now: the current
    data version of every upstream partition it reads, and its source's observed version."""


Expectation = Equals | Present | Holds | CurrentInputs


@dataclass(frozen=True)
class Guard:
    """A field of a partition's facts and what it holds when a rule passes, given the asset."""

    field: str
    expect: Callable[[AssetSpec], Expectation]


FIELDS = frozenset(PartitionState._FIELDS) | {"interrupted", "observed", "published_grain"}
"""What a judge may know of one partition: its state's fields, whether a run died holding it
(``interrupted``), the version its source was last observed at (``observed``), and the grain
of the partitions definition it was published under (``published_grain``, None: not known)."""


class UndeclaredField(AttributeError):
    """A judge asked for a field its rule does not name: the bulk check would not compare it."""


class Facts:
    """One partition as a rule's judge sees it: the fields the rule names, and the current
    versions of what it reads."""

    __slots__ = ("graph", "snapshot", "asset", "key", "upstream_keys", "retry_failed", "_state", "_allowed")

    def __init__(
        self, graph: AssetGraph, snapshot: CatalogSnapshot, asset: str, key: str, upstream_keys: UpstreamKeys,
        retry_failed: bool, state: PartitionState | None,
    ) -> None:
        self.graph, self.snapshot, self.asset, self.key = graph, snapshot, asset, key
        self.upstream_keys, self.retry_failed, self._state = upstream_keys, retry_failed, state
        self._allowed: frozenset[str] = FIELDS

    def __getattr__(self, name: str) -> Any:  # only the fields: everything else is a slot
        if name not in self._allowed:
            raise UndeclaredField(
                f"a staleness rule read '{name}', which it does not name in its guards or reads: "
                "add it there, so that the bulk check compares it too"
            )
        if name == "interrupted":
            return (self.asset, self.key) in self.snapshot.interrupted
        if name == "observed":
            return self.snapshot.observed.get(self.asset, {}).get(self.key)
        if name == "published_grain":
            return self.snapshot.published_grain(self.asset, self.key)
        return None if self._state is None else getattr(self._state, name)

    @property
    def spec(self) -> AssetSpec:
        return self.graph[self.asset]


@dataclass(frozen=True)
class Rule:
    """One way a partition can be not fresh. ``judge`` gives the reason, or None; when every
    guard holds, it must give None (the bulk check relies on it)."""

    name: str
    guards: tuple[Guard, ...]
    judge: Callable[[Facts], Reason | None]
    reads: frozenset[str] = frozenset()
    """Fields the judge looks at only once a guard failed (the details of a failure)."""

    @cached_property
    def fields(self) -> frozenset[str]:
        """What the judge may read: its guards' fields and ``reads``."""
        return frozenset(g.field for g in self.guards) | self.reads


def _seen_by(facts: Facts, rule: Rule) -> Facts:
    """The same facts, narrowed to the fields ``rule`` names (one object per key, reused)."""
    facts._allowed = rule.fields
    return facts


# -- the rules, in the order they are asked ------------------------------------------------------


def _short(version: str | None) -> str:
    return "none" if version is None else version[:10]


ref = partition_ref
"""``asset[key]``, or the asset's name alone when it is not partitioned."""


def _interrupted(facts: Facts) -> Reason | None:
    if facts.interrupted:
        return Reason(Cause.UNKNOWN, "a run died while writing it; its record may not match its data")
    return None


# Failures that may pass when simply tried again (None: recorded before failures were classed).
RETRYABLE_FAILURES = (None, "transient", "timeout")


def _failed(facts: Facts) -> Reason | None:
    status = facts.last_status
    if status not in ("failed", "quarantined"):
        return None
    cause = Cause.QUARANTINED if status == "quarantined" else Cause.FAILED
    kept = "; the previous version stays readable" if facts.data_version is not None else ""
    detail = f"last attempt {status} in run {facts.last_run}: {facts.last_error}{kept}"
    if facts.retry_failed or facts.last_failure in RETRYABLE_FAILURES:
        return Reason(cause, detail)
    change = _changed_since_attempt(facts)
    if change:
        return Reason(cause, f"{detail}; tried again because {change}")
    return Reason(
        Cause.WAITING,
        f"{detail}; waiting: its code, upstream data and checks are unchanged since, so it would "
        "end the same way. Fix the cause, or force it with `assets materialize --retry-failed`",
    )


def _changed_since_attempt(facts: Facts) -> str | None:
    """What changed since the last attempt that could change its result, if anything."""
    spec = facts.spec
    if facts.last_code_version != spec.code_version:
        return "its code changed"
    if facts.last_checks_version != spec.checks_version:
        return "its checks changed"
    source = _source_reason(facts.key, facts.observed, facts.last_inputs)
    if source is not None:
        return source.detail
    reason = _inputs_reason(facts, facts.last_inputs)
    return None if reason is None else reason.detail


def _missing(facts: Facts) -> Reason | None:
    return Reason(Cause.MISSING, "never published") if facts.data_version is None else None


def _partitions_changed(facts: Facts) -> Reason | None:
    then, now = facts.published_grain, grain(facts.spec.partitions)
    if then is None or then == now:
        return None
    return Reason(
        Cause.PARTITIONS_CHANGED,
        f"published under {then} partitions, {now or 'unpartitioned'} now: its key covers another interval",
        old=then, new=now,
    )


def same_grain(current: str | None) -> Callable[[str | None], bool]:
    """What ``published_grain`` holds when the rule passes: the current grain, or not known."""
    return lambda value: value is None or value == current


def _code_changed(facts: Facts) -> Reason | None:
    asset, now, then = facts.asset, facts.spec.code_version, facts.code_version
    if then == now:
        return None
    return Reason(Cause.CODE_CHANGED, f"code of {asset} changed: {_short(then)} -> {_short(now)}", old=then, new=now)


def _source_changed(facts: Facts) -> Reason | None:
    return _source_reason(facts.key, facts.observed, facts.inputs)


def _source_reason(key: str, observed: str | None, inputs: Mapping[str, Mapping[str, str]] | None) -> Reason | None:
    if observed is None:
        return None
    built_from = (inputs or {}).get(OBSERVED, {}).get(key)
    if built_from == observed:
        return None
    return Reason(
        Cause.SOURCE_CHANGED, f"its source was observed at a new version: {_short(built_from)} -> {_short(observed)}",
        old=built_from, new=observed,
    )


def _upstream_changed(facts: Facts) -> Reason | None:
    return _inputs_reason(facts, facts.inputs)


def _inputs_reason(facts: Facts, inputs: Mapping[str, Mapping[str, str]] | None) -> Reason | None:
    """How ``inputs`` (recorded) differ from the current versions of what the partition reads."""
    for edge in facts.graph.edges_in[facts.asset]:
        up = edge.upstream
        recorded = None if inputs is None else inputs.get(up)
        if recorded is None:
            return Reason(Cause.UNKNOWN, f"no record of the versions of {up} it was built from")
        keys = facts.upstream_keys(edge, facts.key)
        for k in keys:
            now_version = facts.snapshot.version(up, k)
            old = recorded.get(k)
            if old is None:
                return Reason(Cause.UPSTREAM_CHANGED, f"{ref(up, k)} is new since it was built",
                              upstream=(up, k), new=now_version)
            if now_version != old:
                return Reason(Cause.UPSTREAM_CHANGED, f"{ref(up, k)} changed: {_short(old)} -> {_short(now_version)}",
                              upstream=(up, k), old=old, new=now_version)
        if len(recorded) > len(keys):
            gone = sorted(set(recorded) - set(keys))[0]
            return Reason(Cause.UPSTREAM_CHANGED, f"{ref(up, gone)} is no longer read", upstream=(up, gone))
    return None


CURRENT_INPUTS = Guard("inputs", lambda spec: CurrentInputs())
"""One guard, shared by the source and upstream rules: the bulk check compares inputs once."""

RULES: tuple[Rule, ...] = (
    Rule("interrupted", (Guard("interrupted", lambda spec: Equals(False)),), _interrupted),
    Rule("failed", (Guard("last_status", lambda spec: Equals("published")),), _failed, reads=frozenset({
        "data_version", "last_run", "last_error", "last_failure", "last_code_version", "last_checks_version",
        "last_inputs", "observed",
    })),
    Rule("missing", (Guard("data_version", lambda spec: Present()),), _missing),
    Rule("partitions changed", (Guard("published_grain", lambda spec: Holds(same_grain(grain(spec.partitions)))),),
         _partitions_changed),
    Rule("code changed", (Guard("code_version", lambda spec: Equals(spec.code_version)),), _code_changed),
    Rule("source changed", (CURRENT_INPUTS,), _source_changed, reads=frozenset({"observed"})),
    Rule("upstream changed", (CURRENT_INPUTS,), _upstream_changed),
)


def guards() -> list[Guard]:
    """Every guard of the rules, each once, in order: what the bulk check compares."""
    return list(dict.fromkeys(g for rule in RULES for g in rule.guards))


def retired_reason(spec: AssetSpec, key: str) -> Reason | None:
    """Why a published partition of ``spec`` is to be retired: its key is not one of the
    current definition's (due or not); None when it still is. The one rule for retirement:
    the plan, ``why`` and the run read it here.

    A time key that is merely not due yet (``--as-of`` in the past) is still a key: kept.
    """
    definition = spec.partitions
    if definition is None:
        if key == "":
            return None
        now = "it is not partitioned any more"
    elif key != "" and definition.is_key(key):
        return None
    else:
        now = f"it is {definition.describe()} now" if key != "" else f"it is {definition.describe()} now, not unpartitioned"
    return Reason(
        Cause.PARTITIONS_CHANGED,
        f"no longer a partition of {spec.name}: {now}; its published data is retired by the next "
        f"`assets materialize --select {spec.name}`",
    )


def direct_reason(
    graph: AssetGraph,
    snapshot: CatalogSnapshot,
    asset: str,
    key: str,
    upstream_keys: UpstreamKeys,
    retry_failed: bool = False,
) -> Reason | None:
    """Why this partition is not fresh, judged on its own record by the first rule that
    fires; None when it is fresh."""
    facts = Facts(graph, snapshot, asset, key, upstream_keys, retry_failed, snapshot.state(asset, key))
    for rule in RULES:
        reason = rule.judge(_seen_by(facts, rule))
        if reason is not None:
            return reason
    return None
