"""SQLite access: inline on the event loop by default, aiosqlite's worker thread when asked; same results."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, select, text
from sqlalchemy.exc import IntegrityError, OperationalError

from shared.db import Database, InlineSQLiteConnection

metadata = MetaData()
items = Table("items", metadata, Column("id", Integer, primary_key=True), Column("name", String, unique=True))


@pytest.fixture(params=[True, False], ids=["inline", "worker-thread"])
async def db(request, tmp_path):
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}", sqlite_inline=request.param)
    database.sqlite_inline_requested = request.param
    async with database.engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield database
    await database.dispose()


async def test_commits_savepoints_and_rollbacks_behave_alike(db: Database) -> None:
    async with db.session() as session, session.begin():
        await session.execute(items.insert(), [{"name": "a"}, {"name": "b"}])
        with pytest.raises(IntegrityError):
            async with session.begin_nested():
                await session.execute(items.insert().values(name="a"))  # rolled back to the savepoint
        await session.execute(items.insert().values(name="c"))
    with pytest.raises(OperationalError):
        async with db.session() as session, session.begin():
            await session.execute(items.insert().values(name="d"))
            await session.execute(text("SELECT * FROM no_such_table"))  # the whole transaction rolls back
    async with db.read_session() as session:
        assert (await session.scalars(select(items.c.name).order_by(items.c.name))).all() == ["a", "b", "c"]


async def test_inline_connections_run_on_the_loop_thread(db: Database) -> None:
    async with db.session() as session, session.begin():
        raw = (await (await session.connection()).get_raw_connection()).driver_connection
        on_thread = []
        await raw.create_function("where_am_i", 0, lambda: on_thread.append(threading.get_ident()) or 1)
        assert await session.scalar(text("SELECT where_am_i()")) == 1
    inline = isinstance(raw, InlineSQLiteConnection)
    assert inline == db.sqlite_inline_requested
    assert len(on_thread) == 1 and (on_thread[0] == threading.get_ident()) == inline


async def test_a_write_lock_held_elsewhere_is_waited_for_without_blocking_the_loop(db: Database, tmp_path) -> None:
    import asyncio
    import sqlite3
    import time

    other = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another process's import, say
    other.execute("INSERT INTO items (name) VALUES ('other')")
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    async def write() -> float:
        started = time.monotonic()
        async with db.session() as session, session.begin():
            await session.execute(items.insert().values(name="mine"))
        return time.monotonic() - started

    running = asyncio.create_task(ticker())
    writing = asyncio.create_task(write())
    await asyncio.sleep(0.3)
    assert not writing.done()  # still waiting for the lock
    other.execute("COMMIT")
    other.close()
    waited = await writing
    running.cancel()
    assert waited >= 0.3
    if db.sqlite_inline_requested:
        assert ticks >= 5  # the loop kept running while the transaction waited (a blocked loop ticks once)
    async with db.read_session() as session:
        assert set((await session.scalars(select(items.c.name))).all()) == {"other", "mine"}
