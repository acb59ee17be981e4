"""Screening's use case: screen a recorded visit against the person's history, emit the results."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select, update

from services.screening import domain, models
from shared.contracts.events import (
    PersonLinked,
    RiskDetected,
    VisitRecorded,
    VisitScreened,
)
from shared.messaging.consumer import BatchUnit
from shared.unit import Reject, Unit

# Contacts whose estimated conception lies within this window belong to the same pregnancy.
SAME_PREGNANCY = timedelta(days=45)
HISTORY_WEIGHINGS = 6


@dataclass
class _Histories:
    """Earlier weighings and ANC contacts of the persons of one batch, kept up to date in memory."""

    weighings: dict[str, list[tuple[date, float]]] = field(default_factory=lambda: defaultdict(list))
    anc: dict[str, list[tuple[date, date]]] = field(default_factory=lambda: defaultdict(list))

    def of(self, event: VisitRecorded) -> domain.History:
        on = event.occurred_at.date()
        earlier = sorted((w for w in self.weighings.get(event.person_id, ()) if w[0] < on), reverse=True)
        anc = 0
        if event.pregnancy is not None:
            conception = on - timedelta(weeks=event.pregnancy.gestational_weeks)
            anc = sum(1 for occurred, conceived in self.anc.get(event.person_id, ())
                      if occurred < on and abs((conceived - conception).days) <= SAME_PREGNANCY.days)
        return domain.History(weighings=tuple(earlier[:HISTORY_WEIGHINGS]), anc_contacts=anc)


async def _load(unit: Unit, events: list[VisitRecorded]) -> _Histories:
    """Two queries for the whole batch: the children's weighings and the pregnant women's contacts."""
    histories = _Histories()
    children = sorted({e.person_id for e in events if e.stage == "under_five"})
    mothers = sorted({e.person_id for e in events if e.pregnancy is not None})
    w, a = models.weighings, models.anc_contacts
    for start in range(0, len(children), 500):
        rows = await unit.session.execute(select(w.c.person_id, w.c.occurred_on, w.c.weight_kg)
                                          .where(w.c.person_id.in_(children[start:start + 500])))
        for person, on, kg in rows:
            histories.weighings[person].append((on, kg))
    for start in range(0, len(mothers), 500):
        rows = await unit.session.execute(select(a.c.person_id, a.c.occurred_on, a.c.conception_on)
                                          .where(a.c.person_id.in_(mothers[start:start + 500])))
        for person, on, conceived in rows:
            histories.anc[person].append((on, conceived))
    return histories


async def screen_batch(unit: BatchUnit) -> list[domain.Screening]:
    """Screen every recorded visit of a batch in order; emit *visit screened* and *risk detected*.

    A person seen twice in one batch has the first visit in the history of the second.
    """
    events = []
    for message in unit.messages:
        event = message.body.data
        if not isinstance(event, VisitRecorded):
            raise Reject(f"unexpected event type {message.body.type}")
        events.append(event)
    histories = await _load(unit, events)
    weighings, contacts, results = [], [], []
    for event in events:
        result = domain.evaluate(domain.from_recorded(event), histories.of(event))
        results.append(result)
        on = event.occurred_at.date()
        m = event.measurements
        if event.stage == "under_five" and m.weight_kg is not None:
            histories.weighings[event.person_id].append((on, m.weight_kg))
            weighings.append({"visit_id": str(event.visit_id), "person_id": event.person_id, "occurred_on": on,
                              "weight_kg": m.weight_kg})
        if event.pregnancy is not None:
            conceived = on - timedelta(weeks=event.pregnancy.gestational_weeks)
            histories.anc[event.person_id].append((on, conceived))
            contacts.append({"visit_id": str(event.visit_id), "person_id": event.person_id, "occurred_on": on,
                             "conception_on": conceived, "gestational_weeks": event.pregnancy.gestational_weeks})
        _emit(unit, event, result)
    if weighings:
        await unit.session.execute(models.weighings.insert(), weighings)
    if contacts:
        await unit.session.execute(models.anc_contacts.insert(), contacts)
    return results


def _emit(unit: Unit, event: VisitRecorded, result: domain.Screening) -> None:
    unit.emit(
        VisitScreened(
            visit_id=event.visit_id, person_id=event.person_id, facility_id=event.facility_id,
            village_code=event.village_code, occurred_at=event.occurred_at, stage=result.stage, sex=event.sex,
            age_days=event.age_days, zscores=result.zscores, flags=list(result.flags),
            risk_codes=[r.code for r in result.risks], ruleset_version=domain.RULESET_VERSION,
        ),
        event_id=f"screened:{event.visit_id}:{domain.RULESET_VERSION}",
    )
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
    for table in (models.weighings, models.anc_contacts):
        await unit.session.execute(
            update(table).where(table.c.person_id == event.previous_person_id).values(person_id=event.person_id))
