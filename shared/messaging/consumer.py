"""Consuming one topic's records: decode, skip what was processed, apply, dead-letter.

For each poll (``shared.messaging.poll`` runs all topics of a poll in one transaction):
1. decode every record; one that does not decode — for any reason, whatever the exception — goes
   to the dead-letter topic with the reason (kind ``invalid``);
2. skip events already in the inbox, keyed by event type and id (redelivery, replay); apply the new
   ones with the batch handler in one SAVEPOINT, or one by one, each in its own SAVEPOINT, retrying
   a failing one with backoff up to ``max_attempts`` and then dead-lettering it (kind ``failed``);
   record the events in the inbox; hand back what they emitted and what was dead-lettered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.topics import dlq_topic
from shared.db import Database
from shared.envelope import KafkaRecord, decode
from shared.errors import is_infra_error, safe_reason
from shared.logging import bind_event
from shared.messaging.deadletter import dead_letter, dead_letter_id
from shared.messaging.inbox import Inbox
from shared.messaging.outbox import Outbox
from shared.metrics import Metrics
from shared.unit import Reject, Unit

log = logging.getLogger(__name__)

MAX_EVENT_ID = 128  # the inbox's event id column


@dataclass(slots=True)
class Decoded:
    """A decoded message: its idempotency key (None: the handler is idempotent itself) and body."""

    event_id: str | None
    body: Any
    record: KafkaRecord
    event_type: str = ""


Decoder = Callable[[KafkaRecord], Decoded]


def cloudevent_decoder(record: KafkaRecord) -> Decoded:
    """Decode a Jejaring CloudEvent; ``(ce_type, ce_id)`` is the idempotency key."""
    envelope = decode(record)
    if len(envelope.id) > MAX_EVENT_ID:
        raise Reject(f"ce_id is longer than {MAX_EVENT_ID} characters")
    return Decoded(event_id=envelope.id, body=envelope, record=record, event_type=envelope.type)


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


@dataclass(frozen=True, slots=True)
class Applied:
    """A message applied; its unit holds what it emitted."""

    unit: Unit


@dataclass(frozen=True, slots=True)
class Failed:
    """A message that could not be applied: dead-lettered with ``reason`` as ``kind``."""

    reason: str
    kind: str  # invalid (never applicable) | failed (kept failing)


@dataclass
class Outcome:
    """What applying one topic's part of a poll produced, to be committed with it."""

    processor: BatchProcessor
    emitted: list[tuple[str, KafkaRecord]] = field(default_factory=list)
    dead: list[KafkaRecord] = field(default_factory=list)
    callbacks: list[Callable[[], None]] = field(default_factory=list)
    applied: int = 0
    duplicates: int = 0
    timestamps: list[int | None] = field(default_factory=list)  # of the records applied

    def add(self, unit: Unit) -> None:
        self.emitted.extend(unit.emitted)
        self.callbacks.extend(unit.after_commit)


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
        self.last_applied_at: float | None = None
        self.schema: Any = None  # the payload model, for the AsyncAPI document
        # told of every applied event: its topic and its record's timestamp (ms; the producer's outbox row)
        self.on_applied: Callable[[str, int | None], None] | None = None

    @property
    def source(self) -> str:
        return f"/jejaring/{self.service}"

    def dead(self, record: KafkaRecord, reason: str, kind: str) -> KafkaRecord:
        return dead_letter(record, service=self.service, reason=reason, kind=kind)

    def decode(self, records: Sequence[KafkaRecord]) -> tuple[list[Decoded], list[KafkaRecord]]:
        """Decode every record; one that does not decode becomes a dead letter (kind ``invalid``),
        whatever the exception (a message of 100,000 ``[`` raises RecursionError, not ValueError)."""
        decoded: list[Decoded] = []
        dead: list[KafkaRecord] = []
        for record in records:
            try:
                decoded.append(self.decoder(record))
            except Exception as exc:  # noqa: BLE001 - any failure of one message is that message's
                dead.append(self.dead(record, safe_reason(exc), "invalid"))
        return decoded, dead

    async def process(self, records: Sequence[KafkaRecord]) -> None:
        """Apply one batch of this topic; returns only once its effects are committed."""
        from shared.messaging.poll import process_poll

        await process_poll(self.db, self.outbox, [(self, records)])

    async def apply_in(self, session: AsyncSession, decoded: list[Decoded], dead_in: list[KafkaRecord]) -> Outcome:
        """Apply decoded messages in the caller's open transaction: skip seen events, apply the new
        ones (whole batch, else one by one), record them in the inbox; nothing is committed here."""
        outcome = Outcome(processor=self, dead=list(dead_in))
        keys = [(d.event_type, d.event_id) for d in decoded if d.event_id is not None]
        seen = await self.inbox.seen(session, keys) if keys else set()
        done: list[tuple[str, str]] = []
        fresh: list[Decoded] = []
        for message in decoded:
            if message.event_id is not None:
                key = (message.event_type, message.event_id)
                if key in seen:
                    outcome.duplicates += 1
                    continue
                seen.add(key)
                done.append(key)
            fresh.append(message)
        dead_keys: set[tuple[str, str]] = set()  # events dead-lettered here, not applied
        whole = await self._apply_whole(session, fresh) if self.batch_handler and len(fresh) > 1 else None
        if whole is not None:
            outcome.add(whole)
            rejected = {id(message) for message, _reason in whole.rejected}
            for message, reason in whole.rejected:
                outcome.dead.append(self.dead(message.record, reason, "invalid"))
                dead_keys.add((message.event_type, message.event_id))
            outcome.applied += len(fresh) - len(whole.rejected)
            outcome.timestamps += [m.record.timestamp for m in fresh if id(m) not in rejected]
            fresh = []
        for message in fresh:
            result = await self._apply_one(session, message)
            if isinstance(result, Failed):
                outcome.dead.append(self.dead(message.record, result.reason, result.kind))
                dead_keys.add((message.event_type, message.event_id))
            else:
                outcome.add(result.unit)
                outcome.applied += 1
                outcome.timestamps.append(message.record.timestamp)
        # A dead-lettered event is remembered too (a redelivery does not retry it), under its DLQ's
        # name: ``jejaring dlq redrive`` tells by it an event that was never applied from one that was.
        await self.inbox.mark(session, self.topic, [key for key in done if key not in dead_keys])
        await self.inbox.mark(session, dlq_topic(self.topic, self.service), [key for key in done if key in dead_keys])
        return outcome

    def committed(self, outcome: Outcome, seconds: float) -> None:
        """Count and log an outcome once its transaction committed."""
        self.failing_since = None
        self.last_applied_at = time.time()
        if self.on_applied is not None:
            for stamp in outcome.timestamps:
                self.on_applied(self.topic, stamp)
        self.metrics.consumed.labels(self.service, self.topic).inc(outcome.applied)
        self.metrics.duplicates.labels(self.service, self.topic).inc(outcome.duplicates)
        if outcome.dead:
            self.metrics.dead_letters.labels(self.service, self.topic).inc(len(outcome.dead))
            for record in outcome.dead:
                log.error("message dead-lettered", extra={
                    "dlq_topic": record.topic, "reason": (record.header("x-dlq-error") or b"").decode(),
                    "origin": dead_letter_id(record)})
        self.metrics.batch_seconds.labels(self.service, self.topic).observe(seconds)

    async def _apply_whole(self, session: AsyncSession, messages: list[Decoded]) -> BatchUnit | None:
        """Apply every message at once with the batch handler; None (nothing applied) if it fails.

        On failure the batch falls back to one message at a time, which isolates a poison message.
        """
        unit = BatchUnit(session=session, message=None, source=self.source, messages=messages)
        try:
            async with session.begin_nested():
                await self.batch_handler(unit)
            return unit
        except Exception as exc:
            if is_infra_error(exc):
                raise
            log.info("batch handler failed; applying one by one", extra={"error": safe_reason(exc)})
            return None

    async def _apply_one(self, session: AsyncSession, message: Decoded) -> Applied | Failed:
        """Run the handler in a SAVEPOINT; retry with backoff; Failed when it keeps failing."""
        failure = Failed("", "failed")
        for attempt in range(1, self.max_attempts + 1):
            unit = (
                BatchUnit(session=session, message=message, source=self.source, messages=[message])
                if self.handler is None else Unit(session=session, message=message, source=self.source)
            )
            try:
                with bind_event(message.event_id):
                    async with session.begin_nested():
                        await (self.handler(unit) if self.handler is not None else self.batch_handler(unit))
                if isinstance(unit, BatchUnit) and unit.rejected:
                    return Failed(unit.rejected[0][1], "invalid")
                return Applied(unit)
            except Reject as exc:
                return Failed(exc.reason, "invalid")
            except Exception as exc:
                if is_infra_error(exc):
                    raise
                failure = Failed(safe_reason(exc), "failed")
                log.warning("handler failed", extra={"event_id": message.event_id, "attempt": attempt,
                                                     "error": failure.reason})
                if attempt < self.max_attempts:
                    await asyncio.sleep(min(self.retry_base * 2 ** (attempt - 1), self.retry_max))
        return failure
