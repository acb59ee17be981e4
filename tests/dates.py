"""Dates for tests that must pass on any day and at any hour.

A test that spreads events over "the last N days" and then reads "this month" fails on the first
days of every month. These helpers derive every test date from one ``now`` so that the dates a test
groups together stay in one period (calendar month, ISO week) whatever the date: on the 1st, on
the last day of a month, on 1 January, a minute after midnight.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta


def month_start(moment: datetime) -> datetime:
    """Midnight of the first day of ``moment``'s month, in ``moment``'s own offset."""
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def week_start(moment: datetime) -> datetime:
    """Midnight of the Monday of ``moment``'s ISO week, in ``moment``'s own offset."""
    midnight = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight - timedelta(days=moment.weekday())


def in_month(now: datetime, back: timedelta) -> datetime:
    """``now - back``, but never before the start of ``now``'s month: the result is in ``now``'s
    period and not after ``now``."""
    return max(now - back, month_start(now))


def in_week(now: datetime, back: timedelta) -> datetime:
    """``now - back``, but never before the start of ``now``'s ISO week."""
    return max(now - back, week_start(now))


def previous_month(now: datetime) -> datetime:
    """Noon of a day in the calendar month before ``now``'s (its 25th or its last day), same offset."""
    last_day = month_start(now) - timedelta(days=1)
    return last_day.replace(day=min(25, last_day.day), hour=12)


def period(moment: datetime | date) -> str:
    """``YYYY-MM`` of ``moment`` (in its own offset)."""
    return f"{moment.year:04d}-{moment.month:02d}"
