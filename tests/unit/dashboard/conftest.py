"""Fixtures for the dashboard unit tests: the real service runtime on a temp SQLite database (no
broker: records go straight into the shared BatchProcessor), and event factories.

A recorded visit given to :meth:`Dash.apply` or :meth:`Dash.records` is followed by the *visit
screened* that screening's own code makes of it (:func:`screen`), as the pipeline delivers both: the
dashboard's measurement indicators read screening's verdicts (``facts.pws``), so the tests of their
definitions go through the one copy of each threshold.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from services.dashboard.app import build_service
from services.dashboard.live import ChangeFeed
from services.dashboard.settings import DashboardSettings
from services.dashboard.usecases import queries
from shared.contracts.events import (
    EventData,
    FacilityRegistered,
    PersonLinked,
    PwsFacts,
    ReferralMade,
    ReferralUpdated,
    RiskDetected,
    TargetSet,
    VisitFacts,
    VisitRecorded,
    VisitScreened,
    ZScores,
)
from shared.envelope import KafkaRecord, encode
from shared.service import Service
from tests.screening_kit import screen, with_screening  # noqa: F401  (re-exported for the tests)

WIB = timezone(timedelta(hours=7))
WIT = timezone(timedelta(hours=9))
JONDONG, TENGKUJUH, MAJA = "18.01.06.2001", "18.01.06.2002", "18.01.06.2005"
NATAR = "18.01.04.2001"


def at(month: int, day: int = 15, hour: int = 9, tz: timezone = WIB, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, tzinfo=tz)


def adult(person: str, when: datetime, village: str = JONDONG, *, sbp: int | None = 150, dbp: int | None = 95,
          **measurements) -> VisitRecorded:
    m = dict(measurements)
    if sbp is not None:
        m.update(systolic_mmhg=sbp, diastolic_mmhg=dbp)
    return VisitRecorded(visit_id=uuid.uuid4(), person_id=person, facility_id="PSY1", facility_type="posyandu",
                         service_point="posyandu", village_code=village, occurred_at=when,
                         recorded_at=datetime.now(timezone.utc), sex="F", age_days=40 * 365, stage="adult",
                         measurements=m)


def pregnant(person: str, when: datetime, village: str = JONDONG, **measurements) -> VisitRecorded:
    return VisitRecorded(visit_id=uuid.uuid4(), person_id=person, facility_id="PSY1", service_point="posyandu",
                         village_code=village, occurred_at=when, recorded_at=datetime.now(timezone.utc), sex="F",
                         age_days=25 * 365, stage="pregnancy", pregnancy={"gestational_weeks": 14},
                         measurements=measurements)


def child(person: str, when: datetime, village: str = JONDONG, **measurements) -> VisitRecorded:
    return VisitRecorded(visit_id=uuid.uuid4(), person_id=person, facility_id="PSY1", service_point="posyandu",
                         village_code=village, occurred_at=when, recorded_at=datetime.now(timezone.utc), sex="M",
                         age_days=700, stage="under_five", measurements=measurements)


def screened(person: str, when: datetime, village: str = JONDONG, *, lhfa: float | None = None,
             wfa: float | None = None, wflh: float | None = None, risks: tuple[str, ...] = (),
             facts: bool = True, **pws: bool | None) -> VisitScreened:
    """A child's screened visit: ``pws`` are screening's verdicts (e.g. ``stunting=True``); ``facts=False``
    is a visit screened by an older screening, without the facts block."""
    return VisitScreened(visit_id=uuid.uuid4(), person_id=person, facility_id="PSY1", village_code=village,
                         occurred_at=when, stage="under_five", sex="M", age_days=700,
                         zscores=ZScores(wfa=wfa, lhfa=lhfa, wflh=wflh), risk_codes=list(risks), ruleset_version="t",
                         facts=VisitFacts(pws=PwsFacts(**pws)) if facts else None)


def risk(when: datetime, village: str = JONDONG) -> RiskDetected:
    return RiskDetected(risk_id=uuid.uuid4(), visit_id=uuid.uuid4(), person_id="p", facility_id="PSY1",
                        village_code=village, occurred_at=when, stage="adult", code="ht", cluster=3,
                        severity="moderate", recommended_level="puskesmas", ruleset_version="t")


def made(rid: uuid.UUID, when: datetime, village: str = JONDONG) -> ReferralMade:
    return ReferralMade(referral_id=rid, person_id="p", risk_id=uuid.uuid4(), risk_code="ht", village_code=village,
                        origin_facility_id="PSY1", destination_facility_id="PKM", destination_level="puskesmas",
                        reason="ht", urgency="moderate", made_at=when, due_at=when + timedelta(days=7))


def updated(rid: uuid.UUID, made_at: datetime, status: str, when: datetime, village: str = JONDONG,
            feedback: dict | None = None) -> ReferralUpdated:
    return ReferralUpdated(update_id=uuid.uuid4(), referral_id=rid, person_id="p", village_code=village,
                           origin_facility_id="PSY1", destination_facility_id="PKM", status=status,
                           previous_status="made", at=when, made_at=made_at, feedback=feedback)


def facilities() -> list[FacilityRegistered]:
    return [
        FacilityRegistered(facility_id="PKM1", name="Puskesmas Kalianda", type="puskesmas", village_code="18.01.06.1007"),
        FacilityRegistered(facility_id="PST1", name="Pustu Jondong", type="pustu", parent_id="PKM1", village_code=JONDONG),
        FacilityRegistered(facility_id="PSY1", name="Posyandu Mawar", type="posyandu", parent_id="PST1",
                           village_code=TENGKUJUH),
        FacilityRegistered(facility_id="PKM2", name="Puskesmas Natar", type="puskesmas", village_code=NATAR),
    ]


def target(village: str, group: str, count: int, year: int = 2026) -> TargetSet:
    return TargetSet(village_code=village, year=year, target=group, count=count)


def link(previous: str, person: str, when: datetime) -> PersonLinked:
    return PersonLinked(person_id=person, previous_person_id=previous, linked_at=when)


@dataclass
class Dash:
    """The dashboard runtime on a temp database, fed through the real consumer code."""

    service: Service
    feed: ChangeFeed
    ctx: queries.Context
    published: list

    def records(self, events: list[EventData]) -> list[KafkaRecord]:
        """The records of ``events``, each recorded visit followed by its screened visit."""
        return [encode(e, source="/tests") for e in with_screening(events)]

    async def send(self, records: list[KafkaRecord]) -> None:
        by_topic: dict[str, list[KafkaRecord]] = {}
        for r in records:
            by_topic.setdefault(r.topic, []).append(r)
        processors = {p.topic: p for p in self.service.processors}
        for topic, batch in by_topic.items():
            await processors[topic].process(batch)

    async def apply(self, *events: EventData) -> list[KafkaRecord]:
        records = self.records(list(events))
        await self.send(records)
        return records

    async def pws(self, region: str, period: str, scope: str = "18.01", **kw) -> dict:
        async with self.service.db.read_session() as session:
            self.ctx.directory.invalidate()
            return await queries.pws(session, self.ctx, region, period, scope=scope, **kw)

    async def total(self, indicator: str, period: str, region: str = "18.01", ytd: bool = False) -> dict:
        data = await self.pws(region, period)
        return (data["total"]["ytd"]["indicators"] if ytd else data["total"]["indicators"])[indicator]


def settings_for(tmp_path, **overrides) -> DashboardSettings:
    return DashboardSettings(database_url=f"sqlite:///{tmp_path / 'dashboard.db'}", var_dir=tmp_path, **overrides)


@pytest.fixture
async def dash(tmp_path) -> Dash:
    service = build_service(settings_for(tmp_path))
    feed, ctx = service.context.feed, service.context.query
    await service.db.migrate(service.migrations, version_table="alembic_version_dashboard")
    published: list = []
    feed.listeners.append(published.append)
    yield Dash(service, feed, ctx, published)
    await service.db.dispose()
