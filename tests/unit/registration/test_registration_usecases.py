"""Registration's use cases on a real SQLite database (no broker)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from services.registration import models
from services.registration.settings import RegistrationSettings
from services.registration.usecases import imports, tokens, visits
from shared.auth import hash_token
from shared.contracts.events import FacilityRegistered, PersonLinked, VisitRecorded
from shared.db import Database
from shared.envelope import decode
from shared.regions import load_regions
from shared.unit import Unit

FACILITIES = """facility_id,name,type,parent_id,village_code,capabilities
RS1801,RSUD Kalianda,rs,,18.01.06.1007,emergency;doctor
PKM180106,Puskesmas Kalianda,puskesmas,RS1801,18.01.06.1007,doctor;hb_test
PST1801062001,Pustu Jondong,pustu,PKM180106,18.01.06.2001,hb_test
PSY1801062001A,Posyandu Mawar,posyandu,PST1801062001,18.01.06.2001,
"""


@pytest.fixture
async def db(tmp_path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'reg.db'}")
    async with database.engine.begin() as conn:
        await conn.run_sync(models.metadata.create_all)
    yield database
    await database.dispose()


async def run(db: Database, fn):
    async with db.session() as session, session.begin():
        unit = Unit(session=session, message=None, source="/jejaring/registration")
        result = await fn(unit)
    return result, unit.emitted


@pytest.fixture
async def seeded(db):
    rows = imports.parse_facilities_csv(FACILITIES, load_regions())
    await run(db, lambda u: imports.import_facilities(u, rows))
    return db


def visit(**kw) -> dict:
    body = {
        "visit_id": str(uuid.uuid4()), "facility_id": "PSY1801062001A",
        "occurred_at": (datetime.now(timezone(timedelta(hours=7))) - timedelta(days=20)).isoformat(),
        "service_point": "posyandu",
        "person": {"nik": "1801064508920003", "name": "Siti Aminah", "sex": "F", "birth_date": "1992-08-05",
                   "village_code": "18.01.06.2001"},
        "measurements": {"systolic_mmhg": 150, "diastolic_mmhg": 95},
    }
    body.update(kw)
    return body


def registrar() -> visits.Registrar:
    return visits.Registrar(RegistrationSettings(person_id_secret="test-secret"), load_regions())


async def test_facilities_import_is_idempotent_and_emits_changes(db) -> None:
    rows = imports.parse_facilities_csv(FACILITIES, load_regions())
    counts, emitted = await run(db, lambda u: imports.import_facilities(u, rows))
    assert counts == {"created": 4, "updated": 0, "unchanged": 0}
    events = [decode(record).data for _, record in emitted]
    assert all(isinstance(e, FacilityRegistered) for e in events) and len(events) == 4
    again, emitted = await run(db, lambda u: imports.import_facilities(u, rows))
    assert again == {"created": 0, "updated": 0, "unchanged": 4} and emitted == []
    changed = imports.parse_facilities_csv(FACILITIES.replace("emergency;doctor", "doctor;emergency;ultrasound"),
                                            load_regions())
    counts, emitted = await run(db, lambda u: imports.import_facilities(u, changed))
    assert counts["updated"] == 1 and decode(emitted[0][1]).data.revision == 2


def test_facilities_csv_errors_name_line_and_field() -> None:
    broken = FACILITIES + "X1,,clinic,,99.99.99.9999,\nPSY1801062001A,dup,posyandu,PST1801062001,18.01.06.2001,\n"
    with pytest.raises(imports.CsvImportError) as info:
        imports.parse_facilities_csv(broken, load_regions())
    found = {(e["line"], e["field"]) for e in info.value.errors}
    assert {(6, "name"), (6, "type"), (6, "village_code"), (7, "facility_id")} <= found


async def test_facilities_import_rejects_bad_parents_and_applies_nothing(db) -> None:
    bad = FACILITIES.replace("PST1801062001,Pustu Jondong,pustu,PKM180106", "PST1801062001,Pustu Jondong,pustu,PSY1801062001A")
    rows = imports.parse_facilities_csv(bad, load_regions())
    with pytest.raises(imports.CsvImportError) as info:
        await run(db, lambda u: imports.import_facilities(u, rows))
    assert info.value.errors[0]["field"] == "parent_id"
    async with db.session() as session:
        assert (await session.execute(select(models.facilities))).first() is None


async def test_record_visit_then_duplicate(seeded) -> None:
    reg = registrar()
    body = visit()
    outcome, emitted = await run(seeded, lambda u: reg.record(u, body, token_facility="PKM180106"))
    assert outcome.status == "recorded"
    event = decode(emitted[0][1]).data
    assert isinstance(event, VisitRecorded) and event.person_id == outcome.person_id
    assert emitted[0][0] == body["visit_id"]
    assert event.facility_type == "posyandu" and event.stage == "adult"
    again, emitted = await run(seeded, lambda u: reg.record(u, body, token_facility="PKM180106"))
    assert again.status == "duplicate" and again.person_id == outcome.person_id and emitted == []


async def test_record_rejects_out_of_scope_unknown_facility_and_bad_nik(seeded) -> None:
    reg = registrar()
    outcome, _ = await run(seeded, lambda u: reg.record(u, visit(facility_id="PKM180106"), token_facility="PST1801062001"))
    assert outcome.forbidden
    outcome, _ = await run(seeded, lambda u: reg.record(u, visit(facility_id="NOPE"), token_facility=None))
    assert outcome.status == "rejected" and outcome.errors[0]["loc"] == ["facility_id"]
    bad = visit()
    bad["person"] = {**bad["person"], "nik": "9901064508920003"}
    outcome, _ = await run(seeded, lambda u: reg.record(u, bad, token_facility=None))
    assert outcome.errors[0]["loc"] == ["person", "nik"]
    future = visit(occurred_at=(datetime.now(timezone.utc) + timedelta(minutes=6)).isoformat())
    outcome, _ = await run(seeded, lambda u: reg.record(u, future, token_facility=None))
    assert outcome.errors[0]["loc"] == ["occurred_at"]


async def test_nik_mismatch_is_recorded_with_a_data_quality_warning(seeded) -> None:
    body = visit()
    body["person"] = {**body["person"], "birth_date": "1992-08-06"}
    outcome, emitted = await run(seeded, lambda u: registrar().record(u, body, token_facility=None))
    assert outcome.status == "recorded"
    assert decode(emitted[0][1]).data.data_quality == ["nik_birth_date_mismatch"]


async def test_child_without_nik_is_linked_when_its_own_nik_appears(seeded) -> None:
    reg = registrar()
    child = {"nik": None, "mother_nik": "1801064508920003", "name": "Bayi", "sex": "M", "birth_date": "2026-01-10",
             "village_code": "18.01.06.2001"}
    first, _ = await run(seeded, lambda u: reg.record(u, visit(person=child, measurements={"weight_kg": 7.5}),
                                                      token_facility=None))
    assert first.person_id.startswith("c")
    with_nik = {**child, "nik": "1801061001260001"}
    second, emitted = await run(seeded, lambda u: reg.record(u, visit(person=with_nik), token_facility=None))
    assert second.person_id.startswith("p") and second.person_id != first.person_id
    links = [decode(r).data for _, r in emitted if isinstance(decode(r).data, PersonLinked)]
    assert len(links) == 1 and links[0].previous_person_id == first.person_id
    _, emitted = await run(seeded, lambda u: reg.record(u, visit(person=with_nik), token_facility=None))
    assert not [r for _, r in emitted if isinstance(decode(r).data, PersonLinked)]


async def test_tokens_are_hashed_and_revocable(seeded) -> None:
    issued, emitted = await run(seeded, lambda u: tokens.issue(u, "facility", "PKM180106", 365))
    token = issued.token
    async with seeded.session() as session:
        stored = (await session.execute(select(models.tokens.c.token_hash))).scalars().all()
        assert token not in stored and hash_token(token) in stored
        assert await tokens.facility_of(session, token) == "PKM180106"
    done, emitted = await run(seeded, lambda u: tokens.revoke(u, issued.token_id))
    assert done and decode(emitted[0][1]).data.revoked
    async with seeded.session() as session:
        assert await tokens.facility_of(session, token) is None


def test_targets_csv_validation() -> None:
    good = "village_code,year,target,count\n18.01.06.2001,2026,under_five,120\n"
    assert imports.parse_targets_csv(good, load_regions())[0].count == 120
    with pytest.raises(imports.CsvImportError) as info:
        imports.parse_targets_csv(good + "18.01.06.2001,2026,babies,-1\n", load_regions())
    assert {(e["line"], e["field"]) for e in info.value.errors} == {(3, "target"), (3, "count")}


def test_targets_csv_accepts_the_maternal_newborn_and_infant_groups() -> None:
    rows = "village_code,year,target,count\n" + "".join(
        f"18.01.06.2001,2026,{group},{n}\n" for group, n in (("maternal", 42), ("newborn", 40), ("infant", 39)))
    parsed = imports.parse_targets_csv(rows, load_regions())
    assert [(t.target, t.count) for t in parsed] == [("maternal", 42), ("newborn", 40), ("infant", 39)]


async def test_record_many_answers_per_item_in_order(seeded) -> None:
    reg = registrar()
    first = visit()
    later = visit(occurred_at=(datetime.now(timezone(timedelta(hours=7))) - timedelta(days=1)).isoformat())
    later["person"] = {**later["person"], "village_code": "18.01.06.1007"}
    earlier = visit(occurred_at=(datetime.now(timezone(timedelta(hours=7))) - timedelta(days=40)).isoformat())
    bad = visit(measurements={"hb_g_dl": 99})
    outcomes, emitted = await run(seeded, lambda u: reg.record_many(u, [first, bad, first, later, earlier],
                                                                      token_facility="PKM180106"))
    assert [o.status for o in outcomes] == ["recorded", "rejected", "duplicate", "recorded", "recorded"]
    assert len({o.person_id for o in outcomes if o.person_id}) == 1
    assert len([1 for _, r in emitted if isinstance(decode(r).data, VisitRecorded)]) == 3
    async with seeded.session() as session:
        village = await session.scalar(select(models.persons.c.village_code))
    assert village == "18.01.06.1007", "the person keeps the values of their latest visit, not the last one sent"


async def test_data_quality_is_counted_per_facility(seeded) -> None:
    body = visit()
    body["person"] = {**body["person"], "birth_date": "1992-08-06"}
    await run(seeded, lambda u: registrar().record_many(u, [body, visit()], token_facility=None))
    async with seeded.session() as session:
        counts = await visits.data_quality_by_facility(session)
    assert counts == {"PSY1801062001A": {"visits": 2, "warnings": 1}}


async def test_scope_covers_self_and_descendants_only(seeded) -> None:
    from services.registration import domain
    from services.registration.usecases.registry import FacilityRegistry

    facilities = FacilityRegistry()
    async with seeded.session() as session:
        async def covered(token: str, facility: str) -> bool:
            return domain.in_scope(token, await facilities.chain(session, facility))

        assert await covered("PKM180106", "PSY1801062001A")
        assert await covered("PKM180106", "PKM180106")
        assert await covered("RS1801", "PSY1801062001A")
        assert not await covered("PST1801062001", "PKM180106")
        assert not await covered("PKM180106", "UNKNOWN")
