"""Transactional outbox: events are rows written with the state change, then relayed to Kafka.

A handler's state change and the events it emits commit in one transaction (``add``). The relay
publishes unsent rows in id order and marks them sent; sent rows are kept for a retention window
so ``jejaring replay SERVICE --since T`` can publish them again after the broker lost its log.
On PostgreSQL several replicas may relay at once: rows are claimed with ``FOR UPDATE SKIP LOCKED``.

A replay never overlaps a batch of the same process: a batch in flight when the broker loses its
log may have had part of its records acknowledged by the old log and the rest by the new one, and
a replay that ran before the batch was marked sent would leave the first part out of the new log
for good. Every replica notices the loss itself and replays after its own batch.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta, timezone

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    wait_exponential,
)

from shared.db import Database, bulk_insert
from shared.envelope import KafkaRecord
from shared.errors import safe_reason
from shared.time import utc

log = logging.getLogger(__name__)

Publish = Callable[[Sequence[KafkaRecord]], Awaitable[None]]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def headers_text(headers: Sequence[tuple[str, bytes]]) -> str:
    """Headers as stored in the ``headers`` column: one ``name<TAB>value`` line each.

    Values are read as latin-1, which maps every byte to one code point, so any value round-trips.
    A header whose name or value holds a tab or a newline (or a first name starting with ``[``) is
    stored as a JSON list of pairs instead, the format of rows written before 2026-11-25. Both
    are read by :func:`headers_from_text`. The lines cost ~2 µs an event, JSON ~6.
    """
    text = "\n".join([name + "\t" + value.decode("latin-1") for name, value in headers])
    if text.count("\t") != len(headers) or text.count("\n") != max(len(headers) - 1, 0) or text.startswith("["):
        return json.dumps([[name, value.decode("latin-1")] for name, value in headers])
    return text


def headers_from_text(text: str) -> tuple[tuple[str, bytes], ...]:
    """The headers written by :func:`headers_text` (either format)."""
    if text.startswith("["):
        return tuple((name, value.encode("latin-1")) for name, value in json.loads(text))
    if not text:
        return ()
    return tuple((name, value.encode("latin-1")) for name, value in (line.split("\t", 1) for line in text.split("\n")))


def _records(rows: Sequence) -> list[KafkaRecord]:
    return [KafkaRecord(topic=r.topic, key=r.key, value=r.value, headers=headers_from_text(r.headers),
                        timestamp=int(utc(r.created_at).timestamp() * 1000)) for r in rows]


class Outbox:
    """Writes, relays, prunes and replays one service's outbox table."""

    def __init__(self, db: Database, table: Table) -> None:
        self.db = db
        self.table = table
        self._wake = asyncio.Event()
        self._batch = asyncio.Lock()
        self.published_total = 0
        self.last_error: str | None = None

    async def add(self, session: AsyncSession, records: Sequence[tuple[str, KafkaRecord]]) -> None:
        """Stage ``(event_id, record)`` pairs in the caller's transaction."""
        if not records:
            return
        now = _utcnow()
        await bulk_insert(
            session, self.table, ("event_id", "topic", "key", "value", "headers", "created_at"),
            [(event_id, r.topic, r.key, r.value, headers_text(r.headers), now) for event_id, r in records],
        )

    def wake(self) -> None:
        """Tell the relay that new rows were committed."""
        self._wake.set()

    async def relay_once(self, publish: Publish, limit: int) -> int:
        """Publish one batch of unsent rows and mark them sent; return how many.

        SQLite has one writer: rows are read without a write lock, published, then marked sent in
        a short write transaction, so intake never waits for broker acknowledgements. PostgreSQL
        claims the rows with ``FOR UPDATE SKIP LOCKED`` so that replicas never publish the same row
        at once. :meth:`mark_for_replay` waits for the batch to be marked sent.
        """
        async with self._batch:
            return await self._relay_batch(publish, limit)

    async def _relay_batch(self, publish: Publish, limit: int) -> int:
        t = self.table
        query = select(t.c.id, t.c.topic, t.c.key, t.c.value, t.c.headers, t.c.created_at).where(t.c.sent_at.is_(None))
        query = query.order_by(t.c.id).limit(limit)
        if self.db.is_sqlite:
            async with self.db.read_session() as session:
                rows = (await session.execute(query)).all()
            if not rows:
                return 0
            await publish(_records(rows))
            async with self.db.session() as session, session.begin():
                await self._mark_sent(session, [r.id for r in rows])
        else:
            async with self.db.session() as session, session.begin():
                rows = (await session.execute(query.with_for_update(skip_locked=True))).all()
                if not rows:
                    return 0
                await publish(_records(rows))
                await self._mark_sent(session, [r.id for r in rows])
        self.published_total += len(rows)
        return len(rows)

    async def _mark_sent(self, session: AsyncSession, ids: list[int]) -> None:
        now = _utcnow()
        for start in range(0, len(ids), 500):
            await session.execute(update(self.table).where(self.table.c.id.in_(ids[start:start + 500])).values(sent_at=now))

    async def run_relay(
        self, publish: Publish, *, limit: int, poll_seconds: float, linger_seconds: float = 0.005,
        on_error_sleep: float = 1.0,
    ) -> None:
        """Relay forever: drain on every wake-up, poll as a safety net, back off on errors.

        After a wake-up it lingers a few milliseconds so that the commits of concurrent requests
        are published together. A broker or database that is away is retried with capped
        exponential backoff (tenacity); the rows stay unsent meanwhile.
        """

        def failed(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            self.last_error = safe_reason(error) if error else "failed"
            log.warning("outbox relay failed, will retry", extra={"error": self.last_error})

        retrying = AsyncRetrying(wait=wait_exponential(multiplier=on_error_sleep, max=30.0), before_sleep=failed,
                                 retry=retry_if_exception_type(Exception))
        while True:
            async for attempt in retrying:
                with attempt:
                    while await self.relay_once(publish, limit) == limit:
                        pass
            self.last_error = None
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=poll_seconds)
                await asyncio.sleep(linger_seconds)
            except asyncio.TimeoutError:
                pass
            self._wake.clear()

    async def backlog(self) -> int:
        """How many rows wait to be published."""
        async with self.db.read_session() as session:
            return int(await session.scalar(select(func.count()).where(self.table.c.sent_at.is_(None))) or 0)

    async def prune(self, retention: timedelta) -> int:
        """Delete sent rows older than the retention window."""
        cutoff = _utcnow() - retention
        async with self.db.session() as session, session.begin():
            result = await session.execute(
                delete(self.table).where(self.table.c.sent_at.is_not(None), self.table.c.created_at < cutoff)
            )
        return result.rowcount or 0

    async def mark_for_replay(self, since: datetime) -> int:
        """Mark every row created at or after ``since`` unsent again, so the relay re-publishes it.

        Waits for this process's batch in flight, if any, so that its rows are marked unsent too."""
        # SQLite keeps DateTime(timezone=True) as UTC wall-clock text without the offset, so a
        # ``since`` in another offset (e.g. WIB from the CLI) must be converted before comparing.
        since = since.astimezone(timezone.utc) if since.tzinfo else since.replace(tzinfo=timezone.utc)
        async with self._batch, self.db.session() as session, session.begin():
            result = await session.execute(
                update(self.table)
                .where(self.table.c.created_at >= since, self.table.c.sent_at.is_not(None))
                .values(sent_at=None)
            )
        return result.rowcount or 0
