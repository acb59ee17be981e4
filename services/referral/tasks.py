"""Referral's background task: the overdue checker, from stored deadlines (no in-memory timers)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from services.referral.settings import ReferralSettings
from services.referral.usecases.status import mark_overdue
from shared.errors import safe_reason
from shared.service import Service
from shared.time import now

log = logging.getLogger(__name__)


def overdue_loop(service: Service, settings: ReferralSettings) -> Callable[[], Awaitable[None]]:
    """The checker: every ``overdue_check_seconds``, flag overdue referrals."""

    async def run() -> None:
        while True:
            await asyncio.sleep(settings.overdue_check_seconds)
            try:
                await check_overdue(service, settings, now())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the next round retries
                log.warning("overdue check failed", extra={"error": safe_reason(exc)})

    return run


async def check_overdue(service: Service, settings: ReferralSettings, at: datetime) -> int:
    """One round of the checker, in bounded transactions; returns how many alarms were raised."""
    total = 0
    while True:
        async with service.transaction() as unit:
            flagged = await mark_overdue(unit, at, settings.overdue_grace, settings.overdue_batch)
        total += flagged
        if flagged < settings.overdue_batch:
            return total
