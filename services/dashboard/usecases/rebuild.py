"""Rebuilding the read model: empty it and start a new rebuild generation; ``tasks.Rewinder`` then
re-reads every consumed topic from the beginning.
"""

from __future__ import annotations

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.dashboard import models
from shared.contracts.topics import dlq_topic

GENERATION = "rebuild_generation"


async def rebuild(service) -> int:  # noqa: ANN001 - a shared.service.Service with the dashboard's consumers
    """Empty the read model and the inbox rows of the consumed topics, and start a new rebuild
    generation, in one transaction. The running dashboard (or the next one to start) then rewinds
    each of its partitions to the beginning once (``live.Rewinder``) and re-reads every topic.
    Returns the new generation."""
    topics = sorted({p.topic for p in service.processors})
    async with service.db.session() as session, session.begin():
        dialect = session.bind.dialect.name
        if dialect == "postgresql":
            await session.execute(text("TRUNCATE TABLE " + ", ".join(t.name for t in models.READ_MODEL)))
        else:
            for table in models.READ_MODEL:
                await session.execute(delete(table))
        inbox = models.processed_events
        # Dead-lettered events too (remembered under their DLQ's name): a rebuild tries them again.
        dead = [dlq_topic(topic, service.name) for topic in topics]
        await session.execute(delete(inbox).where(inbox.c.topic.in_(topics + dead)))
        generation = await current_generation(session) + 1
        stmt = (sqlite_insert if dialect == "sqlite" else pg_insert)(models.state).values(key=GENERATION, value=generation)
        await session.execute(stmt.on_conflict_do_update(index_elements=[models.state.c.key],
                                                         set_={"value": stmt.excluded.value}))
    return generation


async def current_generation(session: AsyncSession) -> int:
    value = await session.scalar(select(models.state.c.value).where(models.state.c.key == GENERATION))
    return int(value or 0)
