"""Persistence: SQLAlchemy 2 (async), one database per service, Alembic migrations at start.

SQLite (the embedded default) runs in WAL mode with one writer connection, so the service's
writers queue in-process instead of failing on ``database is locked``; transactions open with
``BEGIN IMMEDIATE`` so SAVEPOINTs work and lock upgrades cannot deadlock. Statements run inline on
the event loop (:class:`InlineSQLiteConnection`) unless ``sqlite_inline`` is off, in which case
aiosqlite's worker thread runs them. PostgreSQL is used as is.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import sqlite3
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import aiosqlite
from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, Table, event, insert, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util.concurrency import await_only
from tenacity import Retrying, retry_if_exception, stop_after_delay, wait_exponential

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """A MetaData with stable constraint names, one per service."""
    return MetaData(naming_convention=NAMING_CONVENTION)


class _RunNow:
    """Stands in for aiosqlite's work queue: runs each queued call at once, on this thread."""

    def put_nowait(self, item: tuple[Any, Any]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:  # noqa: BLE001 - handed to the awaiting caller, as aiosqlite does
            if future is not None:
                future.set_exception(exc)
            return
        if future is not None:
            future.set_result(result)


class InlineSQLiteConnection(aiosqlite.Connection):
    """aiosqlite's connection API, executed on the event loop's own thread.

    aiosqlite hands every call to a worker thread and back through a future. A local SQLite
    statement takes microseconds; the hand-off (queue, thread wake-up, GIL hand-over, loop
    wake-up) costs more than the statement and, with several threads per process on a busy
    machine, adds milliseconds of latency per statement. Measured on the intake path: a group
    commit of 2-4 visits took 16-28 ms through the worker thread. Run inline, a statement blocks the
    loop only for its own duration; the one wait that could be long, a write lock held by another
    process (a CLI import), is bounded by ``busy_timeout``.
    """

    def __init__(self, connector: Any) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunNow()  # SQLAlchemy's adapter queues some calls itself (isolation level)

    def __await__(self):  # noqa: ANN204 - no worker thread to start
        return self._connect().__await__()

    async def _connect(self) -> "InlineSQLiteConnection":
        if self._connection is None:
            self._connection = self._connector()
        return self

    async def _execute(self, fn, *args, **kwargs):  # noqa: ANN001, ANN202
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def _inline_sqlite(path: str, timeout: float):  # noqa: ANN202
    """An ``async_creator`` for SQLAlchemy's aiosqlite dialect that opens an inline connection."""

    async def create() -> InlineSQLiteConnection:
        return await InlineSQLiteConnection(lambda: sqlite3.connect(path, timeout=timeout, check_same_thread=False))

    return create


class Database:
    """A service's database: a writer engine, a reader engine and their session factories."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "NORMAL", sqlite_inline: bool = True,
                 echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = make_url(url).get_backend_name() == "sqlite"
        if self.is_sqlite:
            path = make_url(url).database
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            extra: dict[str, Any] = {"connect_args": {"timeout": 60}}
            if sqlite_inline and path and path != ":memory:":
                extra = {"async_creator": _inline_sqlite(path, 60)}
            self.engine = create_async_engine(url, echo=echo, hide_parameters=True, pool_size=1, max_overflow=0, pool_timeout=300, **extra)
            self.read_engine = create_async_engine(url, echo=echo, hide_parameters=True, pool_size=4, **extra)
            inline = "async_creator" in extra
            _sqlite_hooks(self.engine, sqlite_synchronous, begin="BEGIN IMMEDIATE", inline=inline)
            _sqlite_hooks(self.read_engine, sqlite_synchronous, begin="BEGIN", inline=inline)
        else:
            self.engine = create_async_engine(url, echo=echo, hide_parameters=True, pool_size=10, max_overflow=10, pool_pre_ping=True)
            self.read_engine = self.engine
        self.session = async_sessionmaker(self.engine, expire_on_commit=False)
        self.read_session = async_sessionmaker(self.read_engine, expire_on_commit=False)

    async def ping(self) -> None:
        """Raise if the database cannot answer ``SELECT 1``."""
        async with self.read_engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def migrate(self, script_location: Path, version_table: str) -> None:
        """Apply the service's Alembic migrations up to head.

        On PostgreSQL every replica of a service runs this at start; a transaction-scoped advisory
        lock (keyed by the version table) makes them take turns, so the first migrates and the
        others find the schema at head. SQLite's ``BEGIN IMMEDIATE`` serialises writers already.
        """
        async with self.engine.begin() as conn:
            if not self.is_sqlite:
                await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": migration_lock_key(version_table)})
            await conn.run_sync(_upgrade, str(script_location), version_table)

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()
        if self.read_engine is not self.engine:
            await self.read_engine.dispose()


def migration_lock_key(version_table: str) -> int:
    """A stable signed 64-bit advisory-lock key for one service's migrations."""
    digest = hashlib.sha256(f"jejaring-migrations:{version_table}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


LOCK_WAIT_SECONDS = 60.0  # how long a transaction waits for another process's write lock
INLINE_BUSY_MS = 5  # inline: SQLite's own busy wait blocks the loop, so keep it short and wait here


def _sqlite_hooks(engine: AsyncEngine, synchronous: str, *, begin: str, inline: bool = False) -> None:
    """PRAGMAs on connect; ``begin`` at every transaction start.

    Another process (a CLI import, ``jejaring replay``) may hold the write lock. Through the
    worker thread SQLite's busy handler simply waits there; inline it would block the event
    loop, so the busy timeout is a few milliseconds and ``BEGIN`` is retried here with
    ``asyncio.sleep`` between attempts, for up to ``LOCK_WAIT_SECONDS``, while the loop serves others.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # noqa: ANN001
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={INLINE_BUSY_MS if inline else int(LOCK_WAIT_SECONDS * 1000)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn) -> None:  # noqa: ANN001
        if not inline:
            conn.exec_driver_sql(begin)
            return
        waiting = Retrying(
            retry=retry_if_exception(lambda exc: isinstance(exc, OperationalError) and "locked" in str(exc.orig)),
            wait=wait_exponential(multiplier=0.002, max=0.05), stop=stop_after_delay(LOCK_WAIT_SECONDS), reraise=True,
            sleep=lambda seconds: await_only(asyncio.sleep(seconds)),  # inside SQLAlchemy's greenlet: yields the loop
        )
        waiting(conn.exec_driver_sql, begin)


def _upgrade(connection: Connection, script_location: str, version_table: str) -> None:
    config = Config()
    config.set_main_option("script_location", script_location)
    config.attributes["connection"] = connection
    config.attributes["version_table"] = version_table
    command.upgrade(config, "head")


def run_alembic_env(target_metadata: MetaData) -> None:
    """The body of every service's ``migrations/env.py`` (online mode, connection given)."""
    from alembic import context

    connection = context.config.attributes["connection"]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=context.config.attributes.get("version_table", "alembic_version"),
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def ensure_postgres_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` if it is missing (needs CREATEDB)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql" or not parsed.database:
        return
    admin = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database})
            if not exists:
                try:
                    await conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
                except DBAPIError:
                    # another replica created it between the check and the CREATE
                    if not await conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                             {"n": parsed.database}):
                        raise
    finally:
        await admin.dispose()


_PLACEHOLDER = {"qmark": lambda i: "?", "numeric_dollar": lambda i: f"${i}"}  # SQLite, asyncpg


@functools.lru_cache(maxsize=64)
def insert_sql(table: str, columns: tuple[str, ...], paramstyle: str) -> str:
    """``INSERT INTO "table" (...) VALUES (?, ...)`` in the driver's parameter style (``qmark``: SQLite,
    ``numeric_dollar``: asyncpg), for ``executemany`` with positional rows."""
    marks = ", ".join(_PLACEHOLDER[paramstyle](i) for i in range(1, len(columns) + 1))
    names = ", ".join(f'"{c}"' for c in columns)
    return f'INSERT INTO "{table}" ({names}) VALUES ({marks})'


def sqlite_datetime(moment: datetime) -> str:
    """A datetime as SQLAlchemy's SQLite DATETIME stores it (for rows written past Core)."""
    # SQLAlchemy's SQLite DATETIME storage format (wall clock, no offset: "%Y-%m-%d %H:%M:%S.%f"),
    # so rows read back alike; isoformat writes the same text several times faster than strftime.
    return moment.replace(tzinfo=None).isoformat(" ", "microseconds")


def sqlite_datetimes() -> Callable[[datetime], str]:
    """:func:`sqlite_datetime` formatting each datetime object once, for the rows of one statement
    (a batch's rows usually share one ``now``, an event's rows its time). Keyed by object, not
    equality: 09:15+07 equals 02:15Z but Core stores different wall-clock texts for them; the rows
    keep every datetime alive meanwhile, so the ids stay unique."""
    texts: dict[int, str] = {}

    def stored(value: datetime) -> str:
        text = texts.get(id(value))
        if text is None:
            text = texts[id(value)] = sqlite_datetime(value)
        return text

    return stored


async def bulk_insert(session: AsyncSession, table: Table, columns: Sequence[str], rows: Sequence[tuple]) -> None:
    """INSERT positional ``rows`` with the driver's ``executemany``, in the session's transaction.

    SQLAlchemy Core's insert processes every parameter of every row in Python (~11 µs a row on
    SQLite, docs/performance.md); the hot bookkeeping tables (outbox, inbox) skip that. Values
    must be what the driver takes (str, bytes, int, aware datetimes); on SQLite datetimes are
    written in SQLAlchemy's own text format, so Core reads them back as usual. A dialect with
    another parameter style falls back to Core.
    """
    if not rows:
        return
    connection = await session.connection()
    dialect = connection.dialect
    if dialect.paramstyle not in _PLACEHOLDER:
        await session.execute(insert(table), [dict(zip(columns, row)) for row in rows])
        return
    if dialect.name == "sqlite":
        stored = sqlite_datetimes()
        rows = [tuple(stored(v) if isinstance(v, datetime) else v for v in row) for row in rows]
    await connection.exec_driver_sql(insert_sql(table.name, tuple(columns), dialect.paramstyle), list(rows))
