"""CloudEvents 1.0 in Kafka binary mode, via the ``cloudevents`` SDK.

Headers ``ce_specversion``, ``ce_id``, ``ce_source``, ``ce_type``, ``ce_time``, ``ce_subject`` and
``content-type: application/json``; the value is the event data as JSON; the key the partition key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from uuid import UUID, uuid4

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from pydantic import ValidationError

from shared.contracts.events import EVENT_TYPES, EventData

_FORMAT = JSONFormat()
CONTENT_TYPE = "application/json"


class EnvelopeError(ValueError):
    """A message that is not a valid Jejaring CloudEvent; ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class KafkaRecord:
    """What goes on (or comes off) the wire: topic, key, value, headers."""

    topic: str
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...] = ()
    partition: int | None = None
    offset: int | None = None

    def header(self, name: str) -> bytes | None:
        """The first header called ``name``."""
        for key, value in self.headers:
            if key == name:
                return value
        return None


@dataclass(frozen=True)
class Envelope:
    """A decoded event: CloudEvents attributes plus the typed data."""

    id: str
    type: str
    source: str
    time: datetime | None
    subject: str | None
    data: EventData
    extensions: dict[str, Any] = field(default_factory=dict)


def _default(value: Any) -> Any:
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def encode(data: EventData, *, source: str, event_id: UUID | str | None = None) -> KafkaRecord:
    """Wrap event data in a CloudEvent and return the binary-mode Kafka record."""
    attributes: dict[str, Any] = {
        "id": str(event_id or uuid4()),
        "source": source,
        "type": data.ce_type,
        "specversion": "1.0",
        "datacontenttype": CONTENT_TYPE,
        "subject": data.subject(),
        "time": (data.event_time() or datetime.now(timezone.utc)),
    }
    payload = data.model_dump(mode="json")
    event = CloudEvent(attributes=attributes, data=payload)
    message = ce_kafka.to_binary(event, _FORMAT, key_mapper=lambda _e: data.key())
    key = message.key.encode() if isinstance(message.key, str) else message.key
    headers = tuple(sorted(message.headers.items()))
    return KafkaRecord(topic=data.topic, key=key, value=message.value, headers=headers)


def decode(record: KafkaRecord) -> Envelope:
    """Parse and validate a binary-mode CloudEvent; raise ``EnvelopeError`` with the reason."""
    headers = dict(record.headers)
    if headers.get("ce_specversion") != b"1.0":
        raise EnvelopeError("missing or unsupported ce_specversion header (binary-mode CloudEvents 1.0 expected)")
    if not headers.get("ce_id"):
        # The SDK would invent a random id, silently defeating the consumer's idempotency (inbox).
        raise EnvelopeError("missing ce_id header (the event id is required)")
    try:
        event = ce_kafka.from_binary(
            ce_kafka.KafkaMessage(headers=headers, key=record.key, value=record.value), _FORMAT
        )
    except Exception as exc:  # the SDK raises several types for a broken envelope
        raise EnvelopeError(f"invalid CloudEvent: {exc}") from exc
    ce_type = event.get_type()
    model = EVENT_TYPES.get(ce_type)
    if model is None:
        raise EnvelopeError(f"unknown event type {ce_type!r}")
    raw = event.get_data()
    if isinstance(raw, (bytes, str)):
        try:
            raw = json.loads(raw)
        except ValueError as exc:
            raise EnvelopeError(f"data is not JSON: {exc}") from exc
    try:
        data = model.model_validate(raw)
    except ValidationError as exc:
        raise EnvelopeError(validation_reason(exc)) from exc
    return Envelope(
        id=event.get_id(),
        type=ce_type,
        source=event.get_source(),
        time=event.get_time(),
        subject=event.get_subject(),
        data=data,
    )


def validation_reason(exc: ValidationError) -> str:
    """A compact, field-level description of a pydantic error, for DLQ headers and logs."""
    parts = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = ".".join(str(p) for p in error.get("loc", ()))
        parts.append(f"{loc or '<root>'}: {error.get('msg')}")
    return "; ".join(parts)[:2000]


def dumps(value: Any) -> bytes:
    """Compact JSON bytes, UUIDs and datetimes included."""
    return json.dumps(value, default=_default, separators=(",", ":")).encode()
