"""``assets report``: the real CLI writes one self-contained HTML file; its embedded data is read
back from the file as a person's browser would get it (tests/e2e/test_report_browser.py opens it
in Chromium)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cli_project import Project

DATA_BLOCK = re.compile(r'<script type="application/json" id="report-data">(.*?)</script>', re.DOTALL)


def report_of(html: str) -> dict[str, Any]:
    """The data block, parsed: the one ``</script>`` after it is the block's own end."""
    found = DATA_BLOCK.findall(html)
    assert len(found) == 1, "exactly one data block"
    return json.loads(found[0])  # type: ignore[no-any-return]


def write_report(project: Project, *args: str) -> tuple[str, dict[str, Any]]:
    result = project.ok("report", "--output", "out.html", *args)
    assert result.stdout.startswith("Wrote out.html: "), result
    html = (project.root / "out.html").read_text(encoding="utf-8")
    return html, report_of(html)


def by_name(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in data["assets"]}


def test_report_of_a_built_project_is_self_contained_and_agrees_with_status(built_landing: Project) -> None:
    built_landing.edit("landing_assets.py", '.sort("order_id")', '.sort("order_id", descending=False)')
    html, data = write_report(built_landing)

    # Self-contained: the report's own script and style inline, nothing to fetch.
    assert html.count("<script") == 2 and html.count("<style") == 1
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "default-src 'none'" in html

    assets = by_name(data)
    assert list(assets) == ["raw", "clean", "revenue", "summary"]
    # The code of clean changed: its four days are stale, the rest fresh; counts are `status`'s.
    assert assets["clean"]["strip"] == "ssss" and assets["raw"]["strip"] == "ffff"
    status = {row["asset"]: row for row in built_landing.json("status")}
    for name, entry in assets.items():
        assert entry["partitions"] == status[name]["partitions"]
        for state in ("fresh", "stale", "missing", "failed", "quarantined"):
            assert entry["counts"].get(state, 0) == status[name][state], (name, state)
    assert assets["clean"]["status"] == "stale" and assets["raw"]["status"] == "fresh"
    reason = data["reasons"][assets["clean"]["reasons"][2]]
    assert assets["clean"]["reasons"][:2] == [0, 4] and reason.startswith("code changed")

    # Layout: left to right by dependency.
    assert assets["raw"]["layer"] == 0 and assets["clean"]["layer"] == 1
    assert assets["revenue"]["layer"] == assets["summary"]["layer"] == 2
    assert assets["raw"]["x"] < assets["clean"]["x"] < assets["revenue"]["x"]
    names = [entry["name"] for entry in data["assets"]]
    edges = {(names[u], names[d], mapping) for u, d, mapping in data["edges"]}
    assert edges == {("raw", "clean", "identity"), ("clean", "revenue", "identity"), ("clean", "summary", "all")}

    # Partitions: keys once per definition, in a calendar (2025-01-01 is a Wednesday).
    keyset = data["keysets"][assets["clean"]["keyset"]]
    assert keyset["keys"] == ["2025-01-01", "2025-01-02", "2025-01-03", "2025-01-04"]
    assert assets["raw"]["keyset"] == assets["clean"]["keyset"]
    assert keyset["calendar"]["cells"] == [2 * 54, 3 * 54, 4 * 54, 5 * 54]
    assert assets["summary"]["keyset"] is None and assets["summary"]["strip"] == "f"
    assert assets["summary"]["freshness"]["passed"] is True

    # The asset's page: its definition, its checks' last results, its last run with a duration.
    page = assets["clean"]["page"]
    described = built_landing.json("describe", "clean")
    assert page["describe"] == {key: described[key] for key in page["describe"]}  # describe's own definition
    assert page["describe"]["description"] == "Orders with an amount, sorted by id."
    assert page["describe"]["inputs"] == [{"asset": "raw", "param": "raw", "type": "polars", "mapping": "identity"}]
    assert page["describe"]["code"]["file"] == "landing_assets.py"
    lineage = built_landing.ok("lineage", "revenue", "--columns", "--format", "json").json()
    assert assets["revenue"]["page"]["column_lineage"] == lineage
    checks = {c["check"]: c["last"] for c in page["checks"]}
    assert list(checks) == ["not_null(order_id)", "unique(order_id)", "non_negative_amount", "plausible_amount"]
    assert all(last is not None and last["passed"] for last in checks.values())
    assert page["schema"] == [{"name": "order_id", "type": "Int64", "nullable": True},
                              {"name": "customer", "type": "String", "nullable": True},
                              {"name": "amount", "type": "Float64", "nullable": True}]
    (run,) = page["runs"]
    assert run["partitions"] == 4 and run["status"] == "succeeded" and run["seconds"] > 0 and run["complete"]
    assert run["run_id"] == built_landing.json("runs")[0]["run_id"]


def test_user_text_is_escaped_in_the_file(make_project: Callable[..., Project]) -> None:
    project = make_project("report_escaping")
    assert project.run("materialize").returncode == 1  # 2025-01-02 of cleaned is quarantined
    html, data = write_report(project)

    # No user text can open a tag or close the data block: every < of it is escaped in the file.
    assert "window.__pwned" in html
    for raw in ("<script>window", "<img src=x", "<b>1 row", "<em>2025", "<i>owner", "report <escaping>"):
        assert raw not in html, raw
    assert "<title>report &lt;escaping&gt; &amp; co: assets report</title>" in html

    assets = by_name(data)
    assert assets["notes"]["page"]["describe"]["description"].startswith("<script>window.__pwned = 'description'")
    assert assets["cleaned"]["strip"] == "fqf" and assets["cleaned"]["status"] == "quarantined"
    checks = {c["check"]: c["last"] for c in assets["cleaned"]["page"]["checks"]}
    assert checks["markup_free"]["message"].startswith("<b>1 row</b>")
    assert checks["no_markup"]["sample"] == [{"id": 2, "note": "<img src=x onerror=\"window.__pwned = 'sample'\">"}]
    assert assets["regions"]["keyset"] is not None
    assert data["keysets"][assets["regions"]["keyset"]]["calendar"] is None  # static: a plain strip


def test_select_narrows_the_report(built_landing: Project) -> None:
    _, data = write_report(built_landing, "--select", "clean+")
    assert [entry["name"] for entry in data["assets"]] == ["clean", "revenue", "summary"]
    assert data["selection"] == "clean+" and data["total_assets"] == 4
    assert len(data["edges"]) == 2
    assert by_name(data)["clean"]["layer"] == 0  # laid out among the selection


def test_bad_select_is_one_line(built_landing: Project) -> None:
    result = built_landing.run("report", "--select", "claen")
    assert result.returncode == 2, result
    assert result.error_lines == [
        "error: Selection 'claen' matches no asset. Did you mean 'clean'? `assets list` shows them all."
    ]
    assert not (built_landing.root / "report.html").exists()


def test_unwritable_output_is_one_line(built_landing: Project, tmp_path: Path) -> None:
    (built_landing.root / "a_file").write_text("not a folder")
    (built_landing.root / "a_folder").mkdir()
    cases = {
        "missing/report.html": "folder missing does not exist",
        "a_file/report.html": "a_file is not a folder",
        "a_folder": "it is a folder",
    }
    for output, words in cases.items():
        result = built_landing.run("report", "--output", output)
        assert result.returncode == 1, result
        assert len(result.error_lines) == 1 and words in result.error_lines[0], result
        assert "Traceback" not in result.stderr
    assert sorted(p.name for p in (built_landing.root / "a_folder").iterdir()) == []


def test_report_of_a_project_never_run(landing: Project) -> None:
    _, data = write_report(landing)
    assets = by_name(data)
    assert assets["raw"]["strip"] == "mmmm" and assets["raw"]["status"] == "missing"
    # Four missing days with one reason are one run of the reasons.
    assert assets["raw"]["reasons"][:2] == [0, 4] and data["reasons"][assets["raw"]["reasons"][2]] == "missing: never published"
    assert assets["raw"]["page"]["runs"] == [] and assets["raw"]["page"]["checks"] == []
    assert assets["raw"]["page"]["schema"] is None
