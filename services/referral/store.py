"""Referral's persistence adapter: time conversion, the stored network, and row <-> domain values."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.referral import models
from services.referral.domain.lifecycle import STATES, Snapshot, Step
from services.referral.domain.network import Facility, scope_of
from shared.auth import usable
from shared.cache import Cache
from shared.time import now as utcnow
from shared.time import utc_or_none as from_db


def offset_minutes(moment: datetime) -> int:
    """The UTC offset of an aware datetime, in minutes."""
    return int((moment.utcoffset() or timedelta()).total_seconds() // 60)


def local(moment: datetime | None, minutes: int) -> datetime | None:
    """A stored UTC datetime in the offset it was first given in."""
    return None if moment is None else from_db(moment).astimezone(timezone(timedelta(minutes=minutes)))


def open_key(person_id: str, risk_code: str) -> str:
    """The value of ``referrals.open_key`` while a referral is open."""
    return f"{person_id}:{risk_code}"


def facility_of(row: Mapping[str, Any]) -> Facility:
    return Facility(row["facility_id"], row["type"], row["parent_id"],
                    frozenset(c for c in row["capabilities"].split(";") if c), row["active"])


class NetworkCache:
    """The whole facility network, read again only when it changed (``shared.cache``).

    Routing a batch of risks needs the network; a district has hundreds of facilities, so reading
    and converting every row per batch would cost more than the routing. The cached copy's version
    is a fingerprint (row count and the sum of revisions: every change bumps a facility's revision)
    read with one aggregate query, so a change written by another replica is seen by the next batch.
    """

    def __init__(self) -> None:
        self.cache: Cache[tuple[int, str], dict[str, Facility]] = Cache(float("inf"), max_entries=8)

    async def get(self, session: AsyncSession) -> dict[str, Facility]:
        t = models.facilities
        fingerprint = tuple((await session.execute(
            select(func.count(), func.coalesce(func.sum(t.c.revision), 0)))).one())
        engine = session.get_bind()

        async def load() -> dict[str, Facility]:
            return {r["facility_id"]: facility_of(r) for r in (await session.execute(select(t))).mappings()}

        return await self.cache.get((id(engine), str(engine.url)), load, version=fingerprint)


NETWORK = NetworkCache()


async def scope(session: AsyncSession, facility_id: str) -> frozenset[str]:
    """The facilities a token acts for: its own and the Pustu/Posyandu run from it (``scope_of``)."""
    return scope_of(facility_id, await NETWORK.get(session))


async def token_facility(session: AsyncSession, token_hash: str) -> str | None:
    """The facility of a usable (unexpired, unrevoked) facility token hash."""
    t = models.tokens
    row = (await session.execute(select(t.c.facility_id, t.c.revoked, t.c.expires_at)
                                 .where(t.c.token_hash == token_hash))).first()
    if row is None or row.revoked or not usable(row.expires_at, None, utcnow()):
        return None
    return row.facility_id


async def steps_of(session: AsyncSession, referral_ids: Iterable[str]) -> dict[str, list[Mapping[str, Any]]]:
    """The recorded steps of some referrals, in lifecycle order."""
    ids = list(referral_ids)
    t = models.steps
    result: dict[str, list[Mapping[str, Any]]] = {i: [] for i in ids}
    for start in range(0, len(ids), 500):
        rows = (await session.execute(select(t).where(t.c.referral_id.in_(ids[start:start + 500])))).mappings().all()
        for row in sorted(rows, key=lambda r: STATES.index(r["status"])):
            result[row["referral_id"]].append(row)
    return result


def snapshot(row: Mapping[str, Any], steps: Iterable[Mapping[str, Any]]) -> Snapshot:
    """The lifecycle's view of a stored referral."""
    return Snapshot(
        status=row["status"], made_at=from_db(row["made_at"]), due_at=from_db(row["due_at"]), overdue=row["overdue"],
        steps={s["status"]: Step(s["status"], from_db(s["at"]), s["note"], _json(s["feedback"])) for s in steps},
    )


def view(row: Mapping[str, Any], steps: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """The API representation of a referral."""
    minutes = row["offset_minutes"]
    made_at = local(row["made_at"], minutes).isoformat()
    history = [{"status": "made", "at": made_at, "facility_id": row["origin_facility_id"]}]
    history += [{"status": s["status"], "at": local(s["at"], s["offset_minutes"]).isoformat(),
                 "facility_id": s["facility_id"], "note": s["note"]} for s in steps]
    return {
        "referral_id": row["referral_id"], "person_id": row["person_id"], "risk_id": row["risk_id"],
        "risk_code": row["risk_code"], "village_code": row["village_code"],
        "origin_facility_id": row["origin_facility_id"], "destination_facility_id": row["destination_facility_id"],
        "destination_level": row["destination_level"], "urgency": row["urgency"], "reason": row["reason"],
        "status": row["status"], "made_at": local(row["made_at"], minutes).isoformat(),
        "due_at": local(row["due_at"], minutes).isoformat(),
        "overdue": bool(row["overdue"]) and not row["overdue_cleared"], "overdue_cleared": bool(row["overdue_cleared"]),
        "detections": row["detections"], "feedback": _json(row["feedback"]),
        "updated_at": from_db(row["updated_at"]).isoformat(), "history": history,
    }


def _json(text: str | None) -> Any:
    return json.loads(text) if text else None
