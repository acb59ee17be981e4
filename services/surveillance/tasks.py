"""Surveillance's background task: the escalation checker, from stored deadlines (no in-memory
timers, so a restart loses nothing; a conditional update makes replicas escalate once)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from prometheus_client import Counter

from services.surveillance.settings import SurveillanceSettings
from services.surveillance.usecases import actions
from shared.errors import safe_reason
from shared.service import Service

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]


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
                log.warning("escalation check failed", extra={"error": safe_reason(exc)})
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
