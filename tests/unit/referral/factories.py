"""Builders for the referral tests: facility networks, risk events, and a harness over a service's database."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from services.referral.domain.network import Facility
from services.referral.settings import ReferralSettings
from services.referral.usecases import network as network_usecases
from services.referral.usecases import risks
from shared.contracts.events import FacilityRegistered, RiskDetected
from shared.envelope import KafkaRecord, decode
from shared.messaging.outbox import headers_from_text
from shared.service import Service

WIB = timezone(timedelta(hours=7))
FULL = "doctor;hb_test;glucose_test;ultrasound;emergency;pdp"


def facility(facility_id: str, type_: str, parent: str | None = None, caps: str = "", active: bool = True) -> Facility:
    return Facility(facility_id, type_, parent, frozenset(c for c in caps.split(";") if c), active)


def network(*facilities: Facility) -> dict[str, Facility]:
    return {f.facility_id: f for f in facilities}


def standard(**overrides: str) -> dict[str, Facility]:
    """Posyandu -> Pustu -> Puskesmas -> RS, as in the integration harness; ``overrides`` set capabilities."""
    caps = {"RS": "doctor;emergency;hb_test;glucose_test;ultrasound;pdp", "PKM": "doctor;hb_test;glucose_test",
            "PST": "hb_test;glucose_test", "PSY": ""} | overrides
    return network(
        facility("RS", "rs", None, caps["RS"]),
        facility("PKM", "puskesmas", "RS", caps["PKM"]),
        facility("PST", "pustu", "PKM", caps["PST"]),
        facility("PSY", "posyandu", "PST", caps["PSY"]),
    )


def registered(f: Facility, village: str = "18.01.06.2001", revision: int = 1) -> FacilityRegistered:
    return FacilityRegistered(facility_id=f.facility_id, name=f.facility_id, type=f.type, parent_id=f.parent_id,
                              village_code=village, capabilities=sorted(f.capabilities), active=f.active,
                              revision=revision)


def risk(code: str = "HT", severity: str = "moderate", level: str = "puskesmas", *, person: str = "p1",
         facility_id: str = "PSY", at: datetime | None = None, risk_id: uuid.UUID | None = None) -> RiskDetected:
    at = at or datetime(2026, 11, 20, 9, 15, tzinfo=WIB)
    return RiskDetected(
        risk_id=risk_id or uuid.uuid4(), visit_id=uuid.uuid4(), person_id=person, facility_id=facility_id,
        village_code="18.01.06.2001", occurred_at=at, stage="adult", code=code, cluster=3, severity=severity,
        evidence={}, recommended_level=level, ruleset_version="test",
    )


@dataclass
class Harness:
    """A referral service's database and use cases, driven directly."""

    service: Service
    settings: ReferralSettings

    async def events(self) -> list[tuple[str, object]]:
        """``(event id, event data)`` of every outbox row, in order."""
        t = self.service.outbox.table
        async with self.service.db.session() as session:
            rows = (await session.execute(select(t).order_by(t.c.id))).mappings().all()
        out = []
        for r in rows:
            envelope = decode(KafkaRecord(topic=r["topic"], key=r["key"], value=r["value"],
                                          headers=headers_from_text(r["headers"])))
            out.append((envelope.id, envelope.data))
        return out

    async def updates(self, status: str | None = None) -> list:
        return [d for _, d in await self.events() if d.ce_type.endswith("referral.updated.v1")
                and (status is None or d.status == status)]

    async def risk(self, event, now: datetime) -> str:
        async with self.service.transaction() as unit:
            return (await risks.on_risks(unit, [event], self.settings, now))[0]


async def migrated(tmp_path, name: str = "referral.db") -> Harness:
    """A migrated SQLite referral service (not started) holding the standard network."""
    from services.referral.app import MIGRATIONS, build_service

    settings = ReferralSettings(database_url=f"sqlite:///{tmp_path / name}", var_dir=tmp_path)
    service = build_service(settings)
    await service.db.migrate(MIGRATIONS, version_table="alembic_version_referral")
    async with service.transaction() as unit:
        for f in standard().values():
            await network_usecases.upsert_facility(unit, registered(f))
    return Harness(service, settings)
