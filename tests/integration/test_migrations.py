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

import asyncpg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import make_url

from shared.db import Database, ensure_postgres_database
from shared.settings import SERVICES, normalise_database_url
from tests.integration.harness import Postgres

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "schemas"
RELEASED = sorted(p.name.split(".")[0] for p in FIXTURES.glob("*.sqlite.sql"))  # services an earlier release had
CREATED = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)
# Rows an earlier release wrote, and what the later revisions must make of them.
OLD_ROWS = {
    "registration": ["INSERT INTO tokens (token_hash, role, facility_id, region, created_at, revoked_at) "
                     "VALUES ('h1', 'facility', 'PKM1', NULL, :at, NULL)"],
    "dashboard": ["INSERT INTO viewer_tokens (token_hash, region, created_at, revoked_at) VALUES ('v1', '18.01', :at, NULL)"],
    "referral": ["INSERT INTO tokens (token_hash, facility_id, revoked) VALUES ('h1', 'PKM1', false)"],
    "screening": [],
}


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


async def _old_rows(service: str, url: str) -> None:
    db = Database(url)
    try:
        async with db.engine.begin() as conn:
            for statement in OLD_ROWS[service]:
                await conn.execute(text(statement), {"at": CREATED})
            await conn.execute(text("INSERT INTO processed_events (event_id, topic, processed_at) "
                                    "VALUES ('e1', 'ilp.visit.recorded.v1', :at)"), {"at": CREATED})
    finally:
        await db.dispose()


async def _check_upgraded_rows(service: str, url: str) -> None:
    db = Database(url)
    try:
        async with db.engine.connect() as conn:
            inbox = (await conn.execute(text("SELECT event_id, event_type FROM processed_events"))).all()
            assert [tuple(r) for r in inbox] == [("e1", "id.jejaring.visit.recorded.v1")]
            if service in ("registration", "dashboard"):
                table = "tokens" if service == "registration" else "viewer_tokens"
                row = (await conn.execute(text(f"SELECT token_id, expires_at FROM {table}"))).one()
                assert row.token_id.startswith("tok_") and row.expires_at is not None
    finally:
        await db.dispose()


@pytest.mark.parametrize("service", SERVICES)
async def test_a_fresh_sqlite_database_is_the_models(service: str, tmp_path: Path) -> None:
    assert await migrate_and_compare(service, f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}") == []


@pytest.mark.parametrize("service", RELEASED)
async def test_a_sqlite_database_of_the_earlier_release_upgrades_to_the_models(service: str, tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.executescript((FIXTURES / f"{service}.sqlite.sql").read_text())
    url = f"sqlite+aiosqlite:///{path}"
    await _old_rows(service, url)
    assert await migrate_and_compare(service, url) == []
    await _check_upgraded_rows(service, url)


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
@pytest.mark.parametrize("service", RELEASED)
async def test_a_postgres_database_of_the_earlier_release_upgrades_to_the_models(service: str, postgres: str) -> None:
    url = await _database(postgres, f"old_{service}")
    parsed = make_url(url)
    conn = await asyncpg.connect(host=parsed.host, port=parsed.port, user=parsed.username, database=parsed.database)
    try:  # a connection of its own: the dump empties its search_path
        await conn.execute((FIXTURES / f"{service}.postgresql.sql").read_text())
    finally:
        await conn.close()
    await _old_rows(service, url)
    assert await migrate_and_compare(service, url) == []
    await _check_upgraded_rows(service, url)


def test_every_migration_is_explicit() -> None:
    """No revision builds its tables from the current models (``create_all``): each says what it does."""
    for service in SERVICES:
        for revision in (_migrations(service) / "versions").glob("*.py"):
            source = revision.read_text()
            assert "create_all" not in source and f"services.{service}.models" not in source, revision

