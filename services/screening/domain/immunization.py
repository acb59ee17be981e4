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


_SCHED = {a: (a, m, p, timedelta(days=i)) for a, (m, p, i) in SCHEDULE.items()}
_ORDER = {a: n for n, a in enumerate(SCHEDULE)}
_ALL = frozenset(SCHEDULE)


def status(birth: date, on: date, earlier: dict[str, date], now: tuple[str, ...],
           cfg: ScreeningConfig) -> ImmunizationStatus:
    """Status at a visit on ``on``: ``earlier`` maps antigen -> date of doses before it, ``now`` given at it.

    HB0 is no longer due after ``hb0_max_days`` days and BCG from ``bcg_max_months`` months.
    """
    given = dict(earlier)
    for antigen in now:
        given.setdefault(antigen, on)
    months = completed_months(birth, on)
    hb0_late = (on - birth).days > cfg.hb0_max_days
    bcg_late = months >= cfg.bcg_max_months
    grace = cfg.immunization_grace_months
    due: list[str] = []
    overdue: set[str] = set()
    upcoming: list[tuple[date, str]] = []  # dated candidates for the next due doses
    future: dict[int, list[tuple[str, date | None]]] = {}  # not yet of age, by due month
    for antigen in sorted(_ALL - given.keys(), key=_ORDER.__getitem__):
        _, due_months, previous, interval = _SCHED[antigen]
        if previous is None:
            after = None
            if months < due_months:
                future.setdefault(due_months, []).append((antigen, None))
                continue
            if (hb0_late and antigen == "hb0") or (bcg_late and antigen == "bcg"):
                continue
        else:
            before = given.get(previous)
            if before is None:
                continue  # the previous dose is due first
            after = before + interval
            if months < due_months:
                future.setdefault(due_months, []).append((antigen, after))
                continue
        if after is None or after <= on:
            due.append(antigen)
            if months >= due_months + grace and (after is None or completed_months(after, on) >= grace):
                overdue.add(antigen)
        else:
            upcoming.append((after, antigen))
    for due_months in sorted(future):  # ages in increasing order: stop once an age is past the earliest date
        base = add_months(birth, due_months)
        if upcoming and base > min(upcoming)[0]:
            break
        upcoming += [(after if after is not None and after > base else base, a) for a, after in future[due_months]]
    drop_out = tuple(name for name, doses in _SERIES_SETS if not overdue.isdisjoint(doses)
                     and not doses.isdisjoint(given)) if overdue else ()
    next_on = min(upcoming)[0] if upcoming else None
    next_due = tuple(sorted(a for d, a in upcoming if d == next_on)) if next_on is not None else ()
    complete_now = IDL <= given.keys() and not IDL <= earlier.keys()
    before_one = months < 12
    return ImmunizationStatus(
        given_now=tuple(sorted(set(now) - earlier.keys())) if now else (), due=tuple(due),
        overdue=tuple(a for a in due if a in overdue) if overdue else (), drop_out=drop_out, next_due=next_due,
        next_due_on=next_on, idl_complete=complete_now and before_one, idl_complete_late=complete_now and not before_one,
    )
