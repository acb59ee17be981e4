"""Outbreak signals on the dashboard: the read model of ilp.outbreak.signal.v1, GET /v1/signals with
its scope, and verify/close forwarded to a real surveillance service (its app on ASGI, its own
SQLite database, an injected clock) — 200/403/404/409/422 passed through, 503 when it is away.

Every date is fixed (surveillance's clock is injected), so the tests pass on any day.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr

from services.dashboard import http, http_signals
from services.dashboard.surveillance import Surveillance
from services.dashboard.usecases import access
from services.dashboard.usecases import signals as read_model
from services.surveillance.app import create_app as surveillance_app
from shared.auth import hash_token
from shared.contracts.events import FacilityTokenChanged, OutbreakSignal
from shared.web import http_app
from tests.unit.dashboard.conftest import Dash
from tests.unit.surveillance.factories import (
    NOW,
    THIS_WEEK,
    V3,
    V4,
    Harness,
    dengue,
    migrated,
    network,
    visit,
)

ADMIN_DISTRICT, ADMIN_OTHER = "jja_district_admin_token", "jja_other_admin_token"


@dataclass
class World:
    dash: Dash
    surveillance: Harness
    client: httpx.AsyncClient
    dengue: OutbreakSignal
    measles: OutbreakSignal

    async def viewer(self, region: str) -> dict:
        async with self.dash.service.db.session() as session, session.begin():
            return bearer((await access.issue_viewer_token(session, region, 365)).token)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def admin_token(token: str, region: str, token_id: str) -> FacilityTokenChanged:
    return FacilityTokenChanged(token_hash=hash_token(token), token_id=token_id, kind="admin", region=region,
                                expires_at=NOW + timedelta(days=3650))


@pytest.fixture
async def world(dash: Dash, tmp_path) -> AsyncIterator[World]:
    harness = await migrated(tmp_path, "surveillance.db")
    (dengue_signal,) = await harness.visits(dengue(V3, 3))
    harness.clock.now = NOW + timedelta(hours=1)
    (measles,) = await harness.visits([visit(V4, syndromes=["suspected_measles"], facility="PSY4")])
    await dash.apply(*network(), admin_token(ADMIN_DISTRICT, "18.01", "tok_district"),
                     admin_token(ADMIN_OTHER, "18.01.07", "tok_other"))
    await dash.apply(dengue_signal, measles)
    app = surveillance_app(harness.settings, harness.clock)
    dash.service.context.surveillance = Surveillance("http://surveillance", transport=httpx.ASGITransport(app=app))
    dashboard = http_app(dash.service, [http.router, http_signals.router])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=dashboard), base_url="http://dash") as client:
        yield World(dash, harness, client, dengue_signal, measles)
    await harness.service.db.dispose()


def step_path(signal: OutbreakSignal | str) -> str:
    return f"/v1/signals/{getattr(signal, 'signal_id', signal)}/events"


async def listed(world: World, headers: dict, **params) -> list[dict]:
    response = await world.client.get("/v1/signals", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["signals"]


async def test_the_read_model_keeps_the_highest_revision_once(world: World) -> None:
    dash, signal = world.dash, world.dengue
    verified = signal.model_copy(update={"status": "verified", "previous_status": "signalled", "revision": 2})
    dash.published.clear()
    await dash.apply(verified)
    assert dash.published == [{V3}]  # the pages of the signal's village hear of it
    await dash.apply(signal)  # an older revision arriving late (another partition, a replay)
    await dash.apply(verified)  # redelivered under a new event id: the revision rule keeps it single
    async with dash.service.db.read_session() as session:
        kept = await read_model.find(session, str(signal.signal_id))
    assert (kept["status"], kept["revision"]) == ("verified", 2)
    assert dash.published == [{V3}]  # the stale and the repeated copies changed nothing
    assert "previous_status" not in kept and kept["evidence"]["tipping_visit_id"] == str(signal.evidence.tipping_visit_id)


async def test_a_change_applied_by_another_replica_reaches_the_pages_by_polling(world: World) -> None:
    feed = world.dash.feed
    await feed.poll_once()  # primed: what exists now
    async with world.dash.service.db.session() as session, session.begin():
        await read_model.store(session, [world.measles.model_copy(update={"status": "verified", "revision": 2})])
    assert await feed.poll_once() == {V4}
    assert await feed.poll_once() == set()


async def test_signals_are_listed_newest_first_within_the_scope(world: World) -> None:
    district = await world.viewer("18.01")
    ids = [s["signal_id"] for s in await listed(world, district, region="18.01")]
    assert ids == [str(world.measles.signal_id), str(world.dengue.signal_id)]  # measles was raised later
    assert [s["signal_id"] for s in await listed(world, district)] == ids  # the token's scope by default
    kecamatan = await world.viewer("18.01.06")
    (only,) = await listed(world, kecamatan, region="18.01.06")
    assert only["disease"] == "suspected_dengue" and only["village_code"] == V3 and only["week"] == THIS_WEEK
    assert only["counts"]["this_week"] == 3 and only["status"] == "signalled"
    assert (only["area_name"], only["village_name"], only["kecamatan_name"]) == ("Pauh Tanjung Iman", "Pauh Tanjung Iman", "Kalianda")
    assert await listed(world, kecamatan, region=V3) == [only]
    assert (await world.client.get("/v1/signals", params={"region": "18.01.07"}, headers=kecamatan)).status_code == 403
    puskesmas = await world.viewer("PKM")
    assert [s["signal_id"] for s in await listed(world, puskesmas)] == [str(world.dengue.signal_id)]
    assert (await world.client.get("/v1/signals", params={"region": "PKM2"}, headers=puskesmas)).status_code == 403
    assert [s["disease"] for s in await listed(world, district, status="signalled", region="18.01")] == [
        "suspected_measles", "suspected_dengue"]
    assert await listed(world, district, status="closed") == []
    assert (await world.client.get("/v1/signals")).status_code == 401
    assert (await world.client.get("/v1/signals", params={"status": "bogus"}, headers=district)).status_code == 422


async def test_an_admin_verifies_then_closes_and_the_page_sees_it_at_once(world: World) -> None:
    path = step_path(world.dengue)
    world.surveillance.clock.now = NOW + timedelta(hours=2)
    r = await world.client.post(path, json={"status": "verified", "note": "PE dimulai"}, headers=bearer(ADMIN_DISTRICT))
    assert r.status_code == 200, r.text
    assert r.json()["result"] == "applied" and r.json()["signal"]["revision"] == 2
    (kept,) = [s for s in await listed(world, await world.viewer("18.01")) if s["signal_id"] == str(world.dengue.signal_id)]
    assert kept["status"] == "verified" and kept["note"] == "PE dimulai"  # before the event arrives
    again = await world.client.post(path, json={"status": "verified"}, headers=bearer(ADMIN_DISTRICT))
    assert again.status_code == 409 and again.json()["current_status"] == "verified"
    r = await world.client.post(path, json={"status": "closed", "outcome": "outbreak", "request_id": "form-1"},
                                headers=bearer(ADMIN_DISTRICT))
    assert r.status_code == 200 and r.json()["signal"]["outcome"] == "outbreak"
    retry = await world.client.post(path, json={"status": "closed", "outcome": "outbreak", "request_id": "form-1"},
                                    headers=bearer(ADMIN_DISTRICT))
    assert retry.status_code == 200 and retry.json()["result"] == "unchanged"
    events = [e for e in await world.surveillance.signals() if e.signal_id == world.dengue.signal_id]
    assert [(e.status, e.actor_token_id) for e in events] == [
        ("signalled", None), ("verified", "tok_district"), ("closed", "tok_district")]
    # the events themselves, consumed afterwards, change nothing more
    await world.dash.apply(*events)
    async with world.dash.service.db.read_session() as session:
        assert (await read_model.find(session, str(world.dengue.signal_id)))["revision"] == 3


@pytest.mark.parametrize(("body", "field"), [
    ({"status": "closed"}, "outcome"),
    ({"status": "verified", "outcome": "outbreak"}, "outcome"),
    ({"status": "closed", "outcome": "maybe"}, "outcome"),
    ({"status": "escalated"}, "status"),
    ({"status": "verified", "actor": {"token_id": "x", "region": "18"}}, "actor"),
    ({}, "status"),
])
async def test_invalid_steps_answer_422(world: World, body: dict, field: str) -> None:
    r = await world.client.post(step_path(world.dengue), json=body, headers=bearer(ADMIN_DISTRICT))
    assert r.status_code == 422, r.text
    assert any(field in e["loc"] or field in e["msg"] for e in r.json()["errors"]), r.json()
    assert (await world.client.post(step_path(world.dengue), content=b"{nope", headers=bearer(ADMIN_DISTRICT))
            ).status_code == 422


async def test_viewers_other_regions_and_strangers_are_refused(world: World) -> None:
    path, body = step_path(world.dengue), {"status": "verified"}
    assert (await world.client.post(path, json=body)).status_code == 401
    viewer = await world.client.post(path, json=body, headers=await world.viewer("18.01"))
    assert viewer.status_code == 403
    other = await world.client.post(path, json=body, headers=bearer(ADMIN_OTHER))  # 18.01.07: not V3's region
    assert other.status_code == 403 and other.json()["errors"][0]["loc"] == ["path", "signal_id"]
    assert (await world.client.post(step_path(world.measles), json={"status": "closed", "outcome": "false_alarm"},
                                    headers=bearer(ADMIN_OTHER))).status_code == 200  # V4 lies in 18.01.07
    unknown = await world.client.post(step_path("00000000-0000-0000-0000-000000000000"), json=body,
                                      headers=bearer(ADMIN_DISTRICT))
    assert unknown.status_code == 404
    assert [e.status for e in await world.surveillance.signals() if e.signal_id == world.dengue.signal_id] == ["signalled"]


async def test_a_signal_not_yet_in_the_read_model_is_judged_by_surveillance(world: World) -> None:
    (diphtheria,) = await world.surveillance.visits([visit(V4, syndromes=["suspected_diphtheria"], facility="PSY4")])
    r = await world.client.post(step_path(diphtheria), json={"status": "verified"}, headers=bearer(ADMIN_DISTRICT))
    assert r.status_code == 200 and r.json()["signal"]["revision"] == 2
    (other,) = await world.surveillance.visits([visit(V3, syndromes=["afp"])])
    refused = await world.client.post(step_path(other), json={"status": "verified"}, headers=bearer(ADMIN_OTHER))
    assert refused.status_code == 403 and refused.json()["current_status"] == "signalled"  # surveillance's answer


async def test_an_admin_session_acts_from_its_own_page_only(world: World) -> None:
    login = await world.client.post("/login", data={"token": ADMIN_DISTRICT})
    assert login.status_code == 303
    page = await world.client.get("/")
    assert 'data-role="admin"' in page.text
    foreign = await world.client.post(step_path(world.dengue), json={"status": "verified"},
                                      headers={"Origin": "https://elsewhere.example"})
    assert foreign.status_code == 403
    own = await world.client.post(step_path(world.dengue), json={"status": "verified"},
                                  headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"})
    assert own.status_code == 200, own.text


async def test_surveillance_away_or_misconfigured_answers_503(world: World) -> None:
    attempts = []

    def refuse(request: httpx.Request) -> httpx.Response:
        attempts.append(request.content)
        raise httpx.ConnectError("refused", request=request)

    world.dash.service.context.surveillance = Surveillance("http://surveillance", transport=httpx.MockTransport(refuse))
    r = await world.client.post(step_path(world.dengue), json={"status": "verified"}, headers=bearer(ADMIN_DISTRICT))
    assert r.status_code == 503 and r.headers["retry-after"] == "5"
    assert len(attempts) == 2 and attempts[0] == attempts[1]  # one retry, with the same request_id
    curve = await world.client.get("/v1/signals/curve", params={"disease": "suspected_dengue", "area_code": "18.01"},
                                   headers=await world.viewer("18.01"))
    assert curve.status_code == 503
    listed_anyway = await listed(world, await world.viewer("18.01"))  # reading never needs surveillance
    assert len(listed_anyway) == 2
    secret = world.surveillance.settings.model_copy(update={"internal_token": SecretStr("s3cret")})
    app = surveillance_app(secret, world.surveillance.clock)
    world.dash.service.context.surveillance = Surveillance("http://surveillance", "wrong",
                                                           transport=httpx.ASGITransport(app=app))
    r = await world.client.post(step_path(world.dengue), json={"status": "verified"}, headers=bearer(ADMIN_DISTRICT))
    assert r.status_code == 503  # surveillance's 401 is a configuration fault, not the person's
    world.dash.service.context.surveillance = Surveillance("http://surveillance", "s3cret",
                                                           transport=httpx.ASGITransport(app=app))
    r = await world.client.post(step_path(world.dengue), json={"status": "verified"}, headers=bearer(ADMIN_DISTRICT))
    assert r.status_code == 200


async def test_a_curve_asked_on_a_connection_surveillance_just_closed_is_asked_again(world: World) -> None:
    """A kept-alive connection the server closes as the request goes out gives no answer at all; the
    read is asked once more instead of answering the page 503."""
    real = httpx.ASGITransport(app=surveillance_app(world.surveillance.settings, world.surveillance.clock))
    attempts = []

    class ClosedOnce(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            attempts.append(request.url.path)
            if len(attempts) == 1:
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
            return await real.handle_async_request(request)

    world.dash.service.context.surveillance = Surveillance("http://surveillance", transport=ClosedOnce())
    params = {"disease": "suspected_dengue", "area_kind": "village", "area_code": V3, "weeks": 5, "until": THIS_WEEK}
    r = await world.client.get("/v1/signals/curve", params=params, headers=await world.viewer("18.01.06"))
    assert r.status_code == 200, r.text
    assert attempts == ["/internal/v1/curves", "/internal/v1/curves"]


async def test_the_epidemic_curve_is_proxied_within_the_scope(world: World) -> None:
    kecamatan = await world.viewer("18.01.06")
    params = {"disease": "suspected_dengue", "area_kind": "village", "area_code": V3, "weeks": 5, "until": THIS_WEEK}
    r = await world.client.get("/v1/signals/curve", params=params, headers=kecamatan)
    assert r.status_code == 200, r.text
    weeks = r.json()["weeks"]
    assert [w["week"] for w in weeks][-1] == THIS_WEEK and len(weeks) == 5
    assert weeks[-1]["count"] == 3 and weeks[-1]["threshold"] == 3 and weeks[0]["count"] == 0
    region = await world.client.get("/v1/signals/curve", params={**params, "area_kind": "region", "area_code": "18.01.06"},
                                    headers=kecamatan)
    assert region.json()["weeks"][-1] == {"week": THIS_WEEK, "count": 3, "threshold": None}
    pkm = await world.client.get("/v1/signals/curve", params={**params, "area_kind": "puskesmas", "area_code": "PKM"},
                                 headers=kecamatan)
    assert pkm.status_code == 200 and pkm.json()["weeks"][-1]["threshold"] == 5
    for bad in ({"area_code": V4}, {"area_kind": "region", "area_code": "18.01"}):
        assert (await world.client.get("/v1/signals/curve", params={**params, **bad}, headers=kecamatan)).status_code == 403
    for bad in ({"area_kind": "village", "area_code": "18.01.06"}, {"area_kind": "region", "area_code": "PKM"},
                {"until": "2026-49"}, {"disease": "flu"}):
        assert (await world.client.get("/v1/signals/curve", params={**params, **bad}, headers=kecamatan)).status_code == 422
