"""Registration's Kafka handlers: the intake topics (JSON visits, FHIR Bundles), thin over ``Registrar``.

A Bundle message maps exactly as ``POST /fhir`` does (``shared.fhir``): ``decode_bundle`` is pure —
a message value -> the visit dicts to record, or the dead-letter reason (the OperationOutcome the
HTTP intake would answer).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from services.registration.usecases.visits import Registrar
from shared.envelope import KafkaRecord
from shared.fhir import inbound, outcome
from shared.fhir.intake_answer import Plan, plan, respond
from shared.messaging.consumer import BatchHandler, BatchUnit, Decoded
from shared.unit import Reject

Resolver = Callable[[str], str | None]


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
        for message, answer in zip(unit.messages, outcomes):
            if answer.status == "rejected":
                unit.reject(message, json.dumps(answer.errors, ensure_ascii=False))

    return handle


@dataclass
class BundleMessage:
    """One decoded Bundle message: what to record and, if any part is refused, the reason."""

    mapping: inbound.Mapping | None
    plan: Plan | None
    reason: str | None = None
    visits: list[dict[str, Any]] = field(default_factory=list)


def _reason(body: dict[str, Any]) -> str:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False)


def decode_bundle(value: bytes, *, resolve_organization: Resolver, facility_type: Resolver | None = None) -> BundleMessage:
    """The visits of one Bundle message, or the reason it (or part of it) is dead-lettered.

    A transaction with any bad entry records nothing; a batch or collection records its good visits
    and is dead-lettered with the OperationOutcome of the bad entries.
    """
    if len(value) > outcome.MAX_BUNDLE_BYTES:
        return BundleMessage(None, None, _reason(outcome.too_large(len(value))))
    mapping = inbound.map_bundle(value, resolve_organization=resolve_organization, facility_type=facility_type)
    chosen = plan(mapping)
    if chosen.answer is not None:
        return BundleMessage(mapping, chosen, _reason(chosen.answer[1]))
    bad = [i for v in mapping.visits if v.visit is None for i in v.issues if i.blocking]
    bad += [i for issues in mapping.unused.values() for i in issues if i.blocking]
    reason = _reason(outcome.operation_outcome(bad)) if bad else None
    return BundleMessage(mapping, chosen, reason, chosen.raws)


def rejection(message: BundleMessage, outcomes: list[Any]) -> str | None:
    """The dead-letter reason after recording: mapping problems and registration's rejections."""
    status, body = respond(message.mapping, message.plan, outcomes)
    if status != 200:
        return _reason(body)
    issues = [i for e in body["entry"] if not e["response"]["status"].startswith("20")
              for i in e["response"].get("outcome", {}).get("issue", [])]
    return _reason({"resourceType": "OperationOutcome", "issue": issues}) if issues else message.reason


def fhir_intake_decoder(record: KafkaRecord) -> Decoded:
    """Bundle messages are plain FHIR JSON, not CloudEvents; the body stays bytes for ``decode_bundle``."""
    if record.value is None or len(record.value) > outcome.MAX_BUNDLE_BYTES:
        raise Reject(_reason(outcome.too_large(len(record.value or b""))))
    return Decoded(event_id=None, body=record.value, record=record)


def fhir_intake(registrar: Registrar, lookups: Callable[[], Awaitable[tuple[Resolver, Resolver | None]]]) -> BatchHandler:
    """Handler of ``ilp.intake.fhir.v1`` (trusted intake, like ``ilp.intake.visit.v1``)."""

    async def handle(unit: BatchUnit) -> None:
        """Map FHIR Bundles (SATUSEHAT-shaped) to visits and record them; refused parts are dead-lettered."""
        resolve, facility_type = await lookups()
        for message in unit.messages:
            decoded = decode_bundle(message.body, resolve_organization=resolve, facility_type=facility_type)
            outcomes: list[Any] = []
            if decoded.visits:
                emitted = len(unit.emitted)
                async with unit.session.begin_nested() as savepoint:
                    outcomes = await registrar.record_many(unit, decoded.visits, token_facility=None)
                    if decoded.plan.all_or_nothing and any(o.status == "rejected" for o in outcomes):
                        await savepoint.rollback()
                        del unit.emitted[emitted:]
            reason = rejection(decoded, outcomes) if decoded.plan and decoded.plan.answer is None else decoded.reason
            if reason:
                unit.reject(message, reason)

    return handle
