"""Screening's use case: screen recorded visits against each person's history, emit the results, keep the history.

History rows are keyed by the visit that produced them and inserted-or-ignored, so a redelivered visit (after
the inbox forgot it) changes nothing; a visit's own rows are left out of its history, so it is screened the
same way again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from services.screening import domain, models
from services.screening.domain import (
    DEFAULT,
    History,
    PregnancyRecord,
    ScreeningConfig,
    ServiceRecord,
)
from shared.contracts.events import (
    PersonLinked,
    RiskDetected,
    VisitFacts,
    VisitRecorded,
    VisitScreened,
)
from shared.messaging.consumer import BatchUnit
from shared.unit import Reject, Unit

HISTORY_WEIGHINGS = 6  # the weighings of the last months are enough for N/T/2T
CHUNK = 500


@dataclass
class _Person:
    """One person's history rows, each with the visit that produced it."""

    weighings: list[tuple[str, date, float]] = field(default_factory=list)
    pregnancy: list[PregnancyRecord] = field(default_factory=list)
    doses: list[tuple[str, str, date]] = field(default_factory=list)
    services: list[tuple[str, ServiceRecord]] = field(default_factory=list)

    def history(self, visit_id: str, on: date) -> History:
        """The history of a visit: every row but its own; weighings before its date, the latest first."""
        earlier = sorted(((d, kg) for v, d, kg in self.weighings if v != visit_id and d < on), reverse=True)
        return History(
            weighings=tuple(earlier[:HISTORY_WEIGHINGS]),
            pregnancy=tuple(r for r in self.pregnancy if r.visit_id != visit_id),
            doses=tuple((a, d) for v, a, d in self.doses if v != visit_id),
            services=tuple(s for v, s in self.services if v != visit_id),
        )


async def _load(unit: Unit, events: list[VisitRecorded]) -> dict[str, _Person]:
    """Four queries for the whole batch (chunked): weighings, pregnancy visits, doses, services."""
    people: dict[str, _Person] = defaultdict(_Person)
    children = sorted({e.person_id for e in events if e.stage == "under_five"})
    mothers = sorted({e.person_id for e in events if e.pregnancy is not None})
    everyone = sorted({e.person_id for e in events})
    w, a, d, s = models.weighings, models.anc_contacts, models.immunization_doses, models.person_services
    for start in range(0, len(children), CHUNK):
        ids = children[start:start + CHUNK]
        rows = await unit.session.execute(select(w.c.person_id, w.c.visit_id, w.c.occurred_on, w.c.weight_kg)
                                          .where(w.c.person_id.in_(ids)))
        for person, visit, on, kg in rows:
            people[person].weighings.append((visit, on, kg))
        rows = await unit.session.execute(select(d.c.person_id, d.c.visit_id, d.c.antigen, d.c.occurred_on)
                                          .where(d.c.person_id.in_(ids)))
        for person, visit, antigen, on in rows:
            people[person].doses.append((visit, antigen, on))
    for start in range(0, len(mothers), CHUNK):
        rows = await unit.session.execute(select(a).where(a.c.person_id.in_(mothers[start:start + CHUNK])))
        for r in rows.mappings():
            people[r["person_id"]].pregnancy.append(PregnancyRecord(
                visit_id=r["visit_id"], occurred_on=r["occurred_on"], order=r["visit_order"] or 0.0,
                conception_on=r["conception_on"], gestational_weeks=r["gestational_weeks"], anc_by=r["anc_by"],
                ultrasound=bool(r["ultrasound"]), anc_visit_number=r["anc_visit_number"],
                pregnancy_id=r["pregnancy_id"], milestones=r["milestones"] or ""))
    for start in range(0, len(everyone), CHUNK):
        rows = await unit.session.execute(select(s.c.person_id, s.c.visit_id, s.c.kind, s.c.occurred_on, s.c.value)
                                          .where(s.c.person_id.in_(everyone[start:start + CHUNK])))
        for person, visit, kind, on, value in rows:
            people[person].services.append((visit, ServiceRecord(kind, on, value)))
    return people


async def _insert_new(unit: Unit, table: Table, rows: list[dict]) -> None:
    """Insert rows, ignoring those whose key is already there (a redelivered visit)."""
    if not rows:
        return
    dialect = unit.session.bind.dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    for start in range(0, len(rows), CHUNK):
        await unit.session.execute(insert(table).on_conflict_do_nothing(), rows[start:start + CHUNK])


async def screen_batch(unit: BatchUnit, config: ScreeningConfig = DEFAULT) -> list[domain.Screening]:
    """Screen every recorded visit of a batch in order; emit *visit screened* and *risk detected*.

    A person seen twice in one batch has the first visit in the history of the second.
    """
    events = []
    for message in unit.messages:
        event = message.body.data
        if not isinstance(event, VisitRecorded):
            raise Reject(f"unexpected event type {message.body.type}")
        events.append(event)
    people = await _load(unit, events)
    rows: dict[str, list[dict]] = defaultdict(list)
    results = []
    for event in events:
        vid, on, pid = str(event.visit_id), event.occurred_at.date(), event.person_id
        person = people[pid]
        visit = domain.from_recorded(event)
        result = domain.evaluate(visit, person.history(vid, on), config)
        results.append(result)
        recs = domain.records_of(visit, result, config.kn_windows, config.kf_windows)
        if recs.weighing is not None:
            person.weighings.append((vid, on, recs.weighing))
            rows["weighings"].append({"visit_id": vid, "person_id": pid, "occurred_on": on, "weight_kg": recs.weighing})
        p = recs.pregnancy
        if p is not None:
            person.pregnancy.append(p)
            rows["anc_contacts"].append({
                "visit_id": vid, "person_id": pid, "occurred_on": on, "conception_on": p.conception_on,
                "gestational_weeks": p.gestational_weeks, "visit_order": p.order, "anc_by": p.anc_by,
                "ultrasound": p.ultrasound, "anc_visit_number": p.anc_visit_number, "pregnancy_id": p.pregnancy_id,
                "milestones": p.milestones})
        for antigen in dict.fromkeys(recs.doses):
            person.doses.append((vid, antigen, on))
            rows["immunization_doses"].append({"visit_id": vid, "antigen": antigen, "person_id": pid, "occurred_on": on})
        for service in recs.services:
            person.services.append((vid, service))
            rows["person_services"].append({"visit_id": vid, "kind": service.kind, "person_id": pid,
                                            "occurred_on": service.occurred_on, "value": service.value})
        _emit(unit, event, result)
    for name, table in (("weighings", models.weighings), ("anc_contacts", models.anc_contacts),
                        ("immunization_doses", models.immunization_doses),
                        ("person_services", models.person_services)):
        await _insert_new(unit, table, rows[name])
    return results


def screened_event(event: VisitRecorded, result: domain.Screening) -> VisitScreened:
    """The *visit screened* event of a recorded visit and its screening (with the PWS facts)."""
    return VisitScreened(
        visit_id=event.visit_id, person_id=event.person_id, facility_id=event.facility_id,
        village_code=event.village_code, occurred_at=event.occurred_at, stage=result.stage, sex=event.sex,
        age_days=event.age_days, zscores=result.zscores.contract(), flags=list(result.flags),
        risk_codes=[r.code for r in result.risks], ruleset_version=domain.RULESET_VERSION,
        facts=VisitFacts.model_validate(result.facts) if result.facts is not None else None,
    )


def _emit(unit: Unit, event: VisitRecorded, result: domain.Screening) -> None:
    unit.emit(screened_event(event, result), event_id=f"screened:{event.visit_id}:{domain.RULESET_VERSION}")
    for risk in result.risks:
        risk_id = domain.risk_id(event.visit_id, risk.code)
        unit.emit(
            RiskDetected(
                risk_id=risk_id, visit_id=event.visit_id, person_id=event.person_id, facility_id=event.facility_id,
                village_code=event.village_code, occurred_at=event.occurred_at, stage=result.stage, code=risk.code,
                cluster=risk.cluster, severity=risk.severity, evidence=risk.evidence,
                recommended_level=risk.recommended_level, ruleset_version=domain.RULESET_VERSION,
            ),
            event_id=risk_id,
        )


async def link_person(unit: Unit, event: PersonLinked) -> None:
    """A child's provisional id became its NIK id: its history follows."""
    for table in (models.weighings, models.anc_contacts, models.immunization_doses, models.person_services):
        await unit.session.execute(
            update(table).where(table.c.person_id == event.previous_person_id).values(person_id=event.person_id))
