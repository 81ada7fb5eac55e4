"""The SQLite catalog on a file in tmp_path: schema, records, partition state, leases, WAL, bad files."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from assets_core.catalog.errors import CatalogError
from assets_core.catalog.models import CheckRecord, Lease, Materialization, Run
from assets_core.catalog.snapshot import PartitionState
from assets_core.catalog.migrations import latest_version, migrations
from assets_core.catalog.interface import open_catalog
from assets_core.catalog.sqlite import SqliteCatalog

T0 = "2025-01-02T00:00:00+00:00"
T1 = "2025-01-02T00:01:00+00:00"
LATEST = latest_version()


@pytest.fixture
def catalog_path(tmp_path: Path) -> Path:
    return tmp_path / ".assets" / "catalog.db"


@pytest.fixture
def sqlite_catalog(catalog_path: Path) -> Iterator[SqliteCatalog]:
    opened = SqliteCatalog(catalog_path)
    yield opened
    opened.close()


def attempt(
    asset: str = "orders",
    partition: str = "2025-01-01",
    status: str = "published",
    run_id: str = "run-1",
    data_version: str | None = "dv-1",
    **extra: object,
) -> Materialization:
    fields: dict[str, object] = dict(
        run_id=run_id, asset=asset, partition=partition, status=status, started_at=T0, ended_at=T1,
        code_version="cv-1", data_version=data_version if status == "published" else None,
        rows=3 if status == "published" else None,
    )
    fields.update(extra)
    return Materialization(**fields)  # type: ignore[arg-type]


def tables(path: Path) -> set[str]:
    connection = sqlite3.connect(path)
    try:
        return {r[0] for r in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    finally:
        connection.close()


def alive(_lease: Lease) -> bool:
    return True


def dead(_lease: Lease) -> bool:
    return False


# -- schema and migrations ---------------------------------------------------------------


def test_new_catalog_is_created_at_the_latest_schema_version(sqlite_catalog: SqliteCatalog, catalog_path: Path) -> None:
    assert catalog_path.exists()
    assert sqlite_catalog.schema_version() == LATEST
    assert {"schema_version", "assets", "runs", "materializations", "partitions", "check_results", "leases"} <= tables(
        catalog_path
    )


def test_reopening_a_catalog_does_not_migrate_again_and_keeps_its_data(catalog_path: Path) -> None:
    first = SqliteCatalog(catalog_path)
    first.record([attempt()])
    first.close()
    again = SqliteCatalog(catalog_path)
    try:
        assert again.schema_version() == LATEST
        assert again.snapshot().version("orders", "2025-01-01") == "dv-1"
    finally:
        again.close()
    connection = sqlite3.connect(catalog_path)
    try:
        assert connection.execute("SELECT count(*) FROM schema_version").fetchone() == (LATEST,)
    finally:
        connection.close()


def test_a_catalog_at_version_1_is_migrated_and_keeps_its_attempts(catalog_path: Path) -> None:
    catalog_path.parent.mkdir(parents=True)
    connection = sqlite3.connect(catalog_path)
    connection.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for statement in migrations()[0].statements():
        connection.execute(statement)
    connection.execute("INSERT INTO schema_version VALUES (1)")
    connection.execute(
        """INSERT INTO materializations (run_id, asset, partition, status, started_at, ended_at)
           VALUES ('r0', 'orders', '2025-01-01', 'failed', ?, ?)""", (T0, T1),
    )
    connection.commit()
    connection.close()
    upgraded = SqliteCatalog(catalog_path)
    try:
        assert upgraded.schema_version() == LATEST
        [old] = upgraded.materializations(asset="orders")
        assert (old.run_id, old.status, old.timings) == ("r0", "failed", None)
        upgraded.record([attempt(timings={"compute": 0.5, "publish": 0.25})])
        assert upgraded.materializations(run_id="run-1")[0].timings == {"compute": 0.5, "publish": 0.25}
    finally:
        upgraded.close()


def test_catalog_from_a_newer_assets_core_is_refused(catalog_path: Path) -> None:
    SqliteCatalog(catalog_path).close()
    connection = sqlite3.connect(catalog_path)
    connection.execute("INSERT INTO schema_version VALUES (?)", (LATEST + 1,))
    connection.commit()
    connection.close()
    with pytest.raises(CatalogError, match=f"has schema version {LATEST + 1}, newer than this assets-core knows .*upgrade"):
        SqliteCatalog(catalog_path)


def test_wal_mode_is_on(sqlite_catalog: SqliteCatalog, catalog_path: Path) -> None:
    connection = sqlite3.connect(catalog_path)
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        connection.close()


def test_a_reader_sees_the_previous_state_while_a_write_is_in_progress(
    sqlite_catalog: SqliteCatalog, catalog_path: Path
) -> None:
    sqlite_catalog.record([attempt(data_version="dv-1")])
    reader = SqliteCatalog(catalog_path)
    seen: list[str | None] = []
    try:
        sqlite_catalog.record(
            [attempt(data_version="dv-2", run_id="run-2")],
            before_commit=lambda: seen.append(reader.snapshot().version("orders", "2025-01-01")),
        )
        assert seen == ["dv-1"]
        assert reader.snapshot().version("orders", "2025-01-01") == "dv-2"
    finally:
        reader.close()


# -- bad files ---------------------------------------------------------------------------


def test_a_file_that_is_not_sqlite_gives_a_one_line_catalog_error(tmp_path: Path) -> None:
    path = tmp_path / "catalog.db"
    content = b"order_id,amount\n1,10\n" * 100
    path.write_bytes(content)
    with pytest.raises(CatalogError) as raised:
        SqliteCatalog(path)
    message = str(raised.value)
    assert "\n" not in message
    assert str(path) in message
    assert "is not an assets-core catalog" in message
    assert "point `catalog` in assets.toml elsewhere" in message
    assert path.read_bytes() == content


def test_a_foreign_sqlite_database_is_refused_and_left_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    connection.execute("INSERT INTO users VALUES (1, 'ana')")
    connection.commit()
    connection.close()
    with pytest.raises(CatalogError, match="not an assets-core catalog"):
        SqliteCatalog(path)
    assert tables(path) == {"users"}


def test_a_foreign_database_with_a_clashing_table_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE partitions (x)")
    connection.commit()
    connection.close()
    with pytest.raises(CatalogError) as raised:
        SqliteCatalog(path)
    assert "\n" not in str(raised.value)
    assert tables(path) == {"partitions"}


def test_open_catalog_resolves_relative_sqlite_paths_against_the_project(tmp_path: Path) -> None:
    opened = open_catalog("sqlite:///.assets/catalog.db", tmp_path)
    try:
        assert Path(opened.path) == tmp_path / ".assets" / "catalog.db"
        assert (tmp_path / ".assets" / "catalog.db").exists()
    finally:
        opened.close()


def test_open_catalog_refuses_an_unsupported_url(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="Catalog URL 'mysql://db/assets' uses 'mysql'.*use sqlite:///"):
        open_catalog("mysql://db/assets", tmp_path)


# -- record() and partition state ---------------------------------------------------------


def test_record_writes_a_batch_and_updates_each_partition_state(sqlite_catalog: SqliteCatalog) -> None:
    check = CheckRecord(check="not_null(id)", severity="blocking", passed=True, observed=0, message="ok")
    sqlite_catalog.record(
        [
            attempt(partition="2025-01-01", data_version="dv-a", checks=(check,)),
            attempt(partition="2025-01-02", data_version="dv-b",
                    inputs={"raw_orders": {"2025-01-02": "raw-v"}}),
            attempt(asset="summary", partition="", data_version="dv-s"),
        ]
    )
    snapshot = sqlite_catalog.snapshot()
    assert set(snapshot.partitions) == {"orders", "summary"}
    day_one = snapshot.state("orders", "2025-01-01")
    assert day_one is not None
    assert (day_one.data_version, day_one.code_version, day_one.last_status, day_one.last_run) == (
        "dv-a", "cv-1", "published", "run-1",
    )
    assert day_one.published_at == T1 and day_one.rows == 3 and day_one.inputs is None
    assert snapshot.state("orders", "2025-01-02").inputs == {"raw_orders": {"2025-01-02": "raw-v"}}  # type: ignore[union-attr]
    assert snapshot.version("summary", "") == "dv-s"
    history = sqlite_catalog.materializations(asset="orders")
    assert [m.partition for m in history] == ["2025-01-02", "2025-01-01"]
    assert history[1].checks == (check,)
    assert sqlite_catalog.published_summary() == {"orders": (2, T1), "summary": (1, T1)}


def test_states_read_back_whole_with_inputs_kept_as_the_stored_text(sqlite_catalog: SqliteCatalog) -> None:
    inputs = {"raw_orders": {"2025-01-02": "raw-v", "2025-01-01": "raw-u"}}
    sqlite_catalog.record([
        attempt(inputs=inputs, checks_version="ck-1"),
        attempt(partition="2025-01-02", inputs=inputs),
    ])
    sqlite_catalog.record([attempt(partition="2025-01-02", status="failed", run_id="run-2", error="boom",
                                   failure="error", code_version="cv-2")])
    snapshot = sqlite_catalog.snapshot()
    published = snapshot.state("orders", "2025-01-01")
    assert published == PartitionState("dv-1", "cv-1", inputs, T1, 3, "published", "run-1", None, "cv-1", "ck-1",
                                       inputs, None)
    assert published is not None and published.inputs_text == '{"raw_orders": {"2025-01-01": "raw-u", "2025-01-02": "raw-v"}}'
    failed = snapshot.state("orders", "2025-01-02")
    assert failed == PartitionState("dv-1", "cv-1", inputs, T1, 3, "failed", "run-2", "boom", "cv-2", None, None,
                                    "error")


def test_republishing_replaces_the_current_version_and_keeps_history(sqlite_catalog: SqliteCatalog) -> None:
    sqlite_catalog.record([attempt(data_version="dv-1")])
    sqlite_catalog.record([attempt(data_version="dv-2", run_id="run-2", code_version="cv-2")])
    state = sqlite_catalog.snapshot().state("orders", "2025-01-01")
    assert state is not None
    assert (state.data_version, state.code_version, state.last_run) == ("dv-2", "cv-2", "run-2")
    assert [m.data_version for m in sqlite_catalog.materializations(asset="orders", partition="2025-01-01")] == [
        "dv-2", "dv-1",
    ]


def test_failed_attempt_keeps_the_previous_published_version(sqlite_catalog: SqliteCatalog) -> None:
    sqlite_catalog.record([attempt(data_version="dv-1", inputs={"raw": {"": "r1"}})])
    sqlite_catalog.record([attempt(status="failed", run_id="run-2", error="ZeroDivisionError: division by zero")])
    state = sqlite_catalog.snapshot().state("orders", "2025-01-01")
    assert state is not None
    assert state.is_published
    assert (state.data_version, state.code_version, state.inputs, state.published_at) == (
        "dv-1", "cv-1", {"raw": {"": "r1"}}, T1,
    )
    assert (state.last_status, state.last_run, state.last_error) == (
        "failed", "run-2", "ZeroDivisionError: division by zero",
    )


def test_quarantined_first_attempt_is_not_published(sqlite_catalog: SqliteCatalog) -> None:
    failing = CheckRecord(check="not_null(id)", severity="blocking", passed=False, observed=2, message="2 of 5 rows")
    sqlite_catalog.record([attempt(status="quarantined", error="not_null(id) failed", checks=(failing,))])
    state = sqlite_catalog.snapshot().state("orders", "2025-01-01")
    assert state is not None
    assert not state.is_published
    assert (state.last_status, state.last_error) == ("quarantined", "not_null(id) failed")
    [stored] = sqlite_catalog.materializations(partition="2025-01-01")
    assert stored.checks == (failing,)


def test_publish_after_a_failure_clears_the_error(sqlite_catalog: SqliteCatalog) -> None:
    sqlite_catalog.record([attempt(status="failed", error="boom")])
    sqlite_catalog.record([attempt(data_version="dv-2", run_id="run-2")])
    state = sqlite_catalog.snapshot().state("orders", "2025-01-01")
    assert state is not None
    assert (state.data_version, state.last_status, state.last_error) == ("dv-2", "published", None)


def test_skipped_attempt_is_logged_but_changes_no_state(sqlite_catalog: SqliteCatalog) -> None:
    sqlite_catalog.record([attempt(data_version="dv-1")])
    sqlite_catalog.record([attempt(status="skipped", run_id="run-2", error="upstream failed")])
    state = sqlite_catalog.snapshot().state("orders", "2025-01-01")
    assert state is not None and (state.last_status, state.last_run) == ("published", "run-1")
    assert len(sqlite_catalog.materializations(asset="orders")) == 2


def test_record_is_one_transaction(sqlite_catalog: SqliteCatalog) -> None:
    sqlite_catalog.record([attempt(data_version="dv-1")])

    def crash() -> None:
        raise RuntimeError("killed before commit")

    with pytest.raises(RuntimeError, match="killed before commit"):
        sqlite_catalog.record(
            [attempt(data_version="dv-2", run_id="run-2"), attempt(partition="2025-01-02", run_id="run-2")],
            before_commit=crash,
        )
    snapshot = sqlite_catalog.snapshot()
    assert snapshot.version("orders", "2025-01-01") == "dv-1"
    assert snapshot.state("orders", "2025-01-02") is None
    assert sqlite_catalog.materializations(run_id="run-2") == []
    sqlite_catalog.record([attempt(partition="2025-01-03")])  # the catalog is still usable
    assert sqlite_catalog.snapshot().version("orders", "2025-01-03") == "dv-1"


def test_record_of_nothing_is_a_no_op(sqlite_catalog: SqliteCatalog) -> None:
    sqlite_catalog.record([])
    assert sqlite_catalog.snapshot().partitions == {}


# -- leases ------------------------------------------------------------------------------


def take(c: SqliteCatalog, refs: list[tuple[str, str]], run_id: str, is_alive=alive) -> list[Lease]:  # type: ignore[no-untyped-def]
    return c.acquire_leases(refs, run_id, pid=100, host="box", now=T0, is_alive=is_alive)


def test_lease_acquire_conflict_and_release(sqlite_catalog: SqliteCatalog) -> None:
    refs = [("orders", "2025-01-01"), ("orders", "2025-01-02")]
    assert take(sqlite_catalog, refs, "run-1") == []
    conflicts = take(sqlite_catalog, [("orders", "2025-01-02"), ("orders", "2025-01-03")], "run-2")
    assert conflicts == [Lease("orders", "2025-01-02", "run-1", 100, "box")]
    sqlite_catalog.release_leases("run-1")
    assert take(sqlite_catalog, [("orders", "2025-01-02"), ("orders", "2025-01-03")], "run-2") == []


def test_leases_are_all_or_nothing(sqlite_catalog: SqliteCatalog) -> None:
    assert take(sqlite_catalog, [("orders", "b")], "run-1") == []
    assert take(sqlite_catalog, [("orders", "a"), ("orders", "b")], "run-2") != []
    # run-2 did not keep 'a': a third run can take it
    assert take(sqlite_catalog, [("orders", "a")], "run-3") == []


def test_lease_of_a_dead_run_is_taken_over(sqlite_catalog: SqliteCatalog) -> None:
    assert take(sqlite_catalog, [("orders", "a")], "run-1") == []
    assert take(sqlite_catalog, [("orders", "a")], "run-2", is_alive=dead) == []
    assert take(sqlite_catalog, [("orders", "a")], "run-3") == [Lease("orders", "a", "run-2", 100, "box")]


def test_release_only_drops_that_runs_leases(sqlite_catalog: SqliteCatalog) -> None:
    take(sqlite_catalog, [("orders", "a")], "run-1")
    take(sqlite_catalog, [("orders", "b")], "run-2")
    sqlite_catalog.release_leases("run-1")
    assert take(sqlite_catalog, [("orders", "a"), ("orders", "b")], "run-3") == [Lease("orders", "b", "run-2", 100, "box")]


def test_record_releases_the_lease_of_each_recorded_partition(sqlite_catalog: SqliteCatalog) -> None:
    take(sqlite_catalog, [("orders", "2025-01-01"), ("orders", "2025-01-02")], "run-1")
    sqlite_catalog.record([attempt(partition="2025-01-01")])
    conflicts = take(sqlite_catalog, [("orders", "2025-01-01"), ("orders", "2025-01-02")], "run-2")
    assert [(l.asset, l.partition) for l in conflicts] == [("orders", "2025-01-02")]


def test_snapshot_marks_partitions_leased_by_dead_runs_as_interrupted(sqlite_catalog: SqliteCatalog) -> None:
    take(sqlite_catalog, [("orders", "2025-01-01")], "run-1")
    take(sqlite_catalog, [("summary", "")], "run-2")
    assert sqlite_catalog.snapshot().interrupted == frozenset()
    snapshot = sqlite_catalog.snapshot(is_alive=lambda lease: lease.run_id != "run-1")
    assert snapshot.interrupted == frozenset({("orders", "2025-01-01")})


# -- runs --------------------------------------------------------------------------------


def test_runs_are_started_finished_and_marked_interrupted(sqlite_catalog: SqliteCatalog) -> None:
    for run_id, started in (("run-a", T0), ("run-b", T1)):
        sqlite_catalog.start_run(Run(run_id=run_id, reference_time=T0, started_at=started, pid=1, host="box"))
    sqlite_catalog.finish_run("run-a", "succeeded", T1, {"published": 3})
    assert [r.run_id for r in sqlite_catalog.runs()] == ["run-b", "run-a"]
    finished = sqlite_catalog.run("run-a")
    assert finished is not None
    assert (finished.status, finished.ended_at, finished.counts) == ("succeeded", T1, {"published": 3})
    assert sqlite_catalog.mark_interrupted(lambda run: False, T1) == ["run-b"]
    assert sqlite_catalog.run("run-b").status == "interrupted"  # type: ignore[union-attr]
    assert sqlite_catalog.run("nope") is None
    assert set(sqlite_catalog.run_ids_like("run-")) == {"run-a", "run-b"}
    assert sqlite_catalog.run_ids_like("run-b") == ["run-b"]
