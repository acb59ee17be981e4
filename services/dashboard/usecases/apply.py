"""Applying consumed events to the read model (staged, merged, flushed in the caller's transaction)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from services.dashboard.domain.registry import REGISTRY, Indicator
from services.dashboard.readmodel.flush import write
from services.dashboard.readmodel.staging import Pending, stage_into
from shared.contracts.events import EventData


async def apply(session: AsyncSession, events: Iterable[EventData],
                registry: Iterable[Indicator] = REGISTRY) -> set[str]:
    """Apply a batch of events to the read model; returns the villages whose numbers changed
    (``staging.ALL`` when reference data changed)."""
    registry = tuple(registry)
    pending = Pending()
    for event in events:
        stage_into(pending, event, registry)
    await write(session, pending)
    return pending.villages
