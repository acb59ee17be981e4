"""The read model of outbreak signals: kept from ilp.outbreak.signal.v1 (and from surveillance's
answers to an admin's step), listed per area.

Each signal is one row holding its highest ``revision``: a redelivered, replayed or older event
changes nothing, so applying events is idempotent whatever their order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.dashboard import models
from services.dashboard.domain import signals as domain
from shared.contracts.events import OutbreakSignal
from shared.regions import is_region_code
from shared.time import now as utcnow


def as_json(signal: OutbreakSignal | Mapping[str, Any]) -> dict[str, Any]:
    """The signal as the API shows it: the JSON of its event (validated when given as a mapping)."""
    event = signal if isinstance(signal, OutbreakSignal) else OutbreakSignal.model_validate(signal)
    return event.model_dump(mode="json", exclude={"previous_status"})


async def store(session: AsyncSession, signals: Iterable[OutbreakSignal | Mapping[str, Any]],
                now: datetime | None = None) -> set[str]:
    """Keep each signal unless a revision as high is already kept; the villages of those kept."""
    views = domain.newest(as_json(s) for s in signals)
    if not views:
        return set()
    received = now or utcnow()
    t = models.signals
    rows = [{"signal_id": v["signal_id"], "area_kind": v["area_kind"], "area_code": v["area_code"],
             "village_code": v["village_code"], "village_codes": domain.packed(domain.villages_of(v)),
             "disease": v["disease"], "week": v["week"], "status": v["status"],
             "raised_at": datetime.fromisoformat(v["raised_at"]), "revision": v["revision"],
             "body": json.dumps(v, separators=(",", ":")), "received_at": received} for v in views]
    insert = (sqlite_insert if session.bind.dialect.name == "sqlite" else pg_insert)(t).values(rows)
    kept = ("status", "revision", "body", "received_at", "village_codes", "raised_at")
    stmt = insert.on_conflict_do_update(
        index_elements=[t.c.signal_id], set_={c: insert.excluded[c] for c in kept},
        where=t.c.revision < insert.excluded.revision).returning(t.c.village_codes)
    changed = (await session.execute(stmt)).scalars().all()
    return {v for text in changed for v in domain.unpacked(text)}


async def find(session: AsyncSession, signal_id: str) -> dict[str, Any] | None:
    """One signal as last kept, or None."""
    t = models.signals
    body = await session.scalar(select(t.c.body).where(t.c.signal_id == signal_id))
    return None if body is None else json.loads(body)


async def listing(session: AsyncSession, area: str, catchment: Mapping[str, frozenset[str]], *,
                  statuses: Iterable[str] | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """The signals of ``area`` (a region code prefix or a Puskesmas facility id), newest first."""
    t = models.signals
    if is_region_code(area):
        where = t.c.village_codes.contains(";" + area, autoescape=True)
    else:
        villages = sorted(catchment.get(area, frozenset()))
        where = or_(t.c.area_code == area, *[t.c.village_codes.contains(f";{v};", autoescape=True) for v in villages])
    query = select(t.c.body, t.c.area_code, t.c.village_codes).where(where)
    wanted = list(statuses or ())
    if wanted:
        query = query.where(t.c.status.in_(wanted))
    rows = (await session.execute(query.order_by(t.c.raised_at.desc(), t.c.signal_id).limit(limit))).all()
    return [json.loads(body) for body, code, villages in rows
            if domain.visible_in(area, code, domain.unpacked(villages), catchment)]
