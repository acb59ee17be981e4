"""Referral's message adapters: the consumers (network, tokens, risks, person links) and the overdue checker."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone

from services.referral import usecases
from services.referral.settings import ReferralSettings
from shared.contracts.events import FacilityRegistered, FacilityTokenChanged, PersonLinked, RiskDetected
from shared.messaging.consumer import BatchUnit, Reject, Unit
from shared.service import Service

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _data(unit: Unit, kind: type):  # noqa: ANN202
    data = unit.message.body.data
    if not isinstance(data, kind):
        raise Reject(f"unexpected event type {unit.message.body.type}")
    return data


async def on_facility(unit: Unit) -> None:
    """Keep the local copy of the facility network."""
    await usecases.upsert_facility(unit, _data(unit, FacilityRegistered))


async def on_token(unit: Unit) -> None:
    """Keep facility token hashes for the status API."""
    await usecases.upsert_token(unit, _data(unit, FacilityTokenChanged))


def on_risk(settings: ReferralSettings):  # noqa: ANN201
    async def handle(unit: Unit) -> None:
        """Decide whether a detected risk needs a referral, and where; attach repeats to the open one."""
        await usecases.on_risk(unit, _data(unit, RiskDetected), settings, _now())

    return handle


def on_risks(settings: ReferralSettings):  # noqa: ANN201
    async def handle(unit: BatchUnit) -> None:
        """Decide referrals for a batch of risks at once (falls back to one by one on failure)."""
        await usecases.on_risks(unit, settings, _now())

    return handle


async def on_person_linked(unit: Unit) -> None:
    """Follow a child's id change (merging two open referrals for the same risk)."""
    await usecases.relink(unit, _data(unit, PersonLinked), _now())


def overdue_loop(service: Service, settings: ReferralSettings):  # noqa: ANN201
    """The checker: flags overdue referrals from their stored deadlines (no in-memory timers)."""

    async def run() -> None:
        while True:
            await asyncio.sleep(settings.overdue_check_seconds)
            try:
                await check_overdue(service, settings, _now())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the next round retries
                log.warning("overdue check failed", extra={"error": repr(exc)})

    return run


async def check_overdue(service: Service, settings: ReferralSettings, now: datetime) -> int:
    """One round of the checker, in bounded transactions; returns how many alarms were raised."""
    total = 0
    while True:
        async with service.transaction() as unit:
            flagged = await usecases.mark_overdue(unit, now, settings.overdue_grace, settings.overdue_batch)
        total += flagged
        if flagged < settings.overdue_batch:
            return total
