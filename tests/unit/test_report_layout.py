"""The HTML report's layout and partition calendar: pure values."""

from __future__ import annotations

import itertools
import random
from datetime import UTC

from assets_core import DailyPartitions, HourlyPartitions, MonthlyPartitions
from assets_core.reports.html.calendar import calendar
from assets_core.reports.html.layout import NODE_HEIGHT, crossings, layout
from assets_core.reports.html.render import embed_json


def columns_of(placed, order):
    by_layer: dict[int, list[str]] = {}
    for name in sorted(order, key=lambda n: (placed.layer[n], placed.rank[n])):
        by_layer.setdefault(placed.layer[name], []).append(name)
    return [by_layer[i] for i in sorted(by_layer)]


def test_layers_are_the_longest_path_from_a_source() -> None:
    placed = layout(["a", "b", "c", "d"], [("a", "b"), ("b", "c"), ("a", "c"), ("d", "d")])
    assert placed.layer == {"a": 0, "b": 1, "c": 2, "d": 0}
    assert placed.x["a"] < placed.x["b"] < placed.x["c"]
    assert abs(placed.y["a"] - placed.y["d"]) >= NODE_HEIGHT  # never on top of each other


def test_barycentre_sweeps_untangle_a_crossed_ladder() -> None:
    # Sources in one order, their readers in the reverse one: every pair of edges crosses.
    order = ["s0", "s1", "s2", "s3", "t3", "t2", "t1", "t0"]
    edges = [(f"s{i}", f"t{i}") for i in range(4)]
    assert crossings([order[:4], order[4:]], edges) == 6
    placed = layout(order, edges)
    assert crossings(columns_of(placed, order), edges) == 0


def test_sweeps_do_not_add_crossings_on_random_graphs() -> None:
    rng = random.Random(3)
    for _ in range(20):
        order = [f"n{i}" for i in range(40)]
        edges = [(order[j], order[i]) for i in range(5, 40) for j in rng.sample(range(i), k=2)]
        placed = layout(order, edges)
        naive: dict[int, list[str]] = {}
        for name in order:
            naive.setdefault(placed.layer[name], []).append(name)
        before = crossings([naive[i] for i in sorted(naive)], edges)
        assert crossings(columns_of(placed, order), edges) <= before


def test_daily_calendar_puts_each_day_under_its_weekday() -> None:
    days = DailyPartitions("2024-12-30", "2025-01-07")  # Monday 30 Dec to Monday 6 Jan
    grid = calendar(days, days.keys())
    assert grid is not None
    cells = [(c // grid["cols"], c % grid["cols"]) for c in grid["cells"]]
    assert cells[:2] == [(0, 52), (1, 52)]  # Monday and Tuesday of the last week of 2024
    assert cells[2:] == [(8 + weekday, 0) for weekday in range(2, 7)] + [(8, 1)]  # 2025's block
    assert len(set(grid["cells"])) == len(grid["cells"])


def test_hourly_calendar_keeps_the_repeated_hour_when_clocks_go_back() -> None:
    hours = HourlyPartitions("2025-10-26", "2025-10-27", timezone="Europe/Berlin")
    keys = hours.keys()
    grid = calendar(hours, keys)
    assert grid is not None and len(keys) == 25
    assert len(set(grid["cells"])) == 25  # no two partitions in one cell


def test_monthly_calendar_is_a_row_per_year() -> None:
    months = MonthlyPartitions("2024-11-01", "2025-03-01")
    grid = calendar(months, months.keys())
    assert grid is not None and grid["cols"] == 12 and grid["cells"] == [10, 11, 12, 13]


def test_embedded_json_cannot_close_its_script_block() -> None:
    hostile = ["</script><script>alert(1)</script>", "<!--", "a & b", "\u2028", "-->"]
    for text in itertools.chain(hostile, ["".join(hostile)]):
        embedded = embed_json({"t": text})
        assert "<" not in embedded and ">" not in embedded and "&" not in embedded and "\u2028" not in embedded
        import json

        assert json.loads(embedded) == {"t": text}


def test_crossings_counts_pairs_in_opposite_orders() -> None:
    rng = random.Random(5)
    for _ in range(50):
        top, bottom = [f"u{i}" for i in range(6)], [f"d{i}" for i in range(6)]
        edges = list({(rng.choice(top), rng.choice(bottom)) for _ in range(10)})
        rank = {name: i for i, name in enumerate(top + bottom)}
        by_hand = sum(1 for (a, b), (c, d) in itertools.combinations(edges, 2)
                      if (rank[a] - rank[c]) * (rank[b] - rank[d]) < 0)
        assert crossings([top, bottom], edges) == by_hand


def test_report_data_of_a_selection_given_as_an_iterator() -> None:
    from datetime import datetime

    from assets_core import asset
    from assets_core.catalog import open_catalog
    from assets_core.graph import build_graph
    from assets_core.reports.html.data import report_data

    @asset
    def a():  # type: ignore[no-untyped-def]
        ...

    @asset
    def b(a):  # type: ignore[no-untyped-def]
        ...

    graph = build_graph([a, b])
    catalog = open_catalog("sqlite:///:memory:", ".")
    data = report_data(graph, catalog.snapshot(), catalog, iter(["b", "a"]), datetime(2025, 1, 1, tzinfo=UTC), "p")
    catalog.close()
    assert [entry["name"] for entry in data["assets"]] == ["a", "b"] and data["edges"] == [[0, 1, "all"]]
    assert [entry["strip"] for entry in data["assets"]] == ["m", "m"]


def test_last_runs_say_which_run_the_attempts_read_may_cut() -> None:
    from assets_core.catalog.models import Materialization, Run
    from assets_core.reports.html.data import ATTEMPTS_READ, last_runs

    def attempt(run: str, i: int) -> Materialization:
        return Materialization(run_id=run, asset="a", partition=f"p{i}", status="published",
                               started_at="2025-01-01T00:00:00+00:00", ended_at="2025-01-01T00:00:01+00:00", rows=1)

    runs = [Run(run_id=r, reference_time="2025-01-01T00:00:00+00:00", started_at=f"2025-01-0{d}T00:00:00+00:00",
                status="succeeded") for r, d in (("old", 1), ("new", 2))]
    newest_first = [attempt("new", i) for i in range(3)] + [attempt("old", i) for i in range(ATTEMPTS_READ - 3)]
    shown = last_runs("a", newest_first, runs)
    assert [(r["run_id"], r["partitions"], r["seconds"], r["complete"]) for r in shown] == [
        ("new", 3, 3.0, True), ("old", ATTEMPTS_READ - 3, ATTEMPTS_READ - 3.0, False)]
    assert all(r["complete"] for r in last_runs("a", newest_first[:-1], runs))
