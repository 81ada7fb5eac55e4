"""What a command line selects: ``--partitions`` resolved against the selected assets, and the
plan over a ``--select``/``--partitions`` pair. Pure: the graph, a snapshot and a time in, values out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from assets_core.catalog import CatalogSnapshot
from assets_core.errors import PartitionError, UsageError
from assets_core.graph import AssetGraph, select
from assets_core.planning.plan import Plan, plan

MAX_PARTITIONS = 1_000_000
"""The most partitions ``--partitions`` may request of ``plan`` and ``materialize`` without
``--yes`` (without ``--partitions``: the most never-built partitions the selection may hold): past it, planning alone takes minutes and gigabytes (ten million hourly keys: 242 s,
5.8 GB), which a typo in a range should not cost."""


def count_partitions(expression: str, graph: AssetGraph, assets: Iterable[str], now: datetime | None = None) -> int:
    """How many partitions ``--partitions expression`` requests of the selected assets, in all,
    counted from ranges (no key is built); assets that do not hold these keys count none, as
    :func:`parse_partitions` leaves them out."""
    total = 0
    for asset in assets:
        definition = graph[asset].partitions
        if definition is None:
            continue
        try:
            total += definition.count_selected(expression, asset, now)
        except PartitionError:
            continue
    return total


def check_size(expression: str, graph: AssetGraph, assets: Iterable[str], now: datetime | None, limit: int) -> None:
    """A UsageError, before any work, when ``--partitions`` requests more than ``limit``."""
    count = count_partitions(expression, graph, assets, now)
    if count > limit:
        raise UsageError(
            f"--partitions {expression} selects {count:,} partitions, over the limit of {limit:,}: "
            "narrow the range or the selection, or add --yes to go on."
        )


def check_unbuilt(graph: AssetGraph, snapshot: CatalogSnapshot, assets: Iterable[str], now: datetime, limit: int) -> None:
    """A UsageError, before any work, when the selected assets hold more than ``limit``
    partitions due at ``now`` and never recorded: each of them is planned, whatever the rules
    say of the rest. Counted from each definition's ``count`` and the snapshot's sizes."""
    unbuilt: dict[str, int] = {}
    for asset in sorted(assets, key=graph.position.__getitem__):
        definition = graph[asset].partitions
        if definition is not None:
            unbuilt[asset] = max(0, definition.count(now) - snapshot.recorded(asset))
    total = sum(unbuilt.values())
    if total > limit:
        largest = ", ".join(f"{a} {n:,}" for a, n in sorted(unbuilt.items(), key=lambda item: -item[1])[:3] if n)
        raise UsageError(
            f"The selection holds {total:,} partitions never built ({largest}), over the limit of {limit:,}: "
            "narrow --select or give --partitions, or add --yes to go on."
        )


def parse_partitions(
    expression: str, graph: AssetGraph, assets: Iterable[str], now: datetime | None = None
) -> dict[str, list[str]]:
    """``A..B`` ranges and comma lists (per dimension for multi-partitioned assets:
    ``date=2025-01-01..2025-01-07,region=eu``), resolved against each selected asset.

    Assets whose definition does not hold these keys (an unpartitioned or monthly asset
    below daily ones) are left out: they follow what is rebuilt upstream of them.
    """
    if not expression.strip(",; "):
        raise UsageError("--partitions is empty: give keys like 2025-01-01..2025-01-07 or eu,us.")
    partitioned = [a for a in sorted(assets, key=graph.position.__getitem__) if graph[a].partitions is not None]
    if not partitioned:
        raise UsageError("--partitions was given, but no selected asset is partitioned: drop it.")
    requested: dict[str, list[str]] = {}
    first_error: PartitionError | None = None
    for asset in partitioned:
        definition = graph[asset].partitions
        assert definition is not None
        try:
            requested[asset] = definition.select(expression, asset, now)
        except PartitionError as exc:
            first_error = first_error or exc
    if not requested:
        assert first_error is not None
        raise UsageError(f"--partitions: {first_error}")
    return requested


def make_plan(
    graph: AssetGraph,
    snapshot: CatalogSnapshot,
    now: datetime,
    selection: str | None = None,
    partitions: str | None = None,
    retry_failed: bool = False,
    resume: str | None = None,
    limit: int | None = None,
) -> Plan:
    """The plan of ``--select selection --partitions partitions`` at ``now``.

    ``resume``: the id of an interrupted run of the same backfill, continued, not redone.
    ``limit``: the most partitions ``partitions`` may request, or, without it, the most
    never-built partitions the selection may hold (:data:`MAX_PARTITIONS` from the CLI
    without ``--yes``), checked before a key is listed.
    """
    assets = select(graph, selection)
    if partitions is not None and limit is not None:
        check_size(partitions, graph, assets, now, limit)
    elif limit is not None:
        check_unbuilt(graph, snapshot, assets, now, limit)
    requested = parse_partitions(partitions, graph, assets, now) if partitions is not None else None
    done: frozenset[tuple[str, str]] = frozenset()
    if resume is not None:  # only then: it builds the state of every partition
        done = frozenset(
            (asset, key)
            for asset, states in snapshot.partitions.items()
            for key, state in states.items()
            if state.last_run == resume and state.last_status == "published"
        )
    return plan(graph, snapshot, assets, now, requested, retry_failed, done)
