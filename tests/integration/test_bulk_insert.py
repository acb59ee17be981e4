"""``shared.db.bulk_insert`` writes exactly what SQLAlchemy Core would, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
)
from sqlalchemy.exc import IntegrityError

from shared.db import Database, bulk_insert, ensure_postgres_database
from tests.integration.harness import Postgres

metadata = MetaData()
WIB = timezone(timedelta(hours=7))


def _table(name: str) -> Table:
    return Table(name, metadata, Column("id", Integer, primary_key=True),
                 Column("event_id", String(64), unique=True, nullable=False), Column("key", LargeBinary),
                 Column("note", Text), Column("at", DateTime(timezone=True), nullable=False))


core_rows, bulk_rows = _table("core_rows"), _table("bulk_rows")

ROWS = [
    ("e1", b"\x00\xffkey", "plain", datetime(2026, 11, 20, 2, 15, 0, 123456, tzinfo=timezone.utc)),
    ("e2", None, "tab\there, quote ' and \" and é☃", datetime(2026, 11, 20, 2, 15, 0, tzinfo=timezone.utc)),
    ("e3", b"", None, datetime(2026, 1, 1, tzinfo=timezone.utc)),
    ("e4", b"k", "a visit's own offset (WIB)", datetime(2026, 11, 20, 9, 15, tzinfo=WIB)),
]
COLUMNS = ("event_id", "key", "note", "at")


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with Postgres().running() as url:
        yield url + "_bulk_insert"


@pytest.fixture(params=["sqlite-inline", "sqlite-thread", pytest.param("postgres", marks=pytest.mark.postgres)])
async def db(request, tmp_path) -> AsyncIterator[Database]:
    if request.param == "postgres":
        database = Database(request.getfixturevalue("postgres_url").replace("postgresql://", "postgresql+asyncpg://", 1))
        await ensure_postgres_database(database.url)
    else:
        database = Database(f"sqlite+aiosqlite:///{tmp_path / 'bulk.db'}", sqlite_inline=request.param == "sqlite-inline")
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
    yield database
    await database.dispose()


async def _read(db: Database, table: Table) -> list[tuple]:
    async with db.read_session() as session:
        rows = (await session.execute(select(table.c.event_id, table.c.key, table.c.note, table.c.at)
                                      .order_by(table.c.id))).all()
    return [(e, k, n, at if at.tzinfo else at.replace(tzinfo=timezone.utc)) for e, k, n, at in rows]


async def test_rows_read_back_as_core_would_write_them(db: Database) -> None:
    async with db.session() as session, session.begin():
        await session.execute(insert(core_rows), [dict(zip(COLUMNS, row)) for row in ROWS])
        await bulk_insert(session, bulk_rows, COLUMNS, ROWS)
        await bulk_insert(session, bulk_rows, COLUMNS, [])
    core, bulk = await _read(db, core_rows), await _read(db, bulk_rows)
    assert bulk == core
    assert [r[0] for r in bulk] == ["e1", "e2", "e3", "e4"] and bulk[0][3] == ROWS[0][3]
    async with db.read_session() as session:  # timestamps compare in SQL as Core's do
        since = datetime(2026, 11, 20, 2, 15, 0, 100000, tzinfo=timezone.utc)
        found = {}
        for table in (core_rows, bulk_rows):
            query = select(table.c.event_id).where(table.c.at >= since).order_by(table.c.id)
            found[table.name] = (await session.scalars(query)).all()
        assert found["bulk_rows"] == found["core_rows"] and "e1" in found["bulk_rows"]


async def test_a_failing_row_rolls_back_with_the_transaction(db: Database) -> None:
    with pytest.raises(IntegrityError):
        async with db.session() as session, session.begin():
            await bulk_insert(session, bulk_rows, COLUMNS, ROWS[:1])
            await bulk_insert(session, bulk_rows, COLUMNS, ROWS[:1])  # duplicate event_id
    assert await _read(db, bulk_rows) == []
