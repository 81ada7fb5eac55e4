"""``assets status`` and ``assets status --json`` on a real catalog say the same counts."""

from __future__ import annotations

from cli_project import DAY, Project

COLUMNS = ["asset", "partitions", "freshness", "fresh", "upstream stale", "stale", "missing", "failed", "quarantined", "unknown", "waiting", "warned", "last publish"]


def test_the_status_table_and_its_json_agree(landing: Project) -> None:
    landing.ok("materialize", "--partitions", f"2025-01-01..{DAY}")
    # clean's code changes: its published days are stale; the later days are missing everywhere
    landing.edit("landing_assets.py", '.sort("order_id")', '.sort("order_id", descending=False)')
    table = landing.ok("status").stdout
    rows = [[c.strip() for c in line.strip("│").split("│")] for line in table.splitlines() if line.startswith("│")]
    shown = {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in rows}
    entries = landing.json("status")
    assert list(shown) == [e["asset"] for e in entries]
    assert any(e["missing"] for e in entries) and any(e["stale"] for e in entries), entries
    # what reads clean's stale days is fresh itself, and counted as rebuilt because of them
    assert any(e["upstream_stale"] for e in entries), entries
    for e in entries:
        row = shown[e["asset"]]
        assert int(row["partitions"]) == e["partitions"]
        assert (int(row["fresh"]), int(row["stale"]), int(row["missing"])) == (e["fresh"], e["stale"], e["missing"])
        assert int(row["unknown"]) == e["unknown"]
        assert int(row["upstream stale"]) == e["upstream_stale"]
        assert (int(row["failed"]), int(row["quarantined"]), int(row["waiting"])) == (e["failed"], e["quarantined"], e["waiting"])
        assert int(row["warned"]) == e["warned"]
        assert row["last publish"] == (e["last_published_at"] or "never")
        assert row["freshness"] == (e["freshness"] or "-")
    counted = {key.replace("_", " ") for key, value in entries[0].items() if isinstance(value, int)}
    assert counted <= set(COLUMNS), counted - set(COLUMNS)  # every count the JSON has is a column
