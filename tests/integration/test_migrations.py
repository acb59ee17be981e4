"""Schema migrations, on SQLite and PostgreSQL: a fresh database and one created by an earlier release
both reach exactly the schema of the models (Alembic's autogenerate comparison finds nothing).

The earlier release's schemas are the dumps in ``tests/fixtures/schemas`` (see its README); rows put
in them before upgrading must come through the data changes of later revisions.
"""

from __future__ import annotations

import importlib
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from uuid import UUID, uuid5

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from shared.db import Database, ensure_postgres_database
from shared.settings import SERVICES, normalise_database_url
from tests.integration.harness import Postgres

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "schemas"
# Earlier releases' schemas: "<service>" (the code of 9956614) or "<service>@<revision>" (a later release).
RELEASED = sorted(p.name.removesuffix(".sqlite.sql") for p in FIXTURES.glob("*.sqlite.sql"))
CREATED = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
# Rows an earlier release wrote, and what the later revisions must make of them.
OLD_ROWS = {
    "registration": ["INSERT INTO tokens (token_hash, role, facility_id, region, created_at, revoked_at) "
                     "VALUES ('h1', 'facility', 'PKM1', NULL, :at, NULL)"],
    "dashboard": ["INSERT INTO viewer_tokens (token_hash, region, created_at, revoked_at) VALUES ('v1', '18.01', :at, NULL)",
                  "INSERT INTO cells (village_code, period, indicator, numerator, measured, ytd_numerator, ytd_measured) "
                  "VALUES ('18.01.06.2001', '2026-11', 'stunting', 2, 10, 2, 10), "
                  "('18.01.06.2002', '2026-11', 'stunting', 1, 5, 1, 4), ('18.01.07.2001', '2026-11', 'stunting', 3, 6, 0, 1), "
                  "('18.01.07.2001', '2026-10', 'visits', 7, 0, 7, 0), ('18.71.01.1001', '2026-11', 'stunting', 4, 4, 4, 4)",
                  "INSERT INTO referrals (referral_id, village_code, period, made_at, status, status_rank, status_at, "
                  "feedback) VALUES ('r1', '18.01.06.2001', '2026-11', :at, 'completed', 4, :at, true), "
                  "('r2', '18.01.06.2002', '2026-11', :at, 'completed', 4, :at, false), "
                  "('r3', '18.01.07.2001', '2026-10', :at, 'made', 0, :at, false)",
                  "INSERT INTO targets (village_code, year, target, count) VALUES ('18.01.06.2001', 2026, 'pregnant', 40), "
                  "('18.01.06.2002', 2026, 'pregnant', 2), ('18.01.07.2001', 2026, 'pregnant', 5)"],
    "referral": ["INSERT INTO tokens (token_hash, facility_id, revoked) VALUES ('h1', 'PKM1', false)"],
    "screening": [  # pregnancy visits, each counted as an ANC contact by the releases that wrote them
        "INSERT INTO anc_contacts (visit_id, person_id, occurred_on, conception_on, gestational_weeks) VALUES "
        f"('{vid}', '{person}', '{on}', '{conceived}', {weeks})"
        for vid, person, on, conceived, weeks in (
            ("a1", "m1", "2026-03-02", "2025-12-29", 9), ("a2", "m1", "2026-05-04", "2025-12-29", 18),
            ("a3", "m1", "2026-05-04", "2025-12-29", 18), ("a4", "m1", "2026-07-13", "2025-12-29", 28),
            ("a5", "m1", "2026-08-10", "2025-12-29", 32), ("a6", "m1", "2027-03-01", "2026-12-21", 10),
            ("a7", "m2", "2026-06-01", "2026-01-19", 19))
    ],
}
# What dashboard revision 0004 makes of the cells: their sums per kecamatan, kabupaten and province.
AREA_CELLS = {
    ("18", "2026-10", "visits"): (7, 0, 7, 0), ("18", "2026-11", "stunting"): (10, 25, 7, 19),
    ("18.01", "2026-10", "visits"): (7, 0, 7, 0), ("18.01", "2026-11", "stunting"): (6, 21, 3, 15),
    ("18.01.06", "2026-11", "stunting"): (3, 15, 3, 14), ("18.01.07", "2026-10", "visits"): (7, 0, 7, 0),
    ("18.01.07", "2026-11", "stunting"): (3, 6, 0, 1), ("18.71", "2026-11", "stunting"): (4, 4, 4, 4),
    ("18.71.01", "2026-11", "stunting"): (4, 4, 4, 4),
}
AREA_REFERRALS = {  # (area, month made, status): (referrals, with feedback)
    ("18", "2026-10", "made"): (1, 0), ("18", "2026-11", "completed"): (2, 1),
    ("18.01", "2026-10", "made"): (1, 0), ("18.01", "2026-11", "completed"): (2, 1),
    ("18.01.06", "2026-11", "completed"): (2, 1), ("18.01.07", "2026-10", "made"): (1, 0),
}
AREA_TARGETS = {("18", 2026, "pregnant"): 47, ("18.01", 2026, "pregnant"): 47, ("18.01.06", 2026, "pregnant"): 42,
                ("18.01.07", 2026, "pregnant"): 5}
# What screening revision 0003 makes of them: contacts of unknown provider, their pregnancy and the milestones reached.
PREGNANCY_NAMESPACE = UUID("351b8f15-503e-566d-be32-ed029203f1f8")
ANC_UPGRADED = {
    "a1": ("m1/2025-12-29", "k1,k1_murni"), "a2": ("m1/2025-12-29", ""), "a3": ("m1/2025-12-29", ""),
    "a4": ("m1/2025-12-29", ""), "a5": ("m1/2025-12-29", "k4"), "a6": ("m1/2026-12-21", "k1,k1_murni"),
    "a7": ("m2/2026-01-19", "k1"),
}


def _service(fixture: str) -> str:
    return fixture.split("@")[0]


def _models(service: str):  # noqa: ANN202
    return importlib.import_module(f"services.{service}.models").metadata


def _migrations(service: str) -> Path:
    return importlib.import_module(f"services.{service}.app").MIGRATIONS


def _drift(connection, metadata) -> list:  # noqa: ANN001
    context = MigrationContext.configure(connection, opts={
        "include_name": lambda name, kind, _parent: not (kind == "table" and name.startswith("alembic_version")),
        "compare_type": True,
    })
    return compare_metadata(context, metadata)


async def migrate_and_compare(service: str, url: str) -> list:
    db = Database(url)
    try:
        await db.migrate(_migrations(service), version_table=f"alembic_version_{service}")
        async with db.engine.connect() as conn:
            return await conn.run_sync(_drift, _models(service))
    finally:
        await db.dispose()


async def _old_rows(fixture: str, url: str) -> None:
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            for statement in OLD_ROWS[_service(fixture)]:
                await conn.execute(text(statement), {"at": CREATED})
            if "@" in fixture:  # a release whose inbox is keyed by event type already
                await conn.execute(text("INSERT INTO processed_events (event_id, topic, processed_at, event_type) "
                                        "VALUES ('e1', 'ilp.visit.recorded.v1', :at, 'id.jejaring.visit.recorded.v1')"),
                                   {"at": CREATED})
            else:
                await conn.execute(text("INSERT INTO processed_events (event_id, topic, processed_at) "
                                        "VALUES ('e1', 'ilp.visit.recorded.v1', :at)"), {"at": CREATED})
    finally:
        await db.dispose()


async def _check_upgraded_rows(fixture: str, url: str) -> None:
    service = _service(fixture)
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            inbox = (await conn.execute(text("SELECT event_id, event_type FROM processed_events"))).all()
            assert [tuple(r) for r in inbox] == [("e1", "id.jejaring.visit.recorded.v1")]
            if service in ("registration", "dashboard"):
                table = "tokens" if service == "registration" else "viewer_tokens"
                row = (await conn.execute(text(f"SELECT token_id, expires_at FROM {table}"))).one()
                assert row.token_id.startswith("tok_") and row.expires_at is not None
            if service == "dashboard":
                rows = await conn.execute(text("SELECT area_code, period, indicator, numerator, measured, ytd_numerator, "
                                               "ytd_measured FROM area_cells"))
                assert {tuple(r[:3]): tuple(r[3:]) for r in rows} == AREA_CELLS
                rows = await conn.execute(text("SELECT area_code, period, status, count, feedback FROM area_referrals"))
                assert {tuple(r[:3]): tuple(r[3:]) for r in rows} == AREA_REFERRALS
                rows = await conn.execute(text("SELECT area_code, year, target, count FROM area_targets"))
                assert {tuple(r[:3]): r[3] for r in rows} == AREA_TARGETS
            if service == "screening":
                anc = _models(service).tables["anc_contacts"]  # typed: dates come back as dates
                rows = (await conn.execute(select(anc).order_by(anc.c.visit_id))).mappings().all()
                await _check_pregnancy_visits(rows)
    finally:
        await db.dispose()


async def _check_pregnancy_visits(rows) -> None:  # noqa: ANN001
    """The old rows as revision 0003 leaves them, and as today's screening reads them at the next contact."""
    from services.screening import domain
    from services.screening.domain.model import PregnancyRecord
    from shared.contracts.intake import IntakeVisit

    got = {r["visit_id"]: (r["anc_by"], r["pregnancy_id"], r["milestones"], r["ultrasound"], r["visit_order"])
           for r in rows}
    assert got == {vid: ("unknown", str(uuid5(PREGNANCY_NAMESPACE, key)), reached, None, None)
                   for vid, (key, reached) in ANC_UPGRADED.items()}
    history = domain.History(pregnancy=tuple(PregnancyRecord(  # as services/screening/usecases.py loads them
        visit_id=r["visit_id"], occurred_on=r["occurred_on"], order=r["visit_order"] or 0.0,
        conception_on=r["conception_on"], gestational_weeks=r["gestational_weeks"], anc_by=r["anc_by"],
        ultrasound=bool(r["ultrasound"]), anc_visit_number=r["anc_visit_number"], pregnancy_id=r["pregnancy_id"],
        milestones=r["milestones"] or "") for r in rows if r["person_id"] == "m1"))
    intake = IntakeVisit.model_validate({
        "visit_id": str(UUID(int=1)), "facility_id": "PKM1", "occurred_at": "2026-09-07T09:00:00+07:00",
        "service_point": "puskesmas", "pregnancy": {"gestational_weeks": 36, "anc": {"by": "midwife"}},
        "person": {"nik": "1801064508920003", "sex": "F", "birth_date": "1992-08-05", "village_code": "18.01.06.2001"},
        "measurements": {}})
    anc = domain.evaluate(domain.from_intake(intake, "m1"), history).facts["anc"]
    # the fifth contact of the same pregnancy: no second K1, K4 already reached
    assert (anc["contact_number"], anc["pregnancy_id"]) == (5, str(uuid5(PREGNANCY_NAMESPACE, "m1/2025-12-29")))
    assert (anc["k1"], anc["k4"], anc["contacts"], anc["contacts_by_trimester"]) == (False, False, 5, [1, 1, 3])


@pytest.mark.parametrize("service", SERVICES)
async def test_a_fresh_sqlite_database_is_the_models(service: str, tmp_path: Path) -> None:
    assert await migrate_and_compare(service, f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}") == []


@pytest.mark.parametrize("fixture", RELEASED)
async def test_a_sqlite_database_of_the_earlier_release_upgrades_to_the_models(fixture: str, tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript((FIXTURES / f"{fixture}.sqlite.sql").read_text())
    url = f"sqlite+aiosqlite:///{path}"
    await _old_rows(fixture, url)
    assert await migrate_and_compare(_service(fixture), url) == []
    await _check_upgraded_rows(fixture, url)


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with Postgres().running() as url:
        yield url


async def _database(base: str, name: str) -> str:
    url = normalise_database_url(f"{base}_{name}")
    await ensure_postgres_database(url)
    return url


@pytest.mark.postgres
@pytest.mark.parametrize("service", SERVICES)
async def test_a_fresh_postgres_database_is_the_models(service: str, postgres: str) -> None:
    url = await _database(postgres, f"fresh_{service}")
    assert await migrate_and_compare(service, url) == []


@pytest.mark.postgres
@pytest.mark.parametrize("fixture", RELEASED)
async def test_a_postgres_database_of_the_earlier_release_upgrades_to_the_models(fixture: str, postgres: str) -> None:
    url = await _database(postgres, f"old_{fixture.replace('@', '_')}")
    parsed = make_url(url)
    conn = await asyncpg.connect(host=parsed.host, port=parsed.port, user=parsed.username, database=parsed.database)
    try:  # a connection of its own: the dump empties its search_path
        await conn.execute((FIXTURES / f"{fixture}.postgresql.sql").read_text())
    finally:
        await conn.close()
    await _old_rows(fixture, url)
    assert await migrate_and_compare(_service(fixture), url) == []
    await _check_upgraded_rows(fixture, url)


def test_every_migration_is_explicit() -> None:
    """No revision builds its tables from the current models (``create_all``): each says what it does."""
    for service in SERVICES:
        for revision in (_migrations(service) / "versions").glob("*.py"):
            source = revision.read_text()
            assert "create_all" not in source and f"services.{service}.models" not in source, revision

