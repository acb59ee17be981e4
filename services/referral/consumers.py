"""Referral's Kafka handlers: the network, tokens, risks and person links, thin over the use cases."""

from __future__ import annotations

from services.referral.settings import ReferralSettings
from services.referral.usecases import network, risks, status
from shared.contracts.events import (
    FacilityRegistered,
    FacilityTokenChanged,
    PersonLinked,
    RiskDetected,
)
from shared.messaging.consumer import BatchHandler, BatchUnit
from shared.time import now
from shared.unit import Reject, Unit


async def on_facility(unit: Unit) -> None:
    """Keep the local copy of the facility network."""
    await network.upsert_facility(unit, unit.data(FacilityRegistered))


async def on_token(unit: Unit) -> None:
    """Keep facility token hashes for the status API."""
    await network.upsert_token(unit, unit.data(FacilityTokenChanged))


def on_risks(settings: ReferralSettings) -> BatchHandler:
    """The handler of ``ilp.risk.detected.v1`` for a batch (one risk is a batch of one)."""

    async def handle(unit: BatchUnit) -> None:
        """Decide whether each detected risk needs a referral, and where; attach repeats to the open one."""
        events = []
        for message in unit.messages:
            if not isinstance(message.body.data, RiskDetected):
                raise Reject(f"unexpected event type {message.body.type}")
            events.append(message.body.data)
        await risks.on_risks(unit, events, settings, now())

    return handle


async def on_person_linked(unit: Unit) -> None:
    """Follow a child's id change (merging two open referrals for the same risk)."""
    await status.relink(unit, unit.data(PersonLinked), now())
