"""A snapshot built in memory, written to a real SQLite catalog and read back as `assets plan`
reads it (whole columns), so a test can check that both give the same answers.

It writes the partition rows into the SQLite backend directly (its ``_transaction``), not
through the catalog interface: a state whose last attempt differs from its publish would take
two recorded attempts each, and the property tests write thousands."""

from __future__ import annotations

from pathlib import Path

from assets_core.catalog.snapshot import CatalogSnapshot, inputs_json
from assets_core.catalog.sqlite import SqliteCatalog


def through_a_catalog(snapshot: CatalogSnapshot, path: Path | str = ":memory:") -> CatalogSnapshot:
    """The same states, columns and all. A published state whose last attempt fields are
    unset is written as the engine writes a publish: its last attempt repeats it."""
    catalog = SqliteCatalog(path)
    rows = []
    for asset, states in snapshot.partitions.items():
        for key, s in states.items():
            published = s.last_status == "published"
            last_code = s.last_code_version or (s.code_version if published else None)
            last_inputs = s.last_inputs if s.last_inputs is not None or not published else s.inputs
            rows.append((
                asset, key, s.data_version, s.code_version, inputs_json(s.inputs), s.published_at, s.rows,
                s.last_run if published else "an earlier run", s.last_status, s.last_run, s.last_error, last_code,
                s.last_checks_version, inputs_json(last_inputs), s.last_failure,
            ))
    with catalog._transaction() as db:
        db.executemany(
            """INSERT INTO partitions (asset, partition, data_version, code_version, inputs, published_at, rows,
                 published_run, last_status, last_run, last_error, last_code_version, last_checks_version,
                 last_inputs, last_failure) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            rows,
        )
    loaded = catalog.snapshot()
    catalog.close()
    loaded.interrupted, loaded.observed, loaded.dynamic_keys = snapshot.interrupted, snapshot.observed, snapshot.dynamic_keys
    loaded.grains, loaded.published_grains = snapshot.grains, snapshot.published_grains
    return loaded
