"""Screening's adapters: consumers of recorded visits and person links."""

from __future__ import annotations

from services.screening import usecases
from shared.contracts.events import PersonLinked
from shared.messaging.consumer import BatchUnit, Reject, Unit


async def on_visits_recorded(unit: BatchUnit) -> None:
    """Screen recorded visits: emits visit screened and one risk detected per risk."""
    await usecases.screen_batch(unit)


async def on_person_linked(unit: Unit) -> None:
    """Move a child's history from its provisional id to its NIK id."""
    event = unit.message.body.data
    if not isinstance(event, PersonLinked):
        raise Reject(f"unexpected event type {unit.message.body.type}")
    await usecases.link_person(unit, event)
