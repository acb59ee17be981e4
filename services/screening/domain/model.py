"""Value types of the screening domain and the adapters from the intake and bus contracts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, get_args
from uuid import UUID

from shared.contracts.events import (
    FacilityType,
    Severity,
    Stage,
    VisitRecorded,
    ZScores,
)
from shared.contracts.intake import (
    Development,
    IntakeVisit,
    Measurements,
    Newborn,
    Pregnancy,
)
from shared.lifecycle import age_days as _age_days
from shared.lifecycle import stage_for

RULESET_VERSION = "2026.12-1"

STAGES: tuple[str, ...] = get_args(Stage)
SEVERITIES: tuple[str, ...] = get_args(Severity)  # ascending
LEVELS: tuple[str, ...] = get_args(FacilityType)  # recommended level of care


class Risk(NamedTuple):
    """One risk found at one visit (immutable)."""

    code: str
    cluster: int
    severity: str
    recommended_level: str
    evidence: dict[str, Any]
    ruleset_version: str = RULESET_VERSION


class Z(NamedTuple):
    """The WHO z-scores of one visit (``None`` where not computable); ``contract()`` gives the event's ZScores."""

    wfa: float | None = None
    lhfa: float | None = None
    wflh: float | None = None
    bmifa: float | None = None
    acfa: float | None = None
    hcfa: float | None = None

    def contract(self) -> ZScores:
        return ZScores(wfa=self.wfa, lhfa=self.lhfa, wflh=self.wflh, bmifa=self.bmifa, acfa=self.acfa, hcfa=self.hcfa)


class Screening(NamedTuple):
    """The outcome of screening one visit: z-scores, flags, risks and the facts the PWS counts (immutable).

    ``facts`` is the JSON-ready dict of the ``VisitFacts`` schema (validated when the event is built).
    """

    stage: str
    zscores: Z
    flags: tuple[str, ...]
    risks: tuple[Risk, ...]
    facts: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class PregnancyRecord:
    """One earlier pregnancy visit of the person, as the service keeps it (table ``anc_contacts``)."""

    visit_id: str
    occurred_on: date
    order: float  # UTC timestamp of the visit: orders same-day visits
    conception_on: date
    gestational_weeks: int
    anc_by: str | None = None  # None: not a standard ANC contact; "unknown": an old contact, provider unknown
    ultrasound: bool = False
    anc_visit_number: int | None = None
    pregnancy_id: str | None = None
    milestones: str = ""  # "k1,k4,...": milestones this visit reached


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    """One earlier service or test of the person (table ``person_services``): kind, date, value."""

    kind: str  # vitamin_a, deworming, ttd, hb, kpsp, kn, kf, hiv, syphilis, hbsag, td
    occurred_on: date
    value: str = ""


@dataclass(frozen=True, slots=True)
class History:
    """What the service keeps per person and passes in; every tuple may be in any order."""

    weighings: tuple[tuple[date, float], ...] = ()  # earlier (date, weight_kg) of this child
    pregnancy: tuple[PregnancyRecord, ...] = ()  # earlier pregnancy visits (all pregnancies)
    doses: tuple[tuple[str, date], ...] = ()  # earlier immunisation doses (antigen, date)
    services: tuple[ServiceRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class ScreeningVisit:
    """The typed visit the rules read: pseudonymous, with age and life-cycle stage resolved."""

    visit_id: UUID
    occurred_on: date
    sex: str
    age_days: int
    stage: str
    pregnancy: Pregnancy | None
    measurements: Measurements = field(default_factory=Measurements)
    newborn: Newborn | None = None
    immunizations: tuple[str, ...] = ()
    development: Development | None = None
    person_id: str = ""
    order: float = 0.0  # UTC timestamp of the visit
    diagnoses: tuple[str, ...] = ()  # ICD-10 codes coded at this visit (known sufferers, for the SPM facts)
    service_point: str | None = None  # where the visit took place (SPM care counts at a health facility)


def _order(moment: datetime) -> float:
    return moment.timestamp()


def from_recorded(event: VisitRecorded) -> ScreeningVisit:
    """From a ``VisitRecorded`` event: the registration service already resolved age and stage."""
    return ScreeningVisit(
        visit_id=event.visit_id,
        occurred_on=event.occurred_at.date(),
        sex=event.sex,
        age_days=event.age_days,
        stage=event.stage,
        pregnancy=event.pregnancy,
        measurements=event.measurements,
        newborn=event.newborn,
        immunizations=tuple(event.immunizations or ()),
        development=event.development,
        person_id=event.person_id,
        order=_order(event.occurred_at),
        diagnoses=tuple(event.diagnoses or ()),
        service_point=event.service_point,
    )


def from_intake(visit: IntakeVisit, person_id: str = "") -> ScreeningVisit:
    """From an intake visit: age in days and stage derived with ``shared.lifecycle``, local date."""
    on = visit.occurred_at.date()  # the visit's own offset (WIB/WITA/WIT)
    birth = visit.person.birth_date
    return ScreeningVisit(
        visit_id=visit.visit_id,
        occurred_on=on,
        sex=visit.person.sex,
        age_days=_age_days(birth, on),
        stage=stage_for(birth, on, visit.pregnancy is not None),
        pregnancy=visit.pregnancy,
        measurements=visit.measurements,
        newborn=visit.newborn,
        immunizations=tuple(visit.immunizations or ()),
        development=visit.development,
        person_id=person_id,
        order=_order(visit.occurred_at),
        diagnoses=tuple(visit.diagnoses or ()),
        service_point=visit.service_point,
    )


class FieldView:
    """A read-only view of a pydantic model's field values, sharing its ``__dict__`` (no copy).

    Reading an attribute of a pydantic v2 model goes through ``BaseModel.__getattr__``'s slot (about 3x a plain
    attribute); the rules read dozens per visit, so the context holds views. Fields only: no model methods.
    """

    def __repr__(self) -> str:
        return f"FieldView({self.__dict__!r})"


def field_view(model: Any) -> Any:
    """The view of ``model`` (None stays None); typed ``Any``: it reads like the model's fields."""
    if model is None:
        return None
    view = object.__new__(FieldView)
    view.__dict__ = model.__dict__
    return view


# Completed months / years exactly as ``shared.lifecycle`` (dateutil's relativedelta, which clips
# anniversaries to the month end), without its cost (~20 us per call).
_DIM = (0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _days_in_month(year: int, month: int) -> int:
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        return 29
    return _DIM[month]


def completed_months(birth: date, on: date) -> int:
    """Completed calendar months of age on ``on`` (equal to ``shared.lifecycle.age_months``)."""
    n = (on.year - birth.year) * 12 + on.month - birth.month
    day = on.day
    if day < birth.day and (day < 28 or day < _days_in_month(on.year, on.month)):
        n -= 1
    return n


def completed_years(birth: date, on: date) -> int:
    """Completed years of age on ``on`` (equal to ``shared.lifecycle.age_years``)."""
    n = on.year - birth.year
    if (on.month, on.day) < (birth.month, min(birth.day, _days_in_month(on.year, birth.month))):
        n -= 1
    return n


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, clipped to the month end (as dateutil's relativedelta)."""
    n = day.year * 12 + day.month - 1 + months
    year, month = divmod(n, 12)
    month += 1
    return date(year, month, min(day.day, _days_in_month(year, month)))


def birth_date_of(visit: ScreeningVisit) -> date:
    """The birth date implied by the visit's date and age in days."""
    return visit.occurred_on - timedelta(days=visit.age_days)
