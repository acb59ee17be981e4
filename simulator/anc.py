"""Standard ANC contacts of a simulated pregnancy: one fixed schedule per woman, so that her K-numbers are
the same whichever window is simulated.

A woman's schedule depends only on her identity (``Person.key``), her last menstrual period and her due
week: whether she has any contact (K1 access), the week of her first contact (trimester 1 or later), and
the later contacts of the 1-2-3 schedule (weeks 16, 22, 28, 32, 36, 38 [ILP-T 01-anc-terpadu]), each kept
with a probability. Contacts before the simulated window happened too (they are numbered) but are not sent:
a contact sent in the window carries its true K-number (``pregnancy.anc_visit_number``), so a woman whose
K1 was in an earlier month does not reach K1 again. Contacts are at least two weeks apart (never two on
one day) and none falls on a Sunday. The first contact and the one at 32 weeks are by the Puskesmas doctor
with ultrasound [ILP-T 01-anc-terpadu: K1 in trimester 1 and K5 in trimester 3]; the others are by the
Pustu midwife.

Rates (:mod:`simulator.prevalence`): K1 access 95 % [assumption], first contact in trimester 1 (<= 13
weeks) for 80 % of them [assumption], each later contact kept with 93 % [assumption]; this gives K4 (1-1-2)
about 75 %, close to the 77 % of women with >= 4 antenatal visits in SDKI 2017 (as quoted by Aryanti,
"Kesehatan reproduksi, ibu, bayi baru lahir, anak dan remaja", fdokumen.com) [S].
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import NamedTuple

from simulator.prevalence import ANC_K1_ACCESS, ANC_K1_TRIMESTER_1, ANC_LATER_CONTACT

LATER_WEEKS = (16, 22, 28, 32, 36, 38)
DOCTOR_WEEK = 32  # the trimester-3 doctor contact with ultrasound (K5 of the juknis)


class Contact(NamedTuple):
    day: date
    number: int  # K-number: 1 for the first contact of the pregnancy
    by: str  # "doctor" (Puskesmas) or "midwife" (Pustu)


def schedule(key: int, lmp: date, due_weeks: int) -> tuple[Contact, ...]:
    """The standard ANC contacts of one pregnancy, by date (deterministic by ``key``)."""
    r = random.Random(f"anc:{key}").random
    if r() >= ANC_K1_ACCESS:
        return ()
    first = 6 + int(r() * 8) if r() < ANC_K1_TRIMESTER_1 else 14 + int(r() * 11)  # weeks 6-13, else 14-24
    weeks = [first] + [w for w in LATER_WEEKS if w >= first + 2 and r() < ANC_LATER_CONTACT]
    out: list[Contact] = []
    for i, w in enumerate(weeks):
        day = lmp + timedelta(days=7 * w + int(r() * 5))  # within the week (days 0-4, a Sunday moves to Monday)
        if day.weekday() == 6:
            day += timedelta(days=1)
        if (day - lmp).days // 7 > due_weeks:
            break
        by = "doctor" if i == 0 or w == DOCTOR_WEEK else "midwife"
        out.append(Contact(day, len(out) + 1, by))
    return tuple(out)
