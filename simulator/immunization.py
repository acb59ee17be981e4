"""Routine immunisation of a simulated child: its dose sessions on one fixed plan by identity, so that the
doses are the same whichever window is simulated (like :mod:`simulator.postnatal`).

Schedule (ilp-domain §9.2 [S16]; RV at 2-4 months and IPV2 at 9 months as [ILP-T 06-imunisasi-rutin] gives
them, their ages [UNCONFIRMED] in §9.2; JE left out: endemic areas only): HB0 < 24 h, recorded at the first
neonatal visit (KN1, day 1-2 of the simulated KN schedule [assumption: the birth itself is not a simulated
visit]); 1 month BCG, OPV1; 2 months DPT-HB-Hib1, OPV2, PCV1, RV1; 3 months DPT-HB-Hib2, OPV3, PCV2, RV2;
4 months DPT-HB-Hib3, OPV4, IPV1, RV3; 9 months MR1, IPV2; 12 months PCV3; 18 months DPT-HB-Hib4, MR2.

Each session after HB0 is at the child's own Posyandu on its first hari buka at or after the due age, or
(for ``IMMUNIZATION_AT_PUSKESMAS`` of children) at the village's Puskesmas on a working day of the week from
the due age; in both cases at least 28 days after the previous session (the minimum interval between OPV,
DPT-HB-Hib, RV and PCV doses [ILP-T 06-imunisasi-rutin]). Coverage and drop-out: see
:mod:`simulator.prevalence` (``HB0_RECORDED``, ``IMMUNIZATION_SESSION_KEPT``); a child who misses a session
drops out and gets no later dose [assumption: no catch-up]. Sessions before the simulated window happened
too but are not sent.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import NamedTuple

from simulator.prevalence import (
    HB0_RECORDED,
    IMMUNIZATION_AT_PUSKESMAS,
    IMMUNIZATION_SESSION_KEPT,
)

# (due age in months, antigens given at that session), after HB0
SESSIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (1, ("bcg", "opv1")),
    (2, ("dpt_hb_hib1", "opv2", "pcv1", "rv1")),
    (3, ("dpt_hb_hib2", "opv3", "pcv2", "rv2")),
    (4, ("dpt_hb_hib3", "opv4", "ipv1", "rv3")),
    (9, ("mr1", "ipv2")),
    (12, ("pcv3",)),
    (18, ("dpt_hb_hib4", "mr2")),
)
MIN_INTERVAL_DAYS = 28  # between sessions: OPV/DPT-HB-Hib/RV/PCV at least 1 month apart [ILP-T 06-imunisasi-rutin]
LAST_SESSION_DAYS = 18 * 31 + 3 * 35  # a session is never later than this after the birth (see LATE_DAYS)


# a session is at most this long after its due age: the first hari buka on or after it is within 34 days, and
# each 28-day interval after the previous session adds at most 7 days over the 1-4 month sessions (55 days)
LATE_DAYS = 60


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, clipped to the month's end (as dateutil's relativedelta)."""
    n = day.year * 12 + day.month - 1 + months
    year, month = divmod(n, 12)
    last = (date(year + (month == 11), (month + 1) % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month + 1, min(day.day, last))


def birth_ranges(first: date, last: date) -> list[tuple[int, int]]:
    """Ordinal ranges ``[lo, hi)`` of the birth dates whose HB0 (at KN1, days 1-2) or a session can fall in
    ``first`` <= day < ``last`` (a superset by 3 days each side)."""
    early = first - timedelta(days=LATE_DAYS)
    return [(first.toordinal() - 3, last.toordinal())] + [
        (add_months(early, -months).toordinal() - 3, add_months(last, -months).toordinal() + 3)
        for months, _ in SESSIONS]


def may_fall_in(born: date, first: date, last: date) -> bool:
    """Whether HB0 or a session of a child born on ``born`` can fall in ``first`` <= day < ``last``."""
    if first - timedelta(days=2) <= born < last:
        return True
    early = first - timedelta(days=LATE_DAYS)
    return any(early <= due < last for due in (add_months(born, months) for months, _ in SESSIONS))


class Session(NamedTuple):
    day: date
    antigens: tuple[str, ...]
    place: str  # "posyandu" or "puskesmas"


class Plan(NamedTuple):
    hb0: bool  # HB0 recorded at the KN1 visit (when that visit happens)
    sessions: tuple[Session, ...]


def hari_buka(first_of_month: date, open_weekday: int, open_week: int) -> date:
    """A Posyandu's day of the month (its ``open_week``-th ``open_weekday``), as ``Simulation.posyandu_open_on``."""
    return first_of_month + timedelta(days=(open_weekday - first_of_month.weekday()) % 7 + 7 * open_week)


def next_hari_buka(on: date, open_weekday: int, open_week: int) -> date:
    """The Posyandu's first hari buka on or after ``on``."""
    first = on.replace(day=1)
    while True:
        day = hari_buka(first, open_weekday, open_week)
        if day >= on:
            return day
        first = (first + timedelta(days=32)).replace(day=1)


def plan(key: int, born: date, posyandu_day: Callable[[date], date]) -> Plan:
    """A child's immunisation plan (deterministic by ``key``): ``posyandu_day(d)`` is the child's Posyandu's
    first hari buka on or after ``d``."""
    r = random.Random(f"imm:{key}").random
    hb0 = r() < HB0_RECORDED
    at_puskesmas = r() < IMMUNIZATION_AT_PUSKESMAS
    out: list[Session] = []
    previous: date | None = None
    for months, antigens in SESSIONS:
        kept, offset = r() < IMMUNIZATION_SESSION_KEPT, int(r() * 6)
        if not kept:
            break  # drop-out: no later session
        due = add_months(born, months)
        if previous is not None:
            due = max(due, previous + timedelta(days=MIN_INTERVAL_DAYS))
        if at_puskesmas:
            day = due + timedelta(days=offset)
            if day.weekday() == 6:
                day += timedelta(days=1)
        else:
            day = posyandu_day(due)
        out.append(Session(day, antigens, "puskesmas" if at_puskesmas else "posyandu"))
        previous = day
    return Plan(hb0, tuple(out))
