"""Indicator definitions and the 12-month trend in real headless Chromium on a phone-sized screen
(375×667): a label opens its definition (numerator, denominator, source), the trend chart draws 12
months with the cumulative line and the target's monthly path, a table cell opens the trend of its row.

The fixture's visits lie in the current month and the calendar month before it, never after now, on
any date (tests/dates.py), so both months are in the chart's window whatever the day.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from services.dashboard.domain.arithmetic import months_ending
from services.dashboard.domain.registry import BY_ID
from tests.browser.dashboard_kit import (
    JONDONG,
    KECAMATAN,
    TENGKUJUH,
    WIB,
    DashboardSystem,
    adult_visit,
    network,
    targets,
)
from tests.dates import in_month, period, previous_month

pytestmark = [pytest.mark.browser, pytest.mark.integration]


from tests.browser.chrome import chrome, shot, wait  # noqa: E402, I001 (skips without Chromium)

from selenium.webdriver.common.by import By  # noqa: E402, I001
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

NOW = in_month(datetime.now(WIB), timedelta(minutes=5))
BEFORE = previous_month(NOW)
PERIOD, PREVIOUS = period(NOW), period(BEFORE)
INDICATOR = "bp_screened"  # an annual coverage target, prorated per month


@pytest.fixture(scope="module")
def dash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardSystem]:
    system = DashboardSystem(tmp_path_factory.mktemp("trend-browser"))
    try:
        system.start()
        system.publish([*network(), *targets(NOW.year), *targets(BEFORE.year)])
        events = [adult_visit(JONDONG, in_month(NOW, timedelta(hours=i))) for i in range(3)]
        events += [adult_visit(JONDONG, BEFORE - timedelta(hours=i)) for i in range(2)]
        events += [adult_visit(TENGKUJUH, BEFORE)]
        system.publish(events)
        system.token_kecamatan = system.token(KECAMATAN)
        system.wait_for(system.token_kecamatan, KECAMATAN, PERIOD,
                        lambda d: d["total"]["indicators"][INDICATOR]["numerator"] == 3)
        system.wait_for(system.token_kecamatan, KECAMATAN, PREVIOUS,
                        lambda d: d["total"]["indicators"][INDICATOR]["numerator"] == 3)
        yield system
    finally:
        system.stop()


@pytest.fixture(scope="module")
def phone(dash: DashboardSystem):
    with chrome() as driver:
        driver.set_window_size(375, 667)
        driver.get(dash.url + "/login")
        driver.find_element(By.ID, "token").send_keys(dash.token_kecamatan)
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        wait(driver).until(lambda d: int(d.execute_script("return document.body.dataset.loaded || 0") or 0) > 0)
        yield driver


def viewport(driver) -> int:  # noqa: ANN001
    return driver.execute_script("return document.documentElement.clientWidth")


def tap(driver, element) -> None:  # noqa: ANN001
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def test_a_label_opens_its_definition(phone) -> None:  # noqa: ANN001
    button = phone.find_element(By.CSS_SELECTOR, f'#tiles button.def[data-def="{INDICATOR}"]')
    assert button.text == BY_ID[INDICATOR].label
    tap(phone, button)
    dialog = wait(phone).until(lambda d: d.find_element(By.ID, "info") if d.find_element(By.ID, "info").get_attribute(
        "open") is not None else None)
    indicator = BY_ID[INDICATOR]
    assert phone.find_element(By.ID, "info-title").text == indicator.label
    assert phone.find_element(By.ID, "def-numerator").text == indicator.numerator
    assert indicator.denominator in phone.find_element(By.ID, "def-denominator").text
    assert phone.find_element(By.ID, "def-source").text == indicator.source
    assert "garis target per bulan" in phone.find_element(By.ID, "def-applies").text
    assert dialog.rect["width"] <= viewport(phone) and dialog.rect["x"] >= 0
    assert phone.execute_script("return document.documentElement.scrollWidth") <= viewport(phone)
    shot(phone, "definition-phone")


def test_the_trend_draws_12_months_and_the_target_path(phone) -> None:  # noqa: ANN001
    chart = wait(phone).until(lambda d: d.find_element(By.CSS_SELECTOR, f'#trend-plot svg[data-indicator="{INDICATOR}"]'))
    months = [g.get_attribute("data-month") for g in chart.find_elements(By.CSS_SELECTOR, "g.month")]
    assert months == months_ending(PERIOD)
    assert chart.find_elements(By.CSS_SELECTOR, f'g.month[data-month="{PERIOD}"] rect.bar')
    assert chart.find_elements(By.CSS_SELECTOR, f'g.month[data-month="{PREVIOUS}"] rect.bar')
    paths = chart.find_elements(By.CSS_SELECTOR, "polyline.tpath")
    # the prorated target path, one segment per calendar year: 12 points in all
    assert sum(len(p.get_attribute("points").split()) for p in paths) == 12
    assert len(paths) == (2 if NOW.month < 12 else 1)
    assert chart.find_elements(By.CSS_SELECTOR, "polyline.cum") and chart.find_elements(By.CSS_SELECTOR, "circle.cum-p")
    assert chart.rect["width"] <= viewport(phone)
    assert "target s.d. bulan ini" in phone.find_element(By.ID, "trend-sub").text
    area = Select(phone.find_element(By.ID, "trend-area"))
    assert area.first_selected_option.text.startswith("Total")
    area.select_by_value(TENGKUJUH)
    chart = wait(phone).until(lambda d: d.find_element(By.CSS_SELECTOR, "#trend-plot svg")
                              if "Tengkujuh" in d.find_element(By.ID, "trend-sub").text else None)
    assert len(chart.find_elements(By.CSS_SELECTOR, "g.month")) == 12
    assert chart.find_elements(By.CSS_SELECTOR, f'g.month[data-month="{PREVIOUS}"] rect.bar')
    assert not chart.find_elements(By.CSS_SELECTOR, f'g.month[data-month="{PERIOD}"] rect.bar')  # no visit there yet
    shot(phone, "trend-phone")
    phone.find_element(By.ID, "info").send_keys(Keys.ESCAPE)
    wait(phone).until(lambda d: d.find_element(By.ID, "info").get_attribute("open") is None)


def test_a_table_cell_opens_the_trend_of_its_row_by_keyboard(phone) -> None:  # noqa: ANN001
    td = phone.find_element(By.CSS_SELECTOR, f'#pws tbody td[data-area="{JONDONG}"][data-indicator="{INDICATOR}"]')
    phone.execute_script("arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus()", td)
    td.send_keys(Keys.ENTER)
    wait(phone).until(lambda d: d.find_element(By.ID, "info").get_attribute("open") is not None)
    wait(phone).until(lambda d: "Jondong" in d.find_element(By.ID, "trend-sub").text)
    assert Select(phone.find_element(By.ID, "trend-area")).first_selected_option.get_attribute("value") == JONDONG
    chart = phone.find_element(By.CSS_SELECTOR, "#trend-plot svg")
    assert chart.find_elements(By.CSS_SELECTOR, f'g.month[data-month="{PERIOD}"] rect.bar')
    phone.find_element(By.ID, "info-close").click()
    wait(phone).until(lambda d: d.find_element(By.ID, "info").get_attribute("open") is None)
    assert phone.get_log("browser") == []
