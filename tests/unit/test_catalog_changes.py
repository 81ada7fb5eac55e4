"""What incremental planning asks of a catalog, on every backend: the history mark, the
changes since one, a snapshot of only some partitions, and status counts of some assets."""

from __future__ import annotations

from collections.abc import Callable

from catalog_backends import catalog, catalog_url, open_again  # noqa: F401 (fixtures)

from assets_core.catalog import Catalog, ChangeMark
from assets_core.catalog.models import CheckRecord, Materialization

AT = "2025-01-05T00:00:00+00:00"


def _attempt(asset: str, key: str, status: str = "published", run: str = "run-1", **fields: object) -> Materialization:
    published = status == "published"
    return Materialization(run_id=run, asset=asset, partition=key, status=status, started_at=AT, ended_at=AT,  # type: ignore[arg-type]
                           code_version="c1", data_version=f"{asset}[{key}]@{run}" if published else None,
                           rows=1 if published else None, error=None if published else "boom", **fields)


def test_changes_since_a_mark_are_the_partitions_attempted_or_observed_after_it(catalog: Catalog) -> None:
    assert catalog.snapshot().mark == ChangeMark()
    catalog.record([_attempt("orders", "2025-01-01"), _attempt("orders", "2025-01-02")])
    mark = catalog.snapshot().mark
    assert mark is not None and mark.attempt > 0 and mark.attempt_of == ("orders", "2025-01-02")
    assert catalog.changes_since(mark, 100) == (mark, set())
    catalog.record([_attempt("orders", "2025-01-02", "failed", run="run-2"), _attempt("clean", "2025-01-01")])
    catalog.record_observations([("events", "eu", "v1")], AT)
    now, changed = catalog.changes_since(mark, 100) or (None, None)
    assert changed == {("orders", "2025-01-02"), ("clean", "2025-01-01"), ("events", "eu")}
    assert now == catalog.snapshot().mark and now != mark
    assert catalog.changes_since(ChangeMark(), 2) is None, "more partitions changed than the limit"


def test_a_mark_this_catalog_does_not_hold_is_refused(catalog: Catalog, open_again: Callable[[], Catalog]) -> None:
    catalog.record([_attempt("orders", "2025-01-01")])
    mark = catalog.snapshot().mark
    assert mark is not None
    other = ChangeMark(mark.attempt, ("orders", "2025-01-09"), 0, None)  # another history at the same number
    assert catalog.changes_since(other, 100) is None
    assert catalog.changes_since(ChangeMark(mark.attempt + 5, ("orders", "2025-01-01")), 100) is None  # a later one
    assert open_again().changes_since(mark, 100) == (mark, set())


def test_a_snapshot_of_only_some_partitions_reads_those_as_a_whole_snapshot_does(catalog: Catalog) -> None:
    keys = [f"2025-01-0{i}" for i in range(1, 6)]
    catalog.record([_attempt("orders", k) for k in keys] + [_attempt("clean", k) for k in keys])
    catalog.record([_attempt("orders", "2025-01-03", "failed", run="run-2")])
    catalog.record_observations([("orders", "2025-01-04", "v1"), ("orders", "2025-01-04", "v2")], AT)
    whole = catalog.snapshot()
    part = catalog.snapshot(only={"orders": ["2025-01-03", "2025-01-04", "2025-01-09"], "clean": None, "report": None},
                            counted=["orders"])
    assert part.partial and not whole.partial
    assert set(part.partitions["orders"]) == {"2025-01-03", "2025-01-04"}  # a key with no state is left out
    for key in ("2025-01-03", "2025-01-04"):
        assert part.state("orders", key) == whole.state("orders", key)
    assert dict(part.partitions["clean"]) == dict(whole.partitions["clean"])
    assert part.observed == {"orders": {"2025-01-04": "v2"}}
    assert part.sizes == {"orders": 5, "clean": 5, "report": 0}  # counted, or read whole
    assert part.mark == whole.mark and part.dynamic_keys == whole.dynamic_keys


def test_status_counts_of_some_assets_are_those_of_all(catalog: Catalog) -> None:
    warn = CheckRecord(check="rows_between", severity="warn", passed=False, observed=0, message="few", duration=0.0)
    catalog.record([_attempt("orders", "2025-01-01", checks=(warn,)), _attempt("orders", "2025-01-02"),
                    _attempt("clean", "2025-01-01", "failed")])
    every, warned = catalog.published_summary(), catalog.warned_partitions()
    assert every["orders"] == (2, AT) and every["clean"] == (0, None) and warned == {"orders": 1}
    assert catalog.published_summary(["clean"]) == {"clean": every["clean"]}
    assert catalog.warned_partitions(["orders"]) == warned and catalog.warned_partitions(["clean"]) == {}
    assert catalog.published_summary([]) == {}
