"""The facilities known to the dashboard (from the consumed registry): Puskesmas names, villages and
catchments, cached per process (``shared.cache``) and invalidated when facilities change.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.dashboard import models
from services.dashboard.domain.access import catchments
from shared.cache import Cache
from shared.contracts.events import FacilityRegistered


@dataclass(frozen=True)
class Directory:
    """Puskesmas names, villages and catchments, from the consumed facility registry."""

    facilities: dict[str, FacilityRegistered] = field(default_factory=dict)
    catchment: dict[str, frozenset[str]] = field(default_factory=dict)

    def puskesmas(self, facility_id: str) -> FacilityRegistered | None:
        f = self.facilities.get(facility_id)
        return f if f is not None and f.type == "puskesmas" and f.active else None


class DirectoryCache:
    """One Directory per process (``shared.cache``): reloaded after ``ttl`` seconds, or at once when
    this process applied facility changes (``invalidate``)."""

    def __init__(self, ttl: float = 10.0) -> None:
        self.cache: Cache[None, Directory] = Cache(ttl)

    def invalidate(self) -> None:
        self.cache.invalidate()

    async def get(self, session: AsyncSession) -> Directory:
        return await self.cache.get(None, lambda: load_directory(session))


async def load_directory(session: AsyncSession) -> Directory:
    t = models.facilities
    rows = (await session.execute(select(t))).mappings().all()
    facilities = {r["facility_id"]: FacilityRegistered(
        facility_id=r["facility_id"], name=r["name"], type=r["type"], parent_id=r["parent_id"],
        village_code=r["village_code"], active=bool(r["active"]), revision=r["revision"]) for r in rows}
    return Directory(facilities, catchments(facilities.values()))
