"""Dashboard's background task: :class:`Rewinder` carries out a rebuild on the Kafka side.

Once per rebuild generation, it seeks each partition this process is assigned back to the
beginning and commits that offset, then records the partition as rewound, so a partition is
replayed exactly once whichever replica holds it (and a dashboard that was stopped during the
rebuild rewinds when it starts).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import OffsetAndMetadata
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.dashboard import models
from services.dashboard.usecases.rebuild import current_generation
from shared.db import Database
from shared.errors import safe_reason

log = logging.getLogger(__name__)


class Rewinder:
    """Rewinds this process's partitions once per rebuild generation."""

    def __init__(self, db: Database, consumers: Callable[[], list[AIOKafkaConsumer]], interval: float = 2.0) -> None:
        self.db = db
        self.consumers = consumers
        self.interval = interval

    async def check(self) -> int:
        """One pass; returns how many partitions were rewound."""
        async with self.db.read_session() as session:
            generation = await current_generation(session)
            if generation == 0:
                return 0
            marks = {(t, p): g for t, p, g in await session.execute(select(models.rewound))}
        count = 0
        for consumer in self.consumers():
            due = sorted((tp for tp in consumer.assignment() if marks.get((tp.topic, tp.partition), 0) < generation),
                         key=lambda tp: (tp.topic, tp.partition))
            if not due:
                continue
            beginning = await consumer.beginning_offsets(due)
            if not await consumer.seek_to_beginning(*due):  # aiokafka: True once the reset is done
                continue
            await consumer.commit({tp: OffsetAndMetadata(beginning[tp], "") for tp in due})
            async with self.db.session() as session, session.begin():
                dialect = session.bind.dialect.name
                stmt = (sqlite_insert if dialect == "sqlite" else pg_insert)(models.rewound)
                stmt = stmt.on_conflict_do_update(index_elements=["topic", "partition"],
                                                  set_={"generation": stmt.excluded.generation})
                await session.execute(stmt, [{"topic": tp.topic, "partition": tp.partition, "generation": generation}
                                             for tp in due])
            log.warning("rebuild: partitions rewound to the beginning",
                        extra={"generation": generation, "partitions": [f"{tp.topic}:{tp.partition}" for tp in due]})
            count += len(due)
        return count

    async def run(self) -> None:
        while True:
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # rebalance or broker away: the next pass retries
                log.warning("rebuild rewind failed; retrying", extra={"error": safe_reason(exc)})
            await asyncio.sleep(self.interval)
