"""The plan as `assets plan` prints it: its last line stays one readable line at scale."""

from __future__ import annotations

import pytest

from assets_core import DailyPartitions, asset
from assets_core.cli.plan import render_plan
from assets_core.graph import build_graph
from assets_core.planning.plan import Cause, Plan, Reason, Step
from assets_core.reports.plan import step_ranges
from snapshot_helpers import utc


def test_the_last_line_names_the_first_assets_and_counts_the_rest(capsys: pytest.CaptureFixture[str]) -> None:
    specs = []
    for i in range(15):
        namespace: dict[str, object] = {}
        exec(f"def a{i:02d}(): ...", namespace)
        specs.append(asset(namespace[f"a{i:02d}"]))
    graph = build_graph(specs)
    steps = [Step(f"a{i:02d}", "", Reason(Cause.MISSING, "never published")) for i in range(15)]
    render_plan(graph, Plan(steps, utc(2025, 1, 1)))
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == ("15 partitions to materialize (a00 1, a01 1, a02 1, a03 1, a04 1, a05 1, a06 1, a07 1, "
                    "a08 1, a09 1, a10 1, a11 1, and 3 more assets).")


def test_consecutive_keys_with_one_cause_make_one_range() -> None:
    def daily():  # unannotated: no return type to check
        ...

    graph = build_graph([asset(partitions=DailyPartitions(start="2025-01-01", end="2025-02-01"))(daily)])
    missing = [Step("daily", f"2025-01-0{d}", Reason(Cause.MISSING, f"2025-01-0{d} was never published")) for d in (1, 2, 3)]
    steps = [*missing,
             Step("daily", "2025-01-05", Reason(Cause.MISSING, "never published")),  # a gap: a new range
             Step("daily", "2025-01-06", Reason(Cause.CODE_CHANGED, "code changed"))]  # another cause: a new range
    ranges = step_ranges(graph, steps)
    assert [(r.keys, r.count, r.cause, r.detail) for r in ranges] == [
        ("2025-01-01..2025-01-03", 3, Cause.MISSING, "never published"),  # the general detail of the cause
        ("2025-01-05", 1, Cause.MISSING, "never published"),
        ("2025-01-06", 1, Cause.CODE_CHANGED, "code changed"),
    ]
