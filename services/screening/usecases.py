"""Screening's use case: screen a recorded visit against the person's history, emit the results."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select, update

from services.screening import domain, models
from shared.contracts.events import PersonLinked, RiskDetected, VisitRecorded, VisitScreened
from shared.messaging.consumer import Unit

# Contacts whose estimated conception lies within this window belong to the same pregnancy.
SAME_PREGNANCY = timedelta(days=45)


async def load_history(unit: Unit, event: VisitRecorded) -> domain.History:
    """The person's earlier weighings and ANC contacts of the current pregnancy."""
    session = unit.session
    on = event.occurred_at.date()
    weighings: tuple = ()
    anc = 0
    if event.stage == "under_five":
        rows = await session.execute(
            select(models.weighings.c.occurred_on, models.weighings.c.weight_kg)
            .where(models.weighings.c.person_id == event.person_id, models.weighings.c.occurred_on < on)
            .order_by(models.weighings.c.occurred_on.desc()).limit(6)
        )
        weighings = tuple((r[0], r[1]) for r in rows)
    if event.pregnancy is not None:
        conception = on - timedelta(weeks=event.pregnancy.gestational_weeks)
        anc = await session.scalar(
            select(func.count()).select_from(models.anc_contacts).where(
                models.anc_contacts.c.person_id == event.person_id,
                models.anc_contacts.c.occurred_on < on,
                models.anc_contacts.c.conception_on.between(conception - SAME_PREGNANCY, conception + SAME_PREGNANCY),
            )
        ) or 0
    return domain.History(weighings=weighings, anc_contacts=int(anc))


async def remember(unit: Unit, event: VisitRecorded) -> None:
    """Keep what later screenings of this person need."""
    on = event.occurred_at.date()
    m = event.measurements
    if event.stage == "under_five" and m.weight_kg is not None:
        await unit.session.execute(models.weighings.insert().values(
            visit_id=str(event.visit_id), person_id=event.person_id, occurred_on=on, weight_kg=m.weight_kg))
    if event.pregnancy is not None:
        await unit.session.execute(models.anc_contacts.insert().values(
            visit_id=str(event.visit_id), person_id=event.person_id, occurred_on=on,
            conception_on=on - timedelta(weeks=event.pregnancy.gestational_weeks),
            gestational_weeks=event.pregnancy.gestational_weeks))


async def screen_visit(unit: Unit, event: VisitRecorded) -> domain.Screening:
    """Evaluate the rules; emit one ``visit screened`` and one ``risk detected`` per risk."""
    history = await load_history(unit, event)
    result = domain.evaluate(domain.from_recorded(event), history)
    await remember(unit, event)
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
    return result


async def link_person(unit: Unit, event: PersonLinked) -> None:
    """A child's provisional id became its NIK id: its history follows."""
    for table in (models.weighings, models.anc_contacts):
        await unit.session.execute(
            update(table).where(table.c.person_id == event.previous_person_id).values(person_id=event.person_id))
