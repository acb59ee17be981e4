"""Screening's adapters: consumers of recorded visits and person links."""

from __future__ import annotations

from services.screening import usecases
from shared.contracts.events import PersonLinked, VisitRecorded
from shared.messaging.consumer import Reject, Unit


async def on_visit_recorded(unit: Unit) -> None:
    """Screen a recorded visit: emits visit screened and one risk detected per risk."""
    event = unit.message.body.data
    if not isinstance(event, VisitRecorded):
        raise Reject(f"unexpected event type {unit.message.body.type}")
    await usecases.screen_visit(unit, event)


async def on_person_linked(unit: Unit) -> None:
    """Move a child's history from its provisional id to its NIK id."""
    event = unit.message.body.data
    if not isinstance(event, PersonLinked):
        raise Reject(f"unexpected event type {unit.message.body.type}")
    await usecases.link_person(unit, event)
