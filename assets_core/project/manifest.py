"""The cached manifest: asset specs as JSON, so an unchanged project plans without importing
user code (and polars, DuckDB, sqlglot with it). Like dbt's partial parsing.

A spec read back has no function and no runnable checks (only their names): the executor
always loads the real definitions before it computes anything.

A cache is never trusted: one written for other source files (their paths, sizes and times:
the fingerprint), by another version of the format, or changed since it was written (a digest
of its specs), damaged or edited by hand, is rebuilt from the project's sources.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from assets_core.definitions.specs import AssetInput, AssetSpec
from assets_core.definitions.freshness import Freshness
from assets_core.graph import AssetGraph
from assets_core.partitions import mapping_from_dict, partitions_from_dict


MANIFEST_VERSION = 5
"""3 -> 4: the digest of the specs; 4 -> 5: freshness policies as tables (all their options)."""


def manifest_text(graph: AssetGraph, fingerprint: str) -> str:
    """The manifest of ``graph``, built from source files of ``fingerprint``."""
    assets = specs_to_manifest(graph)
    return json.dumps({"version": MANIFEST_VERSION, "fingerprint": fingerprint, "digest": _digest(assets), "assets": assets})


def read_manifest(path: Path, fingerprint: str) -> list[AssetSpec] | None:
    """The specs of the manifest at ``path`` when it is the one written for source files of
    ``fingerprint`` and unchanged since; None when it must be rebuilt (whatever is wrong with it).

    >>> read_manifest(project.state_dir / "manifest.json", fingerprint)  # doctest: +SKIP
    """
    try:
        body = json.loads(path.read_bytes())
        if (not isinstance(body, dict) or body.get("version") != MANIFEST_VERSION
                or body.get("fingerprint") != fingerprint or body.get("digest") != _digest(body.get("assets"))):
            return None
        return specs_from_manifest(body["assets"])
    except Exception:  # noqa: BLE001  a cache: anything wrong with it means rebuild it
        return None


def _digest(assets: Any) -> str:
    return hashlib.sha256(json.dumps(assets, sort_keys=True).encode()).hexdigest()


def specs_to_manifest(graph: AssetGraph) -> list[dict[str, Any]]:
    return [_spec_to_dict(graph[name]) for name in graph.order]


def _spec_to_dict(spec: AssetSpec) -> dict[str, Any]:
    return {
        "name": spec.name,
        "kind": spec.kind,
        "inputs": [
            [i.param, i.asset, i.type, None if i.mapping is None else i.mapping.to_dict()] for i in spec.inputs
        ],
        "code_version": spec.code_version,
        "partitions": None if spec.partitions is None else spec.partitions.to_dict(),
        "io": spec.io,
        "checks": [getattr(c, "name", str(c)) for c in spec.checks],
        "checks_version": spec.checks_version,
        "batch_size": spec.batch_size,
        "description": spec.description,
        "group": spec.group,
        "owner": spec.owner,
        "tags": list(spec.tags),
        "freshness": None if spec.freshness is None else spec.freshness.to_dict(),
        "sql": spec.sql,
        "source": spec.source,
        "is_source": spec.is_source,
        "column_lineage": [[out, [list(pair) for pair in pairs]] for out, pairs in spec.column_lineage],
    }


@lru_cache(maxsize=1024)
def _freshness(text: str) -> Freshness:
    """A policy read once per distinct text: a project's assets share a few policies, and
    validating a policy (its cron deadline) is not free."""
    return Freshness.from_dict(json.loads(text))


def specs_from_manifest(rows: list[dict[str, Any]]) -> list[AssetSpec]:
    # One definition object per distinct definition, as a Python module shares its DAILY among
    # assets: each keeps memos of its keys, made once rather than once per asset.
    shared: dict[str, Any] = {}
    return [
        AssetSpec(
            name=row["name"],
            kind=row["kind"],
            inputs=tuple(
                AssetInput(param, asset, kind, None if mapping is None else mapping_from_dict(mapping))
                for param, asset, kind, mapping in row["inputs"]
            ),
            code_version=row["code_version"],
            partitions=shared[key] if (key := json.dumps(row["partitions"], sort_keys=True)) in shared
            else shared.setdefault(key, partitions_from_dict(row["partitions"])),
            io=row["io"],
            checks=tuple(row["checks"]),
            checks_version=row["checks_version"],
            batch_size=row["batch_size"],
            description=row["description"],
            group=row["group"],
            owner=row["owner"],
            tags=tuple(row["tags"]),
            freshness=None if row["freshness"] is None else _freshness(json.dumps(row["freshness"], sort_keys=True)),
            sql=row["sql"],
            source=row["source"],
            is_source=row.get("is_source", False),
            column_lineage=tuple(
                (out, tuple((asset, column) for asset, column in pairs)) for out, pairs in row["column_lineage"]
            ),
        )
        for row in rows
    ]
