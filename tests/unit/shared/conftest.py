"""Fixtures for the shared-library unit tests: a temp SQLite database, metrics, event factories."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from uuid import uuid4

import pytest
from sqlalchemy import Column, Integer, String, Table, select

from shared.contracts.events import VisitRecorded
from shared.db import Database, new_metadata
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import Outbox
from shared.messaging.tables import messaging_tables
from shared.metrics import Metrics

WIB = timezone(timedelta(hours=7))


@dataclass
class Store:
    """A service database with the messaging tables plus an ``effects`` table handlers write to."""

    db: Database
    outbox_table: Table
    inbox_table: Table
    effects: Table
    outbox: Outbox
    inbox: Inbox

    async def effect_ids(self) -> list[str]:
        async with self.db.session() as session:
            return list((await session.scalars(select(self.effects.c.event_id).order_by(self.effects.c.id))).all())

    async def outbox_rows(self) -> list:
        t = self.outbox_table
        async with self.db.session() as session:
            return list((await session.execute(select(t).order_by(t.c.id))).all())

    async def inbox_ids(self) -> set[str]:
        async with self.db.session() as session:
            return set((await session.scalars(select(self.inbox_table.c.event_id))).all())


@pytest.fixture
async def store(tmp_path) -> Store:
    metadata = new_metadata()
    outbox_table, inbox_table = messaging_tables(metadata)
    effects = Table(
        "effects",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("event_id", String(128), nullable=False),
    )
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'service.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield Store(db, outbox_table, inbox_table, effects, Outbox(db, outbox_table), Inbox(inbox_table))
    await db.dispose()


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


def make_visit(**overrides) -> VisitRecorded:
    """A realistic VisitRecorded of a pregnant woman seen at a posyandu (WIB time)."""
    at = datetime(2024, 8, 14, 9, 30, 15, 250000, tzinfo=WIB)
    fields = dict(
        visit_id=uuid4(),
        person_id="p_3f9a1c0e8b7d",
        facility_id="P3171010101",
        facility_type="posyandu",
        service_point="posyandu",
        village_code="31.71.01.1001",
        occurred_at=at,
        recorded_at=at + timedelta(minutes=3),
        sex="F",
        age_days=9131,
        stage="pregnancy",
        pregnancy={"gestational_weeks": 28, "gravida": 2, "anc_visit_number": 4, "proteinuria": 1},
        measurements={"weight_kg": 61.4, "height_cm": 152.0, "muac_cm": 22.5, "hb_g_dl": 10.4,
                      "systolic_mmhg": 142, "diastolic_mmhg": 91},
        data_quality=["height_estimated"],
    )
    fields.update(overrides)
    return VisitRecorded(**fields)


@pytest.fixture
def visit() -> Callable[..., VisitRecorded]:
    """Factory: ``visit(person_id="x")`` -> a VisitRecorded with overrides."""
    return make_visit
