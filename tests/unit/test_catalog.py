"""The catalog through its interface, once per backend (tests/catalog_backends.py): records,
partition state, leases, runs, observations, dynamic keys, a consistent snapshot. Then what
only the SQLite backend has: its file, WAL, migrating old files, refusing foreign ones. And
the boundaries: SqliteCatalog satisfies the interface, the engine names only the interface,
the catalog package imports nothing else of assets_core."""

from __future__ import annotations

import ast
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from assets_core.catalog import Catalog
from assets_core.catalog.errors import CatalogError, LeaseLost, LeasesLost
from assets_core.catalog.interface import open_catalog
from assets_core.catalog.migrations import latest_version, migrations
from assets_core.catalog.models import CheckRecord, ColumnRecord, Lease, Materialization, Run
from assets_core.catalog.snapshot import PartitionState
from assets_core.catalog.sqlite import SqliteCatalog
from catalog_backends import catalog, catalog_url, open_again, sqlite_only  # noqa: F401 (fixtures)

T0 = "2025-01-02T00:00:00+00:00"
T1 = "2025-01-02T00:01:00+00:00"
LATEST = latest_version()
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def catalog_path(tmp_path: Path) -> Path:
    return tmp_path / ".assets" / "catalog.db"


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


# -- record() and partition state ---------------------------------------------------------


def test_record_writes_a_batch_and_updates_each_partition_state(catalog: Catalog) -> None:
    check = CheckRecord(check="not_null(id)", severity="blocking", passed=True, observed=0, message="ok")
    catalog.record(
        [
            attempt(partition="2025-01-01", data_version="dv-a", checks=(check,)),
            attempt(partition="2025-01-02", data_version="dv-b",
                    inputs={"raw_orders": {"2025-01-02": "raw-v"}}),
            attempt(asset="summary", partition="", data_version="dv-s"),
        ]
    )
    snapshot = catalog.snapshot()
    assert set(snapshot.partitions) == {"orders", "summary"}
    day_one = snapshot.state("orders", "2025-01-01")
    assert day_one is not None
    assert (day_one.data_version, day_one.code_version, day_one.last_status, day_one.last_run) == (
        "dv-a", "cv-1", "published", "run-1",
    )
    assert day_one.published_at == T1 and day_one.rows == 3 and day_one.inputs is None
    assert snapshot.state("orders", "2025-01-02").inputs == {"raw_orders": {"2025-01-02": "raw-v"}}  # type: ignore[union-attr]
    assert snapshot.version("summary", "") == "dv-s"
    history = catalog.materializations(asset="orders")
    assert [m.partition for m in history] == ["2025-01-02", "2025-01-01"]
    assert history[1].checks == (check,)
    assert catalog.published_summary() == {"orders": (2, T1), "summary": (1, T1)}


def test_states_read_back_whole_with_inputs_kept_as_the_stored_text(catalog: Catalog) -> None:
    inputs = {"raw_orders": {"2025-01-02": "raw-v", "2025-01-01": "raw-u"}}
    catalog.record([
        attempt(inputs=inputs, checks_version="ck-1"),
        attempt(partition="2025-01-02", inputs=inputs),
    ])
    catalog.record([attempt(partition="2025-01-02", status="failed", run_id="run-2", error="boom",
                                   failure="error", code_version="cv-2")])
    snapshot = catalog.snapshot()
    published = snapshot.state("orders", "2025-01-01")
    assert published == PartitionState("dv-1", "cv-1", inputs, T1, 3, "published", "run-1", None, "cv-1", "ck-1",
                                       inputs, None)
    assert published is not None and published.inputs_text == '{"raw_orders": {"2025-01-01": "raw-u", "2025-01-02": "raw-v"}}'
    failed = snapshot.state("orders", "2025-01-02")
    assert failed == PartitionState("dv-1", "cv-1", inputs, T1, 3, "failed", "run-2", "boom", "cv-2", None, None,
                                    "error")


def test_republishing_replaces_the_current_version_and_keeps_history(catalog: Catalog) -> None:
    catalog.record([attempt(data_version="dv-1")])
    catalog.record([attempt(data_version="dv-2", run_id="run-2", code_version="cv-2")])
    state = catalog.snapshot().state("orders", "2025-01-01")
    assert state is not None
    assert (state.data_version, state.code_version, state.last_run) == ("dv-2", "cv-2", "run-2")
    assert [m.data_version for m in catalog.materializations(asset="orders", partition="2025-01-01")] == [
        "dv-2", "dv-1",
    ]


def test_failed_attempt_keeps_the_previous_published_version(catalog: Catalog) -> None:
    catalog.record([attempt(data_version="dv-1", inputs={"raw": {"": "r1"}})])
    catalog.record([attempt(status="failed", run_id="run-2", error="ZeroDivisionError: division by zero")])
    state = catalog.snapshot().state("orders", "2025-01-01")
    assert state is not None
    assert state.is_published
    assert (state.data_version, state.code_version, state.inputs, state.published_at) == (
        "dv-1", "cv-1", {"raw": {"": "r1"}}, T1,
    )
    assert (state.last_status, state.last_run, state.last_error) == (
        "failed", "run-2", "ZeroDivisionError: division by zero",
    )


def test_quarantined_first_attempt_is_not_published(catalog: Catalog) -> None:
    failing = CheckRecord(check="not_null(id)", severity="blocking", passed=False, observed=2, message="2 of 5 rows")
    catalog.record([attempt(status="quarantined", error="not_null(id) failed", checks=(failing,))])
    state = catalog.snapshot().state("orders", "2025-01-01")
    assert state is not None
    assert not state.is_published
    assert (state.last_status, state.last_error) == ("quarantined", "not_null(id) failed")
    [stored] = catalog.materializations(partition="2025-01-01")
    assert stored.checks == (failing,)


def test_publish_after_a_failure_clears_the_error(catalog: Catalog) -> None:
    catalog.record([attempt(status="failed", error="boom")])
    catalog.record([attempt(data_version="dv-2", run_id="run-2")])
    state = catalog.snapshot().state("orders", "2025-01-01")
    assert state is not None
    assert (state.data_version, state.last_status, state.last_error) == ("dv-2", "published", None)


def test_skipped_attempt_is_logged_but_changes_no_state(catalog: Catalog) -> None:
    catalog.record([attempt(data_version="dv-1")])
    catalog.record([attempt(status="skipped", run_id="run-2", error="upstream failed")])
    state = catalog.snapshot().state("orders", "2025-01-01")
    assert state is not None and (state.last_status, state.last_run) == ("published", "run-1")
    assert len(catalog.materializations(asset="orders")) == 2


def test_a_retired_attempt_drops_the_partition_state_and_its_lease_and_stays_in_the_history(catalog: Catalog) -> None:
    catalog.record([attempt(partition="2025-01-01"), attempt(partition="2025-01-02")])
    take(catalog, [("orders", "2025-01-01")], "run-2")
    catalog.record([attempt(partition="2025-01-01", status="retired", run_id="run-2", cause="partitions changed")])
    snapshot = catalog.snapshot()
    assert snapshot.state("orders", "2025-01-01") is None and snapshot.version("orders", "2025-01-02") == "dv-1"
    assert list(catalog.published_versions("orders")) == ["2025-01-02"]
    assert catalog.published_summary()["orders"][0] == 1
    assert catalog.leases() == []
    assert [(m.status, m.cause) for m in catalog.materializations(partition="2025-01-01")] == [
        ("retired", "partitions changed"), ("published", None)]
    take(catalog, [("orders", "2025-01-01")], "run-3")  # the key back: leased and published anew
    catalog.record([attempt(partition="2025-01-01", run_id="run-3", data_version="dv-3")])
    assert catalog.snapshot().version("orders", "2025-01-01") == "dv-3"


def test_record_is_one_transaction(catalog: Catalog) -> None:
    catalog.record([attempt(data_version="dv-1")])

    def crash() -> None:
        raise RuntimeError("killed before commit")

    with pytest.raises(RuntimeError, match="killed before commit"):
        catalog.record(
            [attempt(data_version="dv-2", run_id="run-2"), attempt(partition="2025-01-02", run_id="run-2")],
            before_commit=crash,
        )
    snapshot = catalog.snapshot()
    assert snapshot.version("orders", "2025-01-01") == "dv-1"
    assert snapshot.state("orders", "2025-01-02") is None
    assert catalog.materializations(run_id="run-2") == []
    catalog.record([attempt(partition="2025-01-03")])  # the catalog is still usable
    assert catalog.snapshot().version("orders", "2025-01-03") == "dv-1"


def test_record_of_nothing_is_a_no_op(catalog: Catalog) -> None:
    catalog.record([])
    assert catalog.snapshot().partitions == {}


# -- schemas -----------------------------------------------------------------------------


def columns(*spec: str) -> tuple[ColumnRecord, ...]:
    """``columns("id:Int64", "name:String?")``: a trailing ``?`` marks a nullable column."""
    return tuple(ColumnRecord(name=s.split(":")[0], type=s.split(":")[1].rstrip("?"), nullable=s.endswith("?"))
                 for s in spec)


def test_each_published_attempt_keeps_its_schema_and_latest_schemas_gives_the_newest(catalog: Catalog) -> None:
    v1, v2 = columns("id:Int64", "name:String?"), columns("id:Int64", "name:String?", "amount:Float64?")
    catalog.record([attempt(partition="2025-01-01", columns=v1), attempt(partition="2025-01-02", columns=v1)])
    catalog.record([attempt(partition="2025-01-03", run_id="run-2", columns=v2),
                    attempt(asset="summary", partition="", columns=columns("n:UInt32")),
                    attempt(asset="orders", partition="2025-01-04", status="failed", run_id="run-2")])
    assert catalog.latest_schemas() == {"orders": v2, "summary": columns("n:UInt32")}
    assert catalog.latest_schemas(["summary", "nothing"]) == {"summary": columns("n:UInt32")}
    newest, *_ = catalog.materializations(asset="orders", partition="2025-01-03")
    assert newest.columns == v2
    assert catalog.materializations(asset="orders", partition="2025-01-04")[0].columns is None


def test_schema_history_lists_each_schema_once_with_the_attempt_that_first_published_it(catalog: Catalog) -> None:
    v1, v2 = columns("id:Int64"), columns("id:Float64")
    catalog.record([attempt(partition="2025-01-01", run_id="run-1", columns=v1)])
    catalog.record([attempt(partition="2025-01-02", run_id="run-2", columns=v2)])
    catalog.record([attempt(partition="2025-01-03", run_id="run-3", columns=v1)])  # back to the first
    history = catalog.schema_history("orders")
    assert [(h.columns, h.run_id, h.partition, h.attempts) for h in history] == [
        (v1, "run-1", "2025-01-01", 2), (v2, "run-2", "2025-01-02", 1),
    ]
    assert catalog.latest_schemas() == {"orders": v1}
    assert catalog.schema_history("nothing") == []


def test_published_schemas_gives_the_schema_each_published_version_was_written_with(catalog: Catalog) -> None:
    v1, v2 = columns("id:Int64"), columns("id:Int64", "amount:Float64?")
    catalog.record([attempt(partition="2025-01-01", data_version="dv-1", columns=v1),
                    attempt(partition="2025-01-02", data_version="dv-1", columns=v1)])
    catalog.record([attempt(partition="2025-01-01", run_id="run-2", data_version="dv-2", columns=v2),
                    attempt(asset="orders", partition="2025-01-02", status="failed", run_id="run-2")])
    catalog.record([attempt(partition="2025-01-03", run_id="run-3", data_version="dv-3")])  # no schema recorded
    asked = [("orders", "2025-01-01", "dv-1"), ("orders", "2025-01-01", "dv-2"), ("orders", "2025-01-02", "dv-1"),
             ("orders", "2025-01-01", "dv-1"), ("orders", "2025-01-02", "dv-2"), ("orders", "2025-01-03", "dv-3"),
             ("nothing", "", "dv-1")]
    assert catalog.published_schemas(asked) == {
        ("orders", "2025-01-01", "dv-1"): v1, ("orders", "2025-01-01", "dv-2"): v2, ("orders", "2025-01-02", "dv-1"): v1,
    }
    assert catalog.published_schemas([]) == {}


def test_published_schemas_answers_many_versions_at_once(catalog: Catalog) -> None:
    """Thousands of one asset's versions (a plan rebuilding most of what reads it) and a few of
    another's, in one call: the same answers whichever way a backend reads them."""
    catalog.record([attempt(partition=f"k{i}", data_version=f"dv-{i}", columns=columns(f"c{i % 3}:Int64"))
                    for i in range(2100)])
    catalog.record([attempt(partition="k5", run_id="run-2", data_version="dv-5b", columns=columns("x:String")),
                    attempt(asset="other", partition="", data_version="dv-o", columns=columns("y:Int64"))])
    asked = [("orders", f"k{i}", f"dv-{i}") for i in range(2100)] + [("orders", "k5", "dv-5b"), ("other", "", "dv-o"),
                                                                     ("orders", "k5", "dv-6")]
    found = catalog.published_schemas(iter(asked))
    assert len(found) == 2102 and found[("orders", "k401", "dv-401")] == columns("c2:Int64")
    assert found[("orders", "k5", "dv-5")] == columns("c2:Int64") and found[("orders", "k5", "dv-5b")] == columns("x:String")
    assert found[("other", "", "dv-o")] == columns("y:Int64") and ("orders", "k5", "dv-6") not in found


def test_an_attempt_without_a_schema_records_none(catalog: Catalog) -> None:
    catalog.record([attempt()])
    assert catalog.latest_schemas() == {} and catalog.schema_history("orders") == []


# -- leases ------------------------------------------------------------------------------


def take(c: Catalog, refs: list[tuple[str, str]], run_id: str, is_alive=alive) -> list[Lease]:  # type: ignore[no-untyped-def]
    return c.acquire_leases(refs, run_id, pid=100, host="box", now=T0, is_alive=is_alive)


def held(asset: str, partition: str, run_id: str) -> Lease:
    """A lease as ``take`` grants it (its generation aside: see :func:`owners`)."""
    return Lease(asset, partition, run_id, 100, "box")


def owners(leases: list[Lease]) -> list[Lease]:
    """The leases with only their owner fields: what the tests of who holds what compare."""
    return [Lease(l.asset, l.partition, l.run_id, l.pid, l.host) for l in leases]


def test_lease_acquire_conflict_and_release(catalog: Catalog) -> None:
    refs = [("orders", "2025-01-01"), ("orders", "2025-01-02")]
    assert take(catalog, refs, "run-1") == []
    conflicts = take(catalog, [("orders", "2025-01-02"), ("orders", "2025-01-03")], "run-2")
    assert owners(conflicts) == [held("orders", "2025-01-02", "run-1")]
    catalog.release_leases("run-1")
    assert take(catalog, [("orders", "2025-01-02"), ("orders", "2025-01-03")], "run-2") == []


def test_leases_are_all_or_nothing(catalog: Catalog) -> None:
    assert take(catalog, [("orders", "b")], "run-1") == []
    assert take(catalog, [("orders", "a"), ("orders", "b")], "run-2") != []
    # run-2 did not keep 'a': a third run can take it
    assert take(catalog, [("orders", "a")], "run-3") == []


def test_lease_of_a_dead_run_is_taken_over(catalog: Catalog) -> None:
    assert take(catalog, [("orders", "a")], "run-1") == []
    assert take(catalog, [("orders", "a")], "run-2", is_alive=dead) == []
    assert owners(take(catalog, [("orders", "a")], "run-3")) == [held("orders", "a", "run-2")]


def test_release_only_drops_that_runs_leases(catalog: Catalog) -> None:
    take(catalog, [("orders", "a")], "run-1")
    take(catalog, [("orders", "b")], "run-2")
    catalog.release_leases("run-1")
    assert owners(take(catalog, [("orders", "a"), ("orders", "b")], "run-3")) == [held("orders", "b", "run-2")]


def test_release_of_some_leases_drops_only_those_of_that_run(catalog: Catalog) -> None:
    take(catalog, [("orders", "a"), ("orders", "b")], "run-1")
    take(catalog, [("orders", "c")], "run-2")
    catalog.release_leases("run-1", [("orders", "a"), ("orders", "c")])  # c is run-2's: kept
    assert owners(take(catalog, [("orders", "a"), ("orders", "b"), ("orders", "c")], "run-3")) == [
        held("orders", "b", "run-1"), held("orders", "c", "run-2"),
    ]


def test_leases_lists_every_lease_held_live_or_dead(catalog: Catalog) -> None:
    assert catalog.leases() == []
    take(catalog, [("orders", "a"), ("orders", "b")], "run-1")
    take(catalog, [("orders", "c")], "run-2")
    catalog.release_leases("run-1", [("orders", "b")])
    assert owners(sorted(catalog.leases(), key=lambda l: l.partition)) == [
        held("orders", "a", "run-1"), held("orders", "c", "run-2"),
    ]


def test_record_releases_the_lease_of_each_recorded_partition(catalog: Catalog) -> None:
    take(catalog, [("orders", "2025-01-01"), ("orders", "2025-01-02")], "run-1")
    catalog.record([attempt(partition="2025-01-01")])
    conflicts = take(catalog, [("orders", "2025-01-01"), ("orders", "2025-01-02")], "run-2")
    assert [(l.asset, l.partition) for l in conflicts] == [("orders", "2025-01-02")]


def test_a_retried_attempt_keeps_the_lease_for_the_attempt_that_follows(catalog: Catalog) -> None:
    """Recording a retried attempt released the lease, so the retry that followed was refused
    its publish ("lease lost: no run holds it now") whenever the records were flushed between."""
    take(catalog, [("orders", "2025-01-01")], "run-1")
    catalog.record([attempt(partition="2025-01-01", status="retried", attempt=1)])
    assert [(l.asset, l.partition, l.run_id) for l in catalog.leases()] == [("orders", "2025-01-01", "run-1")]
    [lease] = catalog.leases("run-1")
    assert catalog.fence(lease, lambda: "switched") == "switched"
    catalog.record([attempt(partition="2025-01-01", attempt=2)])
    assert catalog.leases() == []


def test_a_lease_taken_through_one_connection_holds_against_another(
    catalog: Catalog, open_again: Callable[[], Catalog]
) -> None:
    other = open_again()  # as another process would
    assert take(catalog, [("orders", "a")], "run-1") == []
    assert owners(take(other, [("orders", "b"), ("orders", "a")], "run-2")) == [held("orders", "a", "run-1")]
    other.record([attempt(partition="b", run_id="run-3")])
    catalog.release_leases("run-1")
    assert take(other, [("orders", "a"), ("orders", "b")], "run-2") == []
    assert catalog.snapshot().version("orders", "b") == "dv-1"


def test_snapshot_marks_partitions_leased_by_dead_runs_as_interrupted(catalog: Catalog) -> None:
    take(catalog, [("orders", "2025-01-01")], "run-1")
    take(catalog, [("summary", "")], "run-2")
    assert catalog.snapshot().interrupted == frozenset()
    snapshot = catalog.snapshot(is_alive=lambda lease: lease.run_id != "run-1")
    assert snapshot.interrupted == frozenset({("orders", "2025-01-01")})


def test_each_grant_of_a_partition_has_the_next_generation_even_after_a_release(catalog: Catalog) -> None:
    assert catalog.acquire_leases([("orders", "a"), ("orders", "b")], "run-1", 100, "box", T0, alive, T1) == []
    first = {l.partition: l for l in catalog.leases("run-1")}
    assert {k: (l.generation, l.acquired_at, l.expires_at) for k, l in first.items()} == {"a": (1, T0, T1), "b": (1, T0, T1)}
    catalog.release_leases("run-1", [("orders", "a")])
    assert take(catalog, [("orders", "a")], "run-2") == []  # after a release
    assert take(catalog, [("orders", "b")], "run-3", is_alive=dead) == []  # a takeover
    assert take(catalog, [("orders", "c")], "run-3") == []  # a first grant
    assert sorted((l.partition, l.run_id, l.generation) for l in catalog.leases()) == [
        ("a", "run-2", 2), ("b", "run-3", 2), ("c", "run-3", 1)]
    assert [l.partition for l in catalog.leases("run-3")] in (["b", "c"], ["c", "b"])


def test_a_refused_acquire_grants_nothing_and_returns_the_holders_with_their_expiry(catalog: Catalog) -> None:
    catalog.acquire_leases([("orders", "a")], "run-1", 100, "box", T0, alive, T1)
    [conflict] = catalog.acquire_leases([("orders", "a"), ("orders", "b")], "run-2", 200, "other", T1, alive, T1)
    assert (conflict.run_id, conflict.pid, conflict.host, conflict.expires_at, conflict.generation) == ("run-1", 100, "box", T1, 1)
    assert catalog.leases("run-2") == []
    assert take(catalog, [("orders", "b")], "run-3") == []
    assert catalog.leases("run-3")[0].generation == 1  # run-2's refused ask granted no generation


def test_a_heartbeat_renews_the_run_and_every_lease_it_still_holds(catalog: Catalog) -> None:
    catalog.start_run(Run(run_id="run-1", reference_time=T0, started_at=T0, pid=100, host="box", expires_at=T0))
    catalog.acquire_leases([("orders", "a"), ("orders", "b")], "run-1", 100, "box", T0, alive, T0)
    catalog.acquire_leases([("orders", "c")], "run-2", 100, "box", T0, alive, T0)
    assert catalog.run("run-1").expires_at == T0  # type: ignore[union-attr]
    assert catalog.heartbeat("run-1", T1) == 2
    assert sorted((l.partition, l.expires_at) for l in catalog.leases()) == [("a", T1), ("b", T1), ("c", T0)]
    assert catalog.run("run-1").expires_at == T1  # type: ignore[union-attr]
    take(catalog, [("orders", "a")], "run-3", is_alive=dead)  # taken over: no longer run-1's to renew
    later = "2025-01-02T00:02:00+00:00"
    assert catalog.heartbeat("run-1", later) == 1
    assert sorted((l.partition, l.run_id, l.expires_at) for l in catalog.leases()) == [
        ("a", "run-3", None), ("b", "run-1", later), ("c", "run-2", T0)]


def test_fence_switches_only_while_the_lease_is_still_held(catalog: Catalog) -> None:
    take(catalog, [("orders", "a")], "run-1")
    [lease] = catalog.leases("run-1")
    switched: list[str] = []
    assert catalog.fence(lease, lambda: switched.append("first") or "done") == "done"
    take(catalog, [("orders", "a")], "run-2", is_alive=dead)  # its lease expired: taken over
    with pytest.raises(LeaseLost) as lost:
        catalog.fence(lease, lambda: switched.append("second"))
    assert switched == ["first"]
    assert (lost.value.current.run_id, lost.value.current.generation, lost.value.taken_by) == ("run-2", 2, "run-2")  # type: ignore[union-attr]
    assert str(lost.value).startswith(f"lease lost: taken over by run run-2 at {T0} (pid 100 on box")
    catalog.release_leases("run-2")
    with pytest.raises(LeaseLost, match=r"taken over by run run-2 at \S+ \(which has released it since\)"):
        catalog.fence(lease, lambda: switched.append("third"))
    assert switched == ["first"]


def test_fence_checks_the_generation_not_only_the_run(catalog: Catalog) -> None:
    take(catalog, [("orders", "a")], "run-1")
    [lease] = catalog.leases("run-1")
    stale = Lease(lease.asset, lease.partition, lease.run_id, lease.pid, lease.host, generation=lease.generation - 1)
    with pytest.raises(LeaseLost):
        catalog.fence(stale, lambda: None)
    assert catalog.fence(lease, lambda: "ok") == "ok"


def test_fence_writes_nothing_when_the_switch_fails_and_the_catalog_stays_usable(catalog: Catalog) -> None:
    take(catalog, [("orders", "a")], "run-1")
    [lease] = catalog.leases("run-1")

    def broken() -> None:
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        catalog.fence(lease, broken)
    assert catalog.fence(lease, lambda: 7) == 7
    assert [l.run_id for l in catalog.leases()] == ["run-1"]


def test_fence_all_switches_only_while_every_lease_still_holds_and_names_the_lost_ones(catalog: Catalog) -> None:
    take(catalog, [("orders", "a"), ("orders", "b"), ("orders", "c")], "run-1")
    leases = sorted(catalog.leases("run-1"), key=lambda l: l.partition)
    switched: list[str] = []
    assert catalog.fence_all(leases, lambda: switched.append("all") or "done") == "done"
    take(catalog, [("orders", "b")], "run-2", is_alive=dead)  # one of the group taken over
    stale_c = Lease("orders", "c", "run-1", leases[2].pid, leases[2].host, generation=leases[2].generation - 1)
    with pytest.raises(LeasesLost) as refused:
        catalog.fence_all([leases[0], leases[1], stale_c], lambda: switched.append("refused"))
    assert switched == ["all"], "a group with a lost lease is not switched at all"
    assert [(l.lease.partition, l.current.run_id if l.current else None) for l in refused.value.lost] == [
        ("b", "run-2"), ("c", "run-1")]
    assert str(refused.value.lost[0]).startswith("lease lost: taken over by run run-2")
    assert catalog.fence_all([leases[0], leases[2]], lambda: switched.append("rest") or 2) == 2  # without the lost one
    assert catalog.fence_all([], lambda: "unfenced") == "unfenced"
    assert switched == ["all", "rest"]
    assert sorted((l.partition, l.run_id) for l in catalog.leases()) == [("a", "run-1"), ("b", "run-2"), ("c", "run-1")]


def test_fence_all_writes_nothing_when_the_switch_fails(catalog: Catalog) -> None:
    take(catalog, [("orders", "a"), ("orders", "b")], "run-1")
    leases = catalog.leases("run-1")

    def broken() -> None:
        raise OSError("disk gone")

    with pytest.raises(OSError, match="disk gone"):
        catalog.fence_all(leases, broken)
    assert catalog.fence_all(leases, lambda: 7) == 7
    assert sorted(l.run_id for l in catalog.leases()) == ["run-1", "run-1"]


def test_a_takeover_waits_for_a_fence_all_in_progress(catalog: Catalog, open_again: Callable[[], Catalog]) -> None:
    other = open_again()
    take(catalog, [("orders", "a"), ("orders", "b")], "run-1")
    leases = catalog.leases("run-1")
    taken: list[list[Lease]] = []

    def switch() -> str:
        thief = threading.Thread(target=lambda: taken.append(take(other, [("orders", "b")], "run-2", is_alive=dead)))
        thief.start()
        thief.join(0.5)
        assert taken == [], "the takeover landed inside the fence"
        return "switched"

    assert catalog.fence_all(leases, switch) == "switched"
    _wait_until(lambda: taken == [[]])
    with pytest.raises(LeasesLost) as refused:
        catalog.fence_all(leases, lambda: None)
    assert [l.lease.partition for l in refused.value.lost] == ["b"]


def test_a_takeover_from_another_connection_waits_for_a_fence_in_progress(
    catalog: Catalog, open_again: Callable[[], Catalog]
) -> None:
    other = open_again()  # another process, about to take over the expired lease
    take(catalog, [("orders", "a")], "run-1")
    [lease] = catalog.leases("run-1")
    taken: list[list[Lease]] = []
    in_switch = threading.Event()

    def switch() -> str:
        in_switch.set()
        thief = threading.Thread(target=lambda: taken.append(take(other, [("orders", "a")], "run-2", is_alive=dead)))
        thief.start()
        thief.join(0.5)
        assert taken == [], "the takeover landed inside the fence"
        return "switched"

    assert catalog.fence(lease, switch) == "switched"
    _wait_until(lambda: taken == [[]])
    assert [(l.run_id, l.generation) for l in catalog.leases()] == [("run-2", 2)]
    with pytest.raises(LeaseLost):
        catalog.fence(lease, lambda: None)


def _wait_until(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_an_attempt_of_a_run_whose_lease_was_taken_over_is_history_only(catalog: Catalog) -> None:
    take(catalog, [("orders", "a")], "run-1")
    take(catalog, [("orders", "a")], "run-2", is_alive=dead)
    catalog.record([attempt(partition="a", run_id="run-2", data_version="dv-new")])
    late = [attempt(partition="a", run_id="run-1", data_version="dv-old"),
            attempt(partition="a", run_id="run-1", status="failed", error="lease lost", failure="lease")]
    catalog.record(late)
    state = catalog.snapshot().state("orders", "a")
    assert state is not None and (state.data_version, state.last_status, state.last_run) == ("dv-new", "published", "run-2")
    assert [m.run_id for m in catalog.materializations(partition="a")] == ["run-1", "run-1", "run-2"]
    # A partition never leased has no grant: its attempts change its state as before.
    catalog.record([attempt(partition="b", run_id="run-9", data_version="dv-b")])
    assert catalog.snapshot().version("orders", "b") == "dv-b"


def test_a_run_records_its_expiry(catalog: Catalog) -> None:
    catalog.start_run(Run(run_id="run-1", reference_time=T0, started_at=T0, pid=1, host="box", expires_at=T1))
    assert catalog.run("run-1").expires_at == T1  # type: ignore[union-attr]
    assert catalog.runs()[0].expires_at == T1


# -- runs --------------------------------------------------------------------------------


def test_runs_are_started_finished_and_marked_interrupted(catalog: Catalog) -> None:
    for run_id, started in (("run-a", T0), ("run-b", T1)):
        catalog.start_run(Run(run_id=run_id, reference_time=T0, started_at=started, pid=1, host="box"))
    catalog.finish_run("run-a", "succeeded", T1, {"published": 3})
    assert [r.run_id for r in catalog.runs()] == ["run-b", "run-a"]
    finished = catalog.run("run-a")
    assert finished is not None
    assert (finished.status, finished.ended_at, finished.counts) == ("succeeded", T1, {"published": 3})
    assert catalog.mark_interrupted(lambda run: False, T1) == ["run-b"]
    assert catalog.run("run-b").status == "interrupted"  # type: ignore[union-attr]
    assert catalog.run("nope") is None
    assert set(catalog.run_ids_like("run-")) == {"run-a", "run-b"}
    assert catalog.run_ids_like("run-b") == ["run-b"]
    assert catalog.run_ids_like("%") == [] and catalog.run_ids_like("run_") == []  # no pattern characters


# -- observations, dynamic keys, quarantine, assets -----------------------------------------


def test_the_latest_observation_of_each_source_partition_is_in_the_snapshot(catalog: Catalog) -> None:
    catalog.record_observations([("landing", "2025-01-01", "v1"), ("landing", "2025-01-02", "v1")], T0)
    catalog.record_observations(iter([("landing", "2025-01-01", "v2")]), T1)
    assert catalog.snapshot().observed == {"landing": {"2025-01-01": "v2", "2025-01-02": "v1"}}


def test_dynamic_keys_keep_the_order_they_were_added_in(catalog: Catalog) -> None:
    assert catalog.dynamic_keys() == {}
    assert catalog.add_dynamic_keys("regions", ["eu", "us", "eu"], T0) == ["eu", "us"]
    assert catalog.add_dynamic_keys("regions", iter(["us", "apac", "latam"]), T1) == ["apac", "latam"]
    assert catalog.add_dynamic_keys("shops", ["s1"], T1) == ["s1"]
    assert catalog.remove_dynamic_keys("regions", ["latam", "nowhere", "eu"]) == ["latam", "eu"]
    assert catalog.dynamic_keys() == {"regions": ["us", "apac"], "shops": ["s1"]}
    assert catalog.snapshot().dynamic_keys == {"regions": ["us", "apac"], "shops": ["s1"]}  # the planner's keys
    assert catalog.add_dynamic_keys("regions", ["eu"], T1) == ["eu"]
    assert catalog.dynamic_keys()["regions"] == ["us", "apac", "eu"]  # after the existing ones


def test_quarantined_gives_the_last_attempt_of_each_partition_in_quarantine_oldest_first(catalog: Catalog) -> None:
    failing = CheckRecord(check="unique(id)", severity="blocking", passed=False, observed=1)
    catalog.record([attempt(partition="2025-01-02", status="quarantined", checks=(failing,))])
    catalog.record([attempt(partition="2025-01-01", status="quarantined", run_id="run-2")])
    catalog.record([attempt(partition="2025-01-03", status="quarantined", run_id="run-2")])
    catalog.record([attempt(partition="2025-01-03", run_id="run-3")])  # released: published since
    found = catalog.quarantined()
    assert [(q.partition, q.run_id) for q in found] == [("2025-01-02", "run-1"), ("2025-01-01", "run-2")]
    assert found[0].checks == (failing,)


def test_assets_are_recorded_again_without_error_when_unchanged_or_changed(catalog: Catalog) -> None:
    row = {"name": "orders", "kind": "python", "code_version": "cv-1", "partitions": None, "inputs": "raw"}
    catalog.upsert_assets([row], T0)  # type: ignore[list-item]
    catalog.upsert_assets(iter([row, {**row, "name": "raw", "inputs": ""}]), T1)  # type: ignore[list-item]
    catalog.upsert_assets([{**row, "code_version": "cv-2"}], T1)  # type: ignore[list-item]


def test_a_changed_grain_keeps_the_grain_each_published_partition_was_published_under(catalog: Catalog) -> None:
    def assets(grain: str | None) -> None:
        catalog.upsert_assets([{"name": "orders", "kind": "python", "code_version": "cv-1", "partitions": grain,
                                "inputs": "", "partitions_grain": grain}], T0)

    assets("daily@UTC")
    catalog.record([attempt(partition="2025-01-06"), attempt(partition="2025-01-07")])
    snapshot = catalog.snapshot()
    assert (snapshot.grains, snapshot.published_grains) == ({"orders": "daily@UTC"}, {})
    assert snapshot.published_grain("orders", "2025-01-06") == "daily@UTC"

    assets("weekly@UTC")  # daily -> weekly: both partitions were published under the days
    catalog.record([attempt(partition="2025-01-06", run_id="run-2", data_version="dv-2")])  # rebuilt as a week
    snapshot = catalog.snapshot()
    assert snapshot.grains == {"orders": "weekly@UTC"}
    assert snapshot.published_grains == {"orders": {"2025-01-07": "daily@UTC"}}
    assert snapshot.published_grain("orders", "2025-01-06") == "weekly@UTC"

    assets("daily@UTC")  # and back: the week is the odd one now, the day it was built as again
    snapshot = catalog.snapshot()
    assert snapshot.published_grains == {"orders": {"2025-01-06": "weekly@UTC"}}
    assert snapshot.published_grain("orders", "2025-01-07") == "daily@UTC"


# -- opening -------------------------------------------------------------------------------


def test_a_new_catalog_is_at_the_latest_schema_version_and_empty(catalog: Catalog) -> None:
    assert catalog.schema_version() == LATEST
    assert (catalog.runs(), catalog.materializations(), catalog.dynamic_keys()) == ([], [], {})
    assert catalog.snapshot().partitions == {} and catalog.published_summary() == {}


def test_reopening_a_catalog_does_not_migrate_again_and_keeps_its_data(
    catalog: Catalog, open_again: Callable[[], Catalog]
) -> None:
    catalog.record([attempt()])
    catalog.close()
    again = open_again()
    assert again.schema_version() == LATEST
    assert again.snapshot().version("orders", "2025-01-01") == "dv-1"


def test_a_reader_sees_the_previous_state_while_a_write_is_in_progress(
    catalog: Catalog, open_again: Callable[[], Catalog]
) -> None:
    catalog.record([attempt(data_version="dv-1")])
    reader = open_again()
    seen: list[str | None] = []
    catalog.record(
        [attempt(data_version="dv-2", run_id="run-2")],
        before_commit=lambda: seen.append(reader.snapshot().version("orders", "2025-01-01")),
    )
    assert seen == ["dv-1"]
    assert reader.snapshot().version("orders", "2025-01-01") == "dv-2"


def test_open_catalog_refuses_an_unsupported_url(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="Catalog URL 'mysql://db/assets' uses 'mysql'.*use sqlite:///"):
        open_catalog("mysql://db/assets", tmp_path)


# -- the SQLite backend: its file ------------------------------------------------------------


@sqlite_only
def test_a_new_sqlite_catalog_is_a_file_holding_every_table(catalog: Catalog, tmp_path: Path) -> None:
    assert isinstance(catalog, SqliteCatalog)
    assert {"schema_version", "assets", "runs", "materializations", "partitions", "check_results", "leases",
            "dynamic_partitions", "observations"} <= tables(tmp_path / "catalog.db")


@sqlite_only
def test_each_migration_is_recorded_once_however_often_the_file_is_opened(
    catalog: Catalog, open_again: Callable[[], Catalog], tmp_path: Path
) -> None:
    open_again().close()
    connection = sqlite3.connect(tmp_path / "catalog.db")
    try:
        assert connection.execute("SELECT version FROM schema_version").fetchall() == [(v,) for v in range(1, LATEST + 1)]
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


@sqlite_only
def test_wal_mode_is_on(catalog: Catalog, tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "catalog.db")
    try:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    finally:
        connection.close()


# -- the SQLite backend: files it refuses -----------------------------------------------


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
        assert isinstance(opened, SqliteCatalog)
        assert Path(opened.path) == tmp_path / ".assets" / "catalog.db"
        assert (tmp_path / ".assets" / "catalog.db").exists()
    finally:
        opened.close()


# -- the interface and the boundaries -------------------------------------------------------


def test_every_backend_satisfies_the_interface(catalog: Catalog) -> None:
    """At run time, by method names; mypy checks the signatures where ``open_catalog`` returns
    a SqliteCatalog as a Catalog."""
    assert isinstance(catalog, Catalog)


def test_the_interface_documents_every_method_with_its_contract() -> None:
    methods = [name for name in vars(Catalog) if not name.startswith("_") and callable(getattr(Catalog, name))]
    assert [name for name in methods if len((getattr(Catalog, name).__doc__ or "").split()) < 5] == []
    assert [name for name in methods if not callable(getattr(SqliteCatalog, name, None))] == []


def test_outside_the_catalog_package_the_engine_names_only_the_interface() -> None:
    naming = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "assets_core").rglob("*.py")
        if not path.is_relative_to(ROOT / "assets_core" / "catalog")
        and re.search(r"\bSqliteCatalog\b", path.read_text(encoding="utf-8"))
    )
    assert naming == []


def test_inside_the_catalog_package_only_open_catalog_names_the_sqlite_backend() -> None:
    """...and the PostgreSQL backend, which is the SQLite backend's SQL over a pool (postgres.py)."""
    package = ROOT / "assets_core" / "catalog"
    naming = sorted(p.name for p in package.glob("*.py") if re.search(r"\bSqliteCatalog\b", p.read_text(encoding="utf-8")))
    assert naming == ["interface.py", "postgres.py", "postgres_connection.py", "sqlite.py"]
    interface = ast.parse((package / "interface.py").read_text(encoding="utf-8"))
    named_in = {
        function.name
        for function in ast.walk(interface) if isinstance(function, ast.FunctionDef)
        for node in ast.walk(function) if isinstance(node, ast.Name) and node.id == "SqliteCatalog"
    }
    assert named_in == {"open_catalog"}


def test_the_catalog_package_imports_nothing_else_from_assets_core() -> None:
    imported = set()
    for path in (ROOT / "assets_core" / "catalog").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                imported.add((path.name, node.module))
            elif isinstance(node, ast.Import):
                imported.update((path.name, alias.name) for alias in node.names)
    outside = sorted(
        (name, module) for name, module in imported
        if module.split(".")[0] == "assets_core" and not module.startswith("assets_core.catalog")
    )
    assert outside == []
    assert ("interface.py", "assets_core.catalog.sqlite") in imported  # the walk sees imports in functions


def test_warned_partitions_counts_the_published_partitions_whose_publish_failed_a_warn_check(catalog: Catalog) -> None:
    warned = CheckRecord(check="many_views", severity="warn", passed=False, observed=2, message="2 of 2 rows fail")
    passed = CheckRecord(check="many_views", severity="warn", passed=True, observed=0, message="ok")
    blocking = CheckRecord(check="not_null(id)", severity="blocking", passed=False, observed=1, message="1 null")
    catalog.record([
        attempt(partition="2025-01-01", checks=(warned,)),
        attempt(partition="2025-01-02", checks=(passed,)),
        attempt(partition="2025-01-03", status="quarantined", checks=(warned, blocking)),  # not published
        attempt(asset="summary", partition="", checks=(passed,)),
    ])
    assert catalog.warned_partitions() == {"orders": 1}
    catalog.record([attempt(partition="2025-01-02", run_id="run-2", data_version="dv-2", checks=(warned,))])
    assert catalog.warned_partitions() == {"orders": 2}
    catalog.record([attempt(partition="2025-01-01", run_id="run-3", data_version="dv-3", checks=(passed,))])
    assert catalog.warned_partitions() == {"orders": 1}  # republished without the warning
