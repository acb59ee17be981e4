"""Screening's use case on SQLite: a batch equals the same visits one by one; history carries over."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.screening import models, usecases
from shared.contracts.events import PersonLinked, VisitRecorded
from shared.contracts.intake import Measurements
from shared.db import Database
from shared.envelope import decode, encode
from shared.messaging.consumer import BatchUnit, cloudevent_decoder

WIB = timezone(timedelta(hours=7))


def child_visit(person: str, day: int, weight: float) -> VisitRecorded:
    occurred = datetime(2026, 1 + day // 28, 1 + day % 28, 9, tzinfo=WIB)
    birth_days = 300
    return VisitRecorded(
        visit_id=uuid.uuid4(), person_id=person, facility_id="PSY", service_point="posyandu",
        village_code="18.01.06.2001", occurred_at=occurred, recorded_at=occurred, sex="M",
        age_days=birth_days + day, stage="under_five",
        measurements=Measurements(weight_kg=weight, height_cm=72.0, measured_lying=True),
    )


@pytest.fixture
async def db(tmp_path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 's.db'}")
    async with database.engine.begin() as conn:
        await conn.run_sync(models.metadata.create_all)
    yield database
    await database.dispose()


async def screen(db: Database, events: list[VisitRecorded]) -> list[tuple[str, str, str | None]]:
    messages = [cloudevent_decoder(encode(e, source="/t", event_id=e.visit_id)) for e in events]
    async with db.session() as session, session.begin():
        unit = BatchUnit(session=session, message=None, source="/jejaring/screening", messages=messages)
        await usecases.screen_batch(unit)
    decoded = [(event_id, decode(record).data) for event_id, record in unit.emitted]
    return [(event_id, type(data).__name__, getattr(data, "code", None)) for event_id, data in decoded]


async def test_batch_equals_one_by_one(db, tmp_path) -> None:
    events = [child_visit("c1", 0, 9.0), child_visit("c2", 0, 8.0), child_visit("c1", 31, 9.0), child_visit("c1", 62, 9.0)]
    together = await screen(db, events)
    other = Database(f"sqlite+aiosqlite:///{tmp_path / 'o.db'}")
    async with other.engine.begin() as conn:
        await conn.run_sync(models.metadata.create_all)
    apart = []
    for event in events:
        apart += await screen(other, [event])
    await other.dispose()
    assert together == apart
    # c1 weighed the same three months running: T then 2T, only if the batch carried its history over
    codes = {code for _, kind, code in together if kind == "RiskDetected"}
    assert "GROWTH_FALTERING_2T" in codes
    assert "WEIGHT_NOT_GAINED" in codes


def pregnancy_visit(person: str, day: int, weeks: int, by: str | None) -> VisitRecorded:
    occurred = datetime(2026, 1, 1, 9, tzinfo=WIB) + timedelta(days=day)
    pregnancy = {"gestational_weeks": weeks}
    if by:
        pregnancy["anc"] = {"by": by}
    return VisitRecorded(
        visit_id=uuid.uuid4(), person_id=person, facility_id="PKM", service_point="puskesmas",
        village_code="18.01.06.2001", occurred_at=occurred, recorded_at=occurred, sex="F", age_days=9000,
        stage="pregnancy", pregnancy=pregnancy, measurements=Measurements(hb_g_dl=12.0),
    )


async def screened(db: Database, events: list[VisitRecorded]):
    messages = [cloudevent_decoder(encode(e, source="/t", event_id=e.visit_id)) for e in events]
    async with db.session() as session, session.begin():
        unit = BatchUnit(session=session, message=None, source="/jejaring/screening", messages=messages)
        await usecases.screen_batch(unit)
    return [decode(record).data for _, record in unit.emitted]


async def test_anc_history_across_batches_and_facts_on_visit_screened(db) -> None:
    from shared.contracts.events import VisitScreened

    first = await screened(db, [pregnancy_visit("m1", 0, 10, "doctor"), pregnancy_visit("m1", 0, 10, None)])
    k1 = [e for e in first if isinstance(e, VisitScreened)]
    assert k1[0].facts.anc.k1 and k1[0].facts.anc.k1_murni and not k1[1].facts.anc.contact
    later = [pregnancy_visit("m1", 70, 20, "midwife"), pregnancy_visit("m1", 150, 31, "midwife"),
             pregnancy_visit("m1", 180, 36, "midwife")]
    events = [e for e in await screened(db, later) if isinstance(e, VisitScreened)]
    numbers = [e.facts.anc.contact_number for e in events]
    assert numbers == [2, 3, 4]
    assert [e.facts.anc.k4 for e in events] == [False, False, True]
    assert len({e.facts.anc.pregnancy_id for e in k1 + events}) == 1


async def test_redelivered_visit_changes_nothing(db) -> None:
    from sqlalchemy import func, select

    from shared.contracts.events import VisitScreened

    visit = pregnancy_visit("m2", 0, 10, "midwife")
    once = await screened(db, [visit])
    again = await screened(db, [visit])  # the inbox forgot it: the history already has its rows
    assert [type(e).__name__ for e in once] == [type(e).__name__ for e in again]
    a = next(e for e in once if isinstance(e, VisitScreened))
    b = next(e for e in again if isinstance(e, VisitScreened))
    assert a.facts == b.facts and a.risk_codes == b.risk_codes
    async with db.session() as session:
        count = await session.scalar(select(func.count()).select_from(models.anc_contacts)
                                     .where(models.anc_contacts.c.person_id == "m2"))
    assert count == 1


async def test_immunisation_history_and_person_link(db) -> None:
    from sqlalchemy import select

    birth_days = 100
    occurred = datetime(2026, 3, 1, 9, tzinfo=WIB)
    visit = VisitRecorded(
        visit_id=uuid.uuid4(), person_id="prov-1", facility_id="PSY", service_point="posyandu",
        village_code="18.01.06.2001", occurred_at=occurred, recorded_at=occurred, sex="M", age_days=birth_days,
        stage="under_five", measurements=Measurements(weight_kg=6.0, vitamin_a_given=True),
        immunizations=["dpt_hb_hib1", "opv2", "pcv1"],
    )
    events = await screened(db, [visit])
    assert any(getattr(e, "facts", None) and e.facts.immunization.given == ["dpt_hb_hib1", "opv2", "pcv1"]
               for e in events)
    linked = PersonLinked(person_id="nik-1", previous_person_id="prov-1", linked_at=occurred)
    async with db.session() as session, session.begin():
        await usecases.link_person(BatchUnit(session=session, message=None, source="/t", messages=[]), linked)
    async with db.session() as session:
        people = {r[0] for r in await session.execute(select(models.immunization_doses.c.person_id))}
        kinds = {r[0] for r in await session.execute(select(models.person_services.c.kind)
                                                     .where(models.person_services.c.person_id == "nik-1"))}
    assert people == {"nik-1"} and kinds == {"vitamin_a"}
