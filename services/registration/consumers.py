"""Registration's Kafka handlers: the intake topic, thin over ``Registrar``."""

from __future__ import annotations

import json

from services.registration.usecases.visits import Registrar
from shared.envelope import KafkaRecord
from shared.messaging.consumer import BatchHandler, BatchUnit, Decoded
from shared.unit import Reject


def intake_decoder(record: KafkaRecord) -> Decoded:
    """Intake messages are plain JSON visits (the contract's intake JSON), not CloudEvents."""
    try:
        body = json.loads(record.value)
    except (ValueError, RecursionError) as exc:
        raise Reject(f"value is not JSON ({type(exc).__name__})") from None
    if not isinstance(body, dict):
        raise Reject("value must be a JSON object (one visit)")
    return Decoded(event_id=None, body=body, record=record)


def intake(registrar: Registrar) -> BatchHandler:
    """Handler of ``ilp.intake.visit.v1``: an invalid visit is dead-lettered with its errors."""

    async def handle(unit: BatchUnit) -> None:
        """Validate and record visits sent by facility systems over Kafka."""
        outcomes = await registrar.record_many(unit, [m.body for m in unit.messages], token_facility=None)
        for message, outcome in zip(unit.messages, outcomes):
            if outcome.status == "rejected":
                unit.reject(message, json.dumps(outcome.errors, ensure_ascii=False))

    return handle
