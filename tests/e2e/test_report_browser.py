"""The HTML report in a real browser: Debian's Chromium, headless, driven by selenium through
Debian's chromedriver (nothing downloads a browser). Without them the tests skip, saying why;
under CI (the ``CI`` variable set) they fail instead, since `.ci/run` installs both."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_project import Project

CHROMIUM = ("chromium", "chromium-browser")
CHROMEDRIVER = ("chromedriver",)
TIMEOUT = 20


def _found(names: tuple[str, ...]) -> str | None:
    return next((path for name in names if (path := shutil.which(name) or _debian(name))), None)


def _debian(name: str) -> str | None:
    path = Path("/usr/bin") / name
    return str(path) if path.is_file() else None


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed: pip install '.[test]'"
    if _found(CHROMIUM) is None or _found(CHROMEDRIVER) is None:
        return "Chromium or chromedriver is missing: apt-get install chromium chromium-driver"
    return None


@pytest.fixture(scope="module")
def driver() -> Iterator[Any]:
    reason = _missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(f"the browser tests must run in CI: {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _found(CHROMIUM) or ""
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1400,900", "--disable-extensions", "--no-first-run"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(_found(CHROMEDRIVER) or ""), options=options)
    yield browser
    browser.quit()


def open_report(driver: Any, path: Path) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get_log("browser")  # what an earlier page logged is not this one's
    driver.get(path.resolve().as_uri())
    WebDriverWait(driver, TIMEOUT).until(lambda d: d.execute_script("return document.body.dataset.ready === 'true'"))


def console_errors(driver: Any) -> list[dict[str, Any]]:
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def node(driver: Any, asset: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, f'g.node[data-asset="{asset}"]')


def drawn(driver: Any) -> list[str]:
    return driver.execute_script("return [...document.querySelectorAll('g.node')].map(n => n.dataset.asset)")  # type: ignore[no-any-return]


def text_of(driver: Any, selector: str) -> str:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, selector).text  # type: ignore[no-any-return]


def classes(element: Any) -> set[str]:
    return set((element.get_attribute("class") or "").split())


def test_graph_details_search_and_screenshot(driver: Any, built_landing: Project, tmp_path: Path) -> None:
    built_landing.ok("report", "--output", "report.html")
    open_report(driver, built_landing.root / "report.html")
    assert sorted(drawn(driver)) == ["clean", "raw", "revenue", "summary"]

    node(driver, "clean").click()
    assert text_of(driver, "#asset-name") == "clean"
    assert "4 fresh" in text_of(driver, "#asset-counts")
    checks = text_of(driver, "#asset-checks")
    assert "not_null(order_id)" in checks and "passed" in checks
    assert "Orders with an amount, sorted by id." in text_of(driver, "#details")
    assert "order_id Int64 yes" in text_of(driver, "#asset-schema")
    assert "upstream" in classes(node(driver, "raw"))
    assert {"downstream"} <= classes(node(driver, "revenue")) and "downstream" in classes(node(driver, "summary"))
    assert "selected" in classes(node(driver, "clean"))

    # Hovering a partition's cell names its key and status.
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    canvas = driver.find_element(By.CSS_SELECTOR, "#asset-partitions canvas")
    size = canvas.size
    # 2025-01-01, a Wednesday: the third row of 14-pixel cells, right of the 40-pixel labels
    ActionChains(driver).move_to_element_with_offset(canvas, 40 + 5 - size["width"] // 2, 12 + 2 * 14 + 5 - size["height"] // 2).perform()
    tooltip = driver.find_element(By.ID, "tooltip")
    assert tooltip.is_displayed() and tooltip.text.splitlines() == ["2025-01-01", "fresh"]

    # And a node's own strip: its last cell is the last day.
    strip = driver.find_element(By.CSS_SELECTOR, 'g.node[data-asset="raw"] rect.strip-hit')
    ActionChains(driver).move_to_element_with_offset(strip, strip.size["width"] // 2 - 2, 0).perform()
    assert tooltip.is_displayed() and tooltip.text.splitlines() == ["2025-01-04", "fresh"]

    search = driver.find_element(By.ID, "search")
    search.send_keys("summ")
    assert driver.find_element(By.CSS_SELECTOR, '#search-results li[data-asset="summary"]').is_displayed()
    search.send_keys("\n")
    assert text_of(driver, "#asset-name") == "summary"

    screenshot = tmp_path / "report.png"
    assert driver.save_screenshot(str(screenshot)) and screenshot.stat().st_size > 10_000
    print(f"screenshot: {screenshot}")
    assert console_errors(driver) == []


def test_script_in_user_text_runs_nothing(driver: Any, make_project: Callable[..., Project]) -> None:
    project = make_project("report_escaping")
    project.run("materialize")  # one partition is quarantined: exit 1
    project.ok("report", "--output", "report.html")
    open_report(driver, project.root / "report.html")

    node(driver, "notes").click()
    details = text_of(driver, "#details")
    assert "<script>window.__pwned = 'description'</script><img src=x" in details  # shown as text
    assert "<i>owner</i>" in details
    node(driver, "cleaned").click()
    checks = text_of(driver, "#asset-checks")
    assert "<b>1 row</b> holds markup <script>window.__pwned = 'message'</script>" in checks
    assert "<img src=x onerror=" in checks  # the failing row of no_markup, as text
    assert "quarantined" in text_of(driver, "#asset-counts")
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    strip = driver.find_element(By.CSS_SELECTOR, 'g.node[data-asset="cleaned"] rect.strip-hit')
    ActionChains(driver).move_to_element(strip).perform()  # the middle of three cells
    key, reason = driver.find_element(By.ID, "tooltip").text.splitlines()
    assert key == "2025-01-02" and reason.startswith("quarantined: waiting: ") and "not_the_second" in reason
    assert driver.execute_script("return window.__pwned === undefined")
    assert driver.execute_script("return document.querySelectorAll('#details script, #details img, #details b').length") == 0
    assert driver.title == "report <escaping> & co: assets report"
    assert console_errors(driver) == []  # a blocked inline script would have logged a CSP violation


SCALE_MODULE = '''
from assets_core import asset

for i in range(320):  # a chain of chains: each asset reads the one 20 before it
    name = f"a{i:04d}"
    namespace = {}
    exec(f"def {name}({'' if i < 20 else f'a{i - 20:04d}'}): ...", namespace)
    globals()[name] = asset(namespace[name])
'''


def test_above_300_assets_opens_on_a_neighbourhood(driver: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    root = tmp_path / "scale"
    root.mkdir()
    (root / "assets.toml").write_text('[project]\nname = "scale"\nmodules = ["scale_assets"]\n')
    (root / "scale_assets.py").write_text(SCALE_MODULE)
    project = Project(root)
    project.ok("report", "--output", "report.html")
    open_report(driver, root / "report.html")

    shown = drawn(driver)
    assert 0 < len(shown) < 320
    assert "320 assets: showing the" in text_of(driver, "#notice")
    search = driver.find_element(By.ID, "search")
    search.send_keys("a0310\n")
    assert text_of(driver, "#asset-name") == "a0310"
    assert sorted(drawn(driver)) == ["a0270", "a0290", "a0310"]  # two steps up, nothing downstream
    driver.find_element(By.ID, "show-all").click()
    assert len(drawn(driver)) == 320
    assert console_errors(driver) == []
