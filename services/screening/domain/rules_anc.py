"""ANC rules (cluster 2): the 1-2-3 schedule of six standard contacts, doctor contacts, triple elimination tests.

Only standard contacts (``pregnancy.anc``) count, per pregnancy (``anc``); a kader's pregnancy visit is checked
against the schedule too (that is when sweeping happens) but is not a contact itself.
"""

from __future__ import annotations

from . import anc
from .registry import PREGNANCY, UNSET, Ctx, Finding, rule

GROUP = "Pregnancy (ibu hamil)"
TRIPLE = ("hiv", "syphilis", "hbsag")


def anc_state(c: Ctx) -> anc.AncState | None:
    """The pregnancy of this visit (memoised); None outside pregnancy."""
    if c.preg is None:
        return None
    found = c.anc
    if found is UNSET:
        found = c.anc = anc.state(c.visit, c.history.pregnancy, c.config)
    return found


_INPUTS = ("pregnancy.anc", "pregnancy.anc_visit_number", "pregnancy.gestational_weeks", "history.pregnancy")


@rule(
    "ANC_DEFAULT", title="ANC behind the 1-2-3 schedule (K1-K6)", stages=PREGNANCY, cluster=2, group=GROUP,
    criteria=(
        "standard contacts of this pregnancy up to this visit: fewer than due by a passed deadline (1 by week 12, "
        "3 by 24, 4 by 30, 5 by 36, 6 by 40), or no contact in trimester 1 (0-12 weeks) once past it, or fewer "
        "than 2 in trimester 2 (> 12-24) once past it"
    ),
    severity="low", level="pustu", inputs=_INPUTS,
    source="[ILP-T 01-anc-terpadu]; intermediate trimester-3 deadlines [UNCONFIRMED]", confidence="C",
    notes="Action: kader sweeping / reminder, ANC at Pustu or Puskesmas. The facility's K-number counts for the "
    "cumulative deadlines.",
)
def anc_default(c: Ctx) -> Finding | None:
    s = anc_state(c)
    if s is None:
        return None
    gaps = anc.schedule_gaps(s.contacts, c.visit.occurred_on, c.preg.gestational_weeks, c.config)  # type: ignore[union-attr]
    if gaps is None:
        return None
    return "low", "pustu", gaps


@rule(
    "ANC_DOCTOR_DUE", title="ANC doctor contact due (K1 / K5 with ultrasound)", stages=PREGNANCY, cluster=2,
    group=GROUP, criteria="a pregnancy with standard contacts: no doctor contact yet once past week 12, or no doctor "
    "contact in trimester 3 once past week 36",
    severity="low", level="puskesmas", inputs=_INPUTS,
    source="[ILP-T 01-anc-terpadu] (doctor at K1 in trimester 1 and K5 in trimester 3, with ultrasound); the "
    "week-36 deadline [UNCONFIRMED]", confidence="C",
)
def anc_doctor_due(c: Ctx) -> Finding | None:
    s = anc_state(c)
    if s is None or not s.contacts:
        return None
    gaps = anc.doctor_gaps(s.contacts, c.visit.occurred_on, c.preg.gestational_weeks, c.config)  # type: ignore[union-attr]
    if not gaps:
        return None
    doctors = [k for k in s.contacts if k.anc_by == "doctor"]
    return "low", "puskesmas", {"due": gaps, "doctor_contacts": len(doctors),
                                "doctor_contacts_with_ultrasound": sum(k.ultrasound for k in doctors)}


def triple_tested(c: Ctx) -> list[str]:
    """Triple elimination tests with a result at this visit."""
    labs = c.preg.labs if c.preg is not None else None
    if labs is None:
        return []
    hiv, syphilis, hbsag = labs.hiv, labs.syphilis, labs.hbsag
    return [t for t, v in zip(TRIPLE, (hiv, syphilis, hbsag)) if v is not None]


@rule(
    "TRIPLE_ELIMINATION_DUE", title="Triple elimination tests not done (HIV, syphilis, hepatitis B)",
    stages=PREGNANCY, cluster=2, group=GROUP,
    criteria="at a standard ANC contact, a triple elimination test without a result in this pregnancy",
    severity="low", level="puskesmas", inputs=("pregnancy.anc", "pregnancy.labs", "history.services"),
    source="[ILP-T 01-anc-terpadu] (tests at ANC; not possible at the visit: schedule them for the next one)",
    confidence="C",
)
def triple_elimination_due(c: Ctx) -> Finding | None:
    s = anc_state(c)
    if s is None or not s.contact:
        return None
    done = set(triple_tested(c))
    done.update(r.kind for r in c.history.services if r.kind in TRIPLE and r.occurred_on >= s.conception_on)
    missing = [t for t in TRIPLE if t not in done]
    if not missing:
        return None
    return "low", "puskesmas", {"missing": missing}
