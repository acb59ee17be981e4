"""The facility registry as intake reads it: one facility at a time, cached (``shared.cache``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registration import models
from shared.cache import Cache
from shared.contracts.events import FacilityRegistered

MAX_DEPTH = 16  # guards against a cycle in a bad registry


def facility_event(row: Any) -> FacilityRegistered:
    """The registry entry of a ``facilities`` row, as the topic carries it."""
    caps = [c for c in (row["capabilities"] or "").split(";") if c]
    return FacilityRegistered(
        facility_id=row["facility_id"], name=row["name"], type=row["type"], parent_id=row["parent_id"],
        village_code=row["village_code"], capabilities=caps, active=row["active"], revision=row["revision"],
    )


class FacilityRegistry:
    """Facilities by id; an unknown id is read from the database (one row), a known one is reused
    for ``ttl`` seconds, and an import in this process invalidates at once."""

    def __init__(self, ttl: float = 10.0, max_entries: int = 50_000) -> None:
        self.cache: Cache[str, FacilityRegistered | None] = Cache(ttl, max_entries=max_entries)

    async def get(self, session: AsyncSession, facility_id: str) -> FacilityRegistered | None:
        """The registered facility ``facility_id``, or None."""

        async def load() -> FacilityRegistered | None:
            row = (await session.execute(select(models.facilities).where(
                models.facilities.c.facility_id == facility_id))).mappings().first()
            return facility_event(row) if row is not None else None

        return await self.cache.get(facility_id, load)

    async def chain(self, session: AsyncSession, facility_id: str) -> list[str]:
        """``facility_id`` and the ids above it, nearest first (as far as they are registered)."""
        chain: list[str] = []
        current: str | None = facility_id
        while current is not None and current not in chain and len(chain) < MAX_DEPTH:
            facility = await self.get(session, current)
            if facility is None:
                break
            chain.append(current)
            current = facility.parent_id
        return chain

    def invalidate(self) -> None:
        """Forget everything (facilities were imported by this process)."""
        self.cache.invalidate()


async def organizations(session: AsyncSession) -> list[tuple[str, str | None, str]]:
    """``(facility_id, satusehat_org_id, type)`` of every facility, for FHIR references."""
    t = models.facilities
    return [tuple(r) for r in await session.execute(select(t.c.facility_id, t.c.satusehat_org_id, t.c.type))]


async def all_facilities(session: AsyncSession) -> list[FacilityRegistered]:
    """Every registered facility, by id."""
    rows = (await session.execute(select(models.facilities).order_by(models.facilities.c.facility_id))).mappings()
    return [facility_event(r) for r in rows]
