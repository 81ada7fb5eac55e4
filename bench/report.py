"""The HTML report at scale: the planner bench's 1,000 assets x 1,000 daily partitions
(958,909 partition states, one upstream partition changed; bench/planner.py builds the catalog).

Two figures, medians of --repeat runs:

- writing: in a process of its own each time (nothing warm), read the catalog the way
  `assets report` does (``SqliteCatalog.snapshot()``), build the report's data (statuses and
  reasons of every partition, freshness, each asset's page), render the page and write the
  file; each phase timed.
- opening: Debian's headless Chromium opens the file from disk; the page's own
  ``performance.now()`` marks (JSON parsed, graph drawn, two frames later: painted) are read
  through selenium, each load in a fresh tab. Then "Draw all" (all 1,000 nodes and their edges),
  and a search, timed in the page the same way.

    python bench/report.py --repeat 5
"""

from __future__ import annotations

import argparse
import gc
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from saved import save

BENCH = Path(__file__).resolve().parent


def measure(catalog_path: Path, assets: int, output: Path) -> dict[str, float]:
    """One report written, as `assets report` does it, phase by phase (run in a fresh process)."""
    import planner

    from assets_core.catalog.sqlite import SqliteCatalog
    from assets_core.cli.report import write_atomically
    from assets_core.reports.html.data import report_data
    from assets_core.reports.html.render import render

    graph = planner.synthetic_graph(assets)
    catalog = SqliteCatalog(catalog_path)
    clock = time.perf_counter()
    snapshot = catalog.snapshot()
    read = time.perf_counter() - clock
    gc.freeze()  # as the CLI does once it holds the snapshot (cli/output.py: open_context)
    gc.disable()
    clock = time.perf_counter()
    data = report_data(graph, snapshot, catalog, graph.order, planner.NOW, "scale")
    built = time.perf_counter() - clock
    clock = time.perf_counter()
    size = write_atomically(output, render(data))
    written = time.perf_counter() - clock
    catalog.close()
    return {"read": read, "data": built, "render_and_write": written, "bytes": size}


def measured(catalog_path: Path, assets: int, output: Path) -> dict[str, float]:
    script = (f"import json, sys; sys.path[:0] = [{str(BENCH.parent)!r}, {str(BENCH)!r}]; import report; "
              f"print(json.dumps(report.measure(report.Path({str(catalog_path)!r}), {assets}, report.Path({str(output)!r}))))")
    out = subprocess.run([sys.executable, "-c", script], check=True, capture_output=True, text=True).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def browser() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,900"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)


_TIMED_CLICK = """
const [selector, done] = arguments;
const start = performance.now();
document.querySelector(selector).click();
requestAnimationFrame(() => requestAnimationFrame(() => done([performance.now() - start,
    document.querySelectorAll('g.node').length])));
"""

_TIMED_SEARCH = """
const done = arguments[0];
const input = document.getElementById('search');
const start = performance.now();
input.value = 'a0999';
input.dispatchEvent(new Event('input'));
const found = document.querySelector('#search-results li[data-asset="a0999"]') !== null;
done([performance.now() - start, found]);
"""


def open_in_browser(path: Path, repeat: int) -> dict[str, Any]:
    """Loads of the report in Chromium, each in a new tab: the page's own timings."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser()
    loads, draw_all, searches, errors = [], [], [], []
    try:
        for _ in range(repeat + 1):  # the first load warms the browser's own caches: not counted
            driver.switch_to.new_window("tab")
            driver.get(path.as_uri())
            WebDriverWait(driver, 60).until(lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))
            loads.append(driver.execute_script("return window.reportTimings"))
            draw_all.append(driver.execute_async_script(_TIMED_CLICK, "#show-all"))
            searches.append(driver.execute_async_script(_TIMED_SEARCH))
            errors += [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            driver.close()
            driver.switch_to.window(driver.window_handles[0])
    finally:
        driver.quit()
    loads, draw_all, searches = loads[1:], draw_all[1:], searches[1:]
    return {
        "open_and_draw_ms_median": round(statistics.median(t["painted"] for t in loads)),
        "open_and_draw_ms_runs": [round(t["painted"]) for t in loads],
        "json_parsed_ms_median": round(statistics.median(t["parsed"] for t in loads)),
        "nodes_drawn_on_open": loads[0]["nodes"],
        "draw_all_ms_median": round(statistics.median(t for t, _ in draw_all)),
        "draw_all_ms_runs": [round(t) for t, _ in draw_all],
        "nodes_drawn_all": draw_all[0][1],
        "search_ms_median": round(statistics.median(t for t, _ in searches), 1),
        "search_found": all(found for _, found in searches),
        "console_errors": len(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--assets", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    sys.path[:0] = [str(BENCH.parent), str(BENCH)]
    import planner

    with tempfile.TemporaryDirectory() as tmp:
        catalog_path = Path(tmp) / "catalog.db"
        states = planner.write_catalog(planner.synthetic_graph(args.assets), catalog_path)
        output = Path(tmp) / "report.html"
        measured(catalog_path, args.assets, output)  # untimed: the catalog file read once
        runs = [measured(catalog_path, args.assets, output) for _ in range(args.repeat)]
        opened = open_in_browser(output, args.repeat)

    def median(phase: str) -> float:
        return round(statistics.median(r[phase] for r in runs), 3)

    report = {
        "assets": args.assets, "partition_states": states, "repeats": args.repeat,
        "calibration_seconds": round(planner.calibration(), 3),
        "file_megabytes": round(runs[0]["bytes"] / 1e6, 2),
        "write": {
            "catalog_read_seconds_median": median("read"),
            "report_data_seconds_median": median("data"),
            "render_and_write_seconds_median": median("render_and_write"),
            "report_seconds_median (data + render + write)": round(statistics.median(
                r["data"] + r["render_and_write"] for r in runs), 3),
            "with_catalog_read_seconds_median": round(statistics.median(
                r["read"] + r["data"] + r["render_and_write"] for r in runs), 3),
            "report_seconds_runs": [round(r["data"] + r["render_and_write"], 3) for r in runs],
        },
        "browser": opened,
    }
    print(json.dumps(report, indent=2))
    save("report", report)


if __name__ == "__main__":
    main()
