"""Referral's use cases: keep the network, turn risks into referrals, move referrals along.

Every event id is deterministic: ``referral.made`` from the risk, each ``referral.updated`` from
the referral and the status it records (each status is reached at most once), so a retried
request, a redelivered message or a second replica cannot emit a different copy.
"""

from __future__ import annotations

import json
import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from services.referral import models, store
from services.referral.domain import lifecycle, routing
from services.referral.domain.messages import StatusChange
from services.referral.domain.routing_table import ROUTES
from services.referral.settings import ReferralSettings
from shared.contracts.events import (
    FacilityRegistered,
    FacilityTokenChanged,
    PersonLinked,
    ReferralMade,
    ReferralUpdated,
    RiskDetected,
)
from shared.messaging.consumer import BatchUnit, Reject, Unit

log = logging.getLogger(__name__)
_NS = uuid.UUID("0c7a3f0e-9d1b-4f6e-8a25-3e1d2b4c5a60")


def referral_id_for(risk_id: uuid.UUID | str) -> uuid.UUID:
    """The id of the referral a risk creates."""
    return uuid.uuid5(_NS, f"referral:{risk_id}")


def update_id_for(referral_id: str, status: str) -> uuid.UUID:
    """The id of the ``referral.updated`` event recording ``status`` (incl. ``overdue``)."""
    return uuid.uuid5(_NS, f"update:{referral_id}:{status}")


# -- the network and tokens ----------------------------------------------------------------------
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


# -- risks become referrals ----------------------------------------------------------------------
async def on_risk(unit: Unit, event: RiskDetected, settings: ReferralSettings, now: datetime) -> str:
    """Make a referral when the risk needs one; attach a repeat to the open one. Returns what happened."""
    session, now = unit.session, store.utc(now)
    if await session.scalar(select(models.detections.c.referral_id)
                            .where(models.detections.c.risk_id == str(event.risk_id))) is not None:
        return "duplicate"
    key = store.open_key(event.person_id, event.code)
    if await _attach(unit, key, event, settings, now):
        return "attached"
    network = await store.chain(session, event.facility_id)
    decision = routing.decide(event.code, event.severity, event.recommended_level,
                              network.get(event.facility_id), network.get)
    if decision is None:
        return "none"
    if event.code not in ROUTES:
        log.warning("risk code has no routing entry", extra={"code": event.code})
    referral_id = str(referral_id_for(event.risk_id))
    due = lifecycle.due_at(event.occurred_at, event.severity, settings.overdue_days)
    reason = decision.reason(event.code, event.severity)
    try:
        async with session.begin_nested():
            await session.execute(models.referrals.insert().values(
                referral_id=referral_id, person_id=event.person_id, risk_code=event.code,
                risk_id=str(event.risk_id), village_code=event.village_code, origin_facility_id=event.facility_id,
                destination_facility_id=decision.destination_id, destination_level=decision.level,
                urgency=event.severity, status="made", made_at=store.utc(event.occurred_at),
                offset_minutes=store.offset_minutes(event.occurred_at), due_at=store.utc(due), updated_at=now,
                overdue=False, overdue_cleared=False, detections=1, open_key=key, reason=reason,
                last_detected_at=store.utc(event.occurred_at)))
            await _remember(unit, event, referral_id)
    except IntegrityError:  # another writer opened the same person's referral for this risk first
        if await _attach(unit, key, event, settings, now):
            return "attached"
        raise
    unit.emit(ReferralMade(
        referral_id=referral_id, person_id=event.person_id, risk_id=event.risk_id, risk_code=event.code,
        village_code=event.village_code, origin_facility_id=event.facility_id,
        destination_facility_id=decision.destination_id, destination_level=decision.level,
        reason=reason, urgency=event.severity, made_at=event.occurred_at, due_at=due,
    ), event_id=referral_id)
    return "made"


async def on_risks(unit: BatchUnit, settings: ReferralSettings, now: datetime) -> None:
    """``on_risk`` for a whole batch, set-wise: one query per table instead of several per risk.

    Same decisions in the same order: a risk already seen is skipped, a repeat attaches to the
    person's open referral for that code (also one opened earlier in this batch), else the risk is
    routed through the network (read once per batch). A concurrent writer elsewhere makes the
    unique ``open_key`` index fail the batch, which then falls back to ``on_risk`` one by one.
    """
    session, now = unit.session, store.utc(now)
    events: list[RiskDetected] = []
    for message in unit.messages:
        if not isinstance(message.body.data, RiskDetected):
            raise Reject(f"unexpected event type {message.body.type}")
        events.append(message.body.data)
    t, d = models.referrals, models.detections
    known = set((await session.scalars(select(d.c.risk_id).where(d.c.risk_id.in_([str(e.risk_id) for e in events])))).all())
    keys = list({store.open_key(e.person_id, e.code) for e in events})
    open_rows = {r["open_key"]: dict(r) for r in (await session.execute(select(t).where(t.c.open_key.in_(keys)))).mappings()}
    network = await store.NETWORK.get(session)
    created: dict[str, dict[str, Any]] = {}
    attached: dict[str, dict[str, Any]] = {}
    detections: list[dict[str, Any]] = []
    for event in events:
        if str(event.risk_id) in known:
            continue
        known.add(str(event.risk_id))
        key = store.open_key(event.person_id, event.code)
        row = open_rows.get(key)
        if row is not None:
            _attach_values(row, event, settings, now)
            if row["referral_id"] not in created:
                attached[row["referral_id"]] = row
            detections.append(_detection(event, row["referral_id"]))
            continue
        decision = routing.decide(event.code, event.severity, event.recommended_level,
                                  network.get(event.facility_id), network.get)
        if decision is None:
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
            urgency=event.severity, status="made", made_at=store.utc(event.occurred_at),
            offset_minutes=store.offset_minutes(event.occurred_at), due_at=store.utc(due), updated_at=now,
            overdue=False, overdue_cleared=False, detections=1, open_key=key, reason=reason,
            last_detected_at=store.utc(event.occurred_at))
        open_rows[key] = created[referral_id] = row
        detections.append(_detection(event, referral_id))
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


def _detection(event: RiskDetected, referral_id: str) -> dict[str, Any]:
    return {"risk_id": str(event.risk_id), "referral_id": referral_id, "occurred_at": store.utc(event.occurred_at)}


def _attach_values(row: dict[str, Any], event: RiskDetected, settings: ReferralSettings, now: datetime) -> None:
    """The in-memory twin of ``_attach``: one more detection, a tighter deadline if more urgent."""
    row["detections"] = (row["detections"] or 0) + 1
    row["updated_at"] = now
    last = store.from_db(row["last_detected_at"]) or store.from_db(row["made_at"])
    row["last_detected_at"] = store.utc(max(last, event.occurred_at))
    if lifecycle.more_urgent(row["urgency"], event.severity) != row["urgency"]:
        start = max(store.from_db(row["made_at"]), event.occurred_at)
        row["due_at"] = store.utc(min(store.from_db(row["due_at"]),
                                      lifecycle.due_at(start, event.severity, settings.overdue_days)))
        row["urgency"] = event.severity
    else:
        row["due_at"] = store.from_db(row["due_at"])


async def _attach(unit: Unit, key: str, event: RiskDetected, settings: ReferralSettings, now: datetime) -> bool:
    """Count a repeated detection on the open referral; a more urgent one tightens its deadline."""
    t = models.referrals
    row = (await unit.session.execute(select(t).where(t.c.open_key == key).with_for_update())).mappings().first()
    if row is None:
        return False
    values: dict[str, Any] = {"detections": t.c.detections + 1, "updated_at": now}
    last = store.from_db(row["last_detected_at"]) or store.from_db(row["made_at"])
    values["last_detected_at"] = store.utc(max(last, event.occurred_at))
    if lifecycle.more_urgent(row["urgency"], event.severity) != row["urgency"]:
        start = max(store.from_db(row["made_at"]), event.occurred_at)
        values["urgency"] = event.severity
        values["due_at"] = store.utc(min(store.from_db(row["due_at"]),
                                         lifecycle.due_at(start, event.severity, settings.overdue_days)))
    await unit.session.execute(update(t).where(t.c.referral_id == row["referral_id"]).values(**values))
    await _remember(unit, event, row["referral_id"])
    return True


async def _remember(unit: Unit, event: RiskDetected, referral_id: str) -> None:
    await unit.session.execute(models.detections.insert().values(
        risk_id=str(event.risk_id), referral_id=referral_id, occurred_at=store.utc(event.occurred_at)))


# -- facilities move referrals along -------------------------------------------------------------
class NotFound(LookupError):
    """No such referral."""


@dataclass(frozen=True)
class Answer:
    """The outcome of a status request and the referral as it is now."""

    outcome: lifecycle.Outcome
    referral: dict[str, Any]


async def change_status(unit: Unit, referral_id: str, change: StatusChange, facility_id: str, now: datetime) -> Answer:
    """Apply a facility's status update (the row is locked, so concurrent requests serialise)."""
    session, t, now = unit.session, models.referrals, store.utc(now)
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
        referral_id=row["referral_id"], status=status, at=store.utc(at), offset_minutes=store.offset_minutes(at),
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


# -- overdue ---------------------------------------------------------------------------------------
async def mark_overdue(unit: Unit, now: datetime, grace: timedelta, limit: int = 500) -> int:
    """Raise the alarm on waiting referrals whose stored deadline plus grace has passed."""
    t, now = models.referrals, store.utc(now)
    cutoff = store.utc(lifecycle.overdue_cutoff(now, grace))
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


# -- person links ----------------------------------------------------------------------------------
async def relink(unit: Unit, event: PersonLinked, now: datetime) -> None:
    """A child's provisional id became its NIK id; two open referrals for one risk are merged."""
    session, t, now = unit.session, models.referrals, store.utc(now)
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


# -- reads -----------------------------------------------------------------------------------------
async def get_referral(session: Any, referral_id: str) -> dict[str, Any] | None:
    """One referral with its history, or None."""
    t = models.referrals
    row = (await session.execute(select(t).where(t.c.referral_id == referral_id))).mappings().first()
    if row is None:
        return None
    return store.view(row, (await store.steps_of(session, [referral_id]))[referral_id])


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
        query = query.where(t.c.updated_at >= store.utc(since))
    if after is not None:
        at, rid = store.utc(after[0]), after[1]
        query = query.where((t.c.updated_at > at) | ((t.c.updated_at == at) & (t.c.referral_id > rid)))
    rows = (await session.execute(query.order_by(t.c.updated_at, t.c.referral_id).limit(limit + 1))).mappings().all()
    more, rows = len(rows) > limit, rows[:limit]
    steps = await store.steps_of(session, [r["referral_id"] for r in rows])
    items = [store.view(r, steps[r["referral_id"]]) for r in rows]
    cursor = f"{items[-1]['updated_at']}|{items[-1]['referral_id']}" if more else None
    return Page(items, cursor)
