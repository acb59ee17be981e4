"""Access, login and exports over HTTP (the dashboard's router on ASGI; the read model on SQLite)."""

from __future__ import annotations

import csv
import io

import httpx
import pytest
from sqlalchemy import select

from services.dashboard import http, models
from services.dashboard.usecases import access
from shared.auth import hash_token
from shared.web import http_app
from tests.unit.dashboard.conftest import (
    MAJA,
    NATAR,
    TENGKUJUH,
    Dash,
    adult,
    at,
    facilities,
    settings_for,
)

PERIOD = "2026-11"


async def token(dash: Dash, region: str) -> str:
    async with dash.service.db.session() as session, session.begin():
        return (await access.issue_viewer_token(session, region, 365)).token


@pytest.fixture
async def client(dash: Dash, tmp_path):
    await dash.apply(*facilities())
    await dash.apply(*[adult(f"j{i}", at(11)) for i in range(7)], adult("t1", at(11), village=TENGKUJUH),
                     adult("m1", at(11), village=MAJA), adult("n1", at(11), village=NATAR))
    dash.service.context.settings = settings_for(tmp_path, suppress_small_counts=True)
    app = http_app(dash.service, [http.router])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dash") as c:
        yield c


def bearer(tok: str) -> dict:
    return {"Authorization": f"Bearer {tok}"}


async def test_login_sets_an_httponly_strict_cookie_with_a_server_side_session(client: httpx.AsyncClient, dash: Dash) -> None:
    form = await client.get("/login")
    assert form.status_code == 200 and 'name="token"' in form.text and "Content-Security-Policy" in form.headers
    bad = await client.post("/login", data={"token": "jjv_nope"})
    assert bad.status_code == 401 and "Token tidak valid" in bad.text
    tok = await token(dash, "18.01")
    response = await client.post("/login", data={"token": tok})
    assert response.status_code == 303 and response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    sid = client.cookies.get("jejaring_session")
    assert sid and tok not in cookie and sid != tok
    async with dash.service.db.read_session() as session:
        stored = (await session.execute(select(models.sessions.c.id_hash, models.sessions.c.token_hash))).all()
    assert stored == [(hash_token(sid), hash_token(tok))]  # only hashes are kept
    page = await client.get("/")
    assert page.status_code == 200 and 'data-scope="18.01"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    # the JSON and CSV endpoints take the cookie too
    assert (await client.get("/v1/pws", params={"region": "18.01.06", "period": PERIOD})).status_code == 200
    logout = await client.post("/logout")
    assert logout.status_code == 303
    client.cookies.set("jejaring_session", sid)
    assert (await client.get("/")).headers["location"] == "/login"  # the session is gone server-side


async def test_page_redirects_without_session_and_refuses_regions_outside_scope(client: httpx.AsyncClient, dash: Dash) -> None:
    assert (await client.get("/")).status_code == 303
    await client.post("/login", data={"token": await token(dash, "18.01.06")})
    assert (await client.get("/", params={"region": "18.01.06.2001"})).status_code == 200
    outside = await client.get("/", params={"region": "18.01"})
    assert outside.status_code == 403 and "Akses ditolak" in outside.text


async def test_api_csv_and_stream_answer_401_and_403_alike(client: httpx.AsyncClient, dash: Dash) -> None:
    kecamatan = await token(dash, "18.01.06")
    for path in ("/v1/pws", "/v1/pws.csv", "/v1/pws/referrals.csv", "/v1/pws/freshness.csv", "/v1/stream"):
        assert (await client.get(path, params={"region": "18.01.06"})).status_code == 401, path
        assert (await client.get(path, params={"region": "18.01.06"}, headers=bearer("jjv_bad"))).status_code == 401
        denied = await client.get(path, params={"region": "18.01"}, headers=bearer(kecamatan))
        assert denied.status_code == 403, path
        assert denied.json()["errors"][0]["loc"] == ["query", "region"]
    unknown = await client.get("/v1/pws", params={"region": "18.01.06.9999"}, headers=bearer(kecamatan))
    assert unknown.status_code == 404
    bad_period = await client.get("/v1/pws", params={"region": "18.01.06", "period": "2026-13"}, headers=bearer(kecamatan))
    assert bad_period.status_code == 422


async def test_puskesmas_token_sees_its_catchment_only(client: httpx.AsyncClient, dash: Dash) -> None:
    pkm = await token(dash, "PKM1")
    data = (await client.get("/v1/pws", params={"region": "PKM1", "period": PERIOD}, headers=bearer(pkm))).json()
    assert data["region"]["level"] == "puskesmas" and data["total"]["indicators"]["visits"]["value"] == 8
    assert {r["code"] for r in data["rows"]} == {"18.01.06.1007", "18.01.06.2001", TENGKUJUH}
    assert (await client.get("/v1/pws", params={"region": TENGKUJUH}, headers=bearer(pkm))).status_code == 200
    for region in ("18.01", "18.01.06", MAJA, "PKM2"):
        assert (await client.get("/v1/pws", params={"region": region}, headers=bearer(pkm))).status_code == 403, region
        assert (await client.get("/v1/pws.csv", params={"region": region}, headers=bearer(pkm))).status_code == 403
    district = await token(dash, "18.01")
    assert (await client.get("/v1/pws", params={"region": "PKM1"}, headers=bearer(district))).status_code == 200
    await client.post("/login", data={"token": pkm})
    assert (await client.get("/")).status_code == 200
    assert (await client.get("/", params={"region": "18.01.06"})).status_code == 403


async def test_csv_exports_suppress_small_counts_when_configured(client: httpx.AsyncClient, dash: Dash) -> None:
    district = await token(dash, "18.01")
    response = await client.get("/v1/pws.csv", params={"region": "18.01.06", "period": PERIOD}, headers=bearer(district))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert 'filename="pws-18.01.06-2026-11.csv"' in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    visits = {r["code"]: r["numerator"] for r in rows if r["indicator"] == "visits"}
    assert visits["18.01.06"] == "9" and visits["18.01.06.2001"] == "7"  # published
    assert visits[TENGKUJUH] == "<5" and visits[MAJA] == "<5"  # 1 visit each: suppressed
    assert visits["18.01.06.2003"] == "0"
    json_api = (await client.get("/v1/pws", params={"region": "18.01.06", "period": PERIOD}, headers=bearer(district))).json()
    assert next(r for r in json_api["rows"] if r["code"] == MAJA)["indicators"]["visits"]["value"] == 1  # page: exact
    refs = await client.get("/v1/pws/referrals.csv", params={"region": "18.01.06", "period": PERIOD}, headers=bearer(district))
    assert refs.text.startswith("period,span,code,name,level,total")
    fresh = await client.get("/v1/pws/freshness.csv", params={"region": "18.01.06"}, headers=bearer(district))
    assert fresh.text.startswith("code,name,kecamatan,last_event_at") and MAJA in fresh.text


async def test_revoked_token_ends_its_sessions(client: httpx.AsyncClient, dash: Dash) -> None:
    tok = await token(dash, "18.01")
    await client.post("/login", data={"token": tok})
    assert (await client.get("/")).status_code == 200
    async with dash.service.db.session() as session, session.begin():
        assert await access.revoke(session, tok)
    assert (await client.get("/")).status_code == 303
    assert (await client.get("/v1/pws", params={"region": "18.01"}, headers=bearer(tok))).status_code == 401


async def test_indicators_and_assets(client: httpx.AsyncClient) -> None:
    registry = (await client.get("/v1/indicators")).json()
    stunting = next(i for i in registry if i["id"] == "stunting")
    assert stunting["label"].startswith("Balita pendek") and stunting["target"] == 14 and stunting["direction"] == "down"
    js = await client.get("/static/app.js")
    assert js.status_code == 200 and "EventSource" in js.text
    assert (await client.get("/static/../models.py")).status_code == 404


async def test_metrics_can_be_restricted_to_named_metrics(dash: Dash) -> None:
    await dash.apply(adult("x1", at(11)))
    app = http_app(dash.service, [], title="t")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://dash") as c:
        everything = (await c.get("/metrics")).text
        only = (await c.get("/metrics", params={"name[]": "jejaring_events_applied_total"})).text
    assert "jejaring_events_applied_total{" in everything and "jejaring_batch_seconds" in everything
    assert 'jejaring_events_applied_total{service="dashboard",topic="ilp.visit.recorded.v1"} 1.0' in only
    assert "jejaring_batch_seconds" not in only and "python_info" not in only


async def test_outside_local_mode_the_session_cookie_is_secure(dash: Dash, tmp_path) -> None:
    dash.service.context.settings = settings_for(tmp_path, environment="test")
    app = http_app(dash.service, [http.router])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="https://dash") as c:
        response = await c.post("/login", data={"token": await token(dash, "18.01")})
        assert response.status_code == 303 and "Secure" in response.headers["set-cookie"]
        assert (await c.get("/")).status_code == 200  # sent back over HTTPS


async def test_sign_in_refuses_other_origins_and_repeated_failures(client: httpx.AsyncClient, dash: Dash) -> None:
    tok = await token(dash, "18.01")
    forged = await client.post("/login", data={"token": tok}, headers={"Origin": "https://evil.example"})
    assert forged.status_code == 403 and "set-cookie" not in forged.headers
    blind = await client.post("/login", data={"token": tok}, headers={"Origin": "null", "Sec-Fetch-Site": "cross-site"})
    assert blind.status_code == 403
    own = await client.post("/login", data={"token": tok}, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 303  # our own no-referrer page
    for _ in range(19):
        assert (await client.post("/login", data={"token": "jjv_guess"})).status_code == 401
    limited = await client.post("/login", data={"token": "jjv_guess"})
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert (await client.post("/login", data={"token": tok})).status_code == 303  # a valid token still signs in


async def test_an_admin_token_from_registration_signs_in_until_revoked(client: httpx.AsyncClient, dash: Dash) -> None:
    from shared.contracts.events import FacilityTokenChanged

    secret = "jja_admin-secret"
    issued = FacilityTokenChanged(token_hash=hash_token(secret), token_id="tok_00112233aabbccdd", kind="admin",
                                  region="18.01.06", expires_at=at(12, year=2030))
    await dash.apply(issued)
    assert (await client.post("/login", data={"token": secret})).status_code == 303
    page = await client.get("/")
    assert 'data-scope="18.01.06"' in page.text and 'data-role="admin"' in page.text
    assert (await client.get("/v1/pws", params={"region": "18.01"}, headers=bearer(secret))).status_code == 403
    await dash.apply(issued.model_copy(update={"revoked": True}))
    assert (await client.get("/")).status_code == 303  # the session ends with its token
    assert (await client.get("/v1/pws", params={"region": "18.01.06"}, headers=bearer(secret))).status_code == 401


async def test_an_expired_viewer_token_is_refused(client: httpx.AsyncClient, dash: Dash) -> None:
    tok = await token(dash, "18.01")
    assert (await client.get("/v1/pws", params={"region": "18.01"}, headers=bearer(tok))).status_code == 200
    async with dash.service.db.session() as session, session.begin():
        await session.execute(models.viewer_tokens.update().where(models.viewer_tokens.c.token_hash == hash_token(tok))
                              .values(expires_at=at(1, year=2020)))
    assert (await client.get("/v1/pws", params={"region": "18.01"}, headers=bearer(tok))).status_code == 401
    assert (await client.post("/login", data={"token": tok})).status_code == 401
