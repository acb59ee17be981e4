"""Consuming a batch: decode, skip what was processed, apply, dead-letter, commit, in one transaction.

For each poll of records (all topics of a service's subscription, one transaction in all):
1. decode every record; one that does not decode goes to the dead-letter topic with the reason;
2. in one database transaction: skip event ids already in the inbox (redelivery, replay); apply
   each new event in its own SAVEPOINT, retrying a failing one with backoff up to
   ``max_attempts`` and then dead-lettering it; record the ids; stage emitted events and
   dead letters in the outbox;
3. commit; only then the caller acknowledges the batch (Kafka offsets are committed).
A database that is down is not a poison message: the whole batch is retried with capped backoff,
and nothing is acknowledged meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.events import EventData
from shared.contracts.topics import dlq_topic
from shared.db import Database
from shared.envelope import EnvelopeError, KafkaRecord, decode, encode
from shared.logging import bind_event
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import Outbox
from shared.metrics import Metrics

log = logging.getLogger(__name__)

class Reject(Exception):
    """Raised by a handler for a message that can never be applied: dead-lettered at once."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


INFRA_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


@dataclass(slots=True)
class Decoded:
    """A decoded message: its idempotency id (None: the handler is idempotent itself) and body."""

    event_id: str | None
    body: Any
    record: KafkaRecord


Decoder = Callable[[KafkaRecord], Decoded]


def cloudevent_decoder(record: KafkaRecord) -> Decoded:
    """Decode a Jejaring CloudEvent; its ``ce_id`` is the idempotency key."""
    envelope = decode(record)
    return Decoded(event_id=envelope.id, body=envelope, record=record)


@dataclass
class Unit:
    """What a handler gets: the open session, the message, and a way to emit events."""

    session: AsyncSession
    message: Decoded | None
    source: str
    emitted: list[tuple[str, KafkaRecord]] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    def emit(self, data: EventData, event_id: UUID | str) -> None:
        """Emit an event through the outbox. Derived events must pass a deterministic id."""
        record = encode(data, source=self.source, event_id=event_id)
        self.emitted.append((str(event_id), record))


@dataclass
class BatchUnit(Unit):
    """What a batch handler gets: every new message of the batch, in order, in one SAVEPOINT."""

    messages: list[Decoded] = field(default_factory=list)
    rejected: list[tuple[Decoded, str]] = field(default_factory=list)

    def reject(self, message: Decoded, reason: str) -> None:
        """Dead-letter one message of the batch (kind ``invalid``) without failing the others."""
        self.rejected.append((message, reason))


Handler = Callable[[Unit], Awaitable[None]]
BatchHandler = Callable[[BatchUnit], Awaitable[None]]


def is_infra_error(exc: BaseException) -> bool:
    """True for failures of the database or network, which no retry of one message can cure."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return isinstance(exc, INFRA_ERRORS)


def dead_letter(record: KafkaRecord, *, service: str, reason: str, kind: str) -> KafkaRecord:
    """The DLQ copy of ``record``: same key and value, headers naming the error and the origin."""
    extra = (
        ("x-dlq-error", reason[:2000].encode()),
        ("x-dlq-error-kind", kind.encode()),
        ("x-dlq-service", service.encode()),
        ("x-dlq-topic", record.topic.encode()),
        ("x-dlq-partition", str(record.partition).encode()),
        ("x-dlq-offset", str(record.offset).encode()),
        ("x-dlq-at", datetime.now(timezone.utc).isoformat().encode()),
    )
    return KafkaRecord(
        topic=dlq_topic(record.topic, service), key=record.key, value=record.value, headers=record.headers + extra
    )


def dead_letter_id(record: KafkaRecord) -> str:
    """The outbox id of a dead letter: ``dlq:<original topic>:<partition>:<offset>``.

    A dead letter's own topic/partition/offset say nothing (the DLQ topic, not yet placed), so
    the origin is read from its ``x-dlq-*`` headers.
    """
    origin = [(record.header(h) or b"").decode() for h in ("x-dlq-topic", "x-dlq-partition", "x-dlq-offset")]
    return "dlq:" + ":".join(origin)


@dataclass
class Outcome:
    """What applying one topic's part of a poll produced, to be committed with it."""

    processor: BatchProcessor
    emitted: list[tuple[str, KafkaRecord]] = field(default_factory=list)
    dead: list[KafkaRecord] = field(default_factory=list)
    callbacks: list[Callable[[], None]] = field(default_factory=list)
    applied: int = 0
    duplicates: int = 0


class BatchProcessor:
    """Applies batches of one topic's records to one handler, exactly once in effect."""

    def __init__(
        self,
        *,
        service: str,
        topic: str,
        handler: Handler | None,
        db: Database,
        inbox: Inbox,
        outbox: Outbox,
        metrics: Metrics,
        decoder: Decoder = cloudevent_decoder,
        batch_handler: BatchHandler | None = None,
        max_attempts: int = 3,
        retry_base_seconds: float = 0.2,
        retry_max_seconds: float = 10.0,
    ) -> None:
        self.service = service
        self.topic = topic
        self.handler = handler
        self.db = db
        self.inbox = inbox
        self.outbox = outbox
        self.metrics = metrics
        self.decoder = decoder
        self.batch_handler = batch_handler
        self.max_attempts = max_attempts
        self.retry_base = retry_base_seconds
        self.retry_max = retry_max_seconds
        self.failing_since: float | None = None

    def decode(self, records: Sequence[KafkaRecord]) -> tuple[list[Decoded], list[KafkaRecord]]:
        """Decode every record; one that does not decode becomes a dead letter (kind ``invalid``)."""
        decoded: list[Decoded] = []
        dead: list[KafkaRecord] = []
        for record in records:
            try:
                decoded.append(self.decoder(record))
            except EnvelopeError as exc:
                dead.append(dead_letter(record, service=self.service, reason=exc.reason, kind="invalid"))
        return decoded, dead

    async def process(self, records: Sequence[KafkaRecord]) -> None:
        """Apply one batch of this topic; returns only once its effects are committed."""
        await process_poll(self.db, self.outbox, [(self, records)])

    async def apply_in(self, session: AsyncSession, decoded: list[Decoded], dead_in: list[KafkaRecord]) -> Outcome:
        """Apply decoded messages in the caller's open transaction: skip seen ids, apply the new
        ones (whole batch, else one by one), record their ids; nothing is committed here."""
        outcome = Outcome(processor=self, dead=list(dead_in))
        ids = [d.event_id for d in decoded if d.event_id is not None]
        seen = await self.inbox.seen(session, ids) if ids else set()
        done: list[str] = []
        fresh: list[Decoded] = []
        for message in decoded:
            if message.event_id is not None:
                if message.event_id in seen:
                    outcome.duplicates += 1
                    continue
                seen.add(message.event_id)
                done.append(message.event_id)
            fresh.append(message)
        whole = await self._apply_whole(session, fresh) if self.batch_handler and len(fresh) > 1 else None
        if whole is not None:
            outcome.emitted.extend(whole.emitted)
            outcome.callbacks.extend(whole.after_commit)
            for message, reason in whole.rejected:
                outcome.dead.append(dead_letter(message.record, service=self.service, reason=reason, kind="invalid"))
            outcome.applied += len(fresh) - len(whole.rejected)
            fresh = []
        for message in fresh:
            unit, kind = await self._apply_one(session, message)
            if unit is None:
                outcome.dead.append(dead_letter(message.record, service=self.service, reason=self._last_error, kind=kind))
            else:
                outcome.emitted.extend(unit.emitted)
                outcome.callbacks.extend(unit.after_commit)
                outcome.applied += 1
        await self.inbox.mark(session, self.topic, done)
        return outcome

    def committed(self, outcome: Outcome, seconds: float) -> None:
        """Count and log an outcome once its transaction committed."""
        self.failing_since = None
        self.metrics.consumed.labels(self.service, self.topic).inc(outcome.applied)
        self.metrics.duplicates.labels(self.service, self.topic).inc(outcome.duplicates)
        if outcome.dead:
            self.metrics.dead_letters.labels(self.service, self.topic).inc(len(outcome.dead))
            for record in outcome.dead:
                log.error(
                    "message dead-lettered",
                    extra={"dlq_topic": record.topic, "reason": (record.header("x-dlq-error") or b"").decode()},
                )
        self.metrics.batch_seconds.labels(self.service, self.topic).observe(seconds)

    _last_error: str = ""

    async def _apply_whole(self, session: AsyncSession, messages: list[Decoded]) -> BatchUnit | None:
        """Apply every message at once with the batch handler; None (nothing applied) if it fails.

        On failure the batch falls back to one message at a time, which isolates a poison message.
        """
        unit = BatchUnit(session=session, message=None, source=f"/jejaring/{self.service}", messages=messages)
        try:
            async with session.begin_nested():
                await self.batch_handler(unit)
            return unit
        except Exception as exc:
            if is_infra_error(exc):
                raise
            log.info("batch handler failed; applying one by one", extra={"error": repr(exc)})
            return None

    async def _apply_one(self, session: AsyncSession, message: Decoded) -> tuple[Unit | None, str]:
        """Run the handler in a SAVEPOINT; retry with backoff; no unit when it keeps failing."""
        for attempt in range(1, self.max_attempts + 1):
            unit = (
                BatchUnit(session=session, message=message, source=f"/jejaring/{self.service}", messages=[message])
                if self.handler is None else Unit(session=session, message=message, source=f"/jejaring/{self.service}")
            )
            try:
                with bind_event(message.event_id):
                    async with session.begin_nested():
                        await (self.handler(unit) if self.handler is not None else self.batch_handler(unit))
                if isinstance(unit, BatchUnit) and unit.rejected:
                    self._last_error = unit.rejected[0][1]
                    return None, "invalid"
                return unit, ""
            except Reject as exc:
                self._last_error = exc.reason
                return None, "invalid"
            except Exception as exc:
                if is_infra_error(exc):
                    raise
                self._last_error = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "handler failed",
                    extra={"event_id": message.event_id, "attempt": attempt, "error": self._last_error},
                )
                if attempt < self.max_attempts:
                    await asyncio.sleep(min(self.retry_base * 2 ** (attempt - 1), self.retry_max))
        return None, "failed"


async def process_poll(db: Database, outbox: Outbox,
                       work: Sequence[tuple[BatchProcessor, Sequence[KafkaRecord]]]) -> None:
    """Apply everything one poll returned, every topic, in **one** database transaction.

    Effects, inbox ids, emitted events and dead letters of all topics commit together (one
    commit per poll, not one per topic). Returns only once committed; the caller then
    acknowledges the poll. A database outage retries the whole poll with capped backoff.
    """
    parts = [(processor, *processor.decode(records)) for processor, records in work if records]
    attempt = 0
    while True:
        started = time.perf_counter()
        try:
            async with db.session() as session, session.begin():
                outcomes = [await processor.apply_in(session, decoded, dead) for processor, decoded, dead in parts]
                await outbox.add(session, [pair for o in outcomes for pair in o.emitted]
                                 + [(dead_letter_id(r), r) for o in outcomes for r in o.dead])
            break
        except Exception as exc:
            if not is_infra_error(exc):
                raise
            attempt += 1
            first = parts[0][0] if parts else None
            retry_base, retry_max = (first.retry_base, first.retry_max) if first else (0.2, 10.0)
            for processor, _decoded, _dead in parts:
                processor.failing_since = processor.failing_since or time.monotonic()
                processor.metrics.infra_retries.labels(processor.service, processor.topic).inc()
            log.warning("database unavailable, retrying batch", extra={"error": repr(exc), "attempt": attempt})
            await asyncio.sleep(min(retry_base * 2 ** min(attempt, 10), retry_max))
    seconds = time.perf_counter() - started
    for outcome in outcomes:
        for callback in outcome.callbacks:
            callback()
    if any(o.emitted or o.dead for o in outcomes):
        outbox.wake()
    for outcome in outcomes:
        outcome.processor.committed(outcome, seconds)
