"""The PWS page in real headless Chromium: sign in, drill down, a live update, CSV export, phone size.

Screenshots are kept under tests/artifacts/ (gitignored).
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.browser.dashboard_kit import (
    DISTRICT,
    JONDONG,
    KECAMATAN,
    MAJA,
    NATAR_VILLAGE,
    TENGKUJUH,
    WIB,
    DashboardSystem,
    adult_visit,
    child_screened,
    network,
    referral,
    targets,
)
from tests.dates import in_month

pytestmark = [pytest.mark.browser, pytest.mark.integration]


from selenium.webdriver.common.by import By  # noqa: E402, I001

from tests.browser.chrome import chrome, shot, wait  # noqa: E402 (skips without Chromium)

# Every event of the fixture lies in the current month (the page shows the current month by default),
# not after now, on any date: tests/dates.py.
NOW = in_month(datetime.now(WIB), timedelta(minutes=5))


@pytest.fixture(scope="module")
def dash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardSystem]:
    system = DashboardSystem(tmp_path_factory.mktemp("dashboard-browser"), env={"JEJARING_CHANGE_POLL_SECONDS": "0.5"})
    try:
        system.start()
        system.publish([*network(), *targets(NOW.year)])
        events = []
        for i, village in enumerate([JONDONG] * 6 + [TENGKUJUH] * 4 + [MAJA] * 3 + [NATAR_VILLAGE] * 5 + ["18.01.05.2001"] * 2):
            events.append(adult_visit(village, in_month(NOW, timedelta(days=i % 9)), systolic=120 + 7 * (i % 6), diastolic=80))
            events.append(child_screened(village, in_month(NOW, timedelta(days=i % 5)), lhfa=-2.4 if i % 4 == 0 else -0.5,
                                         stunted=i % 4 == 0))
        events += referral(JONDONG, NOW, status="completed") + referral(MAJA, NOW, status="overdue") + referral(TENGKUJUH, NOW)
        system.publish(events)
        system.token_district = system.token(DISTRICT)
        system.wait_for(system.token_district, DISTRICT, NOW.strftime("%Y-%m"),
                        lambda d: d["total"]["indicators"]["visits"]["value"] == 20
                        and d["total"]["referrals"]["month"]["total"] == 3)
        yield system
    finally:
        system.stop()


@pytest.fixture(scope="module")
def downloads(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(dash: DashboardSystem, downloads: Path):
    with chrome(downloads) as driver:
        yield driver


def renders(driver) -> int:  # noqa: ANN001
    """How many times the page has rendered; read in one script so a navigation cannot leave a stale element."""
    return int(driver.execute_script("return document.body ? document.body.dataset.loaded || 0 : 0") or 0)


def wait_render(driver, after: int = 0) -> None:  # noqa: ANN001
    wait(driver).until(lambda d: renders(d) > after)


def cell_selector(area: str, indicator: str) -> str:
    return f'#pws td[data-area="{area}"][data-indicator="{indicator}"]'


def cell(driver, area: str, indicator: str) -> str | None:  # noqa: ANN001
    """A PWS cell's text, read in one script: a live re-render can replace the element at any moment."""
    return driver.execute_script("const c = document.querySelector(arguments[0]); return c ? c.textContent : null;",
                                 cell_selector(area, indicator))


def test_sign_in_and_district_overview(dash: DashboardSystem, browser) -> None:  # noqa: ANN001
    browser.get(dash.url + "/")
    assert browser.current_url.endswith("/login")
    browser.find_element(By.ID, "token").send_keys(dash.token_district)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait_render(browser)
    assert browser.find_element(By.ID, "title").text == "PWS KABUPATEN LAMPUNG SELATAN"
    rows = browser.find_elements(By.CSS_SELECTOR, "#pws tbody tr")
    assert len(rows) == 17  # the kecamatan of the district
    assert cell(browser, KECAMATAN, "visits") == "13" and cell(browser, "18.01.04", "visits") == "5"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#charts figure.chart")) == len(browser.execute_script(
        "return state.indicators"))
    bars = browser.find_elements(By.CSS_SELECTOR, '#charts figure[data-indicator="stunting"] rect.bar.red')
    assert bars, "stunting above the target is drawn red"
    assert browser.find_elements(By.CSS_SELECTOR, '#charts figure[data-indicator="stunting"] line.tgt')
    assert "Langsung" in wait(browser).until(lambda d: d.find_element(By.ID, "live").text or None)
    cookie = browser.get_cookie("jejaring_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["value"] != dash.token_district
    assert browser.get_log("browser") == []  # no script errors, nothing fetched from elsewhere
    shot(browser, "district-desktop")
    shot(browser, "district-desktop-full", full=True)


def test_drill_down_to_kecamatan_and_desa(dash: DashboardSystem, browser) -> None:  # noqa: ANN001
    before = renders(browser)
    browser.find_element(By.CSS_SELECTOR, f'#pws tbody a[data-region="{KECAMATAN}"]').click()
    wait_render(browser, before)
    assert f"region={KECAMATAN}" in browser.current_url
    assert browser.find_element(By.ID, "title").text == "PWS Kecamatan Kalianda"
    assert len(browser.find_elements(By.CSS_SELECTOR, "#pws tbody tr")) == 29
    assert cell(browser, JONDONG, "visits") == "6"
    crumbs = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#crumbs a, #crumbs span:not(.sep)")]
    assert crumbs == ["KABUPATEN LAMPUNG SELATAN", "Kalianda"]
    silent = browser.find_elements(By.CSS_SELECTOR, "#freshness tbody tr.senyap")
    assert len(silent) == 26 and browser.find_element(By.CSS_SELECTOR, "#freshness tbody tr").get_attribute(
        "class") == "senyap"  # silent villages are listed first
    shot(browser, "kecamatan-desktop")
    before = renders(browser)
    browser.find_element(By.CSS_SELECTOR, f'#pws tbody a[data-region="{JONDONG}"]').click()
    wait_render(browser, before)
    assert browser.find_element(By.ID, "title").text == "PWS Desa Jondong"
    assert browser.find_element(By.CSS_SELECTOR, '#pws tfoot td[data-indicator="visits"]').text == "6"
    before = renders(browser)
    browser.back()
    wait_render(browser, before)
    assert browser.find_element(By.ID, "title").text == "PWS Kecamatan Kalianda"


def test_live_update_arrives_within_two_seconds(dash: DashboardSystem, browser) -> None:  # noqa: ANN001
    wait(browser).until(lambda d: "on" in d.find_element(By.ID, "live").get_attribute("class"))
    time.sleep(1.5)  # no reload pending
    before = cell(browser, TENGKUJUH, "visits")
    sent = time.monotonic()
    dash.publish([adult_visit(TENGKUJUH, datetime.now(WIB), systolic=165, diastolic=100)])
    wait(browser, 5).until(lambda d: cell(d, TENGKUJUH, "visits") != before)
    elapsed = time.monotonic() - sent
    assert cell(browser, TENGKUJUH, "visits") == str(int(before) + 1)
    assert elapsed < 2.0, f"the new visit took {elapsed:.2f} s to appear"
    classes = browser.execute_script(
        "const c = document.querySelector(arguments[0]); c.scrollIntoView({block: 'center'}); return c.className;",
        cell_selector(TENGKUJUH, "visits"))
    assert "flash" in classes  # still flashing, whatever re-render followed (its screening)
    shot(browser, "kecamatan-live-update")


def test_csv_export_of_every_table(dash: DashboardSystem, browser, downloads: Path) -> None:  # noqa: ANN001
    period = browser.find_element(By.ID, "period").get_attribute("value")
    for link_id, name in (("csv-pws", f"pws-{KECAMATAN}-{period}.csv"), ("csv-ref", f"rujukan-{KECAMATAN}-{period}.csv"),
                          ("csv-fresh", f"kesegaran-data-{KECAMATAN}.csv")):
        link = browser.find_element(By.ID, link_id)
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", link)
        link.click()
        target = downloads / name
        wait(browser, 10).until(lambda _d, t=target: t.exists() and t.stat().st_size > 0)
    rows = list(csv.DictReader(io.StringIO((downloads / f"pws-{KECAMATAN}-{period}.csv").read_text())))
    jondong = next(r for r in rows if r["code"] == JONDONG and r["indicator"] == "visits")
    assert jondong["numerator"] == "6" and jondong["name"] == "Jondong"
    referrals = list(csv.DictReader(io.StringIO((downloads / f"rujukan-{KECAMATAN}-{period}.csv").read_text())))
    total = next(r for r in referrals if r["code"] == KECAMATAN and r["span"] == "bulan")
    assert (total["total"], total["completed"], total["overdue"]) == ("3", "1", "1")
    fresh = (downloads / f"kesegaran-data-{KECAMATAN}.csv").read_text()
    assert fresh.startswith("code,name,kecamatan,last_event_at") and "senyap" in fresh


def test_phone_sized_screen(dash: DashboardSystem, browser) -> None:  # noqa: ANN001
    browser.set_window_size(390, 844)
    try:
        browser.get(dash.url + f"/?region={KECAMATAN}")
        wait_render(browser)
        viewport = browser.execute_script("return document.documentElement.clientWidth")
        assert browser.execute_script("return document.documentElement.scrollWidth") <= viewport, \
            "the page itself must not scroll sideways"
        for figure in browser.find_elements(By.CSS_SELECTOR, "#charts figure.chart")[:3]:
            assert figure.rect["width"] <= viewport
        top = browser.find_element(By.CSS_SELECTOR, "header.top")
        assert top.rect["height"] < 110  # brand, sign-out and breadcrumb fit in two lines
        pick = browser.find_element(By.ID, "chart-pick")
        browser.execute_script("arguments[0].value = 'stunting'; arguments[0].dispatchEvent(new Event('change'))", pick)
        assert [f.get_attribute("data-indicator") for f in browser.find_elements(By.CSS_SELECTOR, "#charts figure")] == [
            "stunting"]
        wrap = browser.find_element(By.CSS_SELECTOR, "#pws").find_element(By.XPATH, "..")
        assert browser.execute_script("return arguments[0].scrollWidth > arguments[0].clientWidth", wrap)  # table scrolls
        shot(browser, "kecamatan-phone")
        shot(browser, "kecamatan-phone-full", full=True)
    finally:
        browser.set_window_size(1280, 900)


def test_regions_outside_the_token_are_refused(dash: DashboardSystem, browser) -> None:  # noqa: ANN001
    browser.get(dash.url + "/?region=35.07")
    assert "Akses ditolak" in browser.find_element(By.TAG_NAME, "h1").text
