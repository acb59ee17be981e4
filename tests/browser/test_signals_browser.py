"""Outbreak signals on the page in real headless Chromium: the panel (open first, with their clock),
the weekly epidemic curve (live), and an admin verifying and closing signals on a phone-sized screen.

The broker, surveillance and the dashboard run as real processes; visits are published straight to
ilp.visit.recorded.v1 (both services consume it), the admin token to ilp.facility.token.v1.
Screenshots are kept under tests/artifacts/ (gitignored).
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from shared.auth import hash_token
from shared.contracts.events import FacilityTokenChanged, OutbreakSignal, VisitRecorded
from tests.browser.dashboard_kit import (
    JONDONG,
    KECAMATAN,
    MAJA,
    NATAR_VILLAGE,
    TENGKUJUH,
    WIB,
    DashboardSystem,
    adult_visit,
    network,
)
from tests.dates import in_week, week_start

pytestmark = [pytest.mark.browser, pytest.mark.integration]

INTERNAL = "browser-test-internal-token"

from selenium.webdriver.common.by import By  # noqa: E402, I001

from tests.browser.chrome import chrome, shot, wait  # noqa: E402 (skips without Chromium)

NOW = datetime.now(WIB)
LAST_WEEK = week_start(NOW) - timedelta(days=3, hours=-12)  # Friday noon of the previous ISO week


def case(village: str, at: datetime, syndrome: str) -> VisitRecorded:
    return adult_visit(village, at).model_copy(update={"syndromes": [syndrome]})


class SignalsSystem(DashboardSystem):
    """Tansu, surveillance and the dashboard (which forwards to surveillance with the shared secret)."""

    def start(self) -> None:
        self.system.extra_env.update({"JEJARING_CHANGE_POLL_SECONDS": "0.5", "JEJARING_INTERNAL_TOKEN": INTERNAL,
                                      "JEJARING_SURVEILLANCE_URL": self.system.url("surveillance")})
        self.system.start_broker()
        self.system.start("surveillance")
        self.system.start("dashboard")
        self.system.wait_ready("surveillance")
        self.system.wait_ready("dashboard")

    def signals(self, token: str, **params: str) -> list[dict]:
        response = self.get("/v1/signals", token, **params)
        assert response.status_code == 200, response.text
        return response.json()["signals"]

    def wait_signals(self, token: str, predicate, timeout: float = 30.0) -> list[dict]:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        while not predicate(found := self.signals(token)):
            if time.monotonic() > deadline:
                raise AssertionError(f"signals never matched: {[(s['disease'], s['status']) for s in found]}")
            time.sleep(0.2)
        return found

    def step(self, token: str, signal_id: str, body: dict) -> httpx.Response:
        return httpx.post(f"{self.url}/v1/signals/{signal_id}/events", json=body,
                          headers={"Authorization": f"Bearer {token}"}, timeout=10)


@pytest.fixture(scope="module")
def dash(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignalsSystem]:
    system = SignalsSystem(tmp_path_factory.mktemp("signals-browser"))
    try:
        system.start()
        system.admin = "jja_" + secrets.token_urlsafe(24)
        system.publish([*network(), FacilityTokenChanged(
            token_hash=hash_token(system.admin), token_id="tok_browser_admin", kind="admin", region="18.01",
            expires_at=datetime.now(timezone.utc) + timedelta(days=30))])
        system.viewer = system.token("18.01")
        # a dengue cluster in Jondong (3 people: the village floor), a measles case in Maja, this week;
        # an AFP case in Tengkujuh last week, dismissed below
        system.publish([case(JONDONG, in_week(NOW, timedelta(minutes=3 + i)), "suspected_dengue") for i in range(3)]
                       + [case(MAJA, in_week(NOW, timedelta(minutes=2)), "suspected_measles"),
                          case(TENGKUJUH, LAST_WEEK, "afp")])
        found = system.wait_signals(system.viewer, lambda s: len(s) == 3)
        afp = next(s for s in found if s["disease"] == "afp")
        closed = system.step(system.admin, afp["signal_id"], {"status": "closed", "outcome": "false_alarm",
                                                              "note": "bukan AFP: trauma"})
        assert closed.status_code == 200, closed.text
        # an escalated signal elsewhere in the district (synthetic: surveillance never heard of it)
        measles = next(s for s in found if s["disease"] == "suspected_measles")
        raised = datetime.now(timezone.utc) - timedelta(hours=30)
        system.publish([OutbreakSignal.model_validate({
            **measles, "signal_id": str(uuid.uuid4()), "area_code": NATAR_VILLAGE, "village_code": NATAR_VILLAGE,
            "village_codes": [NATAR_VILLAGE], "district_code": "18.01", "status": "escalated",
            "previous_status": "signalled", "raised_at": raised.isoformat(),
            "escalate_at": (raised + timedelta(hours=24)).isoformat(),
            "changed_at": (raised + timedelta(hours=24)).isoformat(), "revision": 2})])
        system.wait_signals(system.viewer, lambda s: len(s) == 4)
        yield system
    finally:
        system.stop()


@pytest.fixture(scope="module")
def browser(dash: SignalsSystem):  # noqa: ANN201
    with chrome() as driver:
        yield driver


def sign_in(driver, url: str, token: str, path: str) -> None:  # noqa: ANN001
    driver.get(url + "/login")
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(driver).until(lambda d: not d.current_url.endswith("/login"))
    driver.get(url + path)


def cards(driver) -> list[dict]:  # noqa: ANN001
    """The panel's cards as the script renders them, read in one script (no stale elements)."""
    return driver.execute_script("""return [...document.querySelectorAll('#signals li.signal')].map(li => ({
        id: li.dataset.signalId, status: li.dataset.status, disease: li.querySelector('.sig-disease').textContent,
        area: li.querySelector('.sig-area').textContent, clock: li.querySelector('[data-clock]').textContent,
        buttons: [...li.querySelectorAll('button.act')].map(b => b.textContent),
        msg: li.querySelector('.sig-msg').textContent}))""")


def bars(driver) -> list[dict]:  # noqa: ANN001
    return driver.execute_script("""return [...document.querySelectorAll('#curve-plot rect.bar')].map(r => ({
        week: r.dataset.week, count: Number(r.dataset.count), threshold: r.dataset.threshold,
        cls: r.getAttribute('class')}))""")


def test_the_panel_lists_open_signals_first_with_their_clock(dash: SignalsSystem, browser) -> None:  # noqa: ANN001
    sign_in(browser, dash.url, dash.viewer, "/")
    wait(browser).until(lambda d: len(cards(d)) == 4)
    shown = cards(browser)
    assert [c["status"] for c in shown] == ["signalled", "signalled", "escalated", "closed"]  # open, newest first
    by_disease = {c["disease"]: c for c in shown}
    dengue = by_disease["Tersangka dengue"]
    assert dengue["area"] == "Desa Jondong, Kec. Kalianda"
    assert dengue["clock"].startswith("Eskalasi dalam 23 j") or dengue["clock"].startswith("Eskalasi dalam 24 j")
    escalated = next(c for c in shown if c["status"] == "escalated")
    assert escalated["clock"].startswith("Dieskalasi sejak 6 j")
    closed = by_disease["Lumpuh layuh akut (AFP)"]
    assert closed["clock"].startswith("Ditutup") and "bukan KLB" in closed["clock"]
    assert all(c["buttons"] == [] for c in shown), "a viewer gets no action buttons"
    note = browser.find_element(By.ID, "signals-note").text
    assert note.startswith("3 sinyal terbuka, 1 ditutup")
    assert browser.get_log("browser") == []
    shot(browser, "signals-district")


def test_the_weekly_curve_shows_the_threshold_and_follows_new_cases(dash: SignalsSystem, browser) -> None:  # noqa: ANN001
    browser.get(dash.url + f"/?region={KECAMATAN}")
    wait(browser).until(lambda d: len(cards(d)) == 3)  # Natar's escalated signal lies in another kecamatan
    wait(browser).until(lambda d: len(bars(d)) == 12)  # the area's curve of its first signal's disease
    dengue = next(li for li in browser.find_elements(By.CSS_SELECTOR, "#signals li.signal")
                  if "dengue" in li.find_element(By.CSS_SELECTOR, ".sig-disease").text)
    dengue.find_element(By.CSS_SELECTOR, "button[data-curve]").click()
    wait(browser).until(lambda d: "Desa Jondong" in d.find_element(By.ID, "curve-title").text
                        and bars(d) and bars(d)[-1]["threshold"] != "")
    week = bars(browser)
    assert len(week) == 12 and week[-1]["count"] == 3 and week[-1]["threshold"] == "3"
    assert "red" in week[-1]["cls"] and "now" in week[-1]["cls"]  # at the threshold, this week
    assert all(b["count"] == 0 for b in week[:-1])
    assert browser.find_elements(By.CSS_SELECTOR, "#curve-plot path.tgt")
    assert "minggu ini 3 kasus, ambang 3" in browser.find_element(By.ID, "curve-sub").text
    dash.publish([case(JONDONG, in_week(NOW, timedelta(minutes=1)), "suspected_dengue")])
    try:  # live: the SSE change refreshes the curve
        wait(browser, 15).until(lambda d: (b := bars(d)) and b[-1]["count"] == 4)
    except Exception:
        raise AssertionError(f"curve never showed 4: {bars(browser)} {browser.find_element(By.ID, 'curve-sub').text}")
    card = next(c for c in cards(browser) if c["disease"] == "Tersangka dengue")
    assert card["status"] == "signalled"  # a signal's counts are frozen when raised; the curve moves on
    browser.execute_script("document.getElementById('curve').scrollIntoView({block: 'center'})")
    shot(browser, "signals-curve")


def test_an_admin_verifies_and_closes_on_a_phone(dash: SignalsSystem, browser) -> None:  # noqa: ANN001
    browser.delete_all_cookies()
    browser.set_window_size(390, 844)
    try:
        sign_in(browser, dash.url, dash.admin, f"/?region={KECAMATAN}")
        wait(browser).until(lambda d: len(cards(d)) == 3)
        shown = {c["disease"]: c for c in cards(browser)}
        assert shown["Suspek campak"]["buttons"] == ["Verifikasi", "Tutup: KLB", "Tutup: bukan KLB"]
        assert shown["Lumpuh layuh akut (AFP)"]["buttons"] == []  # closed: nothing more to do
        viewport = browser.execute_script("return document.documentElement.clientWidth")
        assert browser.execute_script("return document.documentElement.scrollWidth") <= viewport

        signal_id = shown["Suspek campak"]["id"]
        card = f'#signals li[data-signal-id="{signal_id}"]'
        browser.find_element(By.CSS_SELECTOR, f"{card} .sig-note-in").send_keys("Anak sudah imunisasi MR; ruam alergi obat")
        button = browser.find_element(By.CSS_SELECTOR, f'{card} button[data-outcome="false_alarm"]')
        assert button.rect["x"] + button.rect["width"] <= viewport
        button.click()
        wait(browser).until(lambda d: next(c for c in cards(d) if c["id"] == signal_id)["status"] == "closed")
        closed = next(c for c in cards(browser) if c["id"] == signal_id)
        assert closed["msg"] == "Sinyal ditutup: bukan KLB (alarm palsu)." and closed["buttons"] == []
        assert [c["status"] for c in cards(browser)][-2:] == ["closed", "closed"]  # closed ones go last

        dengue_id = shown["Tersangka dengue"]["id"]
        browser.find_element(By.CSS_SELECTOR, f'#signals li[data-signal-id="{dengue_id}"] button[data-step="verified"]').click()
        wait(browser).until(lambda d: next(c for c in cards(d) if c["id"] == dengue_id)["status"] == "verified")
        assert next(c for c in cards(browser) if c["id"] == dengue_id)["buttons"] == ["Tutup: KLB", "Tutup: bukan KLB"]
        assert browser.execute_script("return document.documentElement.scrollWidth") <= viewport
        shot(browser, "signals-admin-phone")
        assert browser.get_log("browser") == []

        # surveillance, the owner, recorded both steps with the admin's token id and the note
        internal = httpx.get(f"{dash.system.url('surveillance')}/internal/v1/signals/{signal_id}",
                             headers={"X-Jejaring-Internal-Token": INTERNAL}, timeout=10).json()
        assert (internal["status"], internal["outcome"], internal["actor_token_id"]) == (
            "closed", "false_alarm", "tok_browser_admin")
        assert internal["note"] == "Anak sudah imunisasi MR; ruam alergi obat"
        # a viewer's attempt is refused, whatever the page shows
        assert dash.step(dash.viewer, dengue_id, {"status": "closed", "outcome": "outbreak"}).status_code == 403
    finally:
        browser.set_window_size(1280, 900)
