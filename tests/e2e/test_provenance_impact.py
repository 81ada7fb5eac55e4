"""`assets lineage ASSET --partition KEY` and `assets impact` through the real CLI: on the
grains project (lookback, cross-grain, all, its own past, a source), after one day's source
data changed and only that day was rebuilt; the printed rebuild commands run and rebuild
exactly what impact listed; --column through column lineage; the JSON shapes; one-line errors."""

from __future__ import annotations

import shlex
from typing import Any

import pytest
from cli_project import DAY, PROJECTS, Project, copy_project

CHANGED = "2025-01-15"

NODE_KEYS = {"asset", "partition", "data_version", "depth", "run_id", "published_at", "current", "replaced_by",
             "current_version", "observed", "inputs"}
ASSET_KEYS = {"asset", "depth", "partitions", "count", "current", "stale", "missing", "stale_partitions",
              "missing_partitions", "columns"}


@pytest.fixture(scope="module")
def _built(tmp_path_factory: pytest.TempPathFactory) -> Project:
    project = copy_project(PROJECTS / "grains", tmp_path_factory.mktemp("grains") / "grains")
    project.ok("materialize", "--workers", "2")
    return project


@pytest.fixture
def grains(_built: Project, tmp_path: Any) -> Project:
    """Everything published once; then the 15th's landing file changed, observed, and only
    sales[15] rebuilt: daily[15] was built from the version sales[15] had before."""
    project = copy_project(_built.root, tmp_path / "grains", with_state=True)
    (project.root / "landing" / f"{CHANGED}.csv").write_text("amount\n100\n5\n")
    project.ok("observe")
    project.ok("materialize", "--select", "sales", "--partitions", CHANGED)
    return project


def runs(project: Project) -> list[str]:
    """Run ids, oldest first."""
    return [run["run_id"] for run in reversed(project.json("runs"))]


def published_by(project: Project, run_id: str) -> set[tuple[str, str]]:
    rows = project.catalog("SELECT asset, partition FROM materializations WHERE run_id = ? AND status = 'published'",
                           (run_id,))
    return {(asset, key) for asset, key in rows}


def test_lineage_of_a_partition_follows_the_versions_it_read_down_to_the_source(grains: Project) -> None:
    build, rebuild = runs(grains)
    tree = grains.json("lineage", "rolling", "--partition", "2025-01-20")
    assert set(tree) == {"asset", "partition", "data_version", "depth", "truncated", "partitions"}
    assert (tree["asset"], tree["partition"], tree["depth"], tree["truncated"]) == ("rolling", "2025-01-20", None, False)
    nodes = tree["partitions"]
    assert all(set(node) == NODE_KEYS for node in nodes)
    assert [(n["asset"], n["partition"], n["depth"]) for n in nodes] == [
        ("rolling", "2025-01-20", 0),
        *(("daily", f"2025-01-{d}", 1) for d in range(13, 21)),
        *(("sales", f"2025-01-{d}", 2) for d in range(13, 21)),
    ]
    versions = grains.published_versions()
    root = nodes[0]
    assert root["data_version"] == tree["data_version"] == versions[("rolling", "2025-01-20")]
    assert root["inputs"] == [{"asset": "daily", "partition": f"2025-01-{d}", "data_version": versions[("daily", f"2025-01-{d}")]}
                              for d in range(13, 21)]
    old_sales = next(n for n in nodes if n["asset"] == "sales" and n["partition"] == CHANGED)
    assert (old_sales["current"], old_sales["run_id"]) == (False, build)
    assert old_sales["data_version"] != versions[("sales", CHANGED)]
    assert old_sales["replaced_by"]["data_version"] == versions[("sales", CHANGED)]
    assert old_sales["replaced_by"]["run_id"] == rebuild and old_sales["current_version"] == old_sales["replaced_by"]
    assert old_sales["observed"] == "generated"  # the version of its source it was built from
    others = [n for n in nodes if n is not old_sales]
    assert all(n["current"] and n["run_id"] == build and n["replaced_by"] is None for n in others)

    shallow = grains.json("lineage", "rolling", "--partition", "2025-01-20", "--depth", "1")
    assert shallow["truncated"] and {n["asset"] for n in shallow["partitions"]} == {"rolling", "daily"}

    whole = grains.json("lineage", "overall", "--partition", "", "--depth", "1")  # unpartitioned: its one partition
    assert [(n["asset"], n["partition"]) for n in whole["partitions"]] == [("overall", ""), ("monthly", "2025-01"),
                                                                          ("monthly", "2025-02")]

    text = grains.ok("lineage", "running_total", "--partition", "2025-01-03").stdout
    assert "running_total[2025-01-02]" in text and "sales[2025-01-01]" in text and "current" in text
    assert "replaced by" in grains.ok("lineage", "daily", "--partition", CHANGED).stdout


def test_impact_counts_what_read_the_old_version_and_its_commands_rebuild_exactly_that(grains: Project) -> None:
    report = grains.json("impact", "sales", "--partition", CHANGED)
    assert set(report) == {"asset", "partitions", "column", "reference_time", "affected", "assets", "commands", "exact"}
    assert (report["asset"], report["partitions"], report["column"], report["exact"]) == ("sales", [CHANGED], None, True)
    by_asset = {item["asset"]: item for item in report["assets"]}
    assert all(set(item) == ASSET_KEYS for item in report["assets"])
    expected = {
        "daily": [CHANGED],
        "monthly": ["2025-01"],
        "overall": [""],
        "rolling": [f"2025-01-{d}" for d in range(15, 23)],
        "running_total": [f"2025-01-{d}" for d in range(15, 32)] + [f"2025-02-{d:02d}" for d in range(1, 29)],
    }
    assert {a: item["partitions"] for a, item in by_asset.items()} == expected
    assert [item["asset"] for item in report["assets"]] == ["daily", "monthly", "overall", "rolling", "running_total"]
    # only daily[15] read sales[15], rebuilt since; the others read daily, unchanged
    assert (by_asset["daily"]["stale"], by_asset["daily"]["stale_partitions"], by_asset["daily"]["current"]) == (1, [CHANGED], 0)
    assert all(by_asset[a]["stale"] == 0 and by_asset[a]["current"] == by_asset[a]["count"] for a in expected if a != "daily")
    assert report["affected"] == {"assets": 5, "partitions": 56, "current": 55, "stale": 1, "missing": 0}
    assert by_asset["rolling"]["depth"] == 2 and by_asset["daily"]["depth"] == 1

    before = set(runs(grains))
    for line in report["commands"]:
        argv = shlex.split(line)
        assert argv[:2] == ["assets", "materialize"]
        grains.ok(*argv[1:])
    rebuilt: set[tuple[str, str]] = set()
    for run_id in (r for r in runs(grains) if r not in before):
        published = published_by(grains, run_id)
        assert not published & rebuilt
        rebuilt |= published
    assert rebuilt == {("sales", CHANGED)} | {(a, k) for a, keys in expected.items() for k in keys}
    assert grains.json("plan")["steps"] == []  # and nothing else was left stale
    after = grains.json("impact", "sales", "--partition", CHANGED)["affected"]
    assert (after["current"], after["stale"]) == (56, 0)


def test_impact_as_a_table_with_one_command(grains: Project) -> None:
    out = grains.ok("impact", "monthly", "--partition", "2025-01").stdout
    assert "monthly[2025-01]: 1 partition of 1 downstream asset read it" in out
    assert "Rebuild them with:" in out and "assets materialize --select monthly+ --partitions 2025-01" in out
    assert "Nothing reads overall." in grains.ok("impact", "overall").stdout


def test_impact_of_every_published_partition_and_of_a_range(grains: Project) -> None:
    whole = grains.json("impact", "monthly")
    assert whole["partitions"] == ["2025-01", "2025-02"] and whole["commands"] == [
        "assets materialize --select monthly+ --partitions 2025-01,2025-02"]
    ranged = grains.json("impact", "daily", "--partition", "2025-02-27..2025-02-28")
    assert {a["asset"]: a["partitions"] for a in ranged["assets"]}["rolling"] == ["2025-02-27", "2025-02-28"]


def test_impact_of_a_column_follows_column_lineage(built_landing: Project) -> None:
    report = built_landing.json("impact", "clean", "--partition", DAY, "--column", "amount")
    assert report["column"] == "amount"
    by_asset = {item["asset"]: item for item in report["assets"]}
    assert by_asset["revenue"]["partitions"] == [DAY] and by_asset["revenue"]["columns"] == ["revenue"]
    # summary is Python without column_lineage=: its aggregates are unresolved, so they count
    assert by_asset["summary"]["partitions"] == [""] and by_asset["summary"]["columns"] == ["orders", "revenue"]
    assert report["commands"] == [f"assets materialize --select clean+ --partitions {DAY}"]
    # revenue counts rows (count(*)): it derives nothing from order_id, and is left out
    narrow = built_landing.json("impact", "clean", "--partition", DAY, "--column", "order_id")
    assert [item["asset"] for item in narrow["assets"]] == ["summary"]
    assert narrow["commands"] == [f"assets materialize --select 'clean summary' --partitions {DAY}"]
    assert built_landing.json("impact", "clean", "--partition", DAY)["assets"][0]["columns"] is None


def _one_line(result: Any, code: int, *words: str) -> None:
    assert result.returncode == code, str(result)
    assert len(result.error_lines) == 1 and result.error_lines[0].startswith("error: "), str(result)
    for word in words:
        assert word in result.error_lines[0], str(result)
    assert "Traceback" not in result.stderr


ERRORS = [
    (["lineage", "claen", "--partition", DAY], 2, "No asset is named 'claen'.", "Did you mean 'clean'?"),
    (["lineage", "clean", "--partition", "2025-13-01"], 2, "'2025-13-01' is not a partition of 'clean'", "YYYY-MM-DD"),
    (["lineage", "summary", "--partition", "x"], 2, "'summary' is unpartitioned", "--partition ''"),
    (["lineage", "clean", "--partition", DAY, "--depth", "-1"], 2, "--depth -1 is negative"),
    (["lineage", "clean", "--depth", "2"], 2, "--depth goes with --partition KEY"),
    (["lineage", "--partition", DAY], 2, "--partition needs an asset"),
    (["impact", "claen"], 2, "No asset is named 'claen'.", "Did you mean 'clean'?"),
    (["impact", "clean", "--partition", "2025-01-09"], 2, "'2025-01-09' is not a partition of 'clean'"),
    (["impact", "summary", "--partition", "x"], 2, "'summary' is unpartitioned: drop --partition."),
    (["impact", "clean", "--column", "amout"], 2, "'clean' has no column 'amout'.", "Did you mean 'amount'?"),
]


@pytest.mark.parametrize("args,code,words", [(e[0], e[1], e[2:]) for e in ERRORS], ids=lambda v: None)
def test_mistakes_are_one_line_naming_the_closest_valid_name(built_landing: Project, args: list[str], code: int,
                                                             words: tuple[str, ...]) -> None:
    _one_line(built_landing.run(*args), code, *words)


def test_what_is_not_published_says_how_to_build_it(landing: Project) -> None:
    _one_line(landing.run("lineage", "clean", "--partition", DAY), 1,
              f"clean[{DAY}] is not published", f"`assets materialize --select clean --partitions {DAY}`")
    _one_line(landing.run("impact", "clean"), 1, "'clean' has no published partition yet", "--partition KEY")
    _one_line(landing.run("impact", "clean", "--column", "amount"), 1, "has no published partition")
    report = landing.json("impact", "raw", "--partition", DAY)  # what would read it: all missing
    assert report["affected"]["missing"] == report["affected"]["partitions"] == 3
