"""Facility and admin tokens: issued with a public id and an expiry, stored as hashes, revoked by id.

Every change is published on ``ilp.facility.token.v1`` (compacted by hash), so referral refuses a
revoked facility token and the dashboard lets an admin sign in. Viewer tokens are the dashboard's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registration import models
from shared.auth import expiry, hash_token, is_token_id, new_token, usable
from shared.contracts.events import FacilityTokenChanged
from shared.time import now as utcnow
from shared.time import utc
from shared.unit import Unit

_NS = uuid.UUID("6f1f8f5e-3c2a-4b59-9a3e-5b8f0e2d7c11")


@dataclass(frozen=True)
class Issued:
    """A token just issued: shown once."""

    token_id: str
    token: str
    expires_at: datetime


def _event(row: dict) -> FacilityTokenChanged:
    return FacilityTokenChanged(
        token_hash=row["token_hash"], facility_id=row["facility_id"], revoked=row["revoked_at"] is not None,
        token_id=row["token_id"], kind=row["role"], region=row["region"], expires_at=utc(row["expires_at"]))


async def issue(unit: Unit, kind: str, scope: str, ttl_days: float) -> Issued:
    """A new facility token (``scope``: the facility id) or admin token (``scope``: a region code)."""
    session = unit.session
    if kind == "facility":
        exists = await session.scalar(select(models.facilities.c.facility_id)
                                      .where(models.facilities.c.facility_id == scope))
        if exists is None:
            raise LookupError(f"unknown facility {scope}")
    elif kind != "admin":
        raise ValueError(f"registration issues facility and admin tokens, not {kind}")
    token_id, token = new_token(kind)
    created = utcnow()
    row = {"token_hash": hash_token(token), "token_id": token_id, "role": kind,
           "facility_id": scope if kind == "facility" else None, "region": scope if kind == "admin" else None,
           "created_at": created, "expires_at": expiry(created, ttl_days), "revoked_at": None}
    await session.execute(models.tokens.insert().values(**row))
    unit.emit(_event(row), event_id=uuid.uuid5(_NS, f"token:{row['token_hash']}:issued"))
    return Issued(token_id, token, row["expires_at"])


async def revoke(unit: Unit, id_or_token: str) -> dict | None:
    """Revoke a token given its public id or the token itself; the revoked row, or None when no
    active token matches."""
    t = models.tokens
    key = t.c.token_id == id_or_token if is_token_id(id_or_token) else t.c.token_hash == hash_token(id_or_token)
    row = (await unit.session.execute(select(t).where(key, t.c.revoked_at.is_(None)))).mappings().first()
    if row is None:
        return None
    revoked = {**row, "revoked_at": utcnow()}
    await unit.session.execute(update(t).where(t.c.token_hash == row["token_hash"]).values(revoked_at=revoked["revoked_at"]))
    unit.emit(_event(revoked), event_id=uuid.uuid5(_NS, f"token:{row['token_hash']}:revoked"))
    return revoked


async def listing(session: AsyncSession) -> list[dict]:
    """Every token as operators see it: id, kind, scope, created, expires, revoked — never the token."""
    t = models.tokens
    rows = (await session.execute(select(t).order_by(t.c.created_at, t.c.token_id))).mappings()
    return [{"id": r["token_id"], "kind": r["role"], "scope": r["facility_id"] or r["region"],
             "created": utc(r["created_at"]).isoformat(), "expires": utc(r["expires_at"]).isoformat(),
             "revoked": utc(r["revoked_at"]).isoformat() if r["revoked_at"] else None} for r in rows]


async def _scope_of(session: AsyncSession, token: str, kind: str) -> str | None:
    t = models.tokens
    row = (await session.execute(select(t.c.facility_id, t.c.region, t.c.expires_at, t.c.revoked_at).where(
        t.c.token_hash == hash_token(token), t.c.role == kind))).first()
    if row is None or not usable(row.expires_at, row.revoked_at, utcnow()):
        return None
    return row.facility_id if kind == "facility" else row.region


async def facility_of(session: AsyncSession, token: str) -> str | None:
    """The facility of a valid (unexpired, unrevoked) facility token."""
    return await _scope_of(session, token, "facility")


async def admin_region(session: AsyncSession, token: str) -> str | None:
    """The region of a valid admin token."""
    return await _scope_of(session, token, "admin")
