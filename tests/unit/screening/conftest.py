"""Helpers for the screening rule-engine tests: visit factories and WHO LMS inversions."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest
from dateutil.relativedelta import relativedelta

from services.screening.domain import ScreeningVisit
from services.screening.domain.zscores import measurement_at_z
from shared.contracts.intake import Development, Measurements, Newborn, Pregnancy

ON = date(2026, 11, 20)
VISIT_ID = UUID("0b5e6a2e-6f0e-4c8e-9d0a-2f7e1b9c4d11")


def age_days(years: int = 0, months: int = 0, days: int = 0) -> int:
    """Age in days on ``ON`` of someone aged exactly ``years`` y ``months`` m plus ``days`` days."""
    birth = ON - relativedelta(years=years, months=months) - relativedelta(days=days)
    return (ON - birth).days


def make_visit(
    stage: str, age: int, sex: str = "F", pregnancy: dict[str, Any] | None = None, *,
    newborn: dict[str, Any] | None = None, immunizations: tuple[str, ...] = (), kpsp: str | None = None,
    on: date = ON, visit_id: UUID = VISIT_ID, person_id: str = "p1", order: float = 0.0, **measurements: Any
) -> ScreeningVisit:
    """A screening visit (on ``ON`` unless given) with validated blocks."""
    return ScreeningVisit(
        visit_id=visit_id, occurred_on=on, sex=sex, age_days=age, stage=stage,
        pregnancy=Pregnancy(**pregnancy) if pregnancy is not None else None,
        measurements=Measurements(**measurements),
        newborn=Newborn(**newborn) if newborn is not None else None, immunizations=tuple(immunizations),
        development=Development(kpsp=kpsp) if kpsp is not None else None, person_id=person_id, order=order,
    )


def measure_for_z(indicator: str, sex: str, t: float, z: float) -> float:
    """The measurement whose WHO z-score is ``z``."""
    return measurement_at_z(indicator, sex, t, z)


def codes(screening) -> set[str]:
    return {r.code for r in screening.risks}


def risk(screening, code: str):
    found = [r for r in screening.risks if r.code == code]
    assert found, f"{code} not in {codes(screening)}"
    return found[0]


class Helpers:
    ON = ON
    age_days = staticmethod(age_days)
    make_visit = staticmethod(make_visit)
    measure_for_z = staticmethod(measure_for_z)
    codes = staticmethod(codes)
    risk = staticmethod(risk)


@pytest.fixture(scope="session")
def h() -> type[Helpers]:
    """Session-scoped helpers (safe to use from hypothesis tests)."""
    return Helpers
