"""The unit of work every state change runs in: one session, the events it emits, after-commit hooks.

Consumers (``shared.messaging.consumer``), HTTP requests and admin commands (``Service.transaction``)
hand the same ``Unit`` to a service's use cases, so a use case neither knows nor cares which
adapter called it: its writes and the events it emits through the outbox commit together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.events import EventData
from shared.envelope import KafkaRecord, encode

if TYPE_CHECKING:
    from shared.messaging.consumer import Decoded


class Reject(Exception):
    """Raised by a use case for a message that can never be applied: dead-lettered at once."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Unit:
    """What a use case gets: the open session, the message being applied (if any), a way to emit."""

    session: AsyncSession
    message: Decoded | None
    source: str
    emitted: list[tuple[str, KafkaRecord]] = field(default_factory=list)
    after_commit: list[Callable[[], None]] = field(default_factory=list)

    def emit(self, data: EventData, event_id: UUID | str) -> None:
        """Emit an event through the outbox. Derived events must pass a deterministic id."""
        record = encode(data, source=self.source, event_id=event_id)
        self.emitted.append((str(event_id), record))

    def data(self, kind: type[EventData]) -> Any:
        """The message's event data, which must be a ``kind``; anything else is rejected."""
        data = self.message.body.data if self.message is not None else None
        if not isinstance(data, kind):
            raise Reject(f"unexpected event type {getattr(self.message.body, 'type', None)}")
        return data
