"""Life-cycle stage and age: pure functions shared by registration and screening.

Stage bounds follow the ILP juknis (KMK HK.01.07/MENKES/2015/2023, ILP-T `02-klaster-2`,
`03-klaster-3`): under-five 0-59 months, pre-school 5-6 years (60 months to the 6th birthday),
school-age and adolescent 6-17 years, adult 18-59 years, elderly 60 years and over; pregnancy
overrides age.
"""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta

from shared.contracts.events import Stage

DAYS_PER_MONTH = 30.4375  # WHO Anthro's average month length (365.25 / 12)


def age_days(birth_date: date, on: date) -> int:
    """Completed days of age on ``on``."""
    return (on - birth_date).days


def age_months(birth_date: date, on: date) -> int:
    """Completed calendar months of age on ``on``."""
    delta = relativedelta(on, birth_date)
    return delta.years * 12 + delta.months


def age_years(birth_date: date, on: date) -> int:
    """Completed years of age on ``on``."""
    return relativedelta(on, birth_date).years


def stage_for(birth_date: date, on: date, pregnant: bool) -> Stage:
    """The life-cycle stage of a person seen on ``on``."""
    if pregnant:
        return "pregnancy"
    months = age_months(birth_date, on)
    if months < 60:
        return "under_five"
    if months < 72:
        return "preschool"
    if months < 18 * 12:
        return "school_age"
    if months < 60 * 12:
        return "adult"
    return "elderly"
