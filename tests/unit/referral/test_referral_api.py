"""The HTTP API over a migrated SQLite database (no broker): status updates and lists."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from services.referral import http
from services.referral.usecases import network, risks
from shared.contracts.events import FacilityTokenChanged
from shared.web import http_app
from tests.unit.referral.factories import risk

FEEDBACK = {"diagnosis": "Hipertensi esensial", "instructions": "Amlodipin 5 mg 1x1", "follow_up_date": "2030-01-01"}


@pytest.fixture
async def client(harness):
    async with harness.service.transaction() as unit:
        for facility in ("PKM", "PSY", "RS"):
            token_hash = hashlib.sha256(f"tok-{facility}".encode()).hexdigest()
            await network.upsert_token(unit, FacilityTokenChanged(token_hash=token_hash, facility_id=facility))
        await network.upsert_token(unit, FacilityTokenChanged(token_hash=hashlib.sha256(b"tok-old").hexdigest(),
                                                               facility_id="PKM", revoked=True))
    app = http_app(harness.service, [http.router])
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://referral") as c:
        yield c


def auth(facility: str) -> dict[str, str]:
    return {"Authorization": f"Bearer tok-{facility}"}


async def make(harness, **kw) -> str:
    event = risk("HT", at=datetime.now(timezone(timedelta(hours=7))) - timedelta(hours=2), **kw)
    await harness.risk(event, datetime.now(timezone.utc))
    return str(risks.referral_id_for(event.risk_id))


def body(status: str, **kw) -> dict:
    at = (datetime.now(timezone(timedelta(hours=8))) - timedelta(minutes=30)).isoformat()
    return {"status": status, "at": at, **({"feedback": FEEDBACK} if status == "completed" else {}), **kw}


async def test_status_updates_answer_per_the_contract(harness, client) -> None:
    rid = await make(harness)
    url = f"/v1/referrals/{rid}/events"
    assert (await client.post(url, json=body("received"))).status_code == 401
    revoked = {"Authorization": "Bearer tok-old"}
    assert (await client.post(url, json=body("received"), headers=revoked)).status_code == 401
    bad = await client.post(url, json={"status": "completed", "at": body("x")["at"]}, headers=auth("PKM"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["msg"]
    assert (await client.post(url, json=body("received"), headers=auth("RS"))).status_code == 403
    unknown = await client.post("/v1/referrals/nope/events", json=body("received"), headers=auth("PKM"))
    assert unknown.status_code == 404
    received = body("received", note="diterima")
    first = await client.post(url, json=received, headers=auth("PKM"))
    assert first.status_code == 200 and first.json()["result"] == "applied"
    assert first.json()["referral"]["status"] == "received"
    again = await client.post(url, json=received, headers=auth("PKM"))
    assert again.status_code == 200 and again.json()["result"] == "unchanged"
    conflict = await client.post(url, json=body("completed"), headers=auth("PKM"))
    assert conflict.status_code == 409 and conflict.json()["current_status"] == "received"
    future = await client.post(url, json={**body("attended"), "at": "2099-01-01T00:00:00+07:00"}, headers=auth("PKM"))
    assert future.status_code == 422 and future.json()["errors"][0]["loc"] == ["body", "at"]
    assert (await client.post(url, json=body("attended"), headers=auth("PKM"))).status_code == 200
    done = await client.post(url, json=body("completed"), headers=auth("PKM"))
    assert done.status_code == 200 and done.json()["referral"]["feedback"] == FEEDBACK
    assert len(await harness.updates()) == 3


async def test_origin_may_cancel_and_lists_show_both_sides(harness, client) -> None:
    rids = [await make(harness, person=f"p{i}") for i in range(3)]
    cancel = await client.post(f"/v1/referrals/{rids[0]}/events", json=body("cancelled", note="pindah"),
                               headers=auth("PSY"))
    assert cancel.status_code == 200
    sent = (await client.get("/v1/referrals", params={"direction": "sent"}, headers=auth("PSY"))).json()
    assert {r["referral_id"] for r in sent["referrals"]} == set(rids) and sent["next_cursor"] is None
    inbox = (await client.get("/v1/referrals", params={"direction": "received", "status": "made"},
                              headers=auth("PKM"))).json()["referrals"]
    assert {r["referral_id"] for r in inbox} == set(rids[1:])
    assert (await client.get("/v1/referrals", headers=auth("RS"))).json()["referrals"] == []
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/referrals", params=params, headers=auth("PKM"))).json()
        seen += [r["referral_id"] for r in page["referrals"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(rids)
    for params in ({"status": "lost"}, {"direction": "up"}, {"limit": 0}, {"since": "yesterday"}, {"cursor": "!!"}):
        answer = await client.get("/v1/referrals", params=params, headers=auth("PKM"))
        assert answer.status_code == 422 and answer.json()["errors"], params
    one = await client.get(f"/v1/referrals/{rids[1]}", headers=auth("PKM"))
    assert one.status_code == 200 and one.json()["history"][0]["status"] == "made"
    assert (await client.get(f"/v1/referrals/{rids[1]}", headers=auth("RS"))).status_code == 403
    assert (await client.get("/v1/referrals/nope", headers=auth("RS"))).status_code == 404
