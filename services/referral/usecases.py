"""Referral's use cases: keep the network, turn risks into referrals, move referrals along."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

from sqlalchemy import select, update

from services.referral import domain, models
from services.referral.settings import ReferralSettings
from shared.contracts.events import (
    FacilityRegistered, FacilityTokenChanged, PersonLinked, ReferralMade, ReferralUpdated, RiskDetected,
)
from shared.messaging.consumer import Unit

_NS = uuid.UUID("0c7a3f0e-9d1b-4f6e-8a25-3e1d2b4c5a60")


class TransitionError(Exception):
    """An impossible status change; carries the current state."""

    def __init__(self, current: str) -> None:
        super().__init__(current)
        self.current = current


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
    """Keep the hashes of facility tokens (issued and revoked)."""
    t = models.tokens
    exists = await unit.session.scalar(select(t.c.token_hash).where(t.c.token_hash == event.token_hash))
    if exists is None:
        await unit.session.execute(t.insert().values(token_hash=event.token_hash, facility_id=event.facility_id,
                                                     revoked=event.revoked))
    elif event.revoked:
        await unit.session.execute(t.update().where(t.c.token_hash == event.token_hash).values(revoked=True))


async def network(unit: Unit) -> dict[str, domain.Facility]:
    """The whole local network (a district's facilities)."""
    rows = (await unit.session.execute(select(models.facilities))).mappings().all()
    return {
        r["facility_id"]: domain.Facility(r["facility_id"], r["type"], r["parent_id"],
                                          frozenset(c for c in r["capabilities"].split(";") if c), r["active"])
        for r in rows
    }


async def on_risk(unit: Unit, event: RiskDetected, settings: ReferralSettings) -> None:
    """Make a referral when the risk needs a higher level; attach repeats to the open one."""
    facilities = await network(unit)
    origin = facilities.get(event.facility_id)
    if not domain.needs_referral(origin.type if origin else None, event.recommended_level):
        return
    t = models.referrals
    open_id = await unit.session.scalar(
        select(t.c.referral_id).where(t.c.person_id == event.person_id, t.c.risk_code == event.code,
                                      t.c.status.in_(domain.OPEN_STATES | {"attended"}))
    )
    if open_id is not None:
        await unit.session.execute(update(t).where(t.c.referral_id == open_id).values(detections=t.c.detections + 1))
        return
    chosen = domain.route(event.facility_id, event.recommended_level, event.code, event.severity, facilities)
    referral_id = uuid.uuid5(_NS, f"referral:{event.risk_id}")
    made_at = event.occurred_at
    due = domain.due_at(made_at, event.severity, settings.overdue_days)
    now = datetime.now(timezone.utc)
    await unit.session.execute(t.insert().values(
        referral_id=str(referral_id), person_id=event.person_id, risk_code=event.code, risk_id=str(event.risk_id),
        village_code=event.village_code, origin_facility_id=event.facility_id,
        destination_facility_id=chosen.destination_id, destination_level=chosen.level, urgency=event.severity,
        status="made", made_at=made_at, due_at=due, updated_at=now, overdue=False, detections=1))
    unit.emit(ReferralMade(
        referral_id=referral_id, person_id=event.person_id, risk_id=event.risk_id, risk_code=event.code,
        village_code=event.village_code, origin_facility_id=event.facility_id,
        destination_facility_id=chosen.destination_id, destination_level=chosen.level,
        reason=event.code, urgency=event.severity, made_at=made_at, due_at=due,
    ), event_id=referral_id)


async def change_status(
    unit: Unit, referral_id: str, *, status: str, at: datetime, facility_id: str, note: str | None,
    feedback: dict | None,
) -> dict:
    """Apply a facility's status update; raise LookupError, PermissionError or TransitionError."""
    t = models.referrals
    row = (await unit.session.execute(select(t).where(t.c.referral_id == referral_id))).mappings().first()
    if row is None:
        raise LookupError(referral_id)
    if facility_id not in (row["origin_facility_id"], row["destination_facility_id"]):
        raise PermissionError(facility_id)
    if not domain.can_transition(row["status"], status):
        raise TransitionError(row["status"])
    await unit.session.execute(update(t).where(t.c.referral_id == referral_id).values(
        status=status, updated_at=datetime.now(timezone.utc),
        feedback=json.dumps(feedback) if feedback is not None else row["feedback"]))
    update_id = uuid.uuid5(_NS, f"update:{referral_id}:{status}")
    unit.emit(_updated(row, update_id, status=status, at=at, note=note, feedback=feedback), event_id=update_id)
    return {"referral_id": referral_id, "status": status, "previous_status": row["status"]}


def _updated(row, update_id, *, status, at, note=None, feedback=None) -> ReferralUpdated:  # noqa: ANN001
    return ReferralUpdated(
        update_id=update_id, referral_id=row["referral_id"], person_id=row["person_id"],
        village_code=row["village_code"], origin_facility_id=row["origin_facility_id"],
        destination_facility_id=row["destination_facility_id"], status=status, previous_status=row["status"],
        at=at, made_at=row["made_at"], note=note, feedback=feedback,
    )


async def mark_overdue(unit: Unit, now: datetime) -> int:
    """Flag open referrals past their stored deadline (survives restarts: no timers)."""
    t = models.referrals
    rows = (await unit.session.execute(
        select(t).where(t.c.status.in_(domain.OPEN_STATES), t.c.overdue.is_(False), t.c.due_at < now)
    )).mappings().all()
    for row in rows:
        await unit.session.execute(update(t).where(t.c.referral_id == row["referral_id"]).values(overdue=True))
        update_id = uuid.uuid5(_NS, f"update:{row['referral_id']}:overdue")
        unit.emit(_updated(row, update_id, status="overdue", at=row["due_at"]), event_id=update_id)
    return len(rows)


async def relink(unit: Unit, event: PersonLinked) -> None:
    """A child's provisional id became its NIK id."""
    t = models.referrals
    await unit.session.execute(update(t).where(t.c.person_id == event.previous_person_id).values(person_id=event.person_id))


async def token_facility(unit: Unit, token_hash: str) -> str | None:
    """The facility of an active token hash."""
    t = models.tokens
    return await unit.session.scalar(select(t.c.facility_id).where(t.c.token_hash == token_hash, t.c.revoked.is_(False)))


async def list_referrals(unit: Unit, facility_id: str, status: str | None) -> list[dict]:
    """What a facility sent and what it must receive."""
    t = models.referrals
    query = select(t).where((t.c.origin_facility_id == facility_id) | (t.c.destination_facility_id == facility_id))
    if status:
        query = query.where(t.c.status == status)
    rows = (await unit.session.execute(query.order_by(t.c.made_at.desc()).limit(1000))).mappings().all()
    return [
        {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items() if k != "feedback"}
        | {"feedback": json.loads(r["feedback"]) if r["feedback"] else None}
        for r in rows
    ]
