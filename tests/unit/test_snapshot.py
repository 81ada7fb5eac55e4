"""The snapshot read as columns: entries found whole or one by one, states built only when
asked for and equal to the rows they come from, a changed mapping that stops claiming columns,
a hand-edited catalog that fails with one line."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from assets_core.catalog import Catalog
from assets_core.catalog.errors import CatalogError
from assets_core.catalog.migrations import LAST_ATTEMPT_IS_THE_PUBLISH
from assets_core.catalog.models import Materialization
from assets_core.catalog.snapshot import NULL, SEPARATOR, AssetStates, Column, PartitionState
from assets_core.catalog.sqlite import SqliteCatalog
from catalog_backends import catalog, catalog_url, open_again, sqlite_only  # noqa: F401 (fixtures: once per backend)

T1 = "2025-01-02T00:01:00+00:00"


def column(*entries: str | None) -> Column:
    """A column as the catalog reads it: one text."""
    return Column(len(entries), text=SEPARATOR.join(NULL if e is None else e for e in entries))


@pytest.mark.parametrize("entries", [("a", "bb", None, "c"), ("v1", "v2", "v3"), ("only",), (None,), ("", "x")])
def test_a_column_gives_each_entry_whole_or_one_by_one(entries: tuple[str | None, ...]) -> None:
    assert column(*entries).values == list(entries)
    one_by_one = column(*entries)
    assert [one_by_one.entry(i) for i in range(len(entries))] == list(entries)
    assert Column.of(list(entries)).text == column(*entries).text


def test_a_column_of_equally_wide_entries_gives_one_without_splitting_the_rest() -> None:
    versions = column("aaaa", "bbbb", NULL, "dddd")  # NULL: one character, so not all as wide
    assert versions.entry(3) == "dddd"
    wide = column("aaaa", "bbbb", "cccc")
    assert [wide.entry(i) for i in range(3)] == ["aaaa", "bbbb", "cccc"]
    assert wide._values is None  # found by position


def test_is_all_and_is_complete() -> None:
    statuses = column("published", "published")
    assert statuses.is_all("published") and not statuses.is_all("failed")
    assert statuses.entry(1) == "published"
    assert not column("published", "failed").is_all("published")
    assert column("v1", "v2").is_complete() and not column("v1", None).is_complete()
    assert Column.of(["v1", None]).is_complete() is False


def test_a_stray_separator_in_a_column_is_a_one_line_catalog_error() -> None:
    broken = Column(2, text=f"a{SEPARATOR}b{SEPARATOR}c")  # three entries where the catalog counted two
    with pytest.raises(CatalogError, match="control character .* restore the catalog file"):
        broken.values


# -- states read from a catalog, once per backend -------------------------------------------


def published(partition: str, data_version: str | None, **extra: object) -> Materialization:
    fields: dict[str, object] = dict(
        run_id="run-1", asset="orders", partition=partition, status="published", started_at=T1, ended_at=T1,
        code_version="cv-1", data_version=data_version, rows=int(partition[-2:]),
        inputs={"raw": {partition: f"raw-{partition}"}},
    )
    fields.update(extra)
    return Materialization(**fields)  # type: ignore[arg-type]


DAYS = [f"2025-01-{d:02d}" for d in range(1, 11)]


def test_states_built_from_columns_equal_the_rows_they_come_from(catalog: Catalog) -> None:
    catalog.record([published(day, f"dv-{day}", checks_version="ck" if day == DAYS[3] else None) for day in DAYS])
    catalog.record([published(DAYS[5], None, status="failed", error="boom", failure="error", run_id="run-2")])
    states = catalog.snapshot().partitions["orders"]
    assert isinstance(states, AssetStates) and states.columns is not None
    assert list(states) == DAYS and len(states) == 10
    for day in DAYS:
        expected = PartitionState(
            f"dv-{day}", "cv-1", {"raw": {day: f"raw-{day}"}}, T1, int(day[-2:]), "published", "run-1", None,
            "cv-1", "ck" if day == DAYS[3] else None, {"raw": {day: f"raw-{day}"}}, None,
        )
        if day == DAYS[5]:  # its last attempt failed: read whole, the published version kept
            expected = PartitionState(
                f"dv-{day}", "cv-1", {"raw": {day: f"raw-{day}"}}, T1, 6, "failed", "run-2", "boom", "cv-1", None,
                {"raw": {day: f"raw-{day}"}}, "error",
            )
        assert states[day] == expected, day
        assert states[day] is states[day]  # built once
        assert states.version(day) == f"dv-{day}"
    assert states.columns.last_status.values[5] == "failed"


def test_keys_without_a_state_are_missing_not_guessed(catalog: Catalog) -> None:
    catalog.record([published(day, f"dv-{day}") for day in DAYS[::2]])
    snapshot = catalog.snapshot()
    states = snapshot.partitions["orders"]
    assert DAYS[1] not in states and DAYS[2] in states and 42 not in states
    assert states.get(DAYS[1]) is None and snapshot.version("orders", DAYS[1]) is None
    with pytest.raises(KeyError):
        states[DAYS[1]]


def test_changing_the_states_drops_the_columns_and_keeps_every_state(catalog: Catalog) -> None:
    catalog.record([published(day, f"dv-{day}") for day in DAYS])
    states = catalog.snapshot().partitions["orders"]
    assert isinstance(states, AssetStates)
    before = {day: states[day] for day in DAYS}
    states["2025-02-01"] = PartitionState("dv-new", "cv-1")
    del states[DAYS[0]]
    assert states.columns is None  # they no longer describe the mapping
    assert list(states) == [*DAYS[1:], "2025-02-01"]
    assert all(states[day] == before[day] for day in DAYS[1:])
    assert states.version("2025-02-01") == "dv-new" and states.version(DAYS[0]) is None


@sqlite_only
def test_a_partition_key_holding_the_separator_is_refused_in_one_line(catalog: SqliteCatalog, tmp_path: Path) -> None:
    catalog.record([published(day, f"dv-{day}") for day in DAYS[:2]])
    db = sqlite3.connect(tmp_path / "catalog.db")
    db.execute("UPDATE partitions SET partition = ? WHERE partition = ?", (f"2025{SEPARATOR}01", DAYS[0]))
    db.commit()
    db.close()
    with pytest.raises(CatalogError, match="partition key with a control character"):
        catalog.snapshot()


@sqlite_only
def test_partitions_whose_last_attempt_is_not_the_publish_are_found_by_index(catalog: SqliteCatalog) -> None:
    """A snapshot of a million partitions reads the few failed ones whole without a second
    pass over all the others."""
    plan = catalog._db.execute(
        f"EXPLAIN QUERY PLAN SELECT * FROM partitions WHERE NOT ({LAST_ATTEMPT_IS_THE_PUBLISH})"
    ).fetchall()
    assert "USING INDEX partitions_last_attempt_not_the_publish" in str(plan)


def test_states_read_while_another_thread_changes_the_mapping_are_whole(catalog: Catalog) -> None:
    """A run's worker threads publish into the snapshot while others read it: threads switched
    as often as the interpreter can, the reader never meets columns dropped under it."""
    import sys
    import threading

    days = [f"2025-{m:02d}-{d:02d}" for m in (1, 2, 3) for d in range(1, 29)]
    catalog.record([published(day, f"dv-{day}") for day in days])
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for _ in range(50):
            states = catalog.snapshot().partitions["orders"]
            seen: list[str | None] = []
            failed: list[BaseException] = []

            def read() -> None:
                try:
                    for _ in range(20):
                        seen.extend(states.version(day) for day in days)
                        seen.extend(states[day].data_version for day in days)
                except BaseException as exc:  # noqa: BLE001 - the thread's failure is the test's
                    failed.append(exc)

            reader = threading.Thread(target=read)
            reader.start()
            states["2025-12-31"] = PartitionState("dv-new", "cv-1")
            reader.join()
            assert failed == []
            assert seen == [f"dv-{day}" for day in days] * 40
            assert states.version("2025-12-31") == "dv-new" and len(states) == len(days) + 1
    finally:
        sys.setswitchinterval(interval)
