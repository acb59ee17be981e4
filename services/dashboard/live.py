"""Live updates: :class:`ChangeFeed` tells open pages (server-sent events) which villages changed.

At once for batches this process committed, and — because every replica shares the database but
each consumes only its own partitions — by polling ``freshness.received_at`` and
``signals.received_at`` for what other replicas applied. Each stream only hears about villages inside the area it shows.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from services.dashboard import models
from services.dashboard.domain.signals import unpacked
from services.dashboard.readmodel.staging import ALL
from shared.db import Database
from shared.errors import safe_reason
from shared.time import utc

log = logging.getLogger(__name__)


class Subscription:
    """One open stream: wakes when a village it cares about changed."""

    def __init__(self, wants: Callable[[str], bool]) -> None:
        self.wants = wants
        self._event = asyncio.Event()

    def offer(self, villages: set[str]) -> None:
        if ALL in villages or any(self.wants(v) for v in villages):
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
        """Villages whose numbers changed (``ALL`` for everything)."""
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
            s = models.signals
            signals = (await session.execute(select(s.c.signal_id, s.c.village_codes, s.c.received_at)
                                             .where(s.c.received_at > since))).all()
        changed = set()
        for village, raw in rows:
            received = utc(raw)
            if self._seen.get(village) != received:
                changed.add(village)
                self._seen[village] = received
        for signal_id, villages, raw in signals:
            received, key = utc(raw), f"signal:{signal_id}"
            if self._seen.get(key) != received:
                changed.update(unpacked(villages))
                self._seen[key] = received
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
                log.debug("change poll failed", extra={"error": safe_reason(exc)})
