"""What one screened visit adds to its person's history (pure): one copy for the service and the CLI.

The service stores these rows (``usecases``, upserted by visit id); ``jejaring screening evaluate`` keeps them
in memory, so earlier lines of the same person are that person's history, in input order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .anc import conception_of
from .model import History, PregnancyRecord, Screening, ScreeningVisit, ServiceRecord
from .rules_newborn import window_number


@dataclass(frozen=True, slots=True)
class VisitRecords:
    """The history rows of one visit."""

    weighing: float | None = None
    pregnancy: PregnancyRecord | None = None
    doses: tuple[str, ...] = ()
    services: tuple[ServiceRecord, ...] = field(default_factory=tuple)


def records_of(visit: ScreeningVisit, result: Screening, kn_windows, kf_windows) -> VisitRecords:  # noqa: ANN001
    """The rows a screened visit contributes to its person's history."""
    m, on = visit.measurements, visit.occurred_on
    weighing = m.weight_kg if visit.stage == "under_five" else None
    preg_row = None
    p = visit.pregnancy
    if p is not None:
        anc = (result.facts or {}).get("anc") or {}
        milestones = ",".join(k for k in ("k1", "k1_murni", "k4", "k6") if anc.get(k))
        preg_row = PregnancyRecord(
            visit_id=str(visit.visit_id), occurred_on=on, order=visit.order,
            conception_on=conception_of(on, p.gestational_weeks),
            gestational_weeks=p.gestational_weeks, anc_by=p.anc.by if p.anc is not None else None,
            ultrasound=bool(p.anc is not None and p.anc.ultrasound), anc_visit_number=p.anc_visit_number,
            pregnancy_id=anc.get("pregnancy_id"), milestones=milestones,
        )
    services: list[ServiceRecord] = []
    if m.vitamin_a_given:
        services.append(ServiceRecord("vitamin_a", on))
    if m.deworming_given:
        services.append(ServiceRecord("deworming", on))
    if m.ttd_tablets:
        services.append(ServiceRecord("ttd", on, str(m.ttd_tablets)))
    if m.hb_g_dl is not None:
        services.append(ServiceRecord("hb", on, f"{m.hb_g_dl:g}"))
    if m.delivery is not None and visit.sex == "F":
        services.append(ServiceRecord("delivery", on, m.delivery.place))
    if m.tb_test is not None:
        services.append(ServiceRecord("tb_test", on, f"{m.tb_test.method}:{m.tb_test.result}"))
    if visit.development is not None and visit.development.kpsp is not None:
        services.append(ServiceRecord("kpsp", on, visit.development.kpsp))
    if visit.newborn is not None:
        kn = visit.newborn.neonatal_visit or window_number(kn_windows, visit.age_days)
        if kn is not None:
            services.append(ServiceRecord("kn", on, str(kn)))
    if visit.sex == "F" and (m.postpartum_visit is not None or m.postpartum_days is not None):
        kf = m.postpartum_visit or window_number(kf_windows, m.postpartum_days)  # type: ignore[arg-type]
        if kf is not None:
            services.append(ServiceRecord("kf", on, str(kf)))
    if p is not None and p.labs is not None:
        for test in ("hiv", "syphilis", "hbsag"):
            value = getattr(p.labs, test)
            if value is not None:
                services.append(ServiceRecord(test, on, value))
    return VisitRecords(weighing, preg_row, tuple(visit.immunizations), tuple(services))


@dataclass
class PersonHistory:
    """A person's history kept in memory (the CLI): rows appended in input order."""

    weighings: list = field(default_factory=list)
    pregnancy: list = field(default_factory=list)
    doses: list = field(default_factory=list)
    services: list = field(default_factory=list)

    def add(self, visit: ScreeningVisit, rows: VisitRecords) -> None:
        on = visit.occurred_on
        if rows.weighing is not None:
            self.weighings.append((on, rows.weighing))
        if rows.pregnancy is not None:
            self.pregnancy.append(rows.pregnancy)
        self.doses += [(antigen, on) for antigen in rows.doses]
        self.services += rows.services

    def frozen(self) -> History:
        return History(tuple(self.weighings), tuple(self.pregnancy), tuple(self.doses), tuple(self.services))
