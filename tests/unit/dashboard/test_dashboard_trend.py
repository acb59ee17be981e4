"""The 12-month trend of one indicator (``/v1/pws/trend``): hand-computed months, a window across a
year boundary (the cumulative line restarts in January), the target's monthly path, months without
data, and the definition fields of ``/v1/indicators``."""

from __future__ import annotations

import httpx
import pytest

from services.dashboard import http
from services.dashboard.domain import arithmetic, definitions
from services.dashboard.domain.registry import BY_ID, REGISTRY
from services.dashboard.usecases import access, queries
from shared.web import http_app
from tests.unit.dashboard.conftest import (
    JONDONG,
    TENGKUJUH,
    Dash,
    adult,
    at,
    facilities,
    target,
)
from tests.unit.dashboard.test_dashboard_pws_kia import recorded_child, weighing


def test_months_ending_crosses_the_year_boundary() -> None:
    assert arithmetic.months_ending("2026-02") == [
        "2025-03", "2025-04", "2025-05", "2025-06", "2025-07", "2025-08", "2025-09", "2025-10", "2025-11",
        "2025-12", "2026-01", "2026-02"]
    assert arithmetic.months_ending("2026-12") == [f"2026-{m:02d}" for m in range(1, 13)]
    assert arithmetic.months_ending("2027-01", 3) == ["2026-11", "2026-12", "2027-01"]
    assert arithmetic.months_ending("2026-05", 1) == ["2026-05"]


def test_cumulate_restarts_every_january() -> None:
    deltas = {"2025-11": [2, 2, 2, 2], "2025-12": [1, 1, 0, 0], "2026-01": [1, 1, 1, 1], "2026-02": [1, 1, 1, 1]}
    assert arithmetic.cumulate(deltas) == {"2025-11": [2, 2, 2, 2], "2025-12": [1, 1, 2, 2],
                                           "2026-01": [1, 1, 1, 1], "2026-02": [1, 1, 2, 2]}


async def trend(dash: Dash, region: str, indicator: str, period: str, scope: str = "18.01") -> dict:
    async with dash.service.db.read_session() as session:
        dash.ctx.directory.invalidate()
        return await queries.trend(session, dash.ctx, region, indicator, period, scope=scope)


@pytest.fixture
async def history(dash: Dash) -> Dash:
    """bp_screened (prorata target 100 % of the adults' sasaran) in Jondong: sasaran 10 in 2025, 20 in 2026.

    a4 in 2025-02 (before the window); a1, a2 in 2025-11; a1 in 2025-12; a3 in 2026-01; a1 and, in
    Tengkujuh (no sasaran), t1 in 2026-02.
    """
    await dash.apply(*facilities(), target(JONDONG, "adult_15_59", 10, 2025), target(JONDONG, "adult_15_59", 20, 2026))
    await dash.apply(adult("a4", at(2, year=2025)), adult("a1", at(11, year=2025)), adult("a2", at(11, 20, year=2025)),
                     adult("a1", at(12, year=2025)), adult("a3", at(1, year=2026)), adult("a1", at(2, year=2026)),
                     adult("t1", at(2, year=2026), village=TENGKUJUH))
    return dash


async def test_trend_across_a_year_boundary_by_hand(history: Dash) -> None:
    data = await trend(history, "18.01.06", "bp_screened", "2026-02")
    assert data["months"] == arithmetic.months_ending("2026-02")
    assert data["indicator"]["id"] == "bp_screened" and data["region"]["code"] == "18.01.06"
    assert data["target_path"] == [25.0, 33.3, 41.7, 50.0, 58.3, 66.7, 75.0, 83.3, 91.7, 100.0, 8.3, 16.7]
    jondong = {p["period"]: p for p in next(r for r in data["rows"] if r["code"] == JONDONG)["series"]}
    # March 2025: no visit that month, but a4 of February counts year-to-date (January of 2025 onwards)
    assert (jondong["2025-03"]["value"], jondong["2025-03"]["numerator"]) == (None, None)
    assert jondong["2025-03"]["target"] == 8.3
    assert jondong["2025-03"]["ytd"] | {} == {"numerator": 1, "denominator": 10, "value": 10.0, "target": 25.0,
                                              "colour": "red"}
    nov, dec, jan, feb = (jondong[p] for p in ("2025-11", "2025-12", "2026-01", "2026-02"))
    assert (nov["numerator"], nov["denominator"], nov["value"]) == (2, 10, 20.0)
    assert (nov["ytd"]["numerator"], nov["ytd"]["value"], nov["ytd"]["target"]) == (3, 30.0, 91.7)
    assert (dec["numerator"], dec["value"], dec["ytd"]["numerator"], dec["ytd"]["value"]) == (1, 10.0, 3, 30.0)
    assert dec["ytd"]["target"] == 100.0
    # January 2026: the cumulative line restarts, against 2026's sasaran
    assert (jan["numerator"], jan["denominator"], jan["value"]) == (1, 20, 5.0)
    assert (jan["ytd"]["numerator"], jan["ytd"]["denominator"], jan["ytd"]["value"], jan["ytd"]["target"]) == (
        1, 20, 5.0, 8.3)
    assert (feb["numerator"], feb["value"], feb["ytd"]["numerator"], feb["ytd"]["value"], feb["ytd"]["target"]) == (
        1, 5.0, 2, 10.0, 16.7)
    tengkujuh = {p["period"]: p for p in next(r for r in data["rows"] if r["code"] == TENGKUJUH)["series"]}
    assert tengkujuh["2026-02"]["numerator"] == 1 and tengkujuh["2026-02"]["value"] is None  # no sasaran imported
    assert tengkujuh["2026-01"]["numerator"] is None and tengkujuh["2026-01"]["ytd"]["value"] is None
    assert tengkujuh["2026-01"]["ytd"]["target"] == 8.3  # the target path stays
    maja = next(r for r in data["rows"] if r["code"] == "18.01.06.2005")["series"]
    assert all(p["numerator"] is None and p["ytd"]["numerator"] is None for p in maja)
    total = {p["period"]: p for p in data["total"]["series"]}
    assert (total["2026-02"]["numerator"], total["2026-02"]["denominator"], total["2026-02"]["value"]) == (2, 20, 10.0)
    assert (total["2026-02"]["ytd"]["numerator"], total["2026-02"]["ytd"]["value"]) == (3, 15.0)


async def test_each_month_equals_the_pws_table_of_that_month(history: Dash) -> None:
    data = await trend(history, "18.01.06", "bp_screened", "2026-02")
    for point in data["total"]["series"]:
        if point["numerator"] is None:
            continue
        pws = await history.pws("18.01.06", point["period"])
        month, ytd = pws["total"]["indicators"]["bp_screened"], pws["total"]["ytd"]["indicators"]["bp_screened"]
        assert {k: point[k] for k in month} == month
        assert point["ytd"] == ytd


async def test_every_registry_indicator_has_a_trend_and_a_flat_target_stays_flat(history: Dash) -> None:
    for indicator in history.ctx.registry:
        data = await trend(history, JONDONG, indicator.id, "2026-02")
        assert len(data["total"]["series"]) == 12 and data["rows"] == []
    stunting = await trend(history, JONDONG, "stunting", "2026-02")
    assert stunting["target_path"] == [BY_ID["stunting"].target] * 12
    visits = {p["period"]: p for p in (await trend(history, JONDONG, "visits", "2026-02"))["total"]["series"]}
    assert visits["2025-11"]["value"] == 2 and visits["2025-11"]["denominator"] is None
    assert visits["2025-12"]["ytd"]["value"] == 4 and visits["2026-01"]["ytd"]["value"] == 1
    assert all(p["target"] is None for p in visits.values())


async def test_unknown_indicator_and_region(history: Dash) -> None:
    with pytest.raises(queries.UnknownIndicator):
        await trend(history, "18.01.06", "nope", "2026-02")
    with pytest.raises(queries.NotFound):
        await trend(history, "18.99", "visits", "2026-02")


async def test_trend_over_http_answers_like_the_pws(history: Dash) -> None:
    app = http_app(history.service, [http.router])
    async with history.service.db.session() as session, session.begin():
        kecamatan = (await access.issue_viewer_token(session, "18.01.06", 365)).token
    auth = {"Authorization": f"Bearer {kecamatan}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dash") as c:
        ok = await c.get("/v1/pws/trend", params={"region": "18.01.06", "indicator": "bp_screened", "period": "2026-02"},
                         headers=auth)
        assert ok.status_code == 200 and ok.headers["cache-control"] == "no-store"
        assert ok.json()["months"][0] == "2025-03" and len(ok.json()["rows"]) > 2
        params = {"region": "18.01.06", "indicator": "visits", "period": "2026-02"}
        assert (await c.get("/v1/pws/trend", params=params)).status_code == 401
        assert (await c.get("/v1/pws/trend", params={**params, "region": "18.01"}, headers=auth)).status_code == 403
        unknown = await c.get("/v1/pws/trend", params={**params, "indicator": "nope"}, headers=auth)
        assert unknown.status_code == 404 and unknown.json()["errors"][0]["loc"] == ["query", "indicator"]
        assert (await c.get("/v1/pws/trend", params={**params, "region": "18.01.06.9999"},
                            headers=auth)).status_code == 404
        assert (await c.get("/v1/pws/trend", params={**params, "period": "2026-13"}, headers=auth)).status_code == 422
        assert (await c.get("/v1/pws/trend", params={"region": "18.01.06"}, headers=auth)).status_code == 422
        meta = (await c.get("/v1/indicators")).json()
    assert [m["id"] for m in meta] == [i.id for i in REGISTRY]
    served = next(m for m in meta if m["id"] == "bp_screened")
    assert served["numerator"] and served["denominator"] and served["source"]  # the old fields stay
    assert "garis target per bulan" in served["applies"] and served["target_path"][5] == 50.0
    assert served["monthly_target"] == 8.3


def test_definitions_of_every_indicator_are_complete() -> None:
    for indicator in REGISTRY:
        d = definitions.definition(indicator)
        assert d["counting"] and d["denominator_text"] and d["target_text"] and d["applies"]
        assert len(d["target_path"]) == 12
        if indicator.target is None:
            assert d["target_path"] == [None] * 12 and "tanpa garis target" in d["applies"]
        elif indicator.ytd == "prorata":
            assert d["target_path"][-1] == indicator.target and "Kumulatif" in d["applies"]
        else:
            assert set(d["target_path"]) == {indicator.target} and "datar" in d["applies"]


async def test_trends_of_skdn_ratios_equal_the_pws_table_of_each_month(dash: Dash) -> None:
    """D/K's denominator is K (another indicator's count since January), D/S and N/D have no year-to-date
    value and K/S is cumulative: the trend's points are the PWS table's cells, month by month."""
    await dash.apply(*facilities(), target(JONDONG, "under_five", 20))
    await dash.apply(*weighing("c1", at(10, 10), "N"), *weighing("c2", at(10, 10), "T"),
                     recorded_child("c3", at(10, 12), None), *weighing("c1", at(11, 9), "N"))
    for indicator in ("skdn_d_k", "skdn_k_s", "skdn_n_d", "children_weighed"):
        series = {p["period"]: p for p in (await trend(dash, JONDONG, indicator, "2026-11"))["total"]["series"]}
        for period in ("2026-10", "2026-11"):
            pws = await dash.pws(JONDONG, period)
            month, ytd = pws["total"]["indicators"][indicator], pws["total"]["ytd"]["indicators"][indicator]
            assert {k: series[period][k] for k in month} == month, (indicator, period)
            assert series[period]["ytd"] == ytd, (indicator, period)
    d_k = {p["period"]: p for p in (await trend(dash, JONDONG, "skdn_d_k", "2026-11"))["total"]["series"]}
    assert (d_k["2026-10"]["numerator"], d_k["2026-10"]["denominator"]) == (2, 3)  # D: c1, c2; K: c1-c3
    assert (d_k["2026-11"]["numerator"], d_k["2026-11"]["denominator"]) == (1, 3)
    assert d_k["2026-11"]["ytd"]["value"] is None  # a monthly ratio
