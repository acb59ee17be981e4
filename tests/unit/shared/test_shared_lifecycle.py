"""Life-cycle stage boundaries (ILP juknis): completed months, pregnancy overrides age."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from shared.lifecycle import age_days, age_months, age_years, stage_for

BORN = date(2019, 3, 15)


def at(years: int = 0, months: int = 0) -> date:
    return BORN + relativedelta(years=years, months=months)


@pytest.mark.parametrize(
    ("on", "stage"),
    [
        (BORN, "under_five"),
        (at(months=59), "under_five"),
        (at(months=60) - timedelta(days=1), "under_five"),
        (at(months=60), "preschool"),
        (at(months=71), "preschool"),
        (at(months=72) - timedelta(days=1), "preschool"),
        (at(months=72), "school_age"),
        (at(years=17, months=11), "school_age"),
        (at(years=18) - timedelta(days=1), "school_age"),
        (at(years=18), "adult"),
        (at(years=59, months=11), "adult"),
        (at(years=60) - timedelta(days=1), "adult"),
        (at(years=60), "elderly"),
        (at(years=95), "elderly"),
    ],
    ids=lambda v: str(v),
)
def test_stage_boundaries(on, stage):
    assert stage_for(BORN, on, pregnant=False) == stage


@pytest.mark.parametrize("years", [15, 25, 45])
def test_pregnancy_overrides_age(years):
    assert stage_for(BORN, at(years=years), pregnant=True) == "pregnancy"


def test_ages_count_completed_units():
    on = at(years=5) - timedelta(days=1)
    assert (age_years(BORN, on), age_months(BORN, on)) == (4, 59)
    assert age_days(BORN, BORN + timedelta(days=400)) == 400
