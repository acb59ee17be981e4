"""Dead letters: the copy of a message a consumer could not apply, with the reason in its headers.

Headers: ``x-dlq-error`` (the reason, without personal data: ``shared.errors.safe_reason``),
``x-dlq-error-kind`` (``invalid``: never applicable; ``failed``: kept failing), ``x-dlq-service``,
``x-dlq-topic``, ``x-dlq-partition``, ``x-dlq-offset`` (the origin) and ``x-dlq-at``; key, value
and the original headers are kept. The copy is written to the outbox in the transaction that
records the message as handled, so it cannot be lost either.
"""

from __future__ import annotations

from datetime import datetime, timezone

from shared.contracts.topics import dlq_topic
from shared.envelope import KafkaRecord

MAX_REASON = 2000


def dead_letter(record: KafkaRecord, *, service: str, reason: str, kind: str) -> KafkaRecord:
    """The DLQ copy of ``record``: same key and value, headers naming the error and the origin."""
    extra = (
        ("x-dlq-error", reason[:MAX_REASON].encode()),
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


def stripped(record: KafkaRecord) -> KafkaRecord:
    """A dead letter without key, value and original headers: what is kept when even the copy of a
    message cannot be stored."""
    kept = tuple((k, v) for k, v in record.headers if k.startswith("x-dlq-"))
    return KafkaRecord(topic=record.topic, key=None, value=b"", headers=kept + (("x-dlq-payload", b"not stored"),))
