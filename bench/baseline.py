"""Another commit's code, to measure against in the same run (``--baseline REF`` of every bench)."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def checkout(ref: str, into: Path) -> Path:
    """The assets_core and catalog folders of git ``ref``, put in ``into`` to import from
    (``catalog/`` was a Python package, is the schema's SQL files now, and was absent in between)."""
    paths = subprocess.run(["git", "ls-tree", "--name-only", ref, "assets_core", "catalog"], cwd=ROOT,
                           check=True, capture_output=True, text=True).stdout.split()
    archive = subprocess.run(["git", "archive", ref, *paths], cwd=ROOT, check=True, capture_output=True).stdout
    into.mkdir(parents=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into
