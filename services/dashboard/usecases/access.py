"""Who is signed in: viewer tokens (issued here), admin tokens (learned from registration's token
topic), and browser sessions. Only hashes are stored; every token has a public id and an expiry.

A :class:`Grant` is what a valid token or session gives: a scope (a region code prefix or a
Puskesmas facility id) and a kind — ``viewer`` sees its scope; ``admin`` sees its region and may act
on outbreak signals there.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.dashboard import models
from services.dashboard.usecases.directory import load_directory
from shared.auth import expiry, hash_token, is_token_id, new_token, usable
from shared.contracts.events import FacilityTokenChanged
from shared.regions import RegionIndex, is_region_code
from shared.time import now as utcnow
from shared.time import utc


@dataclass(frozen=True)
class Grant:
    """What a valid token or session allows."""

    scope: str
    kind: str  # viewer | admin
    token_id: str | None = None  # the token's public id (an admin's acts on signals carry it)

    @property
    def admin(self) -> bool:
        return self.kind == "admin"


@dataclass(frozen=True)
class Issued:
    """A viewer token just issued: shown once."""

    token_id: str
    token: str
    expires_at: datetime


async def check_scope(session: AsyncSession, regions: RegionIndex, region: str) -> str | None:
    """Why ``region`` cannot scope a viewer token (None when it can)."""
    if is_region_code(region):
        return None if region in regions else f"unknown region code {region}"
    directory = await load_directory(session)
    if directory.puskesmas(region) is None:
        return (f"unknown Puskesmas {region}: the dashboard knows the Puskesmas it consumed from "
                "ilp.facility.registered.v1 (import facilities first, and let the dashboard run)")
    return None


async def issue_viewer_token(session: AsyncSession, scope: str, ttl_days: float) -> Issued:
    """A new viewer token scoped to a region code prefix or a Puskesmas facility id."""
    token_id, token = new_token("viewer")
    created = utcnow()
    expires = expiry(created, ttl_days)
    await session.execute(models.viewer_tokens.insert().values(
        token_hash=hash_token(token), token_id=token_id, kind="viewer", region=scope, created_at=created,
        expires_at=expires))
    return Issued(token_id, token, expires)


async def revoke(session: AsyncSession, id_or_token: str) -> dict | None:
    """Revoke a viewer token by id or value (admin tokens are revoked at registration); its listing."""
    t = models.viewer_tokens
    key = t.c.token_id == id_or_token if is_token_id(id_or_token) else t.c.token_hash == hash_token(id_or_token)
    row = (await session.execute(select(t).where(key, t.c.kind == "viewer", t.c.revoked_at.is_(None)))).mappings().first()
    if row is None:
        return None
    await session.execute(update(t).where(t.c.token_hash == row["token_hash"]).values(revoked_at=utcnow()))
    return _listed({**row, "revoked_at": utcnow()})


def _listed(row: dict) -> dict:
    return {"id": row["token_id"], "kind": row["kind"], "scope": row["region"],
            "created": utc(row["created_at"]).isoformat(),
            "expires": utc(row["expires_at"]).isoformat() if row["expires_at"] else None,
            "revoked": utc(row["revoked_at"]).isoformat() if row["revoked_at"] else None}


async def listing(session: AsyncSession) -> list[dict]:
    """Every viewer token as operators see it — never the token."""
    t = models.viewer_tokens
    rows = (await session.execute(select(t).where(t.c.kind == "viewer").order_by(t.c.created_at))).mappings()
    return [_listed(dict(r)) for r in rows]


async def learn_token(session: AsyncSession, event: FacilityTokenChanged) -> None:
    """Keep registration's admin tokens, so an admin signs in here (facility tokens are not ours)."""
    if event.kind != "admin":
        return
    t = models.viewer_tokens
    dialect = session.bind.dialect.name
    stmt = (sqlite_insert if dialect == "sqlite" else pg_insert)(t).values(
        token_hash=event.token_hash, token_id=event.token_id, kind="admin", region=event.region,
        created_at=utcnow(), expires_at=event.expires_at, revoked_at=utcnow() if event.revoked else None)
    revoked = stmt.excluded.revoked_at
    await session.execute(stmt.on_conflict_do_update(
        index_elements=[t.c.token_hash],
        set_={"revoked_at": t.c.revoked_at if not event.revoked else revoked, "expires_at": stmt.excluded.expires_at}))


async def grant_of(session: AsyncSession, token: str) -> Grant | None:
    """The grant of a usable (unexpired, unrevoked) viewer or admin token."""
    t = models.viewer_tokens
    row = (await session.execute(select(t.c.region, t.c.kind, t.c.token_id, t.c.expires_at, t.c.revoked_at)
                                 .where(t.c.token_hash == hash_token(token)))).first()
    if row is None or not usable(row.expires_at, row.revoked_at, utcnow()):
        return None
    return Grant(row.region, row.kind, row.token_id)


async def open_session(session: AsyncSession, token: str, max_age_seconds: int) -> tuple[str, Grant] | None:
    """(session id, grant) for a valid token; the id goes in the cookie, only its hash is stored."""
    grant = await grant_of(session, token)
    if grant is None:
        return None
    now = utcnow()
    sid = secrets.token_urlsafe(32)
    s = models.sessions
    await session.execute(delete(s).where(s.c.expires_at < now))
    await session.execute(s.insert().values(id_hash=hash_token(sid), token_hash=hash_token(token), created_at=now,
                                            expires_at=now + timedelta(seconds=max_age_seconds)))
    return sid, grant


async def session_grant(session: AsyncSession, sid: str) -> Grant | None:
    """The grant of a live session whose token is still usable."""
    s, t = models.sessions, models.viewer_tokens
    row = (await session.execute(
        select(t.c.region, t.c.kind, t.c.token_id, t.c.expires_at, t.c.revoked_at,
               s.c.expires_at.label("session_expires"))
        .join(t, t.c.token_hash == s.c.token_hash).where(s.c.id_hash == hash_token(sid)))).first()
    now = utcnow()
    if row is None or utc(row.session_expires) <= now or not usable(row.expires_at, row.revoked_at, now):
        return None
    return Grant(row.region, row.kind, row.token_id)


async def close_session(session: AsyncSession, sid: str) -> None:
    """Sign out: the session row goes."""
    s = models.sessions
    await session.execute(delete(s).where(s.c.id_hash == hash_token(sid)))
