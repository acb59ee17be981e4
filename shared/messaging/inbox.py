"""Idempotent consumer: the ids of processed events, written in the transaction of their effect."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from sqlalchemy import Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.db import bulk_insert


class Inbox:
    """Remembers which event ids a service has already applied."""

    def __init__(self, table: Table) -> None:
        self.table = table

    async def seen(self, session: AsyncSession, event_ids: Iterable[str]) -> set[str]:
        """The subset of ``event_ids`` already processed."""
        ids = list(set(event_ids))
        found: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            rows = await session.execute(select(self.table.c.event_id).where(self.table.c.event_id.in_(chunk)))
            found.update(r[0] for r in rows)
        return found

    async def mark(self, session: AsyncSession, topic: str, event_ids: Iterable[str]) -> None:
        """Record ``event_ids`` as processed, in the caller's transaction."""
        now = datetime.now(timezone.utc)
        await bulk_insert(session, self.table, ("event_id", "topic", "processed_at"),
                          [(eid, topic, now) for eid in event_ids])

    async def prune(self, session: AsyncSession, retention: timedelta) -> int:
        """Forget ids older than ``retention`` (longer than any replay window)."""
        cutoff = datetime.now(timezone.utc) - retention
        result = await session.execute(delete(self.table).where(self.table.c.processed_at < cutoff))
        return result.rowcount or 0
