"""Surveillance's Kafka adapters: visits (batched) and the facility network; and the escalation checker.

Handlers decode the contract and call one use case; a message that is not the expected event is
rejected (dead-lettered), and any other failure propagates to the shared consumer, which retries
it and then dead-letters it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timezone

from prometheus_client import Counter

from services.surveillance import actions, usecases
from services.surveillance.settings import SurveillanceSettings
from shared.contracts import topics
from shared.contracts.events import FacilityRegistered, VisitRecorded
from shared.messaging.consumer import BatchUnit, Reject
from shared.service import Service

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(timezone.utc)


def _bodies(unit: BatchUnit, kind: type) -> list:
    bodies = []
    for message in unit.messages:
        data = message.body.data
        if not isinstance(data, kind):
            raise Reject(f"unexpected event type {message.body.type}")
        bodies.append(data)
    return bodies


def on_visits(settings: SurveillanceSettings, clock: Clock, raised: Counter | None = None):  # noqa: ANN201
    async def handle(unit: BatchUnit) -> None:
        """Count SKDR cases (per person, disease and ISO week) and raise the signals they tip."""
        signals = await usecases.record_visits(unit, _bodies(unit, VisitRecorded), settings, clock())
        if raised is not None:
            for signal in signals:
                unit.after_commit.append(raised.labels(signal.disease, signal.area_kind).inc)

    return handle


async def on_facilities(unit: BatchUnit) -> None:
    """Keep the facility network and the Puskesmas catchments drawn from it."""
    await usecases.upsert_facilities(unit, _bodies(unit, FacilityRegistered))


def register(service: Service, settings: SurveillanceSettings, clock: Clock) -> None:
    """Subscribe the handlers, count signals and escalations, start the escalation checker."""
    raised = service.metrics.counter("jejaring_outbreak_signals_total", "Outbreak signals raised",
                                     ("disease", "area_kind"))
    escalated = service.metrics.counter("jejaring_outbreak_escalations_total",
                                        "Outbreak signals escalated unverified after their deadline")
    service.consume(topics.FACILITY_REGISTERED, batch_handler=on_facilities)
    service.consume(topics.VISIT_RECORDED, batch_handler=on_visits(settings, clock, raised))
    service.add_task(escalation_loop(service, settings, clock, escalated))


def escalation_loop(service: Service, settings: SurveillanceSettings, clock: Clock,  # noqa: ANN201
                    escalated: Counter | None = None):
    """The checker: escalates from stored deadlines (no in-memory timers, so restarts lose nothing)."""

    async def run() -> None:
        while True:
            try:
                count = await check_escalations(service, settings, clock())
                if escalated is not None and count:
                    escalated.inc(count)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the next round retries
                log.warning("escalation check failed", extra={"error": repr(exc)})
            await asyncio.sleep(settings.escalation_check_seconds)

    return run


async def check_escalations(service: Service, settings: SurveillanceSettings, now: datetime) -> int:
    """One round of the checker, in bounded transactions; returns how many signals were escalated."""
    total = 0
    while True:
        async with service.transaction() as unit:
            escalated = await actions.escalate_due(unit, now, settings.escalation_batch)
        total += escalated
        if escalated < settings.escalation_batch:
            return total
