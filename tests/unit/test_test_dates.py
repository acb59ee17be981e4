"""The helpers that make the tests' dates keep each test's dates in one period on any day."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.dates import (
    in_month,
    in_week,
    month_start,
    period,
    previous_month,
    week_start,
)

WIB = timezone(timedelta(hours=7))
AWKWARD = [
    datetime(2026, 12, 1, 0, 1, tzinfo=WIB),  # the 1st, a minute after midnight
    datetime(2026, 12, 1, 10, 31, tzinfo=WIB),  # the 1st
    datetime(2026, 11, 30, 23, 59, tzinfo=WIB),  # the last day of a month
    datetime(2027, 2, 28, 12, 0, tzinfo=WIB),  # the last day of February
    datetime(2028, 2, 29, 12, 0, tzinfo=WIB),  # a leap day
    datetime(2027, 1, 1, 0, 0, tzinfo=WIB),  # 1 January, midnight
    datetime(2027, 1, 1, 8, 0, tzinfo=WIB),  # 1 January
    datetime(2026, 11, 18, 14, 0, tzinfo=WIB),  # an ordinary day
]


@pytest.mark.parametrize("now", AWKWARD, ids=str)
@pytest.mark.parametrize("days", [0, 1, 3, 9, 31, 400])
def test_in_month_stays_in_now_s_month_and_not_after_now(now: datetime, days: int) -> None:
    moment = in_month(now, timedelta(days=days, minutes=5))
    assert period(moment) == period(now)
    assert month_start(now) <= moment <= now
    assert moment.utcoffset() == now.utcoffset()


@pytest.mark.parametrize("now", AWKWARD, ids=str)
def test_in_month_is_exact_when_the_month_allows_it(now: datetime) -> None:
    back = timedelta(minutes=5)
    if now - back >= month_start(now):
        assert in_month(now, back) == now - back
    else:
        assert in_month(now, back) == month_start(now)


@pytest.mark.parametrize("now", AWKWARD, ids=str)
@pytest.mark.parametrize("days", [0, 2, 6, 13])
def test_in_week_stays_in_now_s_iso_week(now: datetime, days: int) -> None:
    moment = in_week(now, timedelta(days=days))
    assert moment.isocalendar()[:2] == now.isocalendar()[:2]
    assert week_start(now) <= moment <= now
    assert week_start(now).weekday() == 0


@pytest.mark.parametrize("now", AWKWARD, ids=str)
def test_previous_month_is_the_calendar_month_before(now: datetime) -> None:
    before = previous_month(now)
    expected = (now.year - 1, 12) if now.month == 1 else (now.year, now.month - 1)
    assert (before.year, before.month) == expected
    assert before < month_start(now)


def test_month_start_on_the_first_and_on_new_year() -> None:
    assert month_start(datetime(2027, 1, 1, 0, 0, tzinfo=WIB)) == datetime(2027, 1, 1, tzinfo=WIB)
    assert month_start(datetime(2026, 12, 31, 23, 59, tzinfo=WIB)) == datetime(2026, 12, 1, tzinfo=WIB)
    assert previous_month(datetime(2027, 1, 1, 0, 0, tzinfo=WIB)) == datetime(2026, 12, 25, 12, tzinfo=WIB)
    assert previous_month(datetime(2026, 3, 1, tzinfo=WIB)) == datetime(2026, 2, 25, 12, tzinfo=WIB)
