"""Screening's Kafka handlers: recorded visits and person links, thin over the use cases."""

from __future__ import annotations

from services.screening import usecases
from shared.contracts.events import PersonLinked
from shared.messaging.consumer import BatchUnit
from shared.unit import Unit


async def on_visits_recorded(unit: BatchUnit) -> None:
    """Screen recorded visits: emits visit screened and one risk detected per risk."""
    await usecases.screen_batch(unit)


async def on_person_linked(unit: Unit) -> None:
    """Move a child's history from its provisional id to its NIK id."""
    await usecases.link_person(unit, unit.data(PersonLinked))
