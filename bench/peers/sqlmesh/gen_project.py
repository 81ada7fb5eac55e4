#!/usr/bin/env python3
"""Materialise the W1 SQLMesh project for a given ROWS / batch_size into OUT (fresh, empty state).

usage: gen_project.py OUT --rows 20000 [--batch-size N] [--start 2025-01-01 --end 2025-12-31]
  no --batch-size = SQLMesh default (batch_size None = all missing intervals of a model in ONE batch).
  --start/--end make a shorter date window (the peer's audit experiments used them).
"""
import argparse
import pathlib
import re
import shutil

HERE = pathlib.Path(__file__).resolve().parent
TEMPLATE = HERE / "project_template"

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=20000)
    ap.add_argument("--batch-size", type=int, default=None)
    ap.add_argument("--start", default="2025-01-01")
    ap.add_argument("--end", default="2025-12-31")
    ap.add_argument("--no-audits", action="store_true", help="strip the audits (...) blocks (isolates audit cost)")
    a = ap.parse_args()
    out = pathlib.Path(a.out)
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(TEMPLATE, out)
    bs = "" if a.batch_size is None else f",\n    batch_size {a.batch_size}"
    for f in [*(out / "models").glob("*.sql"), out / "config.yaml"]:
        s = f.read_text().replace("__ROWS__", str(a.rows)).replace("__BATCH_SIZE__", bs)
        s = s.replace("'2025-01-01'", f"'{a.start}'").replace("'2025-12-31'", f"'{a.end}'")
        if a.no_audits:
            s = re.sub(r",\n  audits \(\n.*?\n  \)\n\);", "\n);", s, flags=re.DOTALL)
        f.write_text(s)
    (out / "data").mkdir(exist_ok=True)
    print(f"generated {out} rows={a.rows} batch_size={a.batch_size} window={a.start}..{a.end}")

if __name__ == "__main__":
    main()
