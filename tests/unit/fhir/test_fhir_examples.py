"""SATUSEHAT-shaped Bundles (written from its published examples) map to their JSON intake equivalents,
and registration records both to equal *visit recorded* events (what the dashboard counts)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from services.registration import models
from services.registration.settings import RegistrationSettings
from services.registration.usecases import imports, visits
from shared.contracts.events import VisitRecorded
from shared.contracts.intake import IntakeVisit
from shared.db import Database
from shared.envelope import decode
from shared.fhir import inbound
from shared.regions import load_regions
from shared.unit import Unit

EXAMPLES = Path(__file__).parent / "examples"
NAMES = ["anc_visit", "child_growth", "ptm_screening", "immunisation", "newborn_nik_ibu"]
TYPES = {"PKM180106": "puskesmas", "PST1801062001": "pustu", "PSY1801062001A": "posyandu"}
SATUSEHAT = {"10000004": "PKM180106"}  # the Puskesmas's Organization id in SATUSEHAT
FACILITIES = """facility_id,name,type,parent_id,village_code,capabilities
RS1801,RSUD Kalianda,rs,,18.01.06.1007,emergency;doctor
PKM180106,Puskesmas Kalianda,puskesmas,RS1801,18.01.06.1007,doctor;hb_test
PST1801062001,Pustu Jondong,pustu,PKM180106,18.01.06.2001,hb_test
PSY1801062001A,Posyandu Mawar,posyandu,PST1801062001,18.01.06.2001,
"""


def resolve(org_id: str) -> str | None:
    return org_id if org_id in TYPES else SATUSEHAT.get(org_id)


def mapped(name: str) -> inbound.Mapping:
    return inbound.map_bundle((EXAMPLES / f"{name}.json").read_bytes(), resolve_organization=resolve,
                              facility_type=TYPES.get)


def expected(name: str) -> list[dict]:
    return json.loads((EXAMPLES / f"{name}.expected.json").read_text())


def model(visit: dict) -> dict:
    return IntakeVisit.model_validate(visit).model_dump(mode="json")


@pytest.mark.parametrize("name", NAMES)
def test_example_bundle_maps_to_its_json_equivalent(name: str) -> None:
    mapping = mapped(name)
    assert mapping.problems == [] and mapping.blocking() == []
    assert [model(v.visit) for v in mapping.visits] == [model(v) for v in expected(name)]


def test_what_jejaring_does_not_use_is_answered_with_a_warning() -> None:
    anc = mapped("anc_visit")
    (visit,) = anc.visits
    assert [(i.severity, i.expression) for i in visit.issues] == [("warning", "Bundle.entry[8].resource.code")]
    newborn = mapped("newborn_nik_ibu")
    assert [(i.severity, i.expression) for i in newborn.unused[1]] == [("warning", "Bundle.entry[1].resource")]


@pytest.fixture
async def db(tmp_path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'reg.db'}")
    async with database.engine.begin() as conn:
        await conn.run_sync(models.metadata.create_all)
    rows = imports.parse_facilities_csv(FACILITIES, load_regions())
    async with database.session() as session, session.begin():
        await imports.import_facilities(Unit(session=session, message=None, source="/t"), rows)
    yield database
    await database.dispose()


async def record(db: Database, raws: list[dict]) -> tuple[list, list[VisitRecorded]]:
    registrar = visits.Registrar(RegistrationSettings(person_id_secret="test-secret"), load_regions())
    async with db.session() as session, session.begin():
        unit = Unit(session=session, message=None, source="/jejaring/registration")
        outcomes = await registrar.record_many(unit, raws, token_facility="PKM180106")
    events = [e for e in (decode(r).data for _, r in unit.emitted) if isinstance(e, VisitRecorded)]
    return outcomes, events


@pytest.mark.parametrize("name", NAMES)
async def test_fhir_and_json_record_equal_visits(db, name: str) -> None:
    as_json = [{**v, "visit_id": str(uuid.uuid4())} for v in expected(name)]
    json_outcomes, json_events = await record(db, as_json)
    fhir_outcomes, fhir_events = await record(db, [v.visit for v in mapped(name).visits])
    assert {o.status for o in json_outcomes + fhir_outcomes} == {"recorded"}
    strip = {"visit_id", "recorded_at"}
    assert [e.model_dump(exclude=strip) for e in fhir_events] == [e.model_dump(exclude=strip) for e in json_events]
    again, _ = await record(db, [v.visit for v in mapped(name).visits])
    assert {o.status for o in again} == {"duplicate"}
