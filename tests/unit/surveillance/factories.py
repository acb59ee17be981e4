"""Builders for the surveillance tests: a network of two Puskesmas, visits, and a harness over a real service.

Dates are fixed and the service's clock is injected, so the tests pass on any date.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from services.surveillance import models
from services.surveillance.app import MIGRATIONS, build_service
from services.surveillance.settings import SurveillanceSettings
from services.surveillance.usecases import cases
from shared.contracts import topics
from shared.contracts.events import (
    FacilityRegistered,
    Measurements,
    OutbreakSignal,
    VisitRecorded,
)
from shared.envelope import KafkaRecord, decode, encode
from shared.messaging.outbox import headers_from_text
from shared.service import Service

WIB = timezone(timedelta(hours=7))
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc)  # Wednesday of 2026-W49
THIS_WEEK = "2026-W49"
MONDAY = datetime(2026, 11, 30, 8, 0, tzinfo=WIB)        # Monday of 2026-W49, 08:00 WIB
V1, V2, V3 = "18.01.06.2001", "18.01.06.2002", "18.01.06.2003"  # Puskesmas PKM's villages
V4 = "18.01.07.2001"                                            # Puskesmas PKM2's village
V_OUTSIDE = "18.01.08.2001"                                     # no facility: village level only


def network() -> list[FacilityRegistered]:
    """RS <- PKM (V1) <- PST (V2) <- Posyandu in V1, V2, V3; PKM2 (V4) <- its Posyandu."""
    entries = [("RS", "rs", None, "18.01.06.1001"), ("PKM", "puskesmas", "RS", V1), ("PST", "pustu", "PKM", V2),
               ("PSY1", "posyandu", "PST", V1), ("PSY2", "posyandu", "PST", V2), ("PSY3", "posyandu", "PST", V3),
               ("PKM2", "puskesmas", "RS", V4), ("PSY4", "posyandu", "PKM2", V4)]
    return [FacilityRegistered(facility_id=i, name=i, type=t, parent_id=p, village_code=v) for i, t, p, v in entries]


def visit(village: str = V3, *, at: datetime = MONDAY, person: str | None = None, syndromes: list[str] | None = None,
          diagnoses: list[str] | None = None, facility: str = "PSY3", visit_id: uuid.UUID | None = None
          ) -> VisitRecorded:
    return VisitRecorded(
        visit_id=visit_id or uuid.uuid4(), person_id=person or f"p_{uuid.uuid4().hex[:12]}", facility_id=facility,
        facility_type="posyandu", service_point="posyandu", village_code=village, occurred_at=at,
        recorded_at=at + timedelta(minutes=1), sex="F", age_days=3650, stage="school_age",
        measurements=Measurements(), syndromes=syndromes, diagnoses=diagnoses)


def dengue(village: str = V3, n: int = 1, *, at: datetime = MONDAY, facility: str = "PSY3") -> list[VisitRecorded]:
    return [visit(village, at=at + timedelta(minutes=i), syndromes=["suspected_dengue"], facility=facility)
            for i in range(n)]


def record_of(data, offset: int) -> KafkaRecord:
    key = data.visit_id if isinstance(data, VisitRecorded) else f"{data.facility_id}:{data.revision}"
    return replace(encode(data, source="/jejaring/registration", event_id=uuid.uuid5(uuid.NAMESPACE_URL, str(key))),
                   partition=0, offset=offset)


@dataclass
class Clock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Harness:
    """A migrated surveillance service (not started), driven through its use cases or its consumers."""

    service: Service
    settings: SurveillanceSettings
    clock: Clock = field(default_factory=Clock)
    offset: int = 0

    async def visits(self, visits: list[VisitRecorded], now: datetime | None = None) -> list[OutbreakSignal]:
        async with self.service.transaction() as unit:
            return await cases.record_visits(unit, visits, self.settings, now or self.clock())

    async def consume(self, events: list) -> None:
        """Deliver events through the service's own consumers (inbox, savepoints, outbox), one poll per topic."""
        by_topic: dict[str, list[KafkaRecord]] = {}
        for event in events:
            self.offset += 1
            by_topic.setdefault(event.topic, []).append(record_of(event, self.offset))
        for processor in self.service.processors:
            if processor.topic in by_topic:
                await processor.process(by_topic[processor.topic])

    async def events(self) -> list[tuple[str, OutbreakSignal, KafkaRecord]]:
        """``(event id, signal, record)`` of every outbox row, in order."""
        t = self.service.outbox.table
        async with self.service.db.session() as session:
            rows = (await session.execute(select(t).order_by(t.c.id))).mappings().all()
        out = []
        for r in rows:
            record = KafkaRecord(topic=r["topic"], key=r["key"], value=r["value"], headers=headers_from_text(r["headers"]))
            if record.topic == topics.OUTBREAK_SIGNAL:
                out.append((decode(record).id, decode(record).data, record))
        return out

    async def signals(self) -> list[OutbreakSignal]:
        return [data for _, data, _ in await self.events()]

    async def count(self, kind: str, code: str, disease: str, week: str) -> int:
        w = models.weekly_counts
        async with self.service.db.session() as session:
            return await session.scalar(select(w.c.count).where(
                w.c.area_kind == kind, w.c.area_code == code, w.c.disease == disease, w.c.week == week)) or 0


async def migrated(tmp_path, name: str = "surveillance.db", *, with_network: bool = True, **options) -> Harness:
    settings = SurveillanceSettings(database_url=f"sqlite:///{tmp_path / name}", var_dir=tmp_path, **options)
    clock = Clock()
    service = build_service(settings, clock)
    await service.db.migrate(MIGRATIONS, version_table="alembic_version_surveillance")
    harness = Harness(service, settings, clock)
    if with_network:
        async with service.transaction() as unit:
            await cases.upsert_facilities(unit, network())
    return harness
