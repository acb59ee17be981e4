"""Referrals moving along: facilities' status updates, the overdue checker, and person links."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from services.referral import models, store
from services.referral.domain import lifecycle
from services.referral.domain.messages import StatusChange
from services.referral.usecases.queries import get_referral
from shared.contracts.events import PersonLinked, ReferralUpdated
from shared.time import utc
from shared.unit import Unit

_NS = uuid.UUID("0c7a3f0e-9d1b-4f6e-8a25-3e1d2b4c5a60")


def update_id_for(referral_id: str, status: str) -> uuid.UUID:
    """The id of the ``referral.updated`` event recording ``status`` (incl. ``overdue``)."""
    return uuid.uuid5(_NS, f"update:{referral_id}:{status}")


class NotFound(LookupError):
    """No such referral."""


@dataclass(frozen=True)
class Answer:
    """The outcome of a status request and the referral as it is now."""

    outcome: lifecycle.Outcome
    referral: dict[str, Any]


async def change_status(unit: Unit, referral_id: str, change: StatusChange, facility_id: str, now: datetime) -> Answer:
    """Apply a facility's status update (the row is locked, so concurrent requests serialise)."""
    session, t, now = unit.session, models.referrals, utc(now)
    row = (await session.execute(select(t).where(t.c.referral_id == referral_id).with_for_update())).mappings().first()
    if row is None:
        raise NotFound(referral_id)
    steps = (await store.steps_of(session, [referral_id]))[referral_id]
    scope = await store.scope(session, facility_id)
    roles = frozenset(role for role, fid in (("origin", row["origin_facility_id"]),
                                             ("destination", row["destination_facility_id"])) if fid in scope)
    feedback = change.feedback_json()
    request = lifecycle.Step(change.status, change.at, change.note, feedback)
    outcome = lifecycle.decide(store.snapshot(row, steps), request, roles, now)
    if outcome.kind == "applied":
        if outcome.raise_overdue:
            await _raise_overdue(unit, [referral_id], now)
        values: dict[str, Any] = {"status": change.status, "updated_at": now}
        if change.status in lifecycle.TERMINAL:
            values["open_key"] = None
        if feedback is not None:
            values["feedback"] = json.dumps(feedback)
        if outcome.clear_overdue:
            values["overdue_cleared"] = True
        await session.execute(update(t).where(t.c.referral_id == referral_id).values(**values))
        await _record_step(unit, row, change.status, change.at, change.note, feedback, facility_id, now)
    return Answer(outcome, await get_referral(session, referral_id))


async def _record_step(unit: Unit, row: Any, status: str, at: datetime, note: str | None, feedback: dict | None,
                       facility_id: str | None, now: datetime) -> None:
    await unit.session.execute(models.steps.insert().values(
        referral_id=row["referral_id"], status=status, at=utc(at), offset_minutes=store.offset_minutes(at),
        note=note, feedback=json.dumps(feedback) if feedback is not None else None, facility_id=facility_id,
        recorded_at=now))
    update_id = update_id_for(row["referral_id"], status)
    unit.emit(_updated(row, update_id, status=status, previous=row["status"], at=at, note=note, feedback=feedback),
              event_id=update_id)


def _updated(row: Any, update_id: uuid.UUID, *, status: str, previous: str, at: datetime, note: str | None = None,
             feedback: dict | None = None) -> ReferralUpdated:
    return ReferralUpdated(
        update_id=update_id, referral_id=row["referral_id"], person_id=row["person_id"],
        village_code=row["village_code"], origin_facility_id=row["origin_facility_id"],
        destination_facility_id=row["destination_facility_id"], status=status, previous_status=previous,
        at=at, made_at=store.local(row["made_at"], row["offset_minutes"]), note=note, feedback=feedback,
    )


async def mark_overdue(unit: Unit, now: datetime, grace: timedelta, limit: int = 500) -> int:
    """Raise the alarm on waiting referrals whose stored deadline plus grace has passed."""
    t, now = models.referrals, utc(now)
    cutoff = utc(lifecycle.overdue_cutoff(now, grace))
    candidates = (select(t.c.referral_id)
                  .where(t.c.status.in_(lifecycle.WAITING), t.c.overdue.is_(False), t.c.due_at < cutoff)
                  .order_by(t.c.due_at).limit(limit)
                  .with_for_update(skip_locked=True))  # PostgreSQL: replicas take disjoint rows
    ids = list((await unit.session.scalars(candidates)).all())
    return len(await _raise_overdue(unit, ids, now, waiting_only=True, cutoff=cutoff)) if ids else 0


async def _raise_overdue(unit: Unit, ids: list[str], now: datetime, *, waiting_only: bool = False,
                         cutoff: datetime | None = None) -> list[str]:
    """Flip ``overdue`` false -> true and emit one alarm per row this transaction actually flipped.

    The conditional UPDATE is what makes the alarm single: on PostgreSQL a second replica's UPDATE
    waits for the first and then finds ``overdue = true``, so it returns no row and emits nothing.
    """
    t = models.referrals
    condition = [t.c.referral_id.in_(ids), t.c.overdue.is_(False)]
    if waiting_only:
        condition += [t.c.status.in_(lifecycle.WAITING), t.c.due_at < cutoff]
    flipped = (await unit.session.execute(
        update(t).where(*condition).values(overdue=True, updated_at=now).returning(*t.c)
    )).mappings().all()
    for row in flipped:
        update_id = update_id_for(row["referral_id"], "overdue")
        due = store.local(row["due_at"], row["offset_minutes"])
        unit.emit(_updated(row, update_id, status="overdue", previous=row["status"], at=due,
                           note="not attended by due_at"), event_id=update_id)
    return [row["referral_id"] for row in flipped]


async def relink(unit: Unit, event: PersonLinked, now: datetime) -> None:
    """A child's provisional id became its NIK id; two open referrals for one risk are merged."""
    session, t, now = unit.session, models.referrals, utc(now)
    rows = (await session.execute(select(t).where(t.c.person_id == event.previous_person_id))).mappings().all()
    for row in rows:
        key = store.open_key(event.person_id, row["risk_code"]) if row["open_key"] else None
        other = None
        if key is not None:
            other = (await session.execute(select(t).where(t.c.open_key == key))).mappings().first()
        if other is None:
            await session.execute(update(t).where(t.c.referral_id == row["referral_id"])
                                  .values(person_id=event.person_id, open_key=key, updated_at=now))
            continue
        survivor, loser = sorted((row, other), key=_merge_rank)
        await session.execute(update(t).where(t.c.referral_id == loser["referral_id"]).values(
            status="cancelled", open_key=None, person_id=event.person_id, updated_at=now))
        await session.execute(update(t).where(t.c.referral_id == survivor["referral_id"]).values(
            person_id=event.person_id, open_key=key, detections=t.c.detections + loser["detections"], updated_at=now))
        await session.execute(update(models.detections).where(models.detections.c.referral_id == loser["referral_id"])
                              .values(referral_id=survivor["referral_id"]))
        note = f"merged into {survivor['referral_id']} (person linked)"
        await _record_step(unit, {**loser, "person_id": event.person_id}, "cancelled", event.linked_at, note,
                           None, None, now)


def _merge_rank(row: Any) -> tuple[int, datetime]:
    """The referral furthest along survives a merge; then the older one."""
    return -lifecycle.STATES.index(row["status"]), store.from_db(row["made_at"])
