"""A poll applied in one transaction, and narrowed down to its poison message when it fails.

``process_poll`` commits everything one poll returned — effects, inbox rows, emitted events and
dead letters of every topic — in one transaction, then returns so the caller acknowledges the poll.
An unreachable database is waited for (:func:`until_reachable`: capped exponential backoff, counted
in ``jejaring_infra_retries_total``, reported on ``/readyz``). Any other failure of the transaction
— outside the per-message savepoints, in the inbox or outbox bookkeeping, at commit — is tried once
more, then the poll is split in two and each half applied the same way, down to the one message
that causes it, which is dead-lettered on its own: the consumer never loops on a poison message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, wait_exponential

from shared.db import Database
from shared.envelope import KafkaRecord
from shared.errors import is_infra_error, safe_reason
from shared.messaging.consumer import BatchProcessor, Decoded, Outcome
from shared.messaging.deadletter import dead_letter_id, stripped
from shared.messaging.outbox import Outbox

log = logging.getLogger(__name__)

# How often a failing poll (or part of one) is tried as it is before it is split in two: a deadlock
# or serialization failure passes, a poison message does not.
WHOLE_ATTEMPTS = 2


@dataclass
class _Part:
    """One topic's share of a poll: its processor, what decoded and what did not."""

    processor: BatchProcessor
    decoded: list[Decoded]
    dead: list[KafkaRecord]

    def size(self) -> int:
        return len(self.decoded) + len(self.dead)


async def process_poll(db: Database, outbox: Outbox,
                       work: Sequence[tuple[BatchProcessor, Sequence[KafkaRecord]]]) -> None:
    """Apply everything one poll returned, every topic, in **one** database transaction.

    Effects, inbox rows, emitted events and dead letters of all topics commit together (one
    commit per poll, not one per topic). Returns only once committed; the caller then
    acknowledges the poll. A database outage retries the whole poll with capped backoff; any other
    failure of the poll is narrowed down to the message that causes it (:func:`_apply_narrowing`).
    """
    parts = [_Part(processor, *processor.decode(records)) for processor, records in work if records]
    if parts:
        await _apply_narrowing(db, outbox, parts)


async def _apply_narrowing(db: Database, outbox: Outbox, parts: list[_Part]) -> None:
    """Commit ``parts``; on a failure that is not the infrastructure's, try once more, then split
    them in two and apply each half the same way, down to one message, which is dead-lettered."""
    for attempt in range(1, WHOLE_ATTEMPTS + 1):
        try:
            await _commit(db, outbox, parts)
            return
        except Exception as exc:  # noqa: BLE001 - anything but the infrastructure is narrowed down
            reason = safe_reason(exc)
            log.warning("poll failed outside its messages' savepoints", extra={
                "error": reason, "attempt": attempt, "messages": sum(p.size() for p in parts)})
    total = sum(p.size() for p in parts)
    if total == 1:
        await _dead_letter_alone(db, outbox, parts[0], reason)
        return
    first, second = _halves(parts, total // 2)
    await _apply_narrowing(db, outbox, first)
    await _apply_narrowing(db, outbox, second)


def _halves(parts: list[_Part], count: int) -> tuple[list[_Part], list[_Part]]:
    """The first ``count`` messages of ``parts`` (in order) and the rest, as two lists of parts."""
    first: list[_Part] = []
    second: list[_Part] = []
    left = count
    for part in parts:
        items: list[Decoded | KafkaRecord] = [*part.dead, *part.decoded]
        head, tail = items[:left], items[left:]
        left -= len(head)
        for into, chunk in ((first, head), (second, tail)):
            if chunk:
                into.append(_Part(part.processor, [d for d in chunk if isinstance(d, Decoded)],
                                  [d for d in chunk if isinstance(d, KafkaRecord)]))
    return first, second


async def _commit(db: Database, outbox: Outbox, parts: list[_Part]) -> None:
    """One transaction for ``parts``; an unreachable database is waited for here, with backoff."""
    started = time.perf_counter()

    async def attempt() -> list[Outcome]:
        nonlocal started
        started = time.perf_counter()
        async with db.session() as session, session.begin():
            outcomes = [await p.processor.apply_in(session, p.decoded, p.dead) for p in parts]
            await outbox.add(session, [pair for o in outcomes for pair in o.emitted]
                             + [(dead_letter_id(r), r) for o in outcomes for r in o.dead])
        return outcomes

    outcomes = await until_reachable(attempt, [p.processor for p in parts])
    seconds = time.perf_counter() - started
    for outcome in outcomes:
        for callback in outcome.callbacks:
            callback()
    if any(o.emitted or o.dead for o in outcomes):
        outbox.wake()
    for outcome in outcomes:
        outcome.processor.committed(outcome, seconds)


async def until_reachable(attempt: Callable[[], Awaitable[Any]], processors: Sequence[BatchProcessor]) -> Any:
    """``await attempt()``, again and again with capped exponential backoff while the database or
    broker is unreachable (counted, and reported by ``/readyz`` through ``failing_since``)."""
    first = processors[0]

    def waiting(state: RetryCallState) -> None:
        for processor in processors:
            processor.failing_since = processor.failing_since or time.monotonic()
            processor.metrics.infra_retries.labels(processor.service, processor.topic).inc()
        error = state.outcome.exception() if state.outcome else None
        log.warning("database unavailable, retrying batch",
                    extra={"error": safe_reason(error) if error else "", "attempt": state.attempt_number})

    retrying = AsyncRetrying(
        retry=retry_if_exception(is_infra_error), reraise=True, before_sleep=waiting,
        wait=wait_exponential(multiplier=first.retry_base, exp_base=2, max=first.retry_max),
    )
    return await retrying(attempt)


async def _dead_letter_alone(db: Database, outbox: Outbox, part: _Part, reason: str) -> None:
    """Dead-letter the one message that fails its poll, in a transaction of its own.

    Its inbox row is not written (that may be what fails, e.g. an id too long for the column);
    should even the full copy not fit the outbox, a copy without the payload is stored instead, so
    that the consumer always goes on.
    """
    processor = part.processor
    record = part.dead[0] if part.dead else processor.dead(part.decoded[0].record, reason, "failed")
    for copy in (record, stripped(record)):
        try:
            await _commit_dead(db, outbox, copy, processor)
            break
        except Exception as exc:  # noqa: BLE001 - the stripped copy is the last resort
            log.error("dead letter could not be stored", extra={"error": safe_reason(exc)})
    outbox.wake()
    processor.committed(Outcome(processor=processor, dead=[record]), 0.0)


async def _commit_dead(db: Database, outbox: Outbox, record: KafkaRecord, processor: BatchProcessor) -> None:
    async def attempt() -> None:
        async with db.session() as session, session.begin():
            await outbox.add(session, [(dead_letter_id(record), record)])

    await until_reachable(attempt, [processor])
