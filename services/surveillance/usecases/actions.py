"""The signal lifecycle's use cases: a district admin verifies or closes; the clock escalates.

Every change is one UPDATE conditional on the state it was judged from, plus one ``signal_steps``
row, plus one event whose id is derived from the signal and the status it records (each status is
reached at most once), so a retried request, a second replica or a rerun checker cannot emit a
different copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from services.surveillance import models, store
from services.surveillance.domain import lifecycle
from shared.time import utc
from shared.unit import Unit


class NotFound(LookupError):
    """No such signal."""


@dataclass(frozen=True)
class Actor:
    """Who acts: the public id of an admin token and the region code it covers (prefix)."""

    token_id: str
    region: str

    def covers(self, row: Any) -> bool:
        villages = [v for v in row["village_codes"].split(";") if v] or [row["village_code"]]
        return any(v.startswith(self.region) for v in [row["village_code"], *villages])


@dataclass(frozen=True)
class Answer:
    """The outcome of a request and the signal as it is now."""

    outcome: lifecycle.Outcome
    signal: dict[str, Any]


async def act(unit: Unit, signal_id: str, request: lifecycle.Request, actor: Actor, now: datetime) -> Answer:
    """Apply an admin's step (the row is locked, so concurrent requests serialise); forbidden outside the region."""
    session, s = unit.session, models.signals
    row = (await session.execute(select(s).where(s.c.signal_id == signal_id).with_for_update())).mappings().first()
    if row is None:
        raise NotFound(signal_id)
    if not actor.covers(row):
        return Answer(lifecycle.Outcome("forbidden", "the signal lies outside the token's region"), store.view(row))
    earlier = await session.scalar(select(models.steps.c.request_id).where(
        models.steps.c.signal_id == signal_id, models.steps.c.status == request.status))
    outcome = lifecycle.decide(row["status"], request, earlier)
    if outcome.kind != "applied":
        return Answer(outcome, store.view(row))
    changed = await _change(unit, row, request.status, utc(now), outcome_=request.outcome, note=request.note,
                            actor=actor, request_id=request.request_id)
    return Answer(outcome, store.view(changed))


async def _change(unit: Unit, row: Any, status: str, at: datetime, *, outcome_: str | None = None,
                  note: str | None = None, actor: Actor | None = None, request_id: str | None = None) -> Any:
    """Move one signal from ``row['status']`` to ``status``; record the step; emit the event."""
    s = models.signals
    changed = (await unit.session.execute(
        update(s).where(s.c.signal_id == row["signal_id"], s.c.status == row["status"])
        .values(status=status, outcome=outcome_, note=note, actor_token_id=actor.token_id if actor else None,
                changed_at=at, revision=s.c.revision + 1).returning(*s.c))).mappings().one()
    await _record(unit, changed, row["status"], actor, request_id)
    return changed


async def _record(unit: Unit, row: Any, previous: str, actor: Actor | None, request_id: str | None) -> None:
    await unit.session.execute(models.steps.insert().values(
        signal_id=row["signal_id"], status=row["status"], at=row["changed_at"], outcome=row["outcome"],
        note=row["note"], actor_token_id=actor.token_id if actor else None,
        actor_region=actor.region if actor else None, request_id=request_id))
    unit.emit(store.signal_event(row, previous_status=previous),
              event_id=store.event_id_for(row["signal_id"], row["status"]))


async def escalate_due(unit: Unit, now: datetime, limit: int = 500) -> int:
    """Escalate signals still ``signalled`` at their stored ``escalate_at``; returns how many.

    The conditional UPDATE makes the escalation single: on PostgreSQL a second replica's UPDATE
    waits for the first and then finds the status changed, so it returns no row and emits nothing.
    The step's time is the deadline itself, so every replica would write the same event.
    """
    s, now = models.signals, utc(now)
    candidates = (select(s.c.signal_id).where(s.c.status == "signalled", s.c.escalate_at <= now)
                  .order_by(s.c.escalate_at).limit(limit).with_for_update(skip_locked=True))
    ids = list((await unit.session.scalars(candidates)).all())
    if not ids:
        return 0
    flipped = (await unit.session.execute(
        update(s).where(s.c.signal_id.in_(ids), s.c.status == "signalled", s.c.escalate_at <= now)
        .values(status="escalated", changed_at=s.c.escalate_at, note=None, revision=s.c.revision + 1)
        .returning(*s.c))).mappings().all()
    for row in flipped:
        await _record(unit, row, "signalled", None, None)
    return len(flipped)
