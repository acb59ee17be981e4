"""Risks become referrals: set-wise for a whole batch, the one path for one risk or many.

For each risk in order: a risk already seen (``referral_detections`` remembers every risk, so a
redelivery is recognised after the inbox forgot it) is skipped; a repeat attaches to the person's
open referral for that code (also one opened earlier in the batch) and a more urgent repeat
tightens its deadline; else the risk is routed through the network (read once per batch). A
concurrent writer elsewhere makes the unique ``open_key`` index fail the batch; the consumer then
applies its risks one at a time, retried, and the second attempt attaches to the other's referral.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.referral import models, store
from services.referral.domain import lifecycle, routing
from services.referral.domain.routing_table import ROUTES
from services.referral.settings import ReferralSettings
from shared.contracts.events import ReferralMade, RiskDetected
from shared.time import utc
from shared.unit import Unit

log = logging.getLogger(__name__)
_NS = uuid.UUID("0c7a3f0e-9d1b-4f6e-8a25-3e1d2b4c5a60")


def referral_id_for(risk_id: uuid.UUID | str) -> uuid.UUID:
    """The id of the referral a risk creates."""
    return uuid.uuid5(_NS, f"referral:{risk_id}")


async def on_risks(unit: Unit, events: Sequence[RiskDetected], settings: ReferralSettings,
                   now: datetime) -> list[str]:
    """Decide the referrals of ``events``; one decision each: ``made``, ``attached``, ``duplicate``
    or ``none`` (the origin can handle it)."""
    session, now = unit.session, utc(now)
    t, d = models.referrals, models.detections
    known = set((await session.scalars(select(d.c.risk_id).where(d.c.risk_id.in_([str(e.risk_id) for e in events])))).all())
    keys = list({store.open_key(e.person_id, e.code) for e in events})
    open_rows = await open_referrals(session, keys)
    network = await store.NETWORK.get(session)
    created: dict[str, dict[str, Any]] = {}
    attached: dict[str, dict[str, Any]] = {}
    detections: list[dict[str, Any]] = []
    decisions: list[str] = []
    for event in events:
        if str(event.risk_id) in known:
            decisions.append("duplicate")
            continue
        known.add(str(event.risk_id))
        key = store.open_key(event.person_id, event.code)
        row = open_rows.get(key)
        if row is not None:
            _attach(row, event, settings, now)
            if row["referral_id"] not in created:
                attached[row["referral_id"]] = row
            detections.append(_detection(event, row["referral_id"]))
            decisions.append("attached")
            continue
        decision = routing.decide(event.code, event.severity, event.recommended_level,
                                  network.get(event.facility_id), network.get)
        if decision is None:
            decisions.append("none")
            continue
        if event.code not in ROUTES:
            log.warning("risk code has no routing entry", extra={"code": event.code})
        referral_id = str(referral_id_for(event.risk_id))
        due = lifecycle.due_at(event.occurred_at, event.severity, settings.overdue_days)
        reason = decision.reason(event.code, event.severity)
        row = dict(
            referral_id=referral_id, person_id=event.person_id, risk_code=event.code, risk_id=str(event.risk_id),
            village_code=event.village_code, origin_facility_id=event.facility_id,
            destination_facility_id=decision.destination_id, destination_level=decision.level,
            urgency=event.severity, status="made", made_at=utc(event.occurred_at),
            offset_minutes=store.offset_minutes(event.occurred_at), due_at=utc(due), updated_at=now,
            overdue=False, overdue_cleared=False, detections=1, open_key=key, reason=reason,
            last_detected_at=utc(event.occurred_at))
        open_rows[key] = created[referral_id] = row
        detections.append(_detection(event, referral_id))
        decisions.append("made")
        unit.emit(ReferralMade(
            referral_id=referral_id, person_id=event.person_id, risk_id=event.risk_id, risk_code=event.code,
            village_code=event.village_code, origin_facility_id=event.facility_id,
            destination_facility_id=decision.destination_id, destination_level=decision.level,
            reason=reason, urgency=event.severity, made_at=event.occurred_at, due_at=due,
        ), event_id=referral_id)
    if created:
        await session.execute(t.insert(), list(created.values()))
    if attached:
        columns = ("detections", "updated_at", "last_detected_at", "urgency", "due_at")
        await session.execute(
            update(t).where(t.c.referral_id == bindparam("rid")).values({c: bindparam(c) for c in columns}),
            [{"rid": r["referral_id"], **{c: r[c] for c in columns}} for r in attached.values()],
        )
    if detections:
        await session.execute(d.insert(), detections)
    await _keep(session, [e for e, decision in zip(events, decisions) if decision != "duplicate"])
    return decisions


async def _keep(session: AsyncSession, events: Sequence[RiskDetected]) -> None:
    """Store the risks for the RiskAssessment API (a redelivered risk is already there)."""
    if not events:
        return
    t = models.risks
    stmt = (sqlite_insert if session.bind.dialect.name == "sqlite" else pg_insert)(t).on_conflict_do_nothing()
    await session.execute(stmt, [{"risk_id": str(e.risk_id), "facility_id": e.facility_id,
                                  "occurred_at": utc(e.occurred_at), "event": e.model_dump_json()} for e in events])


async def open_referrals(session: AsyncSession, keys: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The open referrals with these ``open_key``s, by key."""
    t = models.referrals
    return {r["open_key"]: dict(r) for r in (await session.execute(select(t).where(t.c.open_key.in_(keys)))).mappings()}


def _detection(event: RiskDetected, referral_id: str) -> dict[str, Any]:
    return {"risk_id": str(event.risk_id), "referral_id": referral_id, "occurred_at": utc(event.occurred_at)}


def _attach(row: dict[str, Any], event: RiskDetected, settings: ReferralSettings, now: datetime) -> None:
    """One more detection on an open referral; a more urgent one tightens its deadline."""
    row["detections"] = (row["detections"] or 0) + 1
    row["updated_at"] = now
    last = store.from_db(row["last_detected_at"]) or store.from_db(row["made_at"])
    row["last_detected_at"] = utc(max(last, event.occurred_at))
    if lifecycle.more_urgent(row["urgency"], event.severity) != row["urgency"]:
        start = max(store.from_db(row["made_at"]), event.occurred_at)
        row["due_at"] = utc(min(store.from_db(row["due_at"]),
                                lifecycle.due_at(start, event.severity, settings.overdue_days)))
        row["urgency"] = event.severity
    else:
        row["due_at"] = store.from_db(row["due_at"])
