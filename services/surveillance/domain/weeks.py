"""ISO weeks of event time: a visit belongs to the ISO week of its ``occurred_at`` in its own offset.

A week is written ``YYYY-Www`` (``2026-W49``); such labels sort in time order. ISO years have 52 or
53 weeks and start on the Monday of the week holding the year's first Thursday, so 1 January can
belong to the previous year's week 53 (or 52) and 29-31 December to the next year's week 1.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta


def week_of(moment: datetime | date) -> str:
    """The ISO week label of a date, or of an aware datetime in its own offset."""
    day = moment.date() if isinstance(moment, datetime) else moment
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def parse(label: str) -> tuple[int, int]:
    """``(iso_year, iso_week)`` of a label; ValueError for a malformed or impossible week."""
    try:
        year_text, week_text = label.split("-W")
        year, week = int(year_text), int(week_text)
        date.fromisocalendar(year, week, 1)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"not an ISO week: {label!r}") from exc
    return year, week


def monday(label: str) -> date:
    """The Monday that starts the week."""
    year, week = parse(label)
    return date.fromisocalendar(year, week, 1)


def shift(label: str, weeks: int) -> str:
    """The week ``weeks`` later (negative: earlier), across year ends."""
    return week_of(monday(label) + timedelta(weeks=weeks))


def previous(label: str, count: int) -> list[str]:
    """The ``count`` weeks before ``label``, oldest first."""
    return [shift(label, -k) for k in range(count, 0, -1)]


def between(first: str, last: str) -> list[str]:
    """Every week from ``first`` to ``last`` inclusive (empty when ``first`` is later)."""
    weeks, current = [], first
    while current <= last:
        weeks.append(current)
        current = shift(current, 1)
    return weeks


def age(label: str, now_label: str) -> int:
    """How many weeks ``label`` lies before ``now_label`` (0: the same week; negative: later)."""
    return (monday(now_label) - monday(label)).days // 7
