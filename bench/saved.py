"""Where every bench writes its figures: ``bench/results/<name>.json`` (not committed)."""

from __future__ import annotations

import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def save(name: str, report: object) -> Path:
    """``report`` as indented JSON in ``bench/results/<name>.json``; returns the file."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(report, indent=2))
    return path
