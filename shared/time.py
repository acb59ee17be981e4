"""Instants as the services store and compare them: aware, in UTC."""

from __future__ import annotations

from datetime import datetime, timezone


def utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime; a naive one (SQLite gives them back) is taken as UTC."""
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def utc_or_none(moment: datetime | None) -> datetime | None:
    """:func:`utc`, passing None through."""
    return None if moment is None else utc(moment)


def now() -> datetime:
    """The current instant, aware UTC."""
    return datetime.now(timezone.utc)


def period_of(moment: datetime) -> str:
    """The PWS period of an event: the calendar month of ``moment`` in its own UTC offset (WIB, WITA,
    WIT), so a visit at 00:30 WIB on the 1st belongs to that month, not to the previous one in UTC."""
    return f"{moment.year:04d}-{moment.month:02d}"
