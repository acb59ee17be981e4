"""Idempotent consumer: the events a service has applied, written in the transaction of their effect.

An event is known by its CloudEvents type and id together: a *visit recorded* takes the client's
``visit_id`` as its id, which another kind of event (a referral) may happen to share.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import bulk_insert

EventKey = tuple[str, str]  # (event type, event id)


class Inbox:
    """Remembers which events a service has already applied."""

    def __init__(self, table: Table) -> None:
        self.table = table

    async def seen(self, session: AsyncSession, keys: Iterable[EventKey]) -> set[EventKey]:
        """The subset of ``keys`` already processed."""
        wanted = set(keys)
        ids = sorted({event_id for _type, event_id in wanted})
        t = self.table
        found: set[EventKey] = set()
        for start in range(0, len(ids), 500):
            rows = await session.execute(select(t.c.event_type, t.c.event_id).where(t.c.event_id.in_(ids[start:start + 500])))
            found.update(key for key in ((r[0], r[1]) for r in rows) if key in wanted)
        return found

    async def mark(self, session: AsyncSession, topic: str, keys: Iterable[EventKey]) -> None:
        """Record ``keys`` as processed, in the caller's transaction."""
        now = datetime.now(timezone.utc)
        await bulk_insert(session, self.table, ("event_id", "event_type", "topic", "processed_at"),
                          [(event_id, event_type, topic, now) for event_type, event_id in keys])

    async def prune(self, session: AsyncSession, retention: timedelta) -> int:
        """Forget events older than ``retention`` (effects are idempotent by their natural keys, so
        a redelivery after that still changes nothing)."""
        cutoff = datetime.now(timezone.utc) - retention
        result = await session.execute(delete(self.table).where(self.table.c.processed_at < cutoff))
        return result.rowcount or 0
