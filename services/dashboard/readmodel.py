"""Writing the read model, one consumed batch at a time.

The dashboard consumes with a *batch handler* (``shared.service.Service.consume(batch_handler=)``):
the shared consumer hands it every new event of a batch in one SAVEPOINT. Each event is first
*staged* (:func:`stage`, pure: what the event means for the read model), the stagings are merged
(:class:`Pending`), and :func:`flush` writes the lot: one SELECT of the persons involved, then one
multi-row upsert per table (``INSERT ... ON CONFLICT DO UPDATE`` on SQLite and PostgreSQL), rows
sorted by key so concurrent replicas lock in the same order. If anything in a batch fails, the
shared consumer falls back to one event at a time, which isolates and dead-letters a poison event.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import and_, bindparam, case, delete, func, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from services.dashboard import domain, models
from shared.contracts.events import (
    EventData,
    FacilityRegistered,
    PersonLinked,
    ReferralMade,
    ReferralUpdated,
    TargetSet,
)

CHUNK = 500
ALL = "*"  # "every area changed" (facilities, targets)


def utc(moment: datetime) -> datetime:
    """Aware UTC (SQLite gives naive datetimes back; they are stored as UTC)."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


@dataclass(frozen=True)
class Observation:
    """One person-level verdict: ``person_id`` measured for ``indicator`` at ``at``."""

    person_id: str
    indicator: str
    period: str
    village: str
    at: datetime
    positive: bool


@dataclass(frozen=True)
class Link:
    """``previous`` (a provisional id) is now ``person_id``."""

    previous: str
    person_id: str


@dataclass
class ReferralPatch:
    """What the events of one referral say about it; merged in the batch, then upserted."""

    referral_id: str
    village_code: str
    period: str
    made_at: datetime
    status: str
    status_at: datetime
    due_at: datetime | None = None
    urgency: str | None = None
    destination_level: str | None = None
    feedback: bool = False

    @property
    def rank(self) -> int:
        return domain.REFERRAL_RANK.get(self.status, 0)

    def merge(self, other: ReferralPatch) -> None:
        for name in ("due_at", "urgency", "destination_level"):
            if getattr(other, name) is not None:
                setattr(self, name, getattr(other, name))
        if (other.status_at, other.rank) >= (self.status_at, self.rank):
            self.status, self.status_at = other.status, other.status_at
        self.feedback = self.feedback or other.feedback

    def row(self) -> dict:
        return {"referral_id": self.referral_id, "village_code": self.village_code, "period": self.period,
                "made_at": self.made_at, "due_at": self.due_at, "urgency": self.urgency,
                "destination_level": self.destination_level, "status": self.status, "status_rank": self.rank,
                "status_at": self.status_at, "feedback": self.feedback}


@dataclass
class Pending:
    """Everything a transaction's events will change, in arrival order where order matters."""

    counts: Counter = field(default_factory=Counter)  # (village, period, indicator) -> events
    ops: list[Observation | Link] = field(default_factory=list)
    fresh: dict[str, datetime] = field(default_factory=dict)  # village -> latest event time
    targets: dict[tuple[str, int, str], int] = field(default_factory=dict)
    facilities: dict[str, FacilityRegistered] = field(default_factory=dict)
    referrals: dict[str, ReferralPatch] = field(default_factory=dict)
    villages: set[str] = field(default_factory=set)  # changed areas, for live pages

    def merge(self, other: Pending) -> None:
        self.counts.update(other.counts)
        self.ops.extend(other.ops)
        for village, at in other.fresh.items():
            if village not in self.fresh or at > self.fresh[village]:
                self.fresh[village] = at
        self.targets.update(other.targets)
        for fid, facility in other.facilities.items():
            old = self.facilities.get(fid)
            if old is None or facility.revision >= old.revision:
                self.facilities[fid] = facility
        for rid, patch in other.referrals.items():
            if rid in self.referrals:
                self.referrals[rid].merge(patch)
            else:
                self.referrals[rid] = patch
        self.villages |= other.villages

    def __bool__(self) -> bool:
        return bool(self.counts or self.ops or self.fresh or self.targets or self.facilities or self.referrals)


def stage(event_data: EventData, registry: Iterable[domain.Indicator]) -> Pending:
    """What one event means for the read model (pure; raises on data it cannot use)."""
    staged = Pending()
    if isinstance(event_data, TargetSet):
        staged.targets[(event_data.village_code, event_data.year, event_data.target)] = event_data.count
        staged.villages.add(ALL)
        return staged
    if isinstance(event_data, FacilityRegistered):
        staged.facilities[event_data.facility_id] = event_data
        staged.villages.add(ALL)
        return staged
    if isinstance(event_data, PersonLinked):
        staged.ops.append(Link(event_data.previous_person_id, event_data.person_id))
        staged.villages.add(ALL)
        return staged
    when = event_data.event_time()
    village = getattr(event_data, "village_code", None)
    if when is None or village is None:
        return staged
    period = domain.period_of(when)  # the month in the event's own offset (WIB/WITA/WIT)
    at = utc(when)
    for indicator, verdict in domain.verdicts(registry, event_data):
        if indicator.kind == "count":
            staged.counts[(village, period, indicator.id)] += int(verdict)
        else:
            staged.ops.append(Observation(str(event_data.person_id), indicator.id, period, village, at, verdict))
    if isinstance(event_data, ReferralMade):
        staged.referrals[str(event_data.referral_id)] = ReferralPatch(
            referral_id=str(event_data.referral_id), village_code=village, period=period, made_at=at,
            status="made", status_at=at, due_at=utc(event_data.due_at), urgency=event_data.urgency,
            destination_level=event_data.destination_level)
    elif isinstance(event_data, ReferralUpdated):
        made = event_data.made_at
        staged.referrals[str(event_data.referral_id)] = ReferralPatch(
            referral_id=str(event_data.referral_id), village_code=village, period=domain.period_of(made),
            made_at=utc(made), status=event_data.status, status_at=at,
            feedback=event_data.status == "completed" and bool(event_data.feedback))
    staged.fresh[village] = at
    staged.villages.add(village)
    return staged


async def write(session: AsyncSession, pending: Pending) -> None:
    """Write a batch's staging in the caller's transaction."""
    if pending:
        await session.run_sync(lambda sync: flush(sync, pending))


# -- the flush -------------------------------------------------------------------------------

def _insert(dialect: str, table):  # noqa: ANN001, ANN202
    return (sqlite_insert if dialect == "sqlite" else pg_insert)(table)


def flush(session: Session, pending: Pending, now: datetime | None = None) -> None:
    """Write a batch's staging: person states, cell deltas, freshness, reference data."""
    dialect = session.get_bind().dialect.name
    now = now or datetime.now(timezone.utc)
    deltas: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (village, period, indicator), n in pending.counts.items():
        d = deltas[(village, period, indicator)]
        d[0] += n
        d[2] += n
    if pending.ops:
        _persons(session, dialect, pending.ops, deltas)
    _cells(session, dialect, deltas)
    if pending.fresh:
        _freshness(session, dialect, pending.fresh, now)
    if pending.targets:
        _targets(session, dialect, pending.targets)
    if pending.facilities:
        _facilities(session, dialect, pending.facilities.values())
    if pending.referrals:
        _referrals(session, dialect, pending.referrals.values())


State = dict[tuple[str, str], dict[str, tuple[datetime, str, bool]]]  # (person, ind) -> period -> (at, village, +)


def _load_persons(session: Session, ops: list[Observation | Link]) -> State:
    t = models.person_status
    persons: set[str] = set()
    years: set[str] = set()
    linked = False
    for op in ops:
        if isinstance(op, Observation):
            persons.add(op.person_id)
            years.add(op.period[:4])
        else:
            persons.update((op.previous, op.person_id))
            linked = True
    state: State = defaultdict(dict)
    ids = sorted(persons)
    for start in range(0, len(ids), CHUNK):
        query = select(t.c.person_id, t.c.indicator, t.c.period, t.c.occurred_at, t.c.village_code, t.c.numerator) \
            .where(t.c.person_id.in_(ids[start:start + CHUNK]))
        if not linked:  # only the years touched matter for the year-to-date arithmetic
            query = query.where(t.c.period >= min(years) + "-01", t.c.period <= max(years) + "-12")
        for person, indicator, period, at, village, positive in session.execute(query):
            state[(person, indicator)][period] = (utc(at), village, bool(positive))
    return state


def _persons(session: Session, dialect: str, ops: list[Observation | Link],
             deltas: dict[tuple[str, str, str], list[int]]) -> None:
    state = _load_persons(session, ops)
    original = {key: dict(rows) for key, rows in state.items()}
    touched: set[tuple[str, str]] = set()
    for op in ops:
        if isinstance(op, Observation):
            key = (op.person_id, op.indicator)
            rows = state[key]
            current = rows.get(op.period)
            if domain.latest_wins(current, op.at):
                rows[op.period] = (op.at, op.village, op.positive)
            touched.add(key)
        else:
            for (person, indicator) in [k for k in state if k[0] == op.previous]:
                into = state[(op.person_id, indicator)]
                for period, value in state.pop((person, indicator)).items():
                    if domain.latest_wins(into.get(period), value[0]):
                        into[period] = value
                touched.update({(person, indicator), (op.person_id, indicator)})
    upserts, deletes = [], []
    for key in sorted(touched):
        old, new = original.get(key, {}), state.get(key, {})
        if old == new:
            continue
        person, indicator = key
        for year in sorted({p[:4] for p in old} | {p[:4] for p in new}):
            change = domain.delta({p: (v[1], v[2]) for p, v in old.items() if p.startswith(year)},
                                  {p: (v[1], v[2]) for p, v in new.items() if p.startswith(year)})
            for (village, period), tally in change.items():
                d = deltas[(village, period, indicator)]
                for i in range(4):
                    d[i] += tally[i]
        for period, (at, village, positive) in sorted(new.items()):
            if old.get(period) != (at, village, positive):
                upserts.append({"person_id": person, "indicator": indicator, "period": period,
                                "village_code": village, "occurred_at": at, "numerator": positive})
        deletes += [{"p": person, "i": indicator, "d": period} for period in sorted(set(old) - set(new))]
    t = models.person_status
    if deletes:
        session.execute(delete(t).where(t.c.person_id == bindparam("p"), t.c.indicator == bindparam("i"),
                                        t.c.period == bindparam("d")), deletes)
    if upserts:
        stmt = _insert(dialect, t)
        stmt = stmt.on_conflict_do_update(
            index_elements=[t.c.person_id, t.c.indicator, t.c.period],
            set_={"village_code": stmt.excluded.village_code, "occurred_at": stmt.excluded.occurred_at,
                  "numerator": stmt.excluded.numerator})
        for start in range(0, len(upserts), CHUNK):
            session.execute(stmt, upserts[start:start + CHUNK])


def _cells(session: Session, dialect: str, deltas: dict[tuple[str, str, str], list[int]]) -> None:
    rows = [{"village_code": v, "period": p, "indicator": i, "numerator": d[0], "measured": d[1],
             "ytd_numerator": d[2], "ytd_measured": d[3]}
            for (v, p, i), d in sorted(deltas.items()) if any(d)]
    if not rows:
        return
    t = models.cells
    stmt = _insert(dialect, t)
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.c.village_code, t.c.period, t.c.indicator],
        set_={name: t.c[name] + stmt.excluded[name] for name in ("numerator", "measured", "ytd_numerator", "ytd_measured")})
    for start in range(0, len(rows), CHUNK):
        session.execute(stmt, rows[start:start + CHUNK])


def _freshness(session: Session, dialect: str, fresh: dict[str, datetime], now: datetime) -> None:
    t = models.freshness
    rows = [{"village_code": v, "last_event_at": min(at, now), "received_at": now} for v, at in sorted(fresh.items())]
    stmt = _insert(dialect, t)
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.c.village_code],
        set_={"last_event_at": case((stmt.excluded.last_event_at > t.c.last_event_at, stmt.excluded.last_event_at),
                                    else_=t.c.last_event_at),
              "received_at": stmt.excluded.received_at})
    session.execute(stmt, rows)


def _targets(session: Session, dialect: str, targets: dict[tuple[str, int, str], int]) -> None:
    t = models.targets
    rows = [{"village_code": v, "year": y, "target": g, "count": c} for (v, y, g), c in sorted(targets.items())]
    stmt = _insert(dialect, t)
    stmt = stmt.on_conflict_do_update(index_elements=[t.c.village_code, t.c.year, t.c.target],
                                      set_={"count": stmt.excluded["count"]})
    session.execute(stmt, rows)


def _facilities(session: Session, dialect: str, facilities: Iterable[FacilityRegistered]) -> None:
    t = models.facilities
    rows = [{"facility_id": f.facility_id, "name": f.name, "type": f.type, "parent_id": f.parent_id,
             "village_code": f.village_code, "active": f.active, "revision": f.revision}
            for f in sorted(facilities, key=lambda f: f.facility_id)]
    stmt = _insert(dialect, t)
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.c.facility_id],
        set_={name: stmt.excluded[name] for name in ("name", "type", "parent_id", "village_code", "active", "revision")},
        where=stmt.excluded.revision >= t.c.revision)
    session.execute(stmt, rows)


def _referrals(session: Session, dialect: str, patches: Iterable[ReferralPatch]) -> None:
    t = models.referrals
    rows = [p.row() for p in sorted(patches, key=lambda p: p.referral_id)]
    stmt = _insert(dialect, t)
    ex = stmt.excluded
    newer = or_(ex.status_at > t.c.status_at, and_(ex.status_at == t.c.status_at, ex.status_rank >= t.c.status_rank))
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.c.referral_id],
        set_={"due_at": func.coalesce(ex.due_at, t.c.due_at),
              "urgency": func.coalesce(ex.urgency, t.c.urgency),
              "destination_level": func.coalesce(ex.destination_level, t.c.destination_level),
              "status": case((newer, ex.status), else_=t.c.status),
              "status_rank": case((newer, ex.status_rank), else_=t.c.status_rank),
              "status_at": case((newer, ex.status_at), else_=t.c.status_at),
              "feedback": or_(t.c.feedback, ex.feedback)})
    session.execute(stmt, rows)

