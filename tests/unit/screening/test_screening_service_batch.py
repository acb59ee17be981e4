"""Screening's use case on SQLite: a batch equals the same visits one by one; history carries over."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest

from services.screening import models, usecases
from shared.contracts.events import VisitRecorded
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
