"""Hostile time: a reference time that would quietly undo what later runs published."""

from __future__ import annotations

from cli_project import Project


def test_as_of_in_the_past_does_not_quietly_regress_live_data(built_landing: Project) -> None:
    """`--as-of` in the past republished `summary` (all days) from fewer days, without a word."""
    before = built_landing.parquet_rows("summary", None)
    refused = built_landing.run("materialize", "--as-of", "2025-01-03T00:00:00+00:00")
    assert refused.returncode == 2, str(refused)
    [line] = refused.error_lines
    assert "is older than the reference time" in line and "'summary'" in line and "--force" in line
    assert built_landing.parquet_rows("summary", None) == before
    built_landing.ok("materialize", "--as-of", "2025-01-03T00:00:00+00:00", "--force")
    assert built_landing.parquet_rows("summary", None) != before  # asked for: two days
