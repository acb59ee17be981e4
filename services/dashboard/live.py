"""Live updates and rebuild, the dashboard's background work.

- :class:`ChangeFeed` tells open pages (server-sent events) which villages changed: at once for
  batches this process committed, and — because every replica shares the database but each
  consumes only its own partitions — by polling ``freshness.received_at`` for what other replicas
  applied. Each stream only hears about villages inside the area it shows.
- :class:`Rewinder` carries out a rebuild on the Kafka side: once per rebuild generation, it seeks
  each partition this process is assigned back to the beginning and commits that offset, then
  records the partition as rewound, so a partition is replayed exactly once whichever replica
  holds it (and a dashboard that was stopped during the rebuild rewinds when it starts).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import OffsetAndMetadata
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.dashboard import models, readmodel, usecases
from shared.db import Database

log = logging.getLogger(__name__)


class Subscription:
    """One open stream: wakes when a village it cares about changed."""

    def __init__(self, wants: Callable[[str], bool]) -> None:
        self.wants = wants
        self._event = asyncio.Event()

    def offer(self, villages: set[str]) -> None:
        if readmodel.ALL in villages or any(self.wants(v) for v in villages):
            self._event.set()

    async def wait(self, timeout: float) -> bool:
        """True if something relevant changed within ``timeout`` seconds (and re-arm)."""
        try:
            await asyncio.wait_for(self._event.wait(), timeout)
        except TimeoutError:
            return False
        self._event.clear()
        return True


class ChangeFeed:
    """Fans read-model changes out to open streams."""

    def __init__(self, db: Database | None = None, poll_seconds: float = 1.0, window_seconds: float = 10.0) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self.window = timedelta(seconds=window_seconds)
        self.subscribers: set[Subscription] = set()
        self.listeners: list[Callable[[set[str]], None]] = []
        self._seen: dict[str, datetime] = {}

    def subscribe(self, wants: Callable[[str], bool]) -> Subscription:
        sub = Subscription(wants)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self.subscribers.discard(sub)

    def publish(self, villages: set[str]) -> None:
        """Villages whose numbers changed (``readmodel.ALL`` for everything)."""
        for listener in self.listeners:
            listener(villages)
        for sub in list(self.subscribers):
            sub.offer(villages)

    async def poll_once(self, now: datetime | None = None) -> set[str]:
        """Villages another replica (or this one) changed since the last poll."""
        assert self.db is not None
        now = now or datetime.now(timezone.utc)
        t = models.freshness
        since = now - self.window  # tolerates clock skew and commit delays between replicas
        async with self.db.read_session() as session:
            rows = (await session.execute(select(t.c.village_code, t.c.received_at).where(t.c.received_at > since))).all()
        changed = set()
        for village, raw in rows:
            received = readmodel.utc(raw)
            if self._seen.get(village) != received:
                changed.add(village)
                self._seen[village] = received
        self._seen = {v: r for v, r in self._seen.items() if r > since}
        return changed

    async def run(self) -> None:
        """Poll while somebody is watching."""
        primed = False
        while True:
            await asyncio.sleep(self.poll_seconds)
            if not self.subscribers:
                primed = False
                continue
            try:
                changed = await self.poll_once()
                if primed and changed:
                    self.publish(changed)
                primed = True
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # database away: the next poll will tell
                log.debug("change poll failed", extra={"error": repr(exc)})


class Rewinder:
    """Rewinds this process's partitions once per rebuild generation."""

    def __init__(self, db: Database, consumers: Callable[[], list[AIOKafkaConsumer]], interval: float = 2.0) -> None:
        self.db = db
        self.consumers = consumers
        self.interval = interval

    async def check(self) -> int:
        """One pass; returns how many partitions were rewound."""
        async with self.db.read_session() as session:
            generation = await usecases.current_generation(session)
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
                log.warning("rebuild rewind failed; retrying", extra={"error": repr(exc)})
            await asyncio.sleep(self.interval)
