"""Freshness policies evaluated: a pure function of (definitions, catalog facts, reference time).

    >>> results = evaluate_freshness(graph, facts, ["orders"], now)     # doctest: +SKIP
    >>> results[0].state, results[0].lag
    ('warn', datetime.timedelta(seconds=7200))

The catalog facts (:class:`FreshnessFacts`) are the freshness ledger (per partition: due,
met, last published, data time, rows) and, for sources, the latest observations; they are read
by :func:`read_facts` and never changed here. Each asset gets a state:

- ``pass``: within its policy; ``warn``: past ``warn_after``; ``error``: past ``error_after``
  (or past its deadline when the policy gives only one), or its evaluation failed (``error``
  says why); ``unknown``: nothing to judge yet (never published, nothing due yet).

and each due partition of a time-partitioned asset one of ``on_time``, ``late`` (published after
its due time, by how much), ``missing`` (not published, past its due time), ``not_yet_due``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from assets_core.definitions.deadlines import (
    split_time,
    time_dimension,
    utc_text,
    window_due_at,
)
from assets_core.definitions.freshness import Freshness, human_duration
from assets_core.errors import AssetsCoreError
from assets_core.partitions import (
    UNPARTITIONED,
    PartitionsDefinition,
    TimeWindowPartitions,
)
from assets_core.partitions.multi import SEPARATOR

if TYPE_CHECKING:
    from assets_core.catalog import Catalog, LedgerEntry
    from assets_core.definitions.specs import AssetSpec
    from assets_core.graph import AssetGraph

State = Literal["pass", "warn", "error", "unknown"]
PartitionStatus = Literal["on_time", "late", "missing", "not_yet_due"]
STATES: tuple[State, ...] = ("pass", "warn", "error", "unknown")
SEVERITY: dict[str, int] = {"unknown": 0, "pass": 0, "warn": 1, "error": 2}
"""How bad a state is, for ``--fail-on``: a state reaches a level when its severity does."""


@dataclass(frozen=True)
class FreshnessFacts:
    """What the catalog knows that freshness reads: the ledger and the sources' observations."""

    ledger: Mapping[str, Mapping[str, LedgerEntry]] = field(default_factory=dict)
    observations: Mapping[str, Mapping[str, tuple[str, str]]] = field(default_factory=dict)
    """Per source, per partition: (latest observed version, when it was observed)."""
    plain: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    """Assets whose ``ledger`` holds only the rows that matter (see :func:`read_facts`): every
    due key it lacks has a row met, with data; the value is how many of those were met by their
    due time and how many late (those are not read without ``late_rows``)."""


def read_facts(
    catalog: Catalog, graph: AssetGraph, assets: Iterable[str], now: datetime, late_rows: bool = False
) -> FreshnessFacts:
    """The facts :func:`evaluate_freshness` needs at ``now`` for the assets of ``assets`` with a policy.

    A million ledger rows are mostly partitions met on time: for an asset of time windows
    alone, the catalog returns only the rows that are not (missing, late, empty, without a due
    time), those of the newest due window and of the windows not due yet, and how many rows
    its due keys' range holds. When that count is every due key the rows lack, the evaluation
    knows the others were met without reading them (``plain``); otherwise, or for any other
    asset, every row of the asset is read. Rows met late are counted, and read only with
    ``late_rows`` (``--partitions`` lists them): the state never depends on them."""
    judged = [a for a in assets if graph[a].freshness is not None and not graph[a].is_source]
    sources = [a for a in assets if graph[a].freshness is not None and graph[a].is_source]
    now = now.astimezone(UTC)
    requests: dict[str, tuple[str, str, list[str]]] = {}
    due: dict[str, tuple[TimeWindowPartitions, int]] = {}
    for name in judged:
        spec = graph[name]
        windows = spec.partitions
        if not isinstance(windows, TimeWindowPartitions) or spec.freshness is None:
            continue
        keys = windows.keys(now)
        count = due_count(spec.freshness, windows, keys, now)
        if count:
            requests[name] = (keys[0], keys[count - 1], keys[max(0, count - TAIL):])
            due[name] = (windows, count)
    outlines = catalog.ledger_outline(requests, late_rows) if requests else {}
    ledger: dict[str, Mapping[str, LedgerEntry]] = {}
    plain: dict[str, tuple[int, int]] = {}
    for name, (in_range, late_in_range, rows) in outlines.items():
        first, last, _ = requests[name]
        windows, count = due[name]
        given = sum(1 for key in rows if first <= key <= last)
        present = sum(1 for key in rows if (i := windows.index_of(key)) is not None and i < count)
        policy = graph[name].freshness
        tail = requests[name][2][:TAIL]
        data_time_known = policy is None or policy.timestamp_column is None or any(
            (row := rows.get(key)) is not None and row.met_at is not None and row.rows != 0 for key in tail)
        # Every row in the range but those given is a due key's, met on time: then the keys
        # the rows lack are exactly those (a key without any row makes the counts differ).
        if in_range - given == count - present and data_time_known:
            late = 0 if late_rows else late_in_range - sum(
                1 for key, row in rows.items() if first <= key <= last and _is_late_with_data(row))
            ledger[name], plain[name] = rows, (count - present - late, late)
    rest = [name for name in judged if name not in plain]
    if rest:
        ledger.update(catalog.freshness_ledger(rest))
    return FreshnessFacts(ledger, catalog.observation_times(sources) if sources else {}, plain)


def _is_late_with_data(row: LedgerEntry) -> bool:
    """A row the catalog counts as met late (``late_rows=False``), the condition of its query."""
    return (row.met_at is not None and row.due_at is not None and row.met_at > row.due_at
            and (row.rows is None or row.rows != 0))


TAIL = 8
"""The newest due windows :func:`read_facts` reads whatever they hold: the data time of the
newest usable one is among them, unless all of them are missing or empty."""


def due_count(policy: Freshness, windows: TimeWindowPartitions, time_keys: Sequence[str], now: datetime) -> int:
    """How many of ``time_keys`` (windows in order) are due at ``now``: their due times grow
    with the windows, so the due ones are a prefix, found from the end."""
    now_text = utc_text(now)
    count = len(time_keys)
    while count and utc_text(window_due_at(policy, windows, time_keys[count - 1])) >= now_text:
        count -= 1
    return count


@dataclass(frozen=True)
class PartitionFreshness:
    """One late or missing partition: its due time, when it was met, and by how much it is late
    (met - due; for a missing one, the reference time - due)."""

    partition: str
    status: PartitionStatus
    due_at: datetime
    met_at: datetime | None
    lateness: timedelta
    position: tuple[str, int] = ("", 0)
    """The values of its other dimensions and its window's index among the due ones: keys one
    apart make one range."""


@dataclass(frozen=True)
class AssetFreshness:
    """One asset's policy evaluated at ``now``."""

    asset: str
    state: State
    lag: timedelta | None
    reason: str
    policy: Freshness
    late: tuple[PartitionFreshness, ...] = ()
    """Its late and missing partitions, in key order."""
    counts: Mapping[str, int] = field(default_factory=dict)
    """Partitions per status (time-partitioned assets): on_time, late, missing, not_yet_due."""
    error: str | None = None
    """Why the evaluation failed (the state is then ``error``)."""
    due: tuple[tuple[str, str], ...] = ()
    """``(partition, due_at)`` the ledger does not hold yet: for :func:`due_rows`."""

    def reaches(self, level: str) -> bool:
        """Whether the state is at least ``level`` (``warn`` or ``error``)."""
        return SEVERITY[self.state] >= SEVERITY[level]

    def to_json(self) -> dict[str, Any]:
        """The documented, stable ``freshness --json`` entry (see README, "Freshness")."""
        seconds = None if self.lag is None else self.lag.total_seconds()
        return {
            "asset": self.asset, "state": self.state, "lag_seconds": seconds, "reason": self.reason,
            "warn_after_seconds": _seconds(self.policy.warn_after),
            "error_after_seconds": _seconds(self.policy.error_threshold),
            "deadline": self.policy.deadline, "error": self.error,
            "counts": dict(self.counts),
            "partitions": [_partition_json(p) for p in self.late],
            "ranges": late_ranges(self.late),
        }


def _seconds(delta: timedelta | None) -> float | None:
    return None if delta is None else delta.total_seconds()


def _partition_json(p: PartitionFreshness) -> dict[str, Any]:
    return {"partition": p.partition, "status": p.status, "due_at": p.due_at.isoformat(),
            "met_at": None if p.met_at is None else p.met_at.isoformat(),
            "lateness_seconds": p.lateness.total_seconds()}


def late_ranges(late: Sequence[PartitionFreshness]) -> list[dict[str, Any]]:
    """Late and missing partitions grouped into runs of consecutive keys of one status:
    ``[{"status": "missing", "first": "2025-01-03", "last": "2025-01-05", "count": 3}]``."""
    ranges: list[dict[str, Any]] = []
    before: PartitionFreshness | None = None
    for p in late:
        if (before is not None and before.status == p.status and before.position[0] == p.position[0]
                and before.position[1] + 1 == p.position[1]):
            ranges[-1].update(last=p.partition, count=ranges[-1]["count"] + 1)
        else:
            ranges.append({"status": p.status, "first": p.partition, "last": p.partition, "count": 1})
        before = p
    return ranges


# -- the evaluation ------------------------------------------------------------------------------


def evaluate_freshness(
    graph: AssetGraph, facts: FreshnessFacts, assets: Iterable[str], now: datetime
) -> list[AssetFreshness]:
    """Every policy of ``assets`` at ``now``, in graph order (assets without one are left out).
    An asset whose evaluation fails is kept, in state ``error`` with the cause in ``error``."""
    chosen = set(assets)
    now = now.astimezone(UTC)  # durations between instants, never across a wall clock's DST jump
    results = []
    for name in graph.order:
        spec = graph[name]
        if name not in chosen or spec.freshness is None:
            continue
        try:
            results.append(evaluate_asset(spec, facts, now))
        except (AssetsCoreError, ValueError, KeyError) as exc:
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            results.append(AssetFreshness(name, "error", None, f"evaluation failed: {message}", spec.freshness,
                                          error=message))
    return results


def evaluate_asset(spec: AssetSpec, facts: FreshnessFacts, now: datetime) -> AssetFreshness:
    """One asset's policy at ``now``: by its observations (a source), its windows (a time
    dimension) or the age of its partitions (the rest)."""
    policy = spec.freshness
    assert policy is not None
    if spec.is_source:
        return _source(spec.name, policy, facts.observations.get(spec.name, {}), now)
    found = time_dimension(spec.partitions)
    ledger = facts.ledger.get(spec.name, {})
    if found is None:
        if policy.deadline is not None:
            raise AssetsCoreError(
                f"deadline={policy.deadline!r} needs time partitions, and '{spec.name}' has none: "
                "use warn_after/error_after for it"
            )
        return _by_age(spec.name, policy, spec.partitions, ledger, now)
    windows, position = found
    return _by_windows(spec.name, policy, spec.partitions, windows, position, ledger, now, facts.plain.get(spec.name))


def judge(policy: Freshness, lag: timedelta | None) -> State:
    """The state of a lag: past error_after is error, past warn_after warn; None (nothing
    published though something is due) is the worst state the policy has."""
    error, warn = policy.error_threshold, policy.warn_after
    if lag is None:
        return "error" if error is not None else "warn"
    if error is not None and lag > error:
        return "error"
    if warn is not None and lag > warn:
        return "warn"
    return "pass"


def _is_usable(policy: Freshness, entry: LedgerEntry) -> bool:
    """Published data that counts: not empty (no rows), unless the policy allows empty data."""
    return policy.allow_empty or entry.rows != 0


# -- time-partitioned assets ---------------------------------------------------------------------


def _by_windows(
    name: str, policy: Freshness, definition: PartitionsDefinition | None, windows: TimeWindowPartitions,
    position: int | None, ledger: Mapping[str, LedgerEntry], now: datetime, plain: tuple[int, int] | None = None,
) -> AssetFreshness:
    """``plain``: the ledger holds only some rows; every due key it lacks was met, this many on
    time and this many late (see :class:`FreshnessFacts`)."""
    assert definition is not None
    groups: dict[str, list[str]] = {}
    now_text = utc_text(now)
    if position is None:
        groups[""] = definition.keys(now)
    else:
        for key in definition.keys(now):
            time_key, rest = split_time(key, position)
            groups.setdefault(rest, []).append(time_key)
    counts = {"on_time": 0, "late": 0, "missing": 0, "not_yet_due": 0}
    late: list[PartitionFreshness] = []
    due_rows: list[tuple[str, str]] = []
    lags: list[timedelta | None] = []
    reasons: list[str] = []

    def full(time_key: str, rest: str) -> str:
        if position is None:
            return time_key
        parts = rest.split(SEPARATOR) if rest else []
        parts.insert(position, time_key)
        return SEPARATOR.join(parts)

    def due_of(time_key: str, entry: LedgerEntry | None, key: str) -> str:
        if entry is not None and entry.due_at is not None:
            return entry.due_at
        text = utc_text(window_due_at(policy, windows, time_key))
        due_rows.append((key, text))
        return text

    for rest, time_keys in groups.items():
        count = due_count(policy, windows, time_keys, now)
        counts["not_yet_due"] += len(time_keys) - count
        if not count:
            continue
        newest_usable: int | None = None
        oldest_missing_due: str | None = None
        positions: Iterable[int] = range(count)
        if plain is not None:  # only the rows given need a look; the others were met on time
            counts["on_time"] += plain[0]
            counts["late"] += plain[1]
            positions = sorted(i for key in ledger if (i := windows.index_of(key)) is not None and i < count)
            newest_usable = next((i for i in range(count - 1, -1, -1) if time_keys[i] not in ledger), None)
        for i in positions:
            key = full(time_keys[i], rest)
            entry = ledger.get(key)
            met = entry.met_at if entry is not None and entry.met_at is not None and entry.met_at <= now_text else None
            due = due_of(time_keys[i], entry, key)
            if met is not None and entry is not None and _is_usable(policy, entry):
                newest_usable = i if newest_usable is None else max(newest_usable, i)
                if met <= due:
                    counts["on_time"] += 1
                else:
                    counts["late"] += 1
                    late.append(PartitionFreshness(key, "late", _at(due), _at(met), _at(met) - _at(due), (rest, i)))
            else:
                counts["missing"] += 1
                if oldest_missing_due is None:
                    oldest_missing_due = due
                late.append(PartitionFreshness(key, "missing", _at(due), None, now - _at(due), (rest, i)))
        lag, reason = _window_lag(policy, windows, time_keys, count, newest_usable, oldest_missing_due,
                                  ledger, full, rest, now)
        lags.append(lag)
        reasons.append(reason if not rest else f"{rest}: {reason}")
    if not lags:
        return AssetFreshness(name, "unknown", None, "no partition is due yet", policy, counts=counts,
                              due=tuple(due_rows))
    known = [lag for lag in lags if lag is not None]
    worst_lag = None if len(known) < len(lags) else max(known)
    state = judge(policy, worst_lag)
    worst = max(range(len(lags)), key=lambda i: (lags[i] is None, lags[i] or timedelta(0)))
    return AssetFreshness(name, state, worst_lag, reasons[worst], policy, tuple(late), counts, due=tuple(due_rows))


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _window_lag(
    policy: Freshness, windows: TimeWindowPartitions, time_keys: list[str], count: int,
    newest_usable: int | None, oldest_missing_due: str | None, ledger: Mapping[str, LedgerEntry],
    full: Any, rest: str, now: datetime,
) -> tuple[timedelta | None, str]:
    """One group's lag: with a deadline, how long the oldest missing due partition is past
    it; without, how far the newest usable window (or its data time) trails the newest due one."""
    if policy.deadline is not None:
        if oldest_missing_due is None:
            return timedelta(0), f"every due partition is published, through {time_keys[count - 1]}"
        lag = now - _at(oldest_missing_due)
        return lag, f"a partition is missing {human_duration(lag)} past its deadline"
    if newest_usable is None:
        return None, "no partition is published" if policy.timestamp_column is None else "no published partition has data"
    due_end = windows.data_interval(time_keys[count - 1]).end
    reached = windows.data_interval(time_keys[newest_usable]).end
    if policy.timestamp_column is not None:
        entry = ledger[full(time_keys[newest_usable], rest)]
        if entry.data_time is not None:
            reached = min(reached, _at(entry.data_time))
    lag = max(timedelta(0), due_end - reached)
    return lag, f"data reaches {reached.isoformat()}, {human_duration(lag)} behind"


# -- other assets: the age of each partition -----------------------------------------------------


def _by_age(
    name: str, policy: Freshness, definition: PartitionsDefinition | None, ledger: Mapping[str, LedgerEntry],
    now: datetime,
) -> AssetFreshness:
    keys = [UNPARTITIONED] if definition is None else definition.keys(now)
    now_text = utc_text(now)
    ages: list[tuple[timedelta, str]] = []
    missing: list[str] = []
    for key in keys:
        entry = ledger.get(key)
        published = None
        if entry is not None:
            published = next((t for t in (entry.published_at, entry.met_at) if t is not None and t <= now_text), None)
        if published is None or entry is None or not _is_usable(policy, entry):
            missing.append(key)
            continue
        moment = _at(entry.data_time) if policy.timestamp_column is not None and entry.data_time else _at(published)
        ages.append((max(timedelta(0), now - moment), key))
    counts = {"published": len(ages), "missing": len(missing)}
    if not ages:
        reason = "never published" if all(ledger.get(k) is None for k in keys) else "no published partition has data"
        return AssetFreshness(name, "unknown", None, reason, policy, counts=counts)
    lag, key = max(ages)
    what = "data" if policy.timestamp_column is not None else "last published"
    where = f" ({key})" if definition is not None else ""
    reason = f"{what}{where} {human_duration(lag)} ago" if what != "data" else f"newest data{where} is {human_duration(lag)} old"
    if missing:
        return AssetFreshness(name, judge(policy, None), lag, f"{len(missing)} partition(s) never published or empty "
                              f"({', '.join(missing[:3])}); {reason}", policy, counts=counts)
    return AssetFreshness(name, judge(policy, lag), lag, reason, policy, counts=counts)


def _source(name: str, policy: Freshness, seen: Mapping[str, tuple[str, str]], now: datetime) -> AssetFreshness:
    """A source: when its observed version last changed, or the time the observe function
    returned (a version that reads as an ISO time is that time)."""
    now_text = utc_text(now)
    moments = []
    for version, observed_at in seen.values():
        if observed_at > now_text:
            continue
        moments.append(_observed_time(version) or _at(observed_at))
    if not moments:
        return AssetFreshness(name, "unknown", None, "never observed", policy)
    lag = max(timedelta(0), now - max(moments))
    return AssetFreshness(name, judge(policy, lag), lag, f"observed data last changed {human_duration(lag)} ago", policy)


def _observed_time(version: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(version)
    except ValueError:
        return None

    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def due_rows(results: Iterable[AssetFreshness]) -> list[tuple[str, str, str]]:
    """``(asset, partition, due_at)`` the evaluation found due and the ledger lacks."""
    return [(r.asset, key, due) for r in results for key, due in r.due]
