"""The dashboard as a real process on the real broker, fed CloudEvents directly (no other service; a recorded
visit goes with the screened visit screening's code makes of it, ``tests/screening_kit.py``).

Used by tests/integration/test_dashboard.py and tests/browser/test_dashboard_browser.py.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
from aiokafka import AIOKafkaProducer

from shared.contracts.events import (
    EventData,
    FacilityRegistered,
    PwsFacts,
    ReferralMade,
    ReferralUpdated,
    TargetSet,
    VisitFacts,
    VisitRecorded,
    VisitScreened,
    ZScores,
)
from shared.envelope import KafkaRecord, encode
from tests.integration.harness import System
from tests.screening_kit import with_screening

WIB = timezone(timedelta(hours=7))
DISTRICT = "18.01"
KECAMATAN = "18.01.06"  # Kalianda
JONDONG, TENGKUJUH, MAJA = "18.01.06.2001", "18.01.06.2002", "18.01.06.2005"
NATAR_VILLAGE = "18.01.04.2001"  # Hajimena, another kecamatan
PUSKESMAS = "PKM180106"


def network() -> list[FacilityRegistered]:
    """Puskesmas Kalianda with Pustu/Posyandu in Jondong and Tengkujuh; Maja belongs to no Puskesmas."""
    return [
        FacilityRegistered(facility_id="RS1801", name="RSUD Bob Bazar", type="rs", village_code="18.01.06.1007"),
        FacilityRegistered(facility_id=PUSKESMAS, name="Puskesmas Kalianda", type="puskesmas", parent_id="RS1801",
                           village_code="18.01.06.1007"),
        FacilityRegistered(facility_id="PST1", name="Pustu Jondong", type="pustu", parent_id=PUSKESMAS, village_code=JONDONG),
        FacilityRegistered(facility_id="PSY1", name="Posyandu Mawar", type="posyandu", parent_id="PST1", village_code=JONDONG),
        FacilityRegistered(facility_id="PST2", name="Pustu Tengkujuh", type="pustu", parent_id=PUSKESMAS,
                           village_code=TENGKUJUH),
        FacilityRegistered(facility_id="PKM180104", name="Puskesmas Natar", type="puskesmas", village_code=NATAR_VILLAGE),
    ]


def adult_visit(village: str, at: datetime, *, systolic: int = 150, diastolic: int = 95, person: str | None = None,
                **measurements) -> VisitRecorded:
    return VisitRecorded(
        visit_id=uuid.uuid4(), person_id=person or f"p_{uuid.uuid4().hex[:12]}", facility_id="PSY1",
        facility_type="posyandu", service_point="posyandu", village_code=village, occurred_at=at,
        recorded_at=datetime.now(timezone.utc), sex="F", age_days=40 * 365, stage="adult",
        measurements={"systolic_mmhg": systolic, "diastolic_mmhg": diastolic, **measurements})


def child_screened(village: str, at: datetime, *, lhfa: float, stunted: bool, person: str | None = None) -> VisitScreened:
    """A child's screened visit whose z-scores screening judged (``stunted``: its ``facts.pws.stunting``)."""
    return VisitScreened(
        visit_id=uuid.uuid4(), person_id=person or f"c_{uuid.uuid4().hex[:12]}", facility_id="PSY1",
        village_code=village, occurred_at=at, stage="under_five", sex="M", age_days=700,
        zscores=ZScores(wfa=-1.0, lhfa=lhfa, wflh=-0.5), ruleset_version="test",
        facts=VisitFacts(pws=PwsFacts(underweight=False, stunting=stunted, wasting=False)))


def referral(village: str, at: datetime, *, status: str | None = None) -> list[EventData]:
    rid = uuid.uuid4()
    person = f"p_{uuid.uuid4().hex[:12]}"
    made = ReferralMade(referral_id=rid, person_id=person, risk_id=uuid.uuid4(), risk_code="ht_grade2",
                        village_code=village, origin_facility_id="PSY1", destination_facility_id=PUSKESMAS,
                        destination_level="puskesmas", reason="hipertensi", urgency="moderate", made_at=at,
                        due_at=at + timedelta(days=7))
    events: list[EventData] = [made]
    if status:
        events.append(ReferralUpdated(update_id=uuid.uuid4(), referral_id=rid, person_id=person, village_code=village,
                                      origin_facility_id="PSY1", destination_facility_id=PUSKESMAS, status=status,
                                      previous_status="made", at=at + timedelta(hours=2), made_at=at,
                                      feedback={"diagnosis": "I10"} if status == "completed" else None))
    return events


def targets(year: int) -> list[TargetSet]:
    return [TargetSet(village_code=v, year=year, target="adult_15_59", count=100) for v in (JONDONG, TENGKUJUH, MAJA)]


@dataclass
class _System(System):
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self, service: str | None = None) -> dict[str, str]:
        return {**super().env(service), **self.extra_env}


class DashboardSystem:
    """Tansu plus one dashboard process (SQLite or PostgreSQL) and helpers to feed and query it."""

    def __init__(self, var: Path, database_url: str | None = None, env: dict[str, str] | None = None) -> None:
        self.system = _System(var=var, database_url=database_url, extra_env=env or {})
        self.var = var

    @property
    def url(self) -> str:
        return self.system.url("dashboard")

    def start(self) -> None:
        self.system.start_broker()
        self.start_dashboard()

    def start_dashboard(self) -> None:
        self.system.start("dashboard")
        self.system.wait_ready("dashboard")

    def stop_dashboard(self) -> None:
        import signal

        self.system.kill("dashboard", signal.SIGTERM)

    def stop(self) -> None:
        self.system.down()

    def cli(self, *args: str) -> str:
        """Run ``jejaring`` against the dashboard's database, as an operator would."""
        return self.system.cli(*args)

    def token(self, region: str) -> str:
        return self.cli("token", "issue", "--region", region, "--role", "viewer").strip().splitlines()[-1]

    def records(self, events: Iterable[EventData]) -> list[KafkaRecord]:
        """The records of ``events``, each recorded visit followed by its screened visit (as screening emits it)."""
        return [encode(e, source="/tests/dashboard") for e in with_screening(events)]

    def send(self, records: Iterable[KafkaRecord]) -> None:
        records = list(records)

        async def run() -> None:
            producer = AIOKafkaProducer(bootstrap_servers=self.system.bootstrap)
            await producer.start()
            try:
                futures = [await producer.send(r.topic, r.value, key=r.key, headers=list(r.headers)) for r in records]
                await asyncio.gather(*futures)
            finally:
                await producer.stop()

        asyncio.run(run())

    def publish(self, events: Iterable[EventData]) -> list[KafkaRecord]:
        records = self.records(events)
        self.send(records)
        return records

    def get(self, path: str, token: str | None, **params: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.get(self.url + path, params=params, headers=headers, timeout=10)

    def pws(self, token: str, region: str, period: str, **params: str) -> dict:
        response = self.get("/v1/pws", token, region=region, period=period, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def wait_for(self, token: str, region: str, period: str, predicate, timeout: float = 30.0, **params: str) -> dict:  # noqa: ANN001
        deadline = time.monotonic() + timeout
        data = self.pws(token, region, period, **params)
        while not predicate(data):
            if time.monotonic() > deadline:
                raise AssertionError(f"dashboard never matched; last total: {data['total']['indicators']}")
            time.sleep(0.2)
            data = self.pws(token, region, period, **params)
        return data
