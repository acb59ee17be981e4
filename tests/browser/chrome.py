"""Real headless Chromium for the page tests: the driver, waits and screenshots (under tests/artifacts/,
gitignored). Importing this module skips the importing test module where Chromium is not installed."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
CHROME_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage")

webdriver = pytest.importorskip("selenium.webdriver")
if not (shutil.which("chromium") or Path("/usr/bin/chromium").exists()) or not Path("/usr/bin/chromedriver").exists():
    pytest.skip("chromium and chromedriver are needed (make system-deps)", allow_module_level=True)

from selenium.common.exceptions import (  # noqa: E402
    JavascriptException,
    StaleElementReferenceException,
)
from selenium.webdriver.chrome.service import Service as ChromeService  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@contextmanager
def chrome(downloads: Path | None = None) -> Iterator[object]:
    """A headless Chromium driver at 1280×900 (downloads to ``downloads`` when given), quit on exit."""
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in CHROME_FLAGS:
        options.add_argument(flag)
    options.add_argument("--window-size=1280,900")
    driver = webdriver.Chrome(service=ChromeService("/usr/bin/chromedriver"), options=options)
    if downloads is not None:
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    try:
        yield driver
    finally:
        driver.quit()


def wait(driver, seconds: float = 10) -> WebDriverWait:  # noqa: ANN001
    """A wait that polls every 50 ms and rides over a re-rendered element."""
    return WebDriverWait(driver, seconds, poll_frequency=0.05,
                         ignored_exceptions=(StaleElementReferenceException, JavascriptException))


def shot(driver, name: str, full: bool = False) -> Path:  # noqa: ANN001
    """A screenshot ``dashboard-<name>.png``; ``full``: the whole page height."""
    path = ARTIFACTS / f"dashboard-{name}.png"
    if full:
        size = driver.get_window_size()
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(size["width"], min(height + 120, 8000))
        driver.save_screenshot(str(path))
        driver.set_window_size(size["width"], size["height"])
    else:
        driver.save_screenshot(str(path))
    return path
