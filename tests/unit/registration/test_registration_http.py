"""Registration's HTTP intake (the app on ASGI, SQLite, no broker): token first, bounded bodies, one
answer per request and per batch item, the contract's error shapes."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy import select

from services.registration import models
from services.registration.app import create_app
from services.registration.settings import RegistrationSettings
from services.registration.usecases import imports, tokens, visits
from shared.regions import load_regions
from shared.web import MAX_BODY_BYTES

WIB = timezone(timedelta(hours=7))
FACILITIES = """facility_id,name,type,parent_id,village_code,capabilities
PKM180106,Puskesmas Kalianda,puskesmas,,18.01.06.1007,doctor;hb_test
PSY1801062001A,Posyandu Mawar,posyandu,PKM180106,18.01.06.2001,
PKM180104,Puskesmas Natar,puskesmas,,18.01.04.2001,doctor
"""


def visit(**kw) -> dict:
    body = {
        "visit_id": str(uuid.uuid4()), "facility_id": "PSY1801062001A",
        "occurred_at": (datetime.now(WIB) - timedelta(hours=2)).isoformat(), "service_point": "posyandu",
        "person": {"nik": "1801064508920003", "name": "Siti Aminah", "sex": "F", "birth_date": "1992-08-05",
                   "village_code": "18.01.06.2001"},
        "measurements": {"systolic_mmhg": 150, "diastolic_mmhg": 95},
    }
    body.update(kw)
    return body


@pytest.fixture
async def api(tmp_path):
    settings = RegistrationSettings(database_url=f"sqlite:///{tmp_path / 'reg.db'}", var_dir=tmp_path,
                                    environment="test", person_id_secret="test-secret", max_pending_visits=50)
    app = create_app(settings)
    service = app.state.service
    await service.migrate()
    async with service.transaction() as unit:
        await imports.import_facilities(unit, imports.parse_facilities_csv(FACILITIES, load_regions()))
        kalianda = await tokens.issue(unit, "facility", "PKM180106", 365)
        natar = await tokens.issue(unit, "facility", "PKM180104", 365)
        admin = await tokens.issue(unit, "admin", "18.01.06", 365)
    runner = asyncio.create_task(service.context.coalescer.run())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://registration") as client:
        client.kalianda, client.natar, client.admin = (f"Bearer {t.token}" for t in (kalianda, natar, admin))
        client.service = service
        yield client
    runner.cancel()
    await service.db.dispose()


async def post(api: httpx.AsyncClient, body, token: str | None, **kw) -> httpx.Response:
    headers = {"Authorization": token} if token else {}
    content = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return await api.post("/v1/visits", content=content, headers={**headers, "Content-Type": "application/json"}, **kw)


async def test_a_request_without_a_valid_token_is_refused_before_its_body_is_read(api) -> None:
    huge = b"x" * (MAX_BODY_BYTES + 1)
    for token in (None, "Bearer jjf_not-a-token"):
        refused = await post(api, huge, token)
        assert refused.status_code == 401, token  # not 413: the body was never read
        assert refused.json()["errors"][0]["loc"] == ["header", "authorization"]


async def test_bodies_over_the_limit_answer_413_and_bad_json_422(api) -> None:
    assert (await post(api, b"[" + b" " * MAX_BODY_BYTES + b"]", api.kalianda)).status_code == 413
    for bad in (b"{not json", b"[" * 100_000, "\x00"):
        answer = await post(api, bad, api.kalianda)
        assert answer.status_code == 422 and answer.json()["errors"][0]["loc"] == ["body"], bad[:5]


@pytest.mark.parametrize(("change", "loc"), [
    ({"person": {**visit()["person"], "nik": "١٨٠١٠٦٤٥٠٨٩٢٠٠٠٣"}}, ["person", "nik"]),  # Arabic-Indic digits
    ({"person": {**visit()["person"], "nik": "१८०१०६४५०८९२०००३"}}, ["person", "nik"]),  # Devanagari digits
    ({"person": {**visit()["person"], "name": "Siti\x00Aminah"}}, ["person", "name"]),
    ({"occurred_at": "0001-01-01T00:00:00+07:00"}, ["occurred_at"]),
    ({"person": {**visit()["person"], "birth_date": "1800-01-01"}}, ["person", "birth_date"]),
])
async def test_values_no_store_can_hold_are_field_errors(api, change: dict, loc: list[str]) -> None:
    answer = await post(api, visit(**change), api.kalianda)
    assert answer.status_code == 422 and answer.json()["errors"][0]["loc"] == loc


async def test_a_visit_id_of_another_facility_is_a_conflict_that_reveals_nothing(api) -> None:
    first = visit()
    assert (await post(api, first, api.kalianda)).json()["status"] == "recorded"
    stolen = {**visit(facility_id="PKM180104"), "visit_id": first["visit_id"]}
    single = await post(api, stolen, api.natar)
    assert single.status_code == 409 and single.json()["errors"][0]["loc"] == ["visit_id"]
    assert "person_id" not in single.text
    batch = await post(api, {"visits": [stolen, visit(facility_id="PKM180104")]}, api.natar)
    results = batch.json()["results"]
    assert [r["status"] for r in results] == ["rejected", "recorded"] and "person_id" not in results[0]
    again = await post(api, first, api.kalianda)
    assert again.json()["status"] == "duplicate" and again.json()["person_id"]  # the owner still sees its own


async def test_one_bad_item_does_not_cost_its_neighbours_their_answer(api, monkeypatch) -> None:
    poison = visit()
    store = visits.Registrar._store

    async def failing(self, unit, accepted, outcomes, now):  # noqa: ANN001 - the database refuses one visit
        if any(str(v.visit_id) == poison["visit_id"] for _, v, _, _ in accepted):
            raise ValueError("the database refused the row")
        return await store(self, unit, accepted, outcomes, now)

    monkeypatch.setattr(visits.Registrar, "_store", failing)
    good = [visit(person={**visit()["person"], "nik": nik}) for nik in ("1801060101900001", "1801060101900002")]
    batch = await post(api, {"visits": [good[0], poison, good[1]]}, api.kalianda)
    assert [r["status"] for r in batch.json()["results"]] == ["recorded", "rejected", "recorded"]
    singles = await asyncio.gather(*(post(api, v, api.kalianda) for v in (poison, visit(), visit())))
    assert [s.status_code for s in singles] == [500, 202, 202]  # the coalescer's group answered one by one
    async with api.service.db.read_session() as session:
        stored = set((await session.scalars(select(models.visits.c.visit_id))).all())
    assert poison["visit_id"] not in stored and {g["visit_id"] for g in good} <= stored


async def test_a_full_queue_answers_503_with_retry_after(api) -> None:
    coalescer = api.service.context.coalescer
    coalescer.max_pending = 0
    busy = await post(api, visit(), api.kalianda)
    assert busy.status_code == 503 and busy.headers["retry-after"] == "1"


async def test_too_many_failed_token_checks_are_refused_for_a_while(api) -> None:
    for _ in range(19):
        assert (await post(api, visit(), "Bearer jjf_guess")).status_code == 401
    limited = await post(api, visit(), "Bearer jjf_guess")
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) > 0
    assert (await post(api, visit(), None)).status_code == 429
    # a valid token of the same address still passes: a neighbour's guessing locks nobody out
    assert (await post(api, visit(), api.kalianda)).status_code == 202


async def test_admin_imports_stay_inside_the_admin_region(api) -> None:
    moved = "facility_id,name,type,parent_id,village_code,capabilities\nPKM180104,Puskesmas Natar Baru,puskesmas,,18.01.06.2001,doctor\n"
    answer = await api.post("/v1/facilities", content=moved, headers={"Authorization": api.admin})
    assert answer.status_code == 422 and {e["field"] for e in answer.json()["errors"]} == {"facility_id"}
    parented = "facility_id,name,type,parent_id,village_code,capabilities\nPSY9,Posyandu Baru,posyandu,PKM180104,18.01.06.2001,\n"
    answer = await api.post("/v1/facilities", content=parented, headers={"Authorization": api.admin})
    assert answer.status_code == 422 and {e["field"] for e in answer.json()["errors"]} == {"parent_id"}
    targets = "village_code,year,target,count\n18.01.06.2001,2026,pregnant,10\n18.01.04.2001,2026,pregnant,10\n"
    answer = await api.post("/v1/targets", content=targets, headers={"Authorization": api.admin})
    assert answer.status_code == 422 and answer.json()["errors"] == [
        {"line": 3, "field": "village_code", "msg": "the village lies outside the token's region 18.01.06"}]
    inside = await api.post("/v1/targets", content=targets.splitlines()[0] + "\n" + targets.splitlines()[1] + "\n",
                            headers={"Authorization": api.admin})
    assert inside.status_code == 200 and inside.json() == {"changed": 1, "unchanged": 0}


async def test_expired_and_revoked_tokens_are_refused(api) -> None:
    async with api.service.transaction() as unit:
        short = await tokens.issue(unit, "facility", "PKM180106", 1)
        revoked = await tokens.issue(unit, "facility", "PKM180106", 365)
        await tokens.revoke(unit, revoked.token_id)
    async with api.service.db.session() as session, session.begin():
        await session.execute(models.tokens.update().where(models.tokens.c.token_id == short.token_id)
                              .values(expires_at=datetime.now(timezone.utc) - timedelta(seconds=1)))
    for token in (short, revoked):
        assert (await post(api, visit(), f"Bearer {token.token}")).status_code == 401
    assert (await post(api, visit(), api.kalianda)).status_code == 202
