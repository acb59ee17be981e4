"""Surveillance's Kafka handlers: visits (batched) and the facility network.

Handlers decode the contract and call one use case; a message that is not the expected event is
rejected (dead-lettered), and any other failure propagates to the shared consumer, which retries
it and then dead-letters it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timezone

from prometheus_client import Counter

from services.surveillance import tasks
from services.surveillance.settings import SurveillanceSettings
from services.surveillance.usecases import cases
from shared.contracts import topics
from shared.contracts.events import FacilityRegistered, VisitRecorded
from shared.messaging.consumer import BatchUnit
from shared.service import Service
from shared.unit import Reject

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
        signals = await cases.record_visits(unit, _bodies(unit, VisitRecorded), settings, clock())
        if raised is not None:
            for signal in signals:
                unit.after_commit.append(raised.labels(signal.disease, signal.area_kind).inc)

    return handle


async def on_facilities(unit: BatchUnit) -> None:
    """Keep the facility network and the Puskesmas catchments drawn from it."""
    await cases.upsert_facilities(unit, _bodies(unit, FacilityRegistered))


def register(service: Service, settings: SurveillanceSettings, clock: Clock) -> None:
    """Subscribe the handlers, count signals and escalations, start the escalation checker."""
    raised = service.metrics.counter("jejaring_outbreak_signals_total", "Outbreak signals raised",
                                     ("disease", "area_kind"))
    escalated = service.metrics.counter("jejaring_outbreak_escalations_total",
                                        "Outbreak signals escalated unverified after their deadline")
    service.consume(topics.FACILITY_REGISTERED, batch_handler=on_facilities)
    service.consume(topics.VISIT_RECORDED, batch_handler=on_visits(settings, clock, raised))
    service.add_task(tasks.escalation_loop(service, settings, clock, escalated))
