"""The national routine immunisation schedule and a child's status against it (pure).

[ILP-T 06-imunisasi-rutin] (KMK HK.01.07/MENKES/2015/2023): < 24 h HB0; < 1 month BCG, OPV1; 2 months
DPT-HB-Hib1, OPV2, RV1, PCV1; 3 months DPT-HB-Hib2, OPV3, RV2, PCV2; 4 months DPT-HB-Hib3, OPV4, RV3, IPV1;
9 months MR1, IPV2; 10 months JE (endemic areas only: not scheduled here); 12 months PCV3 (>= 8 weeks after
PCV2); 18-23 months DPT-HB-Hib4 (>= 12 months after dose 3) and MR2 (>= 6 months after MR1). OPV, DPT-HB-Hib,
RV and PCV doses at least 1 month apart. IDL (contract): hb0, bcg, opv1-opv4, dpt_hb_hib1-3, ipv1, mr1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .config import ScreeningConfig
from .model import add_months, completed_months

# antigen -> (due at age in months, previous dose of the series, minimum interval after it in days)
SCHEDULE: dict[str, tuple[int, str | None, int]] = {
    "hb0": (0, None, 0), "bcg": (0, None, 0), "opv1": (0, None, 0),
    "dpt_hb_hib1": (2, None, 0), "opv2": (2, "opv1", 28), "rv1": (2, None, 0), "pcv1": (2, None, 0),
    "dpt_hb_hib2": (3, "dpt_hb_hib1", 28), "opv3": (3, "opv2", 28), "rv2": (3, "rv1", 28),
    "pcv2": (3, "pcv1", 28),
    "dpt_hb_hib3": (4, "dpt_hb_hib2", 28), "opv4": (4, "opv3", 28), "rv3": (4, "rv2", 28), "ipv1": (4, None, 0),
    "mr1": (9, None, 0), "ipv2": (9, "ipv1", 28),
    "pcv3": (12, "pcv2", 56),
    "dpt_hb_hib4": (18, "dpt_hb_hib3", 365), "mr2": (18, "mr1", 182),
}
IDL = frozenset({"hb0", "bcg", "opv1", "opv2", "opv3", "opv4", "dpt_hb_hib1", "dpt_hb_hib2", "dpt_hb_hib3", "ipv1",
                 "mr1"})
# Series whose later dose overdue after an earlier one means drop-out (the WHO DTP1-DTP3 / DTP1-MCV1 sense).
SERIES: dict[str, tuple[str, ...]] = {
    "dpt_hb_hib": ("dpt_hb_hib1", "dpt_hb_hib2", "dpt_hb_hib3", "dpt_hb_hib4"),
    "opv": ("opv1", "opv2", "opv3", "opv4"),
    "pcv": ("pcv1", "pcv2", "pcv3"),
    "rv": ("rv1", "rv2", "rv3"),
    "mr": ("mr1", "mr2"),
    "dpt_to_mr": ("dpt_hb_hib1", "mr1"),
}


_SERIES_SETS = tuple((name, frozenset(doses)) for name, doses in SERIES.items())


@dataclass(slots=True)
class ImmunizationStatus:
    """A child's immunisation status at one visit."""

    given_now: tuple[str, ...]
    due: tuple[str, ...]
    overdue: tuple[str, ...]
    drop_out: tuple[str, ...]  # series with an overdue dose after a given one
    next_due: tuple[str, ...]
    next_due_on: date | None
    idl_complete: bool
    idl_complete_late: bool


# (due month, antigens of that month in schedule order with (previous, interval)), ascending
_BY_MONTH: tuple[tuple[int, tuple[tuple[str, str | None, timedelta], ...]], ...] = tuple(
    (month, tuple((a, p, timedelta(days=i)) for a, (m, p, i) in SCHEDULE.items() if m == month))
    for month in sorted({m for m, _, _ in SCHEDULE.values()})
)
_ENTRY = {a: (m, p, timedelta(days=i)) for a, (m, p, i) in SCHEDULE.items()}
_ORDER = {a: n for n, a in enumerate(SCHEDULE)}
_LAST = max(m for m, _, _ in SCHEDULE.values())
# antigens due by an age in months, and the index of the first due month after that age
_DUE_BY = tuple(frozenset(a for a, (m, _, _) in SCHEDULE.items() if m <= age) for age in range(_LAST + 1))
_FUTURE_FROM = tuple(next((i for i, (m, _) in enumerate(_BY_MONTH) if m > age), len(_BY_MONTH))
                     for age in range(_LAST + 1))


def _due_on(upcoming: list[tuple[date, str]], day: date) -> tuple[str, ...]:
    return tuple(sorted([a for d, a in upcoming if d == day]))


def _in(doses: list[str], chosen: set[str]) -> tuple[str, ...]:
    return tuple([a for a in doses if a in chosen])


def _drop_out(overdue: set[str], given: dict[str, date]) -> tuple[str, ...]:
    """Series with an overdue dose after a given one."""
    return tuple([name for name, doses in _SERIES_SETS
                  if not overdue.isdisjoint(doses) and not doses.isdisjoint(given)])


def status(birth: date, on: date, earlier: dict[str, date], now: tuple[str, ...],
           cfg: ScreeningConfig, months: int | None = None) -> ImmunizationStatus:
    """Status at a visit on ``on``: ``earlier`` maps antigen -> date of doses before it, ``now`` given at it.

    HB0 is no longer due after ``hb0_max_days`` days and BCG from ``bcg_max_months`` months. Only the doses
    missing for the child's age are walked; past its age, only the first month that can hold the next dose.
    """
    given = earlier
    if now:
        given = dict(earlier)
        for antigen in now:
            given.setdefault(antigen, on)
    if months is None:
        months = completed_months(birth, on)  # the caller usually knows it
    grace = cfg.immunization_grace_months
    due: list[str] = []
    overdue: set[str] = set()
    upcoming: list[tuple[date, str]] = []  # dated candidates for the next due doses
    missing = _DUE_BY[min(months, _LAST)] - given.keys()
    if missing:
        if "hb0" in missing and (on - birth).days > cfg.hb0_max_days:
            missing = missing - {"hb0"}
        if "bcg" in missing and months >= cfg.bcg_max_months:
            missing = missing - {"bcg"}
        for antigen in sorted(missing, key=_ORDER.__getitem__):
            due_months, previous, interval = _ENTRY[antigen]
            if previous is None:
                due.append(antigen)
                if months >= due_months + grace:
                    overdue.add(antigen)
                continue
            before = given.get(previous)
            if before is None:
                continue  # the previous dose is due first
            after = before + interval
            if after <= on:
                due.append(antigen)
                if months >= due_months + grace and completed_months(after, on) >= grace:
                    overdue.add(antigen)
            else:
                upcoming.append((after, antigen))
    first = None  # min(upcoming), kept current after each month walked
    for due_months, doses in _BY_MONTH[_FUTURE_FROM[min(months, _LAST)] if months <= _LAST else len(_BY_MONTH):]:
        base = None
        for antigen, previous, interval in doses:
            if antigen in given:
                continue
            if previous is None:
                after = None
            else:
                before = given.get(previous)
                if before is None:
                    continue
                after = before + interval
            if base is None:
                base = add_months(birth, due_months)
            upcoming.append((after if after is not None and after > base else base, antigen))
        if base is not None:
            first = min(upcoming)
            if first[0] <= add_months(birth, due_months + 1):
                break  # no later month can come first
    if upcoming:
        next_on = (first or min(upcoming))[0]
        next_due = _due_on(upcoming, next_on) if len(upcoming) > 1 else (upcoming[0][1],)
    else:
        next_on, next_due = None, ()
    if overdue:
        drop_out, late = _drop_out(overdue, given), _in(due, overdue)
    else:
        drop_out = late = ()
    complete_now = bool(now) and given.keys() >= IDL and not earlier.keys() >= IDL  # only a dose now completes it
    before_one = months < 12
    return ImmunizationStatus(
        tuple(sorted(set(now) - earlier.keys())) if now else (), tuple(due), late, drop_out, next_due, next_on,
        complete_now and before_one, complete_now and not before_one,
    )
