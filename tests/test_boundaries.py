"""DESIGN.md's package boundaries, as import-linter contracts in pyproject.toml: the catalog
imports nothing else of assets_core, the planner no engine, definitions no engine, and only
the CLI imports rich and typer. A new import across a boundary fails the suite."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_import_contracts_hold() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout, result.stdout
