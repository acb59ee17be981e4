"""Postnatal contacts of a simulated birth: the mother's postpartum visits (KF1-KF4) with the delivery she reports,
and the newborn's neonatal visits (KN1-KN3), each on one fixed schedule by identity, so that the numbers are the same
whichever window is simulated (like :mod:`simulator.anc`).

Windows [ILP-T 05-pelayanan-nifas; 01-neonatal]: KF1 0-2 days after delivery, KF2 3-7, KF3 8-28, KF4 29-42; KN1 0-2
days of age, KN2 3-7, KN3 8-28. Each visit is kept with ``KN_VISIT`` (KN lengkap = SPM bayi baru lahir 78.03 % in
2022 [KEB-ILP]); the mother's KF visits go with them [assumption]. A woman delivers in the week after her due week
(no pregnancy visit after it); the place is a health facility for ``DELIVERY_AT_FACILITY`` of births (SPM ibu
bersalin 76.29 % [KEB-ILP]), reported at her first postpartum visit. Visits on a Sunday move to the next day, or
the day before when that would leave the window. Visits before the simulated window happened too but are not sent.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import NamedTuple

from simulator.prevalence import (
    DELIVERY_AT_FACILITY,
    DELIVERY_FACILITY_PLACES,
    DELIVERY_OTHER_PLACES,
    KF_VISIT,
    KN_VISIT,
)

KF_WINDOWS = ((1, 0, 2), (2, 3, 7), (3, 8, 28), (4, 29, 42))
# the simulated KN days: KN1 from day 1 (6-48 h) and KN3 up to day 26, so that a birth date off by a day or two
# (a data-quality warning, simulator.faults) keeps the visit after the birth and the newborn block within 28 days
KN_WINDOWS = ((1, 1, 2), (2, 3, 7), (3, 8, 26))


class Postnatal(NamedTuple):
    day: date
    number: int  # KF or KN number
    days: int  # days since delivery / of age
    delivery: dict | None  # the delivery reported at this visit (the mother's first postpartum visit)


def _day(r, born: date, first: int, last: int) -> int:  # noqa: ANN001
    d = first + int(r() * (last - first + 1))
    if (born + timedelta(days=d)).weekday() == 6:
        d = d + 1 if d + 1 <= last else d - 1
    return d


def _place(u: float, shares: tuple[tuple[str, float], ...]) -> str:
    for name, share in shares:
        if u < share:
            return name
        u -= share
    return shares[-1][0]


def delivery_day(lmp: date, due_weeks: int) -> date:
    """The delivery: the first day after the due week (no pregnancy visit falls after it)."""
    return lmp + timedelta(days=7 * (due_weeks + 1))


def postpartum(key: int, delivered: date) -> tuple[Postnatal, ...]:
    """The mother's KF visits (deterministic by ``key``); the first carries the delivery's place."""
    r = random.Random(f"kf:{key}").random
    facility = r() < DELIVERY_AT_FACILITY
    place = _place(r(), DELIVERY_FACILITY_PLACES if facility else DELIVERY_OTHER_PLACES)
    out: list[Postnatal] = []
    for number, first, last in KF_WINDOWS:
        kept, d = r() < KF_VISIT, _day(r, delivered, first, last)
        if kept:
            report = {"place": place, "attendant": "midwife" if facility else "traditional"} if not out else None
            out.append(Postnatal(delivered + timedelta(days=d), number, d, report))
    return tuple(out)


def neonatal(key: int, born: date) -> tuple[Postnatal, ...]:
    """The newborn's KN visits (deterministic by ``key``)."""
    r = random.Random(f"kn:{key}").random
    out = []
    for number, first, last in KN_WINDOWS:
        kept, d = r() < KN_VISIT, _day(r, born, first, last)
        if kept:
            out.append(Postnatal(born + timedelta(days=d), number, d, None))
    return tuple(out)
