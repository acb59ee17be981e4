"""Reading referrals: one with its history, and the pages a facility may see."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from services.referral import models, store
from services.referral.domain.lifecycle import TERMINAL
from shared.time import utc


async def get_referral(session: Any, referral_id: str) -> dict[str, Any] | None:
    """One referral with its history, or None."""
    t = models.referrals
    row = (await session.execute(select(t).where(t.c.referral_id == referral_id))).mappings().first()
    if row is None:
        return None
    return store.view(row, (await store.steps_of(session, [referral_id]))[referral_id])


async def list_risks(session: Any, scope: frozenset[str], *, since: datetime | None = None, limit: int = 100,
                     after: tuple[datetime, str] | None = None) -> tuple[list[dict[str, Any]], tuple[datetime, str] | None]:
    """Risks found at visits of the facilities in ``scope``, oldest first: ``(event dicts, cursor)``
    with the cursor ``(occurred_at, risk_id)`` of the last one when there are more."""
    t = models.risks
    query = select(t.c.risk_id, t.c.occurred_at, t.c.event).where(t.c.facility_id.in_(sorted(scope)))
    if since is not None:
        query = query.where(t.c.occurred_at >= utc(since))
    if after is not None:
        at, rid = utc(after[0]), after[1]
        query = query.where((t.c.occurred_at > at) | ((t.c.occurred_at == at) & (t.c.risk_id > rid)))
    rows = (await session.execute(query.order_by(t.c.occurred_at, t.c.risk_id).limit(limit + 1))).all()
    more, rows = len(rows) > limit, rows[:limit]
    cursor = (utc(rows[-1].occurred_at), rows[-1].risk_id) if more and rows else None
    return [json.loads(r.event) for r in rows], cursor


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


async def list_referrals(session: Any, facility_id: str, *, status: str | None = None, direction: str | None = None,
                         since: datetime | None = None, limit: int = 100, after: tuple[datetime, str] | None = None
                         ) -> Page:
    """What a facility (and those under it) sent and must receive, oldest change first."""
    t = models.referrals
    scope = await store.scope(session, facility_id)
    sent, received = t.c.origin_facility_id.in_(scope), t.c.destination_facility_id.in_(scope)
    query = select(t).where({"sent": sent, "received": received}.get(direction or "", sent | received))
    if status == "overdue":
        query = query.where(t.c.overdue.is_(True), t.c.overdue_cleared.is_(False))
    elif status:
        query = query.where(t.c.status == status)
    if since is not None:
        query = query.where(t.c.updated_at >= utc(since))
    if after is not None:
        at, rid = utc(after[0]), after[1]
        query = query.where((t.c.updated_at > at) | ((t.c.updated_at == at) & (t.c.referral_id > rid)))
    rows = (await session.execute(query.order_by(t.c.updated_at, t.c.referral_id).limit(limit + 1))).mappings().all()
    more, rows = len(rows) > limit, rows[:limit]
    steps = await store.steps_of(session, [r["referral_id"] for r in rows])
    items = [store.view(r, steps[r["referral_id"]]) for r in rows]
    cursor = f"{items[-1]['updated_at']}|{items[-1]['referral_id']}" if more else None
    return Page(items, cursor)


async def overdue_by_district(session: Any) -> dict[tuple[str], int]:
    """``{(district code,): referrals flagged overdue, not cleared, neither completed nor cancelled}``
    (the ``jejaring_referrals_overdue`` gauge; the district is the village code's first five characters)."""
    t = models.referrals
    district = func.substr(t.c.village_code, 1, 5)
    query = (select(district, func.count())
             .where(t.c.overdue.is_(True), t.c.overdue_cleared.is_(False), t.c.status.not_in(sorted(TERMINAL)))
             .group_by(district))
    return {(code,): int(n) for code, n in await session.execute(query)}
