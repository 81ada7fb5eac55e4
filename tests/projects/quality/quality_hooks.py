"""A callable hook: appends every payload it gets to events.jsonl."""

import json
from pathlib import Path

EVENTS = Path(__file__).parent / "events.jsonl"


def record(payload: dict) -> None:
    with EVENTS.open("a") as out:
        out.write(json.dumps(payload) + "\n")
