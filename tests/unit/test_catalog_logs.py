"""Attempt logs through the catalog's interface, once per backend (tests/catalog_backends.py):
written with their attempt in one transaction, read back by run, asset and partition, and
absent for attempts that said nothing."""

from __future__ import annotations

import pytest

from assets_core.catalog import AttemptLogs, Catalog, LogRecord, Materialization
from catalog_backends import catalog, catalog_url, open_again  # noqa: F401 (fixtures)

T0 = "2025-01-02T00:00:00+00:00"
T1 = "2025-01-02T00:01:00+00:00"
SAID = AttemptLogs(records=(LogRecord(level="INFO", time="2025-01-02T00:00:01.000+00:00", message="reading 'x'"),
                            LogRecord(level="WARNING", time="2025-01-02T00:00:02.000+00:00", message="two\nlines")),
                   stdout="printed\n", stderr=None, traceback="Traceback (most recent call last):\nValueError: no\n")


def attempt(partition: str, status: str = "failed", run_id: str = "run-1", logs: AttemptLogs | None = None,
            asset: str = "orders", number: int = 1) -> Materialization:
    return Materialization(run_id=run_id, asset=asset, partition=partition, status=status,  # type: ignore[arg-type]
                           started_at=T0, ended_at=T1, error="ValueError: no" if status != "published" else None,
                           data_version="dv" if status == "published" else None, attempt=number, logs=logs)


def test_logs_are_read_back_by_run_asset_and_partition_in_the_order_recorded(catalog: Catalog) -> None:
    catalog.record([
        attempt("2025-01-01", "retried", logs=SAID.model_copy(update={"stdout": "first try\n"})),
        attempt("2025-01-01", logs=SAID, number=2),
        attempt("2025-01-02", "published"),  # said nothing
        attempt("2025-01-02", "published", asset="clean", logs=AttemptLogs(stdout="clean\n")),
        attempt("2025-01-01", run_id="run-2", logs=AttemptLogs(stderr="other run\n")),
    ])
    every = catalog.attempt_logs("run-1")
    assert [(a.asset, a.partition, a.attempt, a.status) for a in every] == [
        ("orders", "2025-01-01", 1, "retried"), ("orders", "2025-01-01", 2, "failed"), ("clean", "2025-01-02", 1, "published")]
    assert every[1].logs == SAID and every[1].error == "ValueError: no"
    assert every[0].logs is not None and every[0].logs.stdout == "first try\n"
    assert [a.asset for a in catalog.attempt_logs("run-1", "clean")] == ["clean"]
    assert [a.attempt for a in catalog.attempt_logs("run-1", "orders", "2025-01-01")] == [1, 2]
    assert catalog.attempt_logs("run-1", "orders", "2025-01-02") == []
    assert catalog.attempt_logs("run-3") == []
    only = catalog.attempt_logs("run-2")
    assert len(only) == 1 and only[0].logs == AttemptLogs(stderr="other run\n")


def test_materializations_leave_logs_out(catalog: Catalog) -> None:
    catalog.record([attempt("2025-01-01", logs=SAID)])
    assert [a.logs for a in catalog.materializations(run_id="run-1")] == [None]


def test_logs_are_written_in_the_attempts_transaction(catalog: Catalog) -> None:
    def crash() -> None:
        raise RuntimeError("killed before the commit")

    with pytest.raises(RuntimeError):
        catalog.record([attempt("2025-01-01", logs=SAID)], crash)
    assert catalog.attempt_logs("run-1") == []
    catalog.record([attempt("2025-01-01", logs=SAID)])
    assert len(catalog.attempt_logs("run-1")) == 1


def test_text_with_quotes_and_control_characters_is_stored_as_it_was(catalog: Catalog) -> None:
    hostile = AttemptLogs(records=(LogRecord(level="INFO", time=T0, message="'); DROP TABLE runs; --\x1b[2J"),),
                          stdout="\x07é\n")
    catalog.record([attempt("2025-01-01", logs=hostile)])
    assert catalog.attempt_logs("run-1")[0].logs == hostile
