"""ISO weeks of event time, across year ends (week 53, 1 January) and in the visit's own offset."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from services.surveillance.domain import weeks

WIB = timezone(timedelta(hours=7))
WIT = timezone(timedelta(hours=9))


@pytest.mark.parametrize(("day", "label"), [
    (date(2026, 1, 1), "2026-W01"),    # a Thursday: week 1 of its own year
    (date(2026, 12, 31), "2026-W53"),  # 2026 has 53 ISO weeks
    (date(2027, 1, 1), "2026-W53"),    # 1 January in the previous year's week 53
    (date(2027, 1, 3), "2026-W53"),
    (date(2027, 1, 4), "2027-W01"),
    (date(2024, 12, 30), "2025-W01"),  # 30 December in the next year's week 1
    (date(2021, 1, 1), "2020-W53"),
    (date(2025, 12, 28), "2025-W52"),  # 2025 has 52
])
def test_week_of_a_date(day: date, label: str) -> None:
    assert weeks.week_of(day) == label


def test_a_visit_belongs_to_the_week_of_its_own_offset() -> None:
    monday_early = datetime(2026, 12, 28, 0, 30, tzinfo=WIB)  # Sunday 17:30 in UTC
    assert weeks.week_of(monday_early) == "2026-W53"
    assert weeks.week_of(monday_early.astimezone(timezone.utc)) == "2026-W52"
    new_year = datetime(2027, 1, 4, 0, 10, tzinfo=WIT)  # still 3 January in WIB and UTC
    assert weeks.week_of(new_year) == "2027-W01"
    assert weeks.week_of(new_year.astimezone(WIB)) == "2026-W53"


def test_shift_and_previous_cross_year_ends() -> None:
    assert weeks.shift("2026-W53", 1) == "2027-W01"
    assert weeks.shift("2027-W01", -1) == "2026-W53"
    assert weeks.shift("2026-W01", -1) == "2025-W52"
    assert weeks.previous("2027-W02", 3) == ["2026-W52", "2026-W53", "2027-W01"]
    assert weeks.previous("2026-W10", 0) == []
    assert weeks.between("2026-W52", "2027-W02") == ["2026-W52", "2026-W53", "2027-W01", "2027-W02"]
    assert weeks.between("2027-W02", "2026-W52") == []
    assert weeks.age("2026-W52", "2027-W02") == 3
    assert weeks.age("2027-W02", "2027-W02") == 0
    assert weeks.monday("2026-W53") == date(2026, 12, 28)


@pytest.mark.parametrize("label", ["2025-W53", "2026-W00", "2026-W54", "2026-53", "W01", "", "2026-Wxx"])
def test_impossible_weeks_are_refused(label: str) -> None:
    with pytest.raises(ValueError):
        weeks.parse(label)


def test_labels_sort_in_time_order() -> None:
    labels = [weeks.week_of(date(2024, 12, 1) + timedelta(weeks=k)) for k in range(120)]
    assert labels == sorted(labels) and len(set(labels)) == 120
