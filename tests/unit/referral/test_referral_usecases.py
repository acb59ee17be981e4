"""Use cases against a migrated SQLite database: risks, status changes, overdue, person links, lists."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from services.referral import store
from services.referral.domain.messages import StatusChange
from services.referral.usecases import queries, risks, status
from shared.contracts import topics
from shared.contracts.events import PersonLinked, ReferralMade
from shared.envelope import encode
from tests.unit.referral.factories import WIB, risk

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=timezone.utc)
FEEDBACK = {"diagnosis": "Hipertensi esensial", "icd10": "I10", "instructions": "Amlodipin 5 mg 1x1",
            "follow_up_date": "2026-12-20"}


def change(status: str, at: datetime, **kw) -> StatusChange:
    if status == "completed":
        kw.setdefault("feedback", FEEDBACK)
    return StatusChange.model_validate({"status": status, "at": at.isoformat(), **kw})


async def post(h, referral_id: str, body: StatusChange, facility: str = "PKM", now: datetime = NOW):
    async with h.service.transaction() as unit:
        return await status.change_status(unit, referral_id, body, facility, now)


async def made(h) -> list[ReferralMade]:
    return [d for _, d in await h.events() if isinstance(d, ReferralMade)]


# -- risks ------------------------------------------------------------------------------------------
async def test_a_risk_becomes_one_referral_and_repeats_attach(harness) -> None:
    first = risk("HT", "moderate", "puskesmas")
    assert await harness.risk(first, NOW) == "made"
    assert await harness.risk(first, NOW) == "duplicate"  # redelivered after the inbox forgot it
    again = risk("HT", "moderate", "puskesmas", at=first.occurred_at + timedelta(days=2))
    assert await harness.risk(again, NOW) == "attached"
    assert await harness.risk(risk("DM_SUSPECT", "moderate", "puskesmas"), NOW) == "made"  # another risk
    assert await harness.risk(risk("PREDIABETES", "low", "posyandu"), NOW) == "none"
    events = await harness.events()
    referrals = await made(harness)
    assert len(referrals) == 2 and len(events) == 2
    ht = referrals[0]
    assert events[0][0] == str(risks.referral_id_for(first.risk_id)) == str(ht.referral_id)
    assert (ht.origin_facility_id, ht.destination_facility_id, ht.destination_level) == ("PSY", "PKM", "puskesmas")
    assert ht.made_at == first.occurred_at and ht.made_at.utcoffset() == timedelta(hours=7)  # local period kept
    assert ht.due_at == first.occurred_at + timedelta(days=7) and "HT (moderate)" in ht.reason
    async with harness.service.db.session() as session:
        view = await queries.get_referral(session, str(ht.referral_id))
    assert view["detections"] == 2 and view["status"] == "made" and view["made_at"].endswith("+07:00")


async def test_a_more_urgent_repeat_tightens_the_deadline(harness) -> None:
    first = risk("HT", "moderate", "puskesmas")
    await harness.risk(first, NOW)
    worse = risk("HT", "emergency", "puskesmas", at=first.occurred_at + timedelta(days=1))
    assert await harness.risk(worse, NOW) == "attached"
    async with harness.service.db.session() as session:
        view = await queries.get_referral(session, str(risks.referral_id_for(first.risk_id)))
    assert view["urgency"] == "emergency"
    assert datetime.fromisoformat(view["due_at"]) == worse.occurred_at + timedelta(days=1)


async def test_one_open_referral_per_person_and_risk_within_a_consumer_batch(harness) -> None:
    processor = next(p for p in harness.service.processors if p.topic == topics.RISK_DETECTED)
    events = [risk("HT", "moderate", "puskesmas", at=datetime(2026, 11, 20, 9, i, tzinfo=WIB)) for i in range(5)]
    events.append(risk("HT", "moderate", "puskesmas", person="p2"))
    records = [encode(e, source="/jejaring/screening", event_id=str(e.risk_id)) for e in events]
    records.append(records[0])  # a redelivery inside the batch
    republished = encode(events[1], source="/jejaring/screening", event_id="other-id")  # same risk, new id
    await processor.process([replace(r, partition=0, offset=i) for i, r in enumerate([*records, republished])])
    referrals = await made(harness)
    assert sorted(r.person_id for r in referrals) == ["p1", "p2"]
    async with harness.service.db.session() as session:
        view = await queries.get_referral(session, str(referrals[0].referral_id))
    assert view["detections"] == 5


async def test_a_lost_race_for_the_open_key_attaches(harness, monkeypatch) -> None:
    await harness.risk(risk("HT"), NOW)
    real, calls = risks.open_referrals, []

    async def invisible_first(*args, **kwargs):  # the other writer's row is not yet visible
        calls.append(1)
        return {} if len(calls) == 1 else await real(*args, **kwargs)

    monkeypatch.setattr(risks, "open_referrals", invisible_first)
    from shared.envelope import encode
    from shared.messaging.consumer import BatchProcessor

    processor = next(p for p in harness.service.processors if p.topic == "ilp.risk.detected.v1")
    repeat = risk("HT")
    record = encode(repeat, source="/t", event_id=repeat.risk_id)
    await processor.process([type(record)(topic=record.topic, key=record.key, value=record.value,
                                          headers=record.headers, partition=0, offset=1)])
    assert len(calls) == 2  # the unique open_key refused the first attempt; the retry attached
    assert len(await made(harness)) == 1
    async with harness.service.db.session() as session:
        view = await queries.get_referral(session, str((await made(harness))[0].referral_id))
    assert view["detections"] == 2
    assert isinstance(processor, BatchProcessor)


# -- status changes ---------------------------------------------------------------------------------
async def test_full_lifecycle_with_idempotent_retries(harness) -> None:
    r = risk("HT")
    await harness.risk(r, NOW)
    rid = str(risks.referral_id_for(r.risk_id))
    at = r.occurred_at + timedelta(hours=5)
    assert (await post(harness, rid, change("received", at))).outcome.kind == "applied"
    retry = await post(harness, rid, change("received", at))
    assert retry.outcome.kind == "replay" and retry.referral["status"] == "received"
    assert (await post(harness, rid, change("received", at + timedelta(minutes=1)))).outcome.kind == "conflict"
    assert (await post(harness, rid, change("completed", at))).outcome.kind == "conflict"
    assert (await post(harness, rid, change("attended", at + timedelta(hours=1)))).outcome.kind == "applied"
    done = await post(harness, rid, change("completed", at + timedelta(hours=2), note="kontrol"))
    assert done.outcome.kind == "applied" and done.referral["feedback"] == FEEDBACK
    retry = await post(harness, rid, change("completed", at + timedelta(hours=2), note="kontrol"))
    assert retry.outcome.kind == "replay"
    assert (await post(harness, rid, change("cancelled", at + timedelta(hours=3)))).outcome.kind == "conflict"
    updates = await harness.updates()
    assert [u.status for u in updates] == ["received", "attended", "completed"]
    assert [u.previous_status for u in updates] == ["made", "received", "attended"]
    ids = [i for i, d in await harness.events() if d.ce_type.endswith("updated.v1")]
    assert ids == [str(status.update_id_for(rid, s)) for s in ("received", "attended", "completed")]
    assert updates[-1].feedback == FEEDBACK and updates[-1].at == at + timedelta(hours=2)
    assert [h["status"] for h in done.referral["history"]] == ["made", "received", "attended", "completed"]
    assert await harness.risk(risk("HT"), NOW) == "made"  # closed: a new detection opens a new referral


async def test_who_may_do_what(harness) -> None:
    r = risk("HT")
    await harness.risk(r, NOW)
    rid, at = str(risks.referral_id_for(r.risk_id)), r.occurred_at + timedelta(hours=1)
    assert (await post(harness, rid, change("received", at), facility="PSY")).outcome.kind == "forbidden"
    assert (await post(harness, rid, change("received", at), facility="RS")).outcome.kind == "forbidden"
    # the Pustu's token covers its Posyandu, so it may cancel as the origin
    assert (await post(harness, rid, change("cancelled", at, note="pindah"), facility="PST")).outcome.kind == "applied"
    with pytest.raises(status.NotFound):
        await post(harness, str(uuid.uuid4()), change("received", at))


# -- overdue ----------------------------------------------------------------------------------------
async def overdue(harness, now: datetime) -> int:
    async with harness.service.transaction() as unit:
        return await status.mark_overdue(unit, now, harness.settings.overdue_grace)


async def test_overdue_raised_once_after_due_plus_grace(harness) -> None:
    r = risk("HT", "emergency", "puskesmas", at=datetime(2026, 11, 10, 8, 0, tzinfo=WIB))  # due 11-11 08:00 WIB
    await harness.risk(r, NOW)
    due = r.occurred_at + timedelta(days=1)
    assert await overdue(harness, due + timedelta(hours=23)) == 0  # within the sync grace
    assert await overdue(harness, due + timedelta(hours=25)) == 1
    assert await overdue(harness, due + timedelta(days=9)) == 0
    [alarm] = await harness.updates("overdue")
    assert alarm.at == due and alarm.at.utcoffset() == timedelta(hours=7) and alarm.previous_status == "made"
    rid = str(risks.referral_id_for(r.risk_id))
    # a late-synced attended from before the deadline clears the flag; no second alarm
    answer = await post(harness, rid, change("attended", due - timedelta(hours=2)), facility="RS",
                        now=due + timedelta(days=2))
    assert answer.outcome.kind == "applied"
    assert answer.referral["overdue"] is False and answer.referral["overdue_cleared"] is True
    assert len(await harness.updates("overdue")) == 1


async def overdue_gauge(harness) -> dict:
    (gauge,) = [g for g in harness.service.gauges if g.name == "jejaring_referrals_overdue"]
    return dict(await gauge.read())


async def test_the_overdue_gauge_counts_open_overdue_referrals_per_district(harness) -> None:
    r = risk("HT", "emergency", "puskesmas", at=datetime(2026, 11, 10, 8, 0, tzinfo=WIB))
    await harness.risk(r, NOW)
    due, rid = r.occurred_at + timedelta(days=1), str(risks.referral_id_for(r.risk_id))
    assert await overdue_gauge(harness) == {}
    await overdue(harness, due + timedelta(hours=25))
    assert await overdue_gauge(harness) == {(r.village_code[:5],): 1}
    await post(harness, rid, change("received", due + timedelta(hours=26)), facility="RS", now=due + timedelta(days=2))
    assert await overdue_gauge(harness) == {(r.village_code[:5],): 1}, "received is still waiting"
    cancelled = await post(harness, rid, change("cancelled", due + timedelta(hours=27)), facility="PKM",
                           now=due + timedelta(days=2))
    assert cancelled.outcome.kind == "applied" and cancelled.referral["status"] == "cancelled"
    assert await overdue_gauge(harness) == {}


async def test_late_attended_raises_the_alarm_itself(harness) -> None:
    r = risk("HT", "emergency", "puskesmas", at=datetime(2026, 11, 10, 8, 0, tzinfo=WIB))
    await harness.risk(r, NOW)
    due = r.occurred_at + timedelta(days=1)
    rid = str(risks.referral_id_for(r.risk_id))
    answer = await post(harness, rid, change("attended", due + timedelta(hours=3)), facility="RS",
                        now=due + timedelta(hours=4))
    assert answer.referral["overdue"] is True
    assert [u.status for u in await harness.updates()] == ["overdue", "attended"]
    assert await overdue(harness, due + timedelta(days=5)) == 0


async def test_overdue_survives_a_restart(harness) -> None:
    r = risk("KEK", "moderate", "puskesmas", at=datetime(2026, 11, 1, 8, 0, tzinfo=WIB))
    await harness.risk(r, NOW)
    await harness.service.db.dispose()  # nothing in memory: the deadline is in the row
    assert await overdue(harness, r.occurred_at + timedelta(days=9)) == 1


# -- person links -----------------------------------------------------------------------------------
async def test_person_link_moves_and_merges_open_referrals(harness) -> None:
    provisional = risk("HT", person="c-provisional")
    own = risk("HT", person="p-own")
    await harness.risk(provisional, NOW)
    await harness.risk(own, NOW)
    kept = str(risks.referral_id_for(own.risk_id))
    await post(harness, kept, change("received", own.occurred_at + timedelta(hours=1)))
    link = PersonLinked(person_id="p-own", previous_person_id="c-provisional", linked_at=NOW)
    async with harness.service.transaction() as unit:
        await status.relink(unit, link, NOW)
    async with harness.service.db.session() as session:
        merged = await queries.get_referral(session, str(risks.referral_id_for(provisional.risk_id)))
        survivor = await queries.get_referral(session, kept)
    assert merged["status"] == "cancelled" and merged["person_id"] == "p-own"
    assert survivor["detections"] == 2 and survivor["status"] == "received"
    cancelled = await harness.updates("cancelled")
    assert len(cancelled) == 1 and cancelled[0].person_id == "p-own" and "merged" in cancelled[0].note
    assert await harness.risk(risk("HT", person="p-own"), NOW) == "attached"


# -- lists ------------------------------------------------------------------------------------------
async def test_list_by_direction_status_since_and_pages(harness) -> None:
    risks = [risk("HT", person=f"p{i}") for i in range(5)] + [risk("SUSPECT_PE", "high", "rs", person="q")]
    for i, r in enumerate(risks):
        await harness.risk(r, NOW + timedelta(minutes=i))
    async with harness.service.db.session() as s:
        sent = await queries.list_referrals(s, "PSY", direction="sent")
        received = await queries.list_referrals(s, "PKM", direction="received")
        pkm_sent = await queries.list_referrals(s, "PKM", direction="sent")  # its Posyandu's, via scope
        rs_received = await queries.list_referrals(s, "RS", direction="received")
        nothing = await queries.list_referrals(s, "PSY", direction="received")
        since = await queries.list_referrals(s, "PKM", since=NOW + timedelta(minutes=3))
        made_only = await queries.list_referrals(s, "PKM", status="made", direction="received")
    assert len(sent.items) == 6 and len(received.items) == 5 and len(pkm_sent.items) == 6
    assert len(rs_received.items) == 1 and nothing.items == [] and len(since.items) == 3 and len(made_only.items) == 5
    async with harness.service.db.session() as s:
        assert await store.scope(s, "PKM") == {"PKM", "PST", "PSY"}
        assert await store.scope(s, "PST") == {"PST", "PSY"}
        assert await store.scope(s, "PSY") == {"PSY"}
        assert await store.scope(s, "RS") == {"RS"}  # a referral path, not management
    pages, after = [], None
    while True:
        async with harness.service.db.session() as s:
            page = await queries.list_referrals(s, "PSY", limit=2, after=after)
        pages.append([i["referral_id"] for i in page.items])
        if page.next_cursor is None:
            break
        stamp, rid = page.next_cursor.split("|")
        after = (datetime.fromisoformat(stamp), rid)
    assert [len(p) for p in pages] == [2, 2, 2]
    assert sorted(sum(pages, [])) == sorted(i["referral_id"] for i in sent.items)


async def test_overdue_from_event_time_with_grace(harness) -> None:
    """The checker's SQL (``status.mark_overdue``) decides overdue: waiting referrals only, once,
    after ``due_at`` plus the grace a late sync may still need."""
    grace = timedelta(hours=24)
    made = [risk("HT", person=f"p{i}") for i in range(4)]
    for event in made:
        await harness.risk(event, NOW)
    ids = [str(risks.referral_id_for(e.risk_id)) for e in made]
    due = made[0].occurred_at + timedelta(days=7)
    await post(harness, ids[1], change("received", made[1].occurred_at + timedelta(hours=1)))
    await post(harness, ids[2], change("attended", made[2].occurred_at + timedelta(hours=1)))

    async def check(at: datetime) -> int:
        async with harness.service.transaction() as unit:
            return await status.mark_overdue(unit, at, grace)

    assert await check(due + timedelta(hours=23)) == 0  # a late sync may still come
    assert await check(due + timedelta(hours=25)) == 3  # made and received are waiting; attended is not
    assert await check(due + timedelta(days=9)) == 0  # raised once
    assert sorted(u.referral_id for u in await harness.updates("overdue")) == sorted(
        uuid.UUID(i) for i in (ids[0], ids[1], ids[3]))
