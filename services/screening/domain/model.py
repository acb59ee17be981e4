"""Value types of the screening domain and the adapters from the intake and bus contracts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from shared.contracts.events import VisitRecorded, ZScores
from shared.contracts.intake import IntakeVisit, Measurements, Pregnancy
from shared.lifecycle import age_days as _age_days
from shared.lifecycle import stage_for

RULESET_VERSION = "2026.11-1"

STAGES = ("pregnancy", "under_five", "preschool", "school_age", "adult", "elderly")
SEVERITIES = ("low", "moderate", "high", "emergency")
LEVELS = ("posyandu", "pustu", "puskesmas", "rs")


@dataclass(frozen=True, slots=True)
class Risk:
    """One risk found at one visit."""

    code: str
    cluster: int
    severity: str
    recommended_level: str
    evidence: dict[str, Any]
    ruleset_version: str = RULESET_VERSION


@dataclass(frozen=True, slots=True)
class Screening:
    """The outcome of screening one visit."""

    stage: str
    zscores: ZScores
    flags: tuple[str, ...]
    risks: tuple[Risk, ...]


@dataclass(frozen=True, slots=True)
class History:
    """What the service keeps per person and passes in: earlier weighings, ANC contacts so far."""

    weighings: tuple[tuple[date, float], ...] = ()  # earlier (date, weight_kg) of this child, any order
    anc_contacts: int = 0  # ANC contacts of the current pregnancy before this visit


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
    )


def from_intake(visit: IntakeVisit) -> ScreeningVisit:
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
    )


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
    if on.day < min(birth.day, _days_in_month(on.year, on.month)):
        n -= 1
    return n


def completed_years(birth: date, on: date) -> int:
    """Completed years of age on ``on`` (equal to ``shared.lifecycle.age_years``)."""
    n = on.year - birth.year
    if (on.month, on.day) < (birth.month, min(birth.day, _days_in_month(on.year, birth.month))):
        n -= 1
    return n


def birth_date_of(visit: ScreeningVisit) -> date:
    """The birth date implied by the visit's date and age in days."""
    return visit.occurred_on - timedelta(days=visit.age_days)
