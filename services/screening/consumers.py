"""Screening's Kafka handlers: recorded visits and person links, thin over the use cases."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from services.screening import usecases
from services.screening.domain import DEFAULT, ScreeningConfig
from shared.contracts.events import PersonLinked
from shared.messaging.consumer import BatchUnit
from shared.unit import Unit


def visits_recorded(config: ScreeningConfig) -> Callable[[BatchUnit], Awaitable[None]]:
    """The batch handler of recorded visits, with the rule set's configuration."""

    async def on_visits_recorded(unit: BatchUnit) -> None:
        """Screen recorded visits: emits visit screened and one risk detected per risk."""
        await usecases.screen_batch(unit, config)

    return on_visits_recorded


on_visits_recorded = visits_recorded(DEFAULT)


async def on_person_linked(unit: Unit) -> None:
    """Move a child's history from its provisional id to its NIK id."""
    await usecases.link_person(unit, unit.data(PersonLinked))
