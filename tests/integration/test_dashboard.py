"""The dashboard as a real process on the real broker (SQLite and PostgreSQL), fed CloudEvents directly."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta

import httpx
import pytest

from tests.browser.dashboard_kit import (
    DISTRICT,
    JONDONG,
    KECAMATAN,
    MAJA,
    NATAR_VILLAGE,
    PUSKESMAS,
    TENGKUJUH,
    WIB,
    DashboardSystem,
    adult_visit,
    child_screened,
    network,
    referral,
    targets,
)
from tests.dates import in_month, previous_month
from tests.integration.harness import Postgres

NOW = in_month(datetime.now(WIB), timedelta(minutes=5))  # in the current month on any date (tests/dates.py)
THIS = NOW.strftime("%Y-%m")
LAST_AT = previous_month(NOW)  # a visit of last month that syncs today
LAST = LAST_AT.strftime("%Y-%m")
ENV = {"JEJARING_CHANGE_POLL_SECONDS": "0.5", "JEJARING_REWIND_CHECK_SECONDS": "0.5",
       "JEJARING_SUPPRESS_SMALL_COUNTS": "true"}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def dash(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DashboardSystem]:
    postgres = Postgres() if request.param == "postgres" else None
    url = postgres.start() if postgres else None
    system = DashboardSystem(tmp_path_factory.mktemp(f"dashboard-{request.param}"), database_url=url, env=ENV)
    try:
        system.start()
        system.publish([*network(), *targets(NOW.year), *targets(LAST_AT.year)])
        system.district = system.token(DISTRICT)
        system.kecamatan = system.token(KECAMATAN)
        deadline = time.monotonic() + 30
        while True:  # a Puskesmas token needs the dashboard to know the Puskesmas (consumed facilities)
            try:
                system.puskesmas = system.token(PUSKESMAS)
                break
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        system.records_sent = system.publish([
            adult_visit(JONDONG, NOW, person="p_jondong_1"),
            adult_visit(JONDONG, NOW, person="p_jondong_2", systolic=120, diastolic=80),
            adult_visit(TENGKUJUH, NOW, person="p_tengkujuh"),
            adult_visit(MAJA, NOW, person="p_maja"),
            adult_visit(NATAR_VILLAGE, NOW, person="p_natar"),
            adult_visit(JONDONG, LAST_AT, person="p_late"),
            child_screened(JONDONG, NOW, lhfa=-2.6, stunted=True), child_screened(MAJA, NOW, lhfa=0.1, stunted=False),
            *referral(JONDONG, NOW, status="completed"), *referral(TENGKUJUH, NOW), *referral(MAJA, NOW, status="overdue"),
        ])
        system.wait_for(system.district, DISTRICT, THIS,
                        lambda d: d["total"]["indicators"]["visits"]["value"] == 5
                        and d["total"]["referrals"]["month"]["total"] == 3
                        and d["total"]["indicators"]["stunting"]["denominator"] == 2)
        yield system
    finally:
        system.stop()
        if postgres:
            postgres.stop()


def kec_row(data: dict, code: str = KECAMATAN) -> dict:
    return next(r for r in data["rows"] if r["code"] == code)


def test_pws_rolls_up_by_event_time(dash: DashboardSystem) -> None:
    data = dash.pws(dash.district, DISTRICT, THIS)
    assert data["region"] == {"code": DISTRICT, "name": "KABUPATEN LAMPUNG SELATAN", "level": "kabupaten"}
    total = data["total"]["indicators"]
    assert (total["hypertension"]["numerator"], total["hypertension"]["denominator"]) == (4, 5)
    assert (total["stunting"]["numerator"], total["stunting"]["value"], total["stunting"]["colour"]) == (1, 50.0, "red")
    assert total["bp_screened"]["denominator"] == 300  # sasaran of three villages
    kalianda = kec_row(data)
    assert kalianda["indicators"]["visits"]["value"] == 4 and kec_row(data, "18.01.04")["indicators"]["visits"]["value"] == 1
    last = dash.pws(dash.district, DISTRICT, LAST)
    assert last["total"]["indicators"]["visits"]["value"] == 1  # the late visit updated last month
    if LAST[:4] == THIS[:4]:
        ytd = data["total"]["ytd"]["indicators"]
        assert ytd["visits"]["value"] == 6 and ytd["hypertension"]["denominator"] == 6
    desa = dash.pws(dash.district, JONDONG, THIS)
    assert desa["rows"] == [] and desa["total"]["indicators"]["visits"]["value"] == 2
    fresh = {f["code"]: f["status"] for f in dash.pws(dash.district, KECAMATAN, THIS)["freshness"]}
    assert fresh[JONDONG] == "baru" and fresh["18.01.06.2003"] == "senyap"


def test_puskesmas_catchment_view(dash: DashboardSystem) -> None:
    data = dash.pws(dash.puskesmas, PUSKESMAS, THIS)
    assert data["region"]["level"] == "puskesmas" and data["region"]["name"] == "Puskesmas Kalianda"
    assert {r["code"] for r in data["rows"]} == {JONDONG, TENGKUJUH, "18.01.06.1007"}
    assert data["total"]["indicators"]["visits"]["value"] == 3  # Maja is outside the catchment
    assert data["total"]["referrals"]["month"]["total"] == 2
    listing = dash.pws(dash.district, DISTRICT, THIS, by="puskesmas")
    assert [r["code"] for r in listing["rows"]] == ["PKM180106", "PKM180104"]


def test_redelivered_events_change_nothing(dash: DashboardSystem) -> None:
    before = dash.pws(dash.district, DISTRICT, THIS)["total"]
    dash.send(dash.records_sent)  # every event again, same ids
    time.sleep(2.5)
    after = dash.pws(dash.district, DISTRICT, THIS)["total"]
    assert after["indicators"] == before["indicators"] and after["referrals"] == before["referrals"]


def test_scopes_hold_for_api_csv_stream_and_page(dash: DashboardSystem) -> None:
    for path in ("/v1/pws", "/v1/pws.csv", "/v1/pws/referrals.csv", "/v1/pws/freshness.csv", "/v1/stream"):
        assert dash.get(path, dash.puskesmas, region=DISTRICT).status_code == 403, path
        assert dash.get(path, dash.puskesmas, region=MAJA).status_code == 403, path
        assert dash.get(path, dash.kecamatan, region=DISTRICT).status_code == 403, path
        assert dash.get(path, None, region=KECAMATAN).status_code == 401, path
    assert dash.get("/v1/pws", dash.puskesmas, region=TENGKUJUH).status_code == 200
    assert dash.get("/v1/pws", dash.kecamatan, region=JONDONG).status_code == 200
    with httpx.Client(base_url=dash.url) as browser:
        login = browser.post("/login", data={"token": dash.puskesmas})
        cookie = login.headers["set-cookie"].lower()
        assert login.status_code == 303 and "httponly" in cookie
        assert "secure" in cookie  # outside local mode: a browser sends it over HTTPS only
        # the cookie as a browser on the HTTPS deployment sends it back (this test server speaks HTTP)
        session = {"Cookie": login.headers["set-cookie"].split(";", 1)[0]}
        assert browser.get("/", headers=session).status_code == 200
        assert browser.get("/", params={"region": DISTRICT}, headers=session).status_code == 403
        assert browser.get("/v1/pws", params={"region": PUSKESMAS}, headers=session).status_code == 200  # JSON too
        cross_site = browser.post("/login", data={"token": dash.puskesmas}, headers={"Origin": "https://evil.example"})
        assert cross_site.status_code == 403 and "set-cookie" not in cross_site.headers


def test_csv_export_suppresses_small_counts(dash: DashboardSystem) -> None:
    response = dash.get("/v1/pws.csv", dash.district, region=KECAMATAN, period=THIS)
    assert response.status_code == 200 and response.text.startswith("period,code,name,level,indicator")
    visits = {r["code"]: r for r in csv.DictReader(io.StringIO(response.text)) if r["indicator"] == "visits"}
    assert visits[KECAMATAN]["numerator"] == "<5" and visits[JONDONG]["numerator"] == "<5"
    assert visits["18.01.06.2003"]["numerator"] == "0"


def read_events(lines: Iterator[str], wanted: str, timeout: float) -> float | None:
    """Seconds until an SSE event named ``wanted`` arrives on ``lines`` (None on timeout)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        try:
            line = next(lines)
        except (StopIteration, httpx.ReadTimeout):
            return None
        if line == f"event: {wanted}":
            return time.monotonic() - started
    return None


def test_live_stream_reports_a_change_within_two_seconds(dash: DashboardSystem) -> None:
    headers = {"Authorization": f"Bearer {dash.district}"}
    timeout = httpx.Timeout(5.0, read=3.0)
    with httpx.stream("GET", dash.url + "/v1/stream", params={"region": KECAMATAN}, headers=headers, timeout=timeout) as kal, \
            httpx.stream("GET", dash.url + "/v1/stream", params={"region": "18.01.04"}, headers=headers,
                         timeout=timeout) as natar:
        kal_lines, natar_lines = kal.iter_lines(), natar.iter_lines()
        assert read_events(kal_lines, "ready", 5) is not None and read_events(natar_lines, "ready", 5) is not None
        time.sleep(1.2)  # let a poll pass so earlier changes are not reported now
        sent = time.monotonic()
        dash.publish([adult_visit(MAJA, datetime.now(WIB), person="p_live")])
        waited = read_events(kal_lines, "change", 5)
        assert waited is not None, "no change event"
        assert time.monotonic() - sent < 2.0
        assert read_events(natar_lines, "change", 2) is None  # a stream hears only about its own area


def test_rebuild_restores_the_same_numbers(dash: DashboardSystem) -> None:
    def snapshot() -> str | None:
        answers = [dash.get("/v1/pws", dash.district, region=region, period=period)
                   for region, period in ((DISTRICT, THIS), (DISTRICT, LAST), (PUSKESMAS, THIS))]
        if any(a.status_code != 200 for a in answers):  # mid-rebuild the Puskesmas may not be known yet
            return None
        views = [a.json() for a in answers]
        return json.dumps([{"total": {k: v for k, v in d["total"].items() if k != "last_event_at"},
                            "rows": [{k: v for k, v in r.items() if k != "last_event_at"} for r in d["rows"]]}
                           for d in views], sort_keys=True)

    time.sleep(1)
    before = snapshot()
    out = dash.cli("rebuild", "dashboard")  # while the dashboard runs: the command re-reads the topics
    assert "generation 1" in out
    deadline = time.monotonic() + 60
    while snapshot() != before:
        assert time.monotonic() < deadline, "rebuild did not converge"
        time.sleep(0.5)
    dash.stop_dashboard()
    # --in-service, while it is stopped: the dashboard rewinds its partitions and re-reads when it starts
    assert "generation 2" in dash.cli("rebuild", "dashboard", "--in-service")
    dash.start_dashboard()
    deadline = time.monotonic() + 60
    while snapshot() != before:
        assert time.monotonic() < deadline, "rebuild after restart did not converge"
        time.sleep(0.5)
