"""``Catalog.published_versions`` and ``Catalog.publish_history`` through the interface, once
per backend (tests/catalog_backends.py); then, for SQLite, that they read through indexes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from catalog_backends import catalog, catalog_url, open_again, sqlite_only  # noqa: F401 (fixtures)

from assets_core.catalog import Catalog, Materialization
from assets_core.catalog.models import PublishedVersion


def attempt(key: str, version: str | None, run: str, status: str = "published", asset: str = "clean",
            inputs: dict[str, dict[str, str]] | None = None) -> Materialization:
    return Materialization(run_id=run, asset=asset, partition=key, status=status,  # type: ignore[arg-type]
                           started_at="t0", ended_at=f"{run}-end", data_version=version, inputs=inputs,
                           error=None if status == "published" else "boom")


def test_published_versions_are_the_current_ones_with_their_run_and_inputs(catalog: Catalog) -> None:  # noqa: F811
    catalog.record([attempt("d1", "v1", "r1", inputs={"raw": {"d1": "x"}}), attempt("d2", "w1", "r1"),
                    attempt("d1", "s1", "r1", asset="summary")])
    catalog.record([attempt("d1", "v2", "r2", inputs={"raw": {"d1": "y"}})])
    catalog.record([attempt("d1", None, "r3", status="failed"), attempt("d3", None, "r3", status="quarantined")])
    assert catalog.published_versions("clean", ["d1", "d3", "nope"]) == {
        "d1": PublishedVersion("clean", "d1", "v2", "r2", "r2-end", {"raw": {"d1": "y"}}),
    }
    assert set(catalog.published_versions("clean")) == {"d1", "d2"}  # every published partition
    assert catalog.published_versions("clean", []) == {}
    assert catalog.published_versions("unknown") == {}


def test_publish_history_is_every_published_attempt_oldest_first(catalog: Catalog) -> None:  # noqa: F811
    catalog.record([attempt("d1", "v1", "r1"), attempt("d2", "w1", "r1")])
    catalog.record([attempt("d1", None, "r2", status="failed")])
    catalog.record([attempt("d1", "v2", "r3", inputs={"raw": {"d1": "y"}})])
    catalog.record([attempt("d1", "v1", "r4")])  # back to v1: there twice
    history = catalog.publish_history("clean", ["d1", "d9"])
    assert list(history) == ["d1"]
    assert [(v.data_version, v.run_id, v.published_at) for v in history["d1"]] == [
        ("v1", "r1", "r1-end"), ("v2", "r3", "r3-end"), ("v1", "r4", "r4-end"),
    ]
    assert history["d1"][1].inputs == {"raw": {"d1": "y"}}
    assert history["d1"][-1] == catalog.published_versions("clean", ["d1"])["d1"]


def test_many_keys_at_once(catalog: Catalog) -> None:  # noqa: F811
    keys = [f"k{i:04d}" for i in range(1200)]  # more than one statement binds
    catalog.record([attempt(k, f"v-{k}", "r1") for k in keys])
    assert len(catalog.published_versions("clean", keys)) == 1200
    assert len(catalog.publish_history("clean", keys + keys)) == 1200


def test_keys_are_bound_not_spliced(catalog: Catalog) -> None:  # noqa: F811
    hostile = "x') OR 1=1 --"
    catalog.record([attempt("d1", "v1", "r1")])
    assert catalog.published_versions("clean", [hostile]) == {}
    assert catalog.publish_history("clean' OR '1'='1", ["d1"]) == {}


@sqlite_only
def test_sqlite_reads_them_through_indexes(catalog: Catalog, tmp_path: Path) -> None:  # noqa: F811
    """The statements the two methods run (as SQLite traces them, values bound), explained."""
    catalog.record([attempt("d1", "v1", "r1")])
    statements: list[str] = []
    db = catalog._db  # type: ignore[attr-defined]
    db.set_trace_callback(statements.append)
    catalog.published_versions("clean", ["d1", "d2"])
    catalog.publish_history("clean", ["d1", "d2"])
    db.set_trace_callback(None)
    explained = sqlite3.connect(tmp_path / "catalog.db")
    try:
        plans = [str(explained.execute(f"EXPLAIN QUERY PLAN {s}").fetchall()) for s in statements]
    finally:
        explained.close()
    assert len(plans) == 2
    assert "USING INDEX sqlite_autoindex_partitions_1 (asset=? AND partition=?)" in plans[0]
    assert "USING INDEX materializations_by_partition (asset=? AND partition=?)" in plans[1]
