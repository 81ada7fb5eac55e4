"""Partitions themselves: ``assets observe`` (source versions) and ``assets partitions ...``
(the keys of dynamic partitions)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from assets_core.cli.output import Exclusion, Selection, console, open_context, print_json, ref, selection, user_errors
from assets_core.errors import UsageError

if TYPE_CHECKING:
    from assets_core.graph import AssetGraph


@user_errors
def observe(
    selects: Selection = None,
    exclude: Exclusion = None,
    partitions: Annotated[str | None, typer.Option("--partitions", help="Keys: A..B ranges and comma lists.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Record the version of each source partition (late or corrected data makes it stale)."""
    from assets_core.execution.clock import utc_now
    from assets_core.planning.selection import parse_partitions
    from assets_core.graph import select
    from assets_core.execution.observe import observe as run_observe
    select_ = selection(selects, exclude)

    _, graph, catalog, snapshot = open_context(full=True)
    sources = [a for a in graph.order if a in select(graph, select_) and graph[a].observe is not None]
    if not sources:
        sys.stdout.write("No source to observe: declare one with @source(observe=...).\n")
        return
    requested = parse_partitions(partitions, graph, sources) if partitions is not None else None
    found = run_observe(graph, catalog, snapshot, sources, requested, utc_now())
    changed = [o for o in found if o.changed]
    if as_json:
        return print_json({"observed": len(found), "changed": [
            {"asset": o.asset, "partition": o.key, "version": o.version, "previous": o.previous} for o in changed
        ]})
    out = console()
    for o in changed:
        before = "first observation" if o.previous is None else f"was {o.previous}"
        out.print(f"{ref(o.asset, o.key)}: {o.version} ({before})")
    out.print(f"Observed {len(found)} partitions of {len(sources)} sources: {len(changed)} new or changed.")


partitions_app = typer.Typer(help="Dynamic partitions: keys kept in the catalog (DynamicPartitions).", no_args_is_help=True)


def _dynamic_users(graph: AssetGraph, name: str) -> dict[str, str | None]:
    """Assets partitioned by DynamicPartitions(name): asset -> the multi dimension, or None."""

    found = list(graph.dynamic_definitions())
    users = {asset: dimension for asset, definition, dimension in found if definition.name == name}
    if not users:
        declared = sorted({definition.name for _, definition, _ in found})
        hint = f" Declared: {', '.join(declared)}." if declared else " No asset uses DynamicPartitions."
        raise UsageError(f"No asset is partitioned by DynamicPartitions({name!r}).{hint}")
    return users


@partitions_app.command("list")
@user_errors
def partitions_list(
    name: Annotated[str, typer.Argument(help="The DynamicPartitions name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """The keys of a dynamic partitions definition, in the order they were added."""
    _, graph, catalog, _ = open_context(bind_keys=False)
    _dynamic_users(graph, name)
    keys = catalog.dynamic_keys().get(name, [])
    if as_json:
        return print_json(keys)
    sys.stdout.write("".join(f"{key}\n" for key in keys) or f"{name} has no keys yet: `assets partitions add {name} KEY ...`.\n")


@partitions_app.command("add")
@user_errors
def partitions_add(
    name: Annotated[str, typer.Argument(help="The DynamicPartitions name.")],
    keys: Annotated[list[str], typer.Argument(help="Keys to add.")],
) -> None:
    """Add keys; the next plan includes their partitions."""
    from assets_core.execution.clock import stamp
    from assets_core.partitions import validate_key

    _, graph, catalog, _ = open_context()
    _dynamic_users(graph, name)
    for key in keys:
        problem = validate_key(key)
        if problem:
            raise UsageError(f"Cannot add {key!r} to {name}: {problem}")
    added = catalog.add_dynamic_keys(name, keys, stamp())
    total = len(catalog.dynamic_keys().get(name, []))
    already = len(set(keys)) - len(added)
    note = f" ({already} already there)" if already else ""
    sys.stdout.write(f"Added {len(added)} keys to {name}{note}: {total} in all.\n")


@partitions_app.command("remove")
@user_errors
def partitions_remove(
    name: Annotated[str, typer.Argument(help="The DynamicPartitions name.")],
    keys: Annotated[list[str], typer.Argument(help="Keys to remove.")],
    force: Annotated[bool, typer.Option("--force", help="Remove even when published partitions use the key.")] = False,
) -> None:
    """Remove keys. Refused while published partitions use them, unless --force."""
    _, graph, catalog, snapshot = open_context(bind_keys=False)
    users = _dynamic_users(graph, name)
    known = set(catalog.dynamic_keys().get(name, []))
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise UsageError(f"{name} has no key {unknown[0]!r}: `assets partitions list {name}` shows its keys.")
    in_use = _published_using(graph, snapshot, users, set(keys))
    if in_use and not force:
        shown = ", ".join(ref(a, k) for a, k in in_use[:3])
        more = f" and {len(in_use) - 3} more" if len(in_use) > 3 else ""
        raise UsageError(
            f"{len(in_use)} published partitions use these keys ({shown}{more}): pass --force to remove the keys "
            "anyway (their published data is then retired by the next `assets materialize`)."
        )
    removed = catalog.remove_dynamic_keys(name, keys)
    retired = f" {len(in_use)} published partitions using them are retired by the next `assets materialize`." if in_use else ""
    sys.stdout.write(f"Removed {len(removed)} keys from {name}.{retired}\n")


def _published_using(
    graph: AssetGraph, snapshot: Any, users: dict[str, str | None], keys: set[str]
) -> list[tuple[str, str]]:
    found = []
    for asset, dimension in users.items():
        definition = graph[asset].partitions
        for key, state in snapshot.partitions.get(asset, {}).items():
            value = key if dimension is None else definition.split(key)[dimension]  # type: ignore[union-attr]
            if value in keys and state.is_published:
                found.append((asset, key))
    return found
