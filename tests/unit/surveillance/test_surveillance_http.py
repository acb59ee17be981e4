"""The internal signals API the dashboard forwards to: verify and close (200/403/404/409/422), lists, curves."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from pydantic import SecretStr

from services.surveillance.app import create_app
from services.surveillance.tasks import check_escalations
from tests.unit.surveillance.factories import (
    MONDAY,
    NOW,
    THIS_WEEK,
    V3,
    V4,
    Harness,
    dengue,
    migrated,
    visit,
)

ADMIN = {"token_id": "tok_1", "region": "18.01"}
PATH = "/internal/v1/signals/{}/events"


@pytest.fixture
async def seeded(tmp_path) -> AsyncIterator[tuple[Harness, str, str]]:
    harness = await migrated(tmp_path)
    (dengue_signal,) = await harness.visits(dengue(V3, 3))
    (measles,) = await harness.visits([visit(V4, syndromes=["suspected_measles"], facility="PSY4")])
    yield harness, str(dengue_signal.signal_id), str(measles.signal_id)
    await harness.service.db.dispose()


async def client_for(harness: Harness, **settings) -> httpx.AsyncClient:
    app = create_app(harness.settings.model_copy(update=settings), harness.clock)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://surveillance")


async def test_verify_then_close_as_an_outbreak(seeded) -> None:
    harness, signal_id, _ = seeded
    async with await client_for(harness) as c:
        harness.clock.now = NOW + timedelta(hours=3)
        r = await c.post(PATH.format(signal_id), json={"status": "verified", "note": "PE dimulai", "actor": ADMIN})
        assert r.status_code == 200 and r.json()["result"] == "applied"
        assert r.json()["signal"]["status"] == "verified" and r.json()["signal"]["revision"] == 2
        r = await c.post(PATH.format(signal_id), json={"status": "closed", "outcome": "outbreak", "actor": ADMIN})
        assert r.status_code == 200 and r.json()["signal"]["outcome"] == "outbreak"
        r = await c.post(PATH.format(signal_id), json={"status": "verified", "actor": ADMIN})
        assert r.status_code == 409 and r.json()["current_status"] == "closed"
    events = await harness.signals()
    assert [(e.status, e.previous_status, e.revision) for e in events if str(e.signal_id) == signal_id] == [
        ("signalled", None, 1), ("verified", "signalled", 2), ("closed", "verified", 3)]
    assert events[-1].actor_token_id == "tok_1" and events[-1].changed_at == NOW + timedelta(hours=3)


async def test_a_false_alarm_is_closed_directly(seeded) -> None:
    harness, signal_id, _ = seeded
    async with await client_for(harness) as c:
        r = await c.post(PATH.format(signal_id), json={"status": "closed", "outcome": "false_alarm", "actor": ADMIN})
    assert r.status_code == 200 and r.json()["signal"]["status"] == "closed"


@pytest.mark.parametrize(("body", "loc"), [
    ({"status": "closed"}, ["body"]),
    ({"status": "verified", "outcome": "outbreak"}, ["body"]),
    ({"status": "escalated"}, ["body", "status"]),
    ({"status": "closed", "outcome": "perhaps"}, ["body", "outcome"]),
    ({"status": "verified", "note": "x" * 2001}, ["body", "note"]),
])
async def test_bad_bodies_answer_422(seeded, body, loc) -> None:
    harness, signal_id, _ = seeded
    async with await client_for(harness) as c:
        r = await c.post(PATH.format(signal_id), json={**body, "actor": ADMIN})
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"][:len(loc)] == loc


async def test_an_escalated_signal_is_verified_before_it_can_be_closed(seeded) -> None:
    harness, signal_id, _ = seeded
    await check_escalations(harness.service, harness.settings, NOW + timedelta(hours=24))
    async with await client_for(harness) as c:
        r = await c.post(PATH.format(signal_id), json={"status": "closed", "outcome": "false_alarm", "actor": ADMIN})
        assert r.status_code == 409 and r.json()["current_status"] == "escalated"
        assert (await c.post(PATH.format(signal_id), json={"status": "verified", "actor": ADMIN})).status_code == 200
        r = await c.post(PATH.format(signal_id), json={"status": "closed", "outcome": "false_alarm", "actor": ADMIN})
        assert r.status_code == 200


async def test_a_retry_with_the_same_request_id_is_harmless(seeded) -> None:
    harness, signal_id, _ = seeded
    body = {"status": "verified", "request_id": "req-1", "actor": ADMIN}
    async with await client_for(harness) as c:
        assert (await c.post(PATH.format(signal_id), json=body)).json()["result"] == "applied"
        again = await c.post(PATH.format(signal_id), json=body)
        assert again.status_code == 200 and again.json()["result"] == "unchanged"
        other = await c.post(PATH.format(signal_id), json={**body, "request_id": "req-2"})
        assert other.status_code == 409
    assert len([e for e in await harness.signals() if e.status == "verified"]) == 1


async def test_unknown_signal_foreign_region_and_the_internal_token(seeded) -> None:
    harness, signal_id, _ = seeded
    async with await client_for(harness) as c:
        r = await c.post(PATH.format("00000000-0000-0000-0000-000000000000"), json={"status": "verified", "actor": ADMIN})
        assert r.status_code == 404
        foreign = {"token_id": "tok_2", "region": "31.71"}
        r = await c.post(PATH.format(signal_id), json={"status": "verified", "actor": foreign})
        assert r.status_code == 403 and r.json()["current_status"] == "signalled"
    async with await client_for(harness, internal_token=SecretStr("s3cret")) as c:
        assert (await c.get("/internal/v1/signals", params={"region": "18.01"})).status_code == 401
        r = await c.get("/internal/v1/signals", params={"region": "18.01"},
                        headers={"X-Jejaring-Internal-Token": "s3cret"})
        assert r.status_code == 200


async def test_lists_by_region_and_status_newest_first(seeded) -> None:
    harness, dengue_id, measles_id = seeded
    harness.clock.now = NOW + timedelta(hours=1)
    (late,) = await harness.visits([visit(V4, syndromes=["afp"], facility="PSY4")])
    async with await client_for(harness) as c:
        r = await c.get("/internal/v1/signals", params={"region": "18.01"})
        assert [s["signal_id"] for s in r.json()["signals"]][0] == str(late.signal_id)
        assert {s["signal_id"] for s in r.json()["signals"]} == {dengue_id, measles_id, str(late.signal_id)}
        r = await c.get("/internal/v1/signals", params={"region": "18.01.07"})
        assert {s["disease"] for s in r.json()["signals"]} == {"suspected_measles", "afp"}
        r = await c.get("/internal/v1/signals", params={"region": "18.01", "status": ["verified", "closed"]})
        assert r.json()["signals"] == []
        assert (await c.get("/internal/v1/signals", params={"region": "18.x"})).status_code == 422
        one = await c.get(f"/internal/v1/signals/{dengue_id}")
        assert one.status_code == 200 and one.json()["area_code"] == V3 and one.json()["week"] == THIS_WEEK
        assert (await c.get("/internal/v1/signals/nope")).status_code == 404


async def test_the_epidemic_curve_shows_each_weeks_count_and_threshold(seeded) -> None:
    harness, _, _ = seeded
    await harness.visits(dengue(V3, 2, at=MONDAY - timedelta(weeks=1)))
    async with await client_for(harness) as c:
        r = await c.get("/internal/v1/curves", params={"disease": "suspected_dengue", "area_code": V3, "weeks": 3})
        assert r.json()["weeks"] == [{"week": "2026-W47", "count": 0, "threshold": 3},
                                     {"week": "2026-W48", "count": 2, "threshold": 3},
                                     {"week": "2026-W49", "count": 3, "threshold": 3}]
        r = await c.get("/internal/v1/curves", params={"disease": "suspected_dengue", "area_code": V3, "weeks": 1,
                                                        "until": "2026-W50"})
        assert r.json()["weeks"] == [{"week": "2026-W50", "count": 0, "threshold": 3}]
        r = await c.get("/internal/v1/curves", params={"disease": "suspected_dengue", "area_kind": "region",
                                                        "area_code": "18.01", "weeks": 2})
        assert [w["count"] for w in r.json()["weeks"]] == [2, 3] and r.json()["weeks"][0]["threshold"] is None
        assert (await c.get("/internal/v1/curves", params={"disease": "plague", "area_code": V3})).status_code == 422
        r = await c.get("/internal/v1/curves", params={"disease": "ili", "area_code": V3, "until": "2025-W53"})
        assert r.status_code == 422
