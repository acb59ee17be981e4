"""Postpartum rules (nifas, up to 42 days, cluster 2): visits KF1-KF4 and postpartum danger signs."""

from __future__ import annotations

from datetime import timedelta

from .registry import WOMEN_15_49, Ctx, Finding, rule
from .rules_newborn import missed_visits, window_number

GROUP = "Postpartum (nifas)"
STAGES = WOMEN_15_49  # a mother after delivery: school-age (adolescent) or adult stage
DANGER_EMERGENCY = {"bleeding", "seizures", "severe_headache", "breathlessness"}


def kf_number(c: Ctx) -> int | None:
    """KF number of a postpartum visit: ``measurements.postpartum_visit``, else the day window (KF1 0-2 ... KF4 29-42)."""
    days = c.m.postpartum_days
    if c.sex != "F" or (days is None and c.m.postpartum_visit is None):
        return None
    return c.m.postpartum_visit or window_number(c.config.kf_windows, days)  # type: ignore[arg-type]


@rule(
    "POSTPARTUM_VISIT_MISSED", title="Postpartum visit missed (KF)", stages=STAGES, cluster=2, group=GROUP,
    criteria="at a postpartum visit, an earlier KF window (KF1 6 h-2 days, KF2 3-7, KF3 8-28, KF4 29-42) passed "
    "without a visit since this delivery", severity="low", level="pustu",
    inputs=("measurements.postpartum_days", "measurements.postpartum_visit", "history.services"),
    source="[ILP-T 05-pelayanan-nifas]", confidence="C",
    notes="At least 4 visits, with the neonatal visits; kader sweeping of mothers not yet served.",
)
def postpartum_visit_missed(c: Ctx) -> Finding | None:
    current = kf_number(c)
    days = c.m.postpartum_days
    if current is None or days is None:
        return None
    delivered = c.visit.occurred_on - timedelta(days=days)
    seen = {int(r.value) for r in c.history.services
            if r.kind == "kf" and r.value.isdigit() and r.occurred_on >= delivered}
    missed = missed_visits(c.config.kf_windows, days, seen, current)
    if not missed:
        return None
    return "low", "pustu", {"missed": [f"KF{n}" for n in missed], "postpartum_days": days, "this_visit": f"KF{current}"}


@rule(
    "POSTPARTUM_DANGER_SIGN", title="Postpartum danger sign (tanda bahaya nifas)", stages=STAGES, cluster=2,
    group=GROUP, criteria="any danger sign after delivery: bleeding, seizures, fever, foul discharge, severe "
    "headache, breathlessness, swollen painful breast, persistent sadness",
    severity="emergency for bleeding, seizures, severe headache, breathlessness; moderate for sadness; otherwise high",
    level="rs for an emergency sign; otherwise puskesmas", inputs=("measurements.postpartum_danger_signs",),
    source="Buku KIA 2023 (tanda bahaya ibu nifas); [ILP-T 05-pelayanan-nifas] (kader sweep danger signs)",
    confidence="S",
)
def postpartum_danger_sign(c: Ctx) -> Finding | None:
    signs = c.m.postpartum_danger_signs
    if not signs or c.sex != "F":
        return None
    found = sorted(set(signs))
    if DANGER_EMERGENCY & set(found):
        return "emergency", "rs", {"signs": found}
    if found == ["sadness"]:
        return "moderate", "puskesmas", {"signs": found}
    return "high", "puskesmas", {"signs": found}
