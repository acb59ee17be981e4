"""The facility network and facility tokens referral keeps, from registration's compacted topics."""

from __future__ import annotations

from sqlalchemy import select

from services.referral import models
from shared.contracts.events import FacilityRegistered, FacilityTokenChanged
from shared.unit import Unit


async def upsert_facility(unit: Unit, event: FacilityRegistered) -> None:
    """Keep the local copy of the network (newest revision wins)."""
    t = models.facilities
    old = await unit.session.scalar(select(t.c.revision).where(t.c.facility_id == event.facility_id))
    values = dict(type=event.type, parent_id=event.parent_id, village_code=event.village_code,
                  capabilities=";".join(event.capabilities), active=event.active, revision=event.revision)
    if old is None:
        await unit.session.execute(t.insert().values(facility_id=event.facility_id, **values))
    elif event.revision >= old:
        await unit.session.execute(t.update().where(t.c.facility_id == event.facility_id).values(**values))


async def upsert_token(unit: Unit, event: FacilityTokenChanged) -> None:
    """Keep the hashes of facility tokens (issued, expiring, revoked); other kinds are not referral's."""
    if event.kind != "facility":
        return
    t = models.tokens
    exists = await unit.session.scalar(select(t.c.token_hash).where(t.c.token_hash == event.token_hash))
    values = {"facility_id": event.facility_id, "token_id": event.token_id, "expires_at": event.expires_at}
    if exists is None:
        await unit.session.execute(t.insert().values(token_hash=event.token_hash, revoked=event.revoked, **values))
    elif event.revoked:
        await unit.session.execute(t.update().where(t.c.token_hash == event.token_hash).values(revoked=True))
