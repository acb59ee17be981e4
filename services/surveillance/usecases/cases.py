"""Surveillance's use cases on the bus: keep the network, count cases, raise signals.

A visit is a case of every catalogue disease its ``syndromes`` or ``diagnoses`` name, in the ISO
week of its event time. A person counts once per disease and week (SKDR counts new cases), so a
redelivered, replayed or repeated visit adds nothing. Each new case increments its village's count
and its Puskesmas area's count for that week; every area, disease and week whose count changed is
then judged by its rule against the area's own previous weeks. A late report lands in its own
week and re-evaluates that week. One area, disease and week has at most one signal, with a
deterministic id, and it is emitted once, when its row is inserted.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, tuple_

from services.surveillance import models, store
from services.surveillance.domain import areas, lifecycle, rules, weeks
from services.surveillance.domain.catalogue import Disease, diseases_of
from services.surveillance.settings import SurveillanceSettings
from shared.contracts.events import (
    BaselineWeek,
    FacilityRegistered,
    OutbreakSignal,
    SignalCase,
    SignalCounts,
    SignalEvidence,
    SignalRule,
    VisitRecorded,
)
from shared.time import utc
from shared.unit import Unit

log = logging.getLogger(__name__)
CHUNK = 400  # rows per IN (...) list
Key = tuple[str, str, str, str]  # area kind, area code, disease, ISO week


@dataclass(frozen=True)
class Case:
    """One case: a person with a disease in an ISO week, from one visit."""

    disease: str
    week: str
    person_id: str
    visit_id: str
    village_code: str
    facility_id: str
    occurred_at: datetime

    @property
    def key(self) -> tuple[str, str, str]:
        return self.disease, self.week, self.person_id


def cases_of(visit: VisitRecorded, diseases: Mapping[str, Disease]) -> list[Case]:
    """The cases one visit is (none for most visits)."""
    if not visit.syndromes and not visit.diagnoses:
        return []
    week = weeks.week_of(visit.occurred_at)
    return [Case(d, week, visit.person_id, str(visit.visit_id), visit.village_code, visit.facility_id,
                 visit.occurred_at) for d in sorted(diseases_of(visit.syndromes, visit.diagnoses, diseases))]


# -- the network -----------------------------------------------------------------------------------
async def upsert_facilities(unit: Unit, events: Sequence[FacilityRegistered]) -> None:
    """Keep the network (newest revision wins), then the catchments and Puskesmas counts that changed."""
    session, t = unit.session, models.facilities
    ids = [e.facility_id for e in events]
    known = dict((await session.execute(select(t.c.facility_id, t.c.revision).where(t.c.facility_id.in_(ids)))).all())
    for event in events:
        values = dict(type=event.type, parent_id=event.parent_id, village_code=event.village_code,
                      active=event.active, revision=event.revision)
        if event.facility_id not in known:
            await session.execute(t.insert().values(facility_id=event.facility_id, **values))
        elif event.revision >= known[event.facility_id]:
            await session.execute(t.update().where(t.c.facility_id == event.facility_id).values(**values))
        else:
            continue
        known[event.facility_id] = event.revision
    await refresh_catchment(unit)


async def refresh_catchment(unit: Unit) -> set[str]:
    """Recompute village -> Puskesmas from the network; recount the Puskesmas areas that changed."""
    session, c = unit.session, models.catchment
    network = {r.facility_id: areas.Facility(r.facility_id, r.type, r.parent_id, r.village_code, r.active)
               for r in (await session.execute(select(models.facilities))).all()}
    new = areas.catchment(network)
    old = dict((await session.execute(select(c.c.village_code, c.c.puskesmas_id))).all())
    changed = {v for v in set(old) | set(new) if old.get(v) != new.get(v)}
    if not changed:
        return set()
    await session.execute(delete(c).where(c.c.village_code.in_(changed)))
    rows = [{"village_code": v, "puskesmas_id": new[v]} for v in sorted(changed) if v in new]
    if rows:
        await session.execute(c.insert(), rows)
    affected = {old[v] for v in changed if v in old} | {new[v] for v in changed if v in new}
    await _recount_puskesmas(unit, affected, areas.villages_by_puskesmas(new))
    return affected


async def _recount_puskesmas(unit: Unit, puskesmas_ids: Iterable[str], villages: Mapping[str, list[str]]) -> None:
    """Rebuild the weekly counts of some Puskesmas areas from their villages' cases (no signals raised)."""
    session, w, k = unit.session, models.weekly_counts, models.cases
    for puskesmas in sorted(puskesmas_ids):
        await session.execute(delete(w).where(w.c.area_kind == "puskesmas", w.c.area_code == puskesmas))
        members = villages.get(puskesmas, [])
        if not members:
            continue
        counted = (await session.execute(select(k.c.disease, k.c.week, func.count()).where(
            k.c.village_code.in_(members)).group_by(k.c.disease, k.c.week))).all()
        if counted:
            await session.execute(w.insert(), [{"area_kind": "puskesmas", "area_code": puskesmas, "disease": d,
                                                "week": week, "count": n} for d, week, n in counted])


# -- cases and signals -----------------------------------------------------------------------------
async def record_visits(unit: Unit, visits: Sequence[VisitRecorded], settings: SurveillanceSettings,
                        now: datetime) -> list[OutbreakSignal]:
    """Count the cases of some visits (in order) and raise the signals they tip. Returns the new signals.

    A batch decides exactly as its visits would one at a time: the counts are incremented first
    (the UPSERT locks the rows), then replayed case by case in memory from the counts before the
    batch, so the signal names the visit that tipped it, with the count and evidence of that moment.
    """
    candidates: dict[tuple[str, str, str], Case] = {}
    for visit in visits:
        for case in cases_of(visit, settings.diseases):
            candidates.setdefault(case.key, case)
    if not candidates:
        return []
    fresh = await _insert_new(unit, list(candidates.values()), now)
    if not fresh:
        return []
    village_to_puskesmas = await _puskesmas_of(unit, {c.village_code for c in fresh})
    keys_of: list[list[Key]] = []
    deltas: dict[Key, int] = defaultdict(int)
    for case in fresh:
        keys = [("village", case.village_code, case.disease, case.week)]
        if case.village_code in village_to_puskesmas:
            keys.append(("puskesmas", village_to_puskesmas[case.village_code], case.disease, case.week))
        keys_of.append(keys)
        for key in keys:
            deltas[key] += 1
    totals = await _increment(unit, deltas)
    counts = {key: totals[key] - deltas[key] for key in deltas}  # as before this batch
    existing = await _existing_signals(unit, deltas)
    watched = {k for k in _watched(deltas, settings, weeks.week_of(now)) if store.area_key(*k) not in existing}
    await _load_baselines(unit, counts, watched, settings)
    tipped: list[tuple[Key, rules.Decision, int]] = []
    for index, keys in enumerate(keys_of):
        for key in keys:
            counts[key] += 1
            if key not in watched:
                continue
            rule = settings.diseases[key[2]].rule(key[0])
            baseline = [(w, counts.get((*key[:3], w), 0)) for w in weeks.previous(key[3], rule.baseline_weeks)]
            decision = rules.decide(rule, counts[key], baseline)
            if decision.signal:
                watched.discard(key)
                tipped.append((key, decision, index))
    return [await _raise(unit, key, decision, fresh, index, settings, now) for key, decision, index in tipped]


def _watched(keys: Iterable[Key], settings: SurveillanceSettings, now_week: str) -> set[Key]:
    """The keys judged at all: a rule at that level, and a week not older than the limit."""
    return {key for key in keys if settings.diseases[key[2]].rule(key[0]) is not None
            and weeks.age(key[3], now_week) <= settings.signal_max_age_weeks}


async def _load_baselines(unit: Unit, counts: dict[Key, int], watched: set[Key],
                          settings: SurveillanceSettings) -> None:
    """Add to ``counts`` the stored counts of the previous weeks the watched keys compare with."""
    w = models.weekly_counts
    wanted = {(*key[:3], label) for key in watched
              for label in weeks.previous(key[3], settings.diseases[key[2]].rule(key[0]).baseline_weeks)}
    wanted -= set(counts)
    ordered = sorted(wanted)
    for start in range(0, len(ordered), CHUNK):
        part = ordered[start:start + CHUNK]
        rows = (await unit.session.execute(select(w.c.area_kind, w.c.area_code, w.c.disease, w.c.week, w.c.count).where(
            tuple_(w.c.area_kind, w.c.area_code, w.c.disease, w.c.week).in_(part)))).all()
        counts.update({(k, c, d, wk): n for k, c, d, wk, n in rows})


async def _insert_new(unit: Unit, candidates: list[Case], now: datetime) -> list[Case]:
    """Insert the cases not counted yet (``ON CONFLICT DO NOTHING``, so a concurrent writer of the
    same case is no error); returns the ones this transaction inserted, in input order."""
    session, k = unit.session, models.cases
    inserted: set[tuple[str, str, str]] = set()
    for start in range(0, len(candidates), CHUNK):
        rows = [{"disease": c.disease, "week": c.week, "person_id": c.person_id, "visit_id": c.visit_id,
                 "village_code": c.village_code, "facility_id": c.facility_id,
                 "occurred_at": utc(c.occurred_at), "offset_minutes": store.offset_minutes(c.occurred_at),
                 "recorded_at": utc(now)} for c in candidates[start:start + CHUNK]]
        stmt = (store.insert_for(session, k).values(rows)
                .on_conflict_do_nothing(index_elements=[k.c.disease, k.c.week, k.c.person_id])
                .returning(k.c.disease, k.c.week, k.c.person_id))
        inserted |= set((await session.execute(stmt)).all())
    return [c for c in candidates if c.key in inserted]


async def _puskesmas_of(unit: Unit, villages: set[str]) -> dict[str, str]:
    c = models.catchment
    return dict((await unit.session.execute(select(c.c.village_code, c.c.puskesmas_id)
                                            .where(c.c.village_code.in_(sorted(villages))))).all())


async def _increment(unit: Unit, deltas: Mapping[Key, int]) -> dict[Key, int]:
    """Add to the weekly counts (UPSERT, in key order so concurrent writers lock rows alike); new totals."""
    w = models.weekly_counts
    totals = {}
    for key in sorted(deltas):
        kind, code, disease, week = key
        stmt = store.insert_for(unit.session, w).values(area_kind=kind, area_code=code, disease=disease, week=week,
                                                        count=deltas[key])
        stmt = stmt.on_conflict_do_update(index_elements=[w.c.area_kind, w.c.area_code, w.c.disease, w.c.week],
                                          set_={"count": w.c.count + stmt.excluded.count}).returning(w.c.count)
        totals[key] = (await unit.session.execute(stmt)).scalar_one()
    return totals


async def _existing_signals(unit: Unit, keys: Iterable[Key]) -> set[str]:
    s = models.signals
    wanted = [store.area_key(*key) for key in keys]
    found: set[str] = set()
    for start in range(0, len(wanted), CHUNK):
        found |= set((await unit.session.scalars(select(s.c.area_key).where(
            s.c.area_key.in_(wanted[start:start + CHUNK])))).all())
    return found


async def _raise(unit: Unit, key: Key, decision: rules.Decision, fresh: list[Case], index: int,
                 settings: SurveillanceSettings, now: datetime) -> OutbreakSignal:
    """Insert the signal row and emit its ``signalled`` event; ``fresh[index]`` is the tipping case."""
    kind, code, disease, week = key
    signal_id = str(store.signal_id_for(kind, code, disease, week))
    if kind == "village":
        village, members = code, [code]
    else:
        c = models.catchment
        members = sorted((await unit.session.scalars(select(c.c.village_code).where(c.c.puskesmas_id == code))).all())
        f = models.facilities
        village = await unit.session.scalar(select(f.c.village_code).where(f.c.facility_id == code)) or members[0]
    tipping = fresh[index]
    later = {c.visit_id for c in fresh[index + 1:] if c.disease == disease and c.week == week}
    rule = SignalRule(method=decision.rule.method, params=decision.rule.params(), source=decision.rule.source,
                      confidence=decision.rule.confidence)
    counts = SignalCounts(this_week=decision.count, threshold=decision.threshold,
                          baseline=[BaselineWeek(week=w, count=n) for w, n in decision.baseline],
                          baseline_mean=decision.mean, baseline_sd=decision.sd)
    evidence = await _evidence(unit, disease, week, members, tipping.visit_id, settings.evidence_limit, later)
    raised_at = utc(now)
    row = dict(signal_id=signal_id, area_key=store.area_key(*key), area_kind=kind, area_code=code,
               village_code=village, village_codes=";".join(members), district_code=areas.district_of(village),
               disease=disease, week=week, status="signalled", outcome=None, note=None, actor_token_id=None,
               rule=rule.model_dump_json(), counts=counts.model_dump_json(), evidence=evidence.model_dump_json(),
               raised_at=raised_at, escalate_at=lifecycle.escalate_at(raised_at, settings.escalation_hours),
               changed_at=raised_at, revision=1)
    await unit.session.execute(models.signals.insert().values(**row))
    event = store.signal_event(row)
    unit.emit(event, event_id=store.event_id_for(signal_id, "signalled"))
    log.info("outbreak signal raised", extra={"signal_id": signal_id, "area": code, "disease": disease, "week": week,
                                              "count": decision.count, "threshold": decision.threshold})
    return event


async def _evidence(unit: Unit, disease: str, week: str, villages: list[str], tipping: str, limit: int,
                    later: set[str]) -> SignalEvidence:
    """The week's cases in the area up to the tipping one, earliest first (at most ``limit``).

    ``later`` are the visit ids of this batch's cases after the tipping one: not yet counted at
    that moment. Pseudonymous ids only.
    """
    k = models.cases
    rows = (await unit.session.execute(select(k).where(k.c.disease == disease, k.c.week == week,
                                                       k.c.village_code.in_(villages))
                                       .order_by(k.c.occurred_at, k.c.visit_id).limit(limit + 1 + len(later))
                                       )).mappings().all()
    rows = [r for r in rows if r["visit_id"] not in later]
    cases = [SignalCase(visit_id=r["visit_id"], person_id=r["person_id"], village_code=r["village_code"],
                        facility_id=r["facility_id"], occurred_at=store.local(r["occurred_at"], r["offset_minutes"]))
             for r in rows[:limit]]
    return SignalEvidence(tipping_visit_id=tipping, cases=cases, truncated=len(rows) > limit)
