"""Rebuilding the read model: empty it and start a new rebuild generation. Either the command
re-reads the topics itself (``services.dashboard.reread``: ``rebuild_progress`` records how far, with
the effects) or ``tasks.Rewinder`` makes the running dashboard re-read every consumed topic.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.dashboard import models
from shared.contracts.topics import dlq_topic

GENERATION = "rebuild_generation"


async def rebuild(service, reread_by_command: Iterable[tuple[str, int]] | None = None) -> int:  # noqa: ANN001
    """Empty the read model and the inbox rows of the consumed topics, and start a new rebuild
    generation, in one transaction. Returns the new generation.

    Without ``reread_by_command`` the running dashboard (or the next one to start) then rewinds
    each of its partitions to the beginning once (``tasks.Rewinder``) and re-reads every topic.
    With it, those (topic, partition) are recorded as rewound for the new generation in the same
    transaction, so no dashboard rewinds them: the command re-reads them itself."""
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
        await session.execute(delete(models.progress))
        marks = sorted(set(reread_by_command or ()))
        if marks:
            stmt = (sqlite_insert if dialect == "sqlite" else pg_insert)(models.rewound)
            stmt = stmt.on_conflict_do_update(index_elements=["topic", "partition"],
                                              set_={"generation": stmt.excluded.generation})
            await session.execute(stmt, [{"topic": t, "partition": p, "generation": generation} for t, p in marks])
    return generation


async def current_generation(session: AsyncSession) -> int:
    value = await session.scalar(select(models.state.c.value).where(models.state.c.key == GENERATION))
    return int(value or 0)


async def start_progress(session: AsyncSession, generation: int, logs: dict[tuple[str, int], tuple[int, int]]) -> None:
    """Record the partitions a command re-reads for ``generation``: from their first offset to the
    log end captured after the read model was emptied (``logs``: (topic, partition) -> (begin, end))."""
    rows = [{"topic": t, "partition": p, "generation": generation, "next_offset": begin, "end_offset": end}
            for (t, p), (begin, end) in sorted(logs.items()) if end > begin]
    if rows:
        await session.execute(models.progress.insert(), rows)


async def save_progress(session: AsyncSession, generation: int, positions: dict[tuple[str, int], int]) -> bool:
    """Record, in the transaction of their effects, that every offset before ``positions`` is applied;
    False when a newer rebuild replaced this one (the caller then stops and rolls back)."""
    t = models.progress
    for (topic, partition), offset in sorted(positions.items()):
        result = await session.execute(
            t.update().where(t.c.topic == topic, t.c.partition == partition, t.c.generation == generation)
            .values(next_offset=offset))
        if result.rowcount != 1:
            return False
    return True


async def load_progress(session: AsyncSession) -> tuple[int, dict[tuple[str, int], tuple[int, int]]]:
    """The current generation and, for the partitions a command re-reads for it, (next offset, end)."""
    generation = await current_generation(session)
    t = models.progress
    rows = await session.execute(select(t.c.topic, t.c.partition, t.c.next_offset, t.c.end_offset)
                                 .where(t.c.generation == generation))
    return generation, {(topic, partition): (int(n), int(e)) for topic, partition, n, e in rows}
