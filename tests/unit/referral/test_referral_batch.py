"""``on_risks`` for a whole batch (set-wise, in-batch state) decides exactly what it decides one risk at a time."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from services.referral import models
from services.referral.usecases import network
from services.referral.usecases import risks as risk_usecases
from shared.envelope import encode
from shared.messaging.consumer import BatchUnit, cloudevent_decoder
from tests.unit.referral.factories import Harness, facility, migrated, registered, risk

WIB = timezone(timedelta(hours=7))
NOW = datetime(2026, 11, 21, tzinfo=timezone.utc)


def risks() -> list:
    at = datetime(2026, 11, 20, 9, tzinfo=WIB)
    repeated = uuid.uuid4()
    return [
        risk("HT", "moderate", "puskesmas", person="p1", at=at),
        risk("HT", "emergency", "rs", person="p1", at=at + timedelta(hours=1)),   # attaches, tightens the deadline
        risk("HT", "moderate", "puskesmas", person="p2", at=at, risk_id=repeated),
        risk("HT", "moderate", "puskesmas", person="p2", at=at, risk_id=repeated),  # the same risk again
        risk("DM_SUSPECT", "moderate", "puskesmas", person="p1", at=at),
        risk("PREDIABETES", "low", "posyandu", person="p3", at=at),                # no referral needed
        risk("STUNTED", "moderate", "puskesmas", person="c1", at=at),
    ]


async def state(h: Harness) -> list[dict]:
    t = models.referrals
    async with h.service.db.session() as session:
        rows = (await session.execute(select(t).order_by(t.c.referral_id))).mappings().all()
    return [{k: v for k, v in r.items() if k != "updated_at"} for r in rows]


async def test_batch_equals_one_by_one(tmp_path) -> None:
    events = risks()
    singles = await migrated(tmp_path, "singles.db")
    for event in events:
        await singles.risk(event, NOW)
    batch = await migrated(tmp_path, "batch.db")
    messages = [cloudevent_decoder(encode(e, source="/t", event_id=e.risk_id)) for e in events]
    async with batch.service.transaction() as unit:
        whole = BatchUnit(session=unit.session, message=None, source="/jejaring/referral", messages=messages)
        await risk_usecases.on_risks(whole, [m.body.data for m in messages], batch.settings, NOW)
        unit.emitted.extend(whole.emitted)
    expected, got = await state(singles), await state(batch)
    assert len(expected) == 4 and got == expected
    assert {r["urgency"] for r in got if r["person_id"] == "p1" and r["risk_code"] == "HT"} == {"emergency"}
    assert [e for e in await batch.events()] == [e for e in await singles.events()]
    await singles.service.db.dispose()
    await batch.service.db.dispose()


async def test_the_cached_network_follows_changes_written_by_anyone(harness: Harness) -> None:
    from services.referral import store

    cache = store.NetworkCache()
    async with harness.service.db.session() as session:
        first = await cache.get(session)
        assert set(first) == {"RS", "PKM", "PST", "PSY"}
        assert await cache.get(session) is first  # unchanged network: no second read
    # another replica adds a Pustu and gives the Puskesmas a lab: both are seen on the next batch
    async with harness.service.transaction() as unit:
        await network.upsert_facility(unit, registered(facility("PST2", "pustu", "PKM")))
        await network.upsert_facility(unit, registered(facility("PKM", "puskesmas", "RS", "doctor;lab"), revision=2))
    async with harness.service.db.session() as session:
        second = await cache.get(session)
    assert "PST2" in second and "lab" in second["PKM"].capabilities and second is not first
