"""Group commit for single-visit requests: concurrent requests share one transaction.

A Posyandu tablet sends one visit per request. Recording each in its own transaction costs a
commit and a handful of statements per visit; under load the coalescer gathers the requests that
arrive within a couple of milliseconds and records them together (``Registrar.record_each``), then
answers each request after the commit. A request is answered only once its visit is durable, and
each gets its own answer: a neighbour that makes the database fail is narrowed down and answered
alone. The queue is bounded: when it is full, a request is refused at once (``Busy``: 503).
"""

from __future__ import annotations

import asyncio
from typing import Any

from services.registration.usecases.visits import Outcome, Registrar
from shared.service import Service


class Busy(Exception):
    """Too many visits are waiting for their commit; the caller should retry shortly."""


class IntakeCoalescer:
    """Queues single visits and records them in shared transactions."""

    def __init__(self, service: Service, registrar: Registrar, *, max_items: int = 500, linger: float = 0.002,
                 max_pending: int = 5000) -> None:
        self.service = service
        self.registrar = registrar
        self.max_items = max_items
        self.linger = linger
        self.max_pending = max_pending
        self._queue: list[tuple[Any, str | None, asyncio.Future]] = []
        self._wake = asyncio.Event()

    async def submit(self, raw: Any, token_facility: str | None) -> Outcome:
        """Record one visit with whatever else is waiting; returns after the commit."""
        if len(self._queue) >= self.max_pending:
            raise Busy(f"{len(self._queue)} visits are waiting to be recorded")
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._queue.append((raw, token_facility, future))
        self._wake.set()
        return await future

    async def run(self) -> None:
        """Record queued visits forever, a group at a time."""
        while True:
            await self._wake.wait()
            if len(self._queue) < self.max_items:
                await asyncio.sleep(self.linger)
            group, self._queue = self._queue[: self.max_items], self._queue[self.max_items:]
            if not self._queue:
                self._wake.clear()
            if not group:
                continue
            try:
                outcomes = await self.registrar.record_each(
                    self.service.transaction, [raw for raw, _, _ in group], [scope for _, scope, _ in group])
            except Exception as exc:  # the database is unreachable: every request of the group fails alike
                for _, _, future in group:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, _, future), outcome in zip(group, outcomes):
                if not future.done():
                    future.set_result(outcome)
