"""Rules for pregnant women (ibu hamil, cluster 2): anaemia, KEK, hypertension and pre-eclampsia, 4T, ANC schedule."""

from __future__ import annotations

from . import tables
from .registry import PREGNANCY, Ctx, Finding, rule

GROUP = "Pregnancy (ibu hamil)"
# [ILP-T 01-anc-terpadu] 1-2-3 schedule (K1-K6): cumulative contacts due by gestational week.
ANC_DEADLINES: tuple[tuple[int, int], ...] = ((12, 1), (24, 3), (40, 6))


@rule(
    "ANEMIA_PREG", title="Anaemia in pregnancy", stages=PREGNANCY, cluster=2, group=GROUP,
    criteria="Hb < 11.0 g/dL; mild 10.0-10.9, moderate 7.0-9.9, severe < 7.0",
    severity="mild low, moderate moderate, severe high", level="mild pustu, moderate puskesmas, severe rs (assumed)",
    source="[WHO-HB]", confidence="C", notes="The levels are a product assumption: the sources give thresholds only.",
)
def anemia_preg(c: Ctx) -> Finding | None:
    hb = c.m.hb_g_dl
    if hb is None or c.preg is None:
        return None
    grade = tables.anaemia_grade(hb, "pregnant women")
    if grade is None:
        return None
    severity, level = tables.ANAEMIA_ACTION[grade]
    return severity, level, {"hb_g_dl": hb, "threshold_g_dl": 11.0, "grade": grade}


@rule(
    "KEK", title="Chronic energy deficiency (KEK)", stages=PREGNANCY, cluster=2, group=GROUP,
    criteria="MUAC (LiLA) < 23.5 cm", severity="moderate", level="puskesmas",
    source="[ILP-T 03-pmt-ibu-hamil-kek]", confidence="C",
    notes="Handled by a doctor; supplementary food +500 kcal for >= 90 days.",
)
def kek(c: Ctx) -> Finding | None:
    muac = c.m.muac_cm
    if muac is None or muac >= 23.5 or c.preg is None:
        return None
    return "moderate", "puskesmas", {"muac_cm": muac, "threshold_cm": 23.5}


@rule(
    "LOW_BMI_PREG", title="Underweight in trimester 1 (kekurangan berat badan)", stages=PREGNANCY, cluster=2,
    group=GROUP, criteria="gestational week <= 12 and BMI < 18.5", severity="moderate", level="puskesmas",
    source="[ILP-T 03-pmt-ibu-hamil-kek]", confidence="C",
)
def low_bmi_preg(c: Ctx) -> Finding | None:
    m = c.m
    if c.preg is None or c.preg.gestational_weeks > 12 or m.weight_kg is None or m.height_cm is None:
        return None
    bmi = m.weight_kg / (m.height_cm / 100.0) ** 2
    if bmi >= 18.5:
        return None
    ev = {"bmi": round(bmi, 2), "threshold": 18.5, "gestational_weeks": c.preg.gestational_weeks}
    return "moderate", "puskesmas", ev


def _hypertensive(c: Ctx) -> tuple[int | None, int | None, bool, bool]:
    """(systolic, diastolic, hypertensive >= 140/90, severe >= 160/110)."""
    sbp, dbp = c.m.systolic_mmhg, c.m.diastolic_mmhg
    ht = (sbp is not None and sbp >= 140) or (dbp is not None and dbp >= 90)
    severe = (sbp is not None and sbp >= 160) or (dbp is not None and dbp >= 110)
    return sbp, dbp, ht, severe


def _suspect_pe(c: Ctx) -> bool:
    return c.preg is not None and c.preg.gestational_weeks > 20 and (c.preg.proteinuria or 0) >= 1


@rule(
    "HT_PREG", title="Hypertension in pregnancy", stages=PREGNANCY, cluster=2, group=GROUP,
    criteria="systolic >= 140 or diastolic >= 90 mmHg, when SUSPECT_PE does not apply",
    severity="high; emergency at >= 160 / >= 110", level="puskesmas; rs at >= 160 / >= 110",
    source="[PREEK-DICTIO] [ILP-T 02-skrining-hipertensi] [ANC-IG]", confidence="S",
)
def ht_preg(c: Ctx) -> Finding | None:
    sbp, dbp, ht, severe = _hypertensive(c)
    if not ht or c.preg is None or _suspect_pe(c):
        return None
    ev = {"systolic_mmhg": sbp, "diastolic_mmhg": dbp, "severe_range": severe}
    return ("emergency", "rs", ev) if severe else ("high", "puskesmas", ev)


@rule(
    "SUSPECT_PE", title="Suspected pre-eclampsia", stages=PREGNANCY, cluster=2, group=GROUP,
    criteria="systolic >= 140 or diastolic >= 90 mmHg, after 20 weeks (> 20), with proteinuria >= +1",
    severity="high; emergency at >= 160 / >= 110", level="rs",
    source="[PREEK-DICTIO] [ANC-IG Logical-Preeclampsia-Referral]", confidence="S",
)
def suspect_pe(c: Ctx) -> Finding | None:
    sbp, dbp, ht, severe = _hypertensive(c)
    if not ht or not _suspect_pe(c):
        return None
    ev = {
        "systolic_mmhg": sbp, "diastolic_mmhg": dbp, "proteinuria": c.preg.proteinuria,  # type: ignore[union-attr]
        "gestational_weeks": c.preg.gestational_weeks, "severe_range": severe,  # type: ignore[union-attr]
    }
    return ("emergency" if severe else "high"), "rs", ev


@rule(
    "RISK_4T", title="4T risk (terlalu muda, tua, dekat, banyak)", stages=PREGNANCY, cluster=2, group=GROUP,
    criteria=(
        "age < 20 or > 35 years; when given: >= 3 living children, or < 24 months from the last birth "
        "to this conception (months since last birth - gestational weeks)"
    ),
    severity="low for one factor, moderate for two or more", level="puskesmas",
    source="[ILP-T 01-anc-terpadu; 02-skrining-layak-hamil] [TVONE]", confidence="C",
    notes="'Terlalu banyak' follows ILP's 'ideal hamil: children < 3'; other sources use > 3.",
)
def risk_4t(c: Ctx) -> Finding | None:
    p = c.preg
    if p is None:
        return None
    factors: list[str] = []
    ev: dict = {"age_years": c.age_years}
    if c.age_years < 20:
        factors.append("terlalu_muda")
    elif c.age_years > 35:
        factors.append("terlalu_tua")
    if p.months_since_last_birth is not None:
        interval = p.months_since_last_birth - p.gestational_weeks * 7 / 30.4375
        ev["months_last_birth_to_conception"] = round(interval, 1)
        if interval < 24:
            factors.append("terlalu_dekat")
    if p.living_children is not None:
        ev["living_children"] = p.living_children
        if p.living_children >= 3:
            factors.append("terlalu_banyak")
    if not factors:
        return None
    ev["factors"] = factors
    return ("moderate" if len(factors) > 1 else "low"), "puskesmas", ev


def anc_behind(gestational_weeks: int, prior: int) -> tuple[int, int, int] | None:
    """The latest missed deadline ``(week, contacts due, contacts by then)`` of the 1-2-3 schedule, or None.

    Contacts before this visit are assumed to lie before each deadline (the count has no dates); this
    visit counts for a deadline it does not come after.
    """
    for week, due in reversed(ANC_DEADLINES):
        if gestational_weeks >= week:
            by_then = prior + (1 if gestational_weeks <= week else 0)
            if by_then < due:
                return week, due, by_then
    return None


@rule(
    "ANC_DEFAULT", title="ANC behind the 1-2-3 schedule (K1-K6)", stages=PREGNANCY, cluster=2, group=GROUP,
    criteria=(
        "fewer contacts than due: >= 1 by week 12, >= 3 by week 24, >= 6 by week 40; contacts = history + "
        "this visit (or the visit's K-number when larger)"
    ),
    severity="low", level="pustu", source="[ILP-T 01-anc-terpadu]", confidence="C",
    notes="Action: kader sweeping / reminder, ANC at Pustu or Puskesmas.",
)
def anc_default(c: Ctx) -> Finding | None:
    p = c.preg
    if p is None:
        return None
    total = max(c.history.anc_contacts + 1, p.anc_visit_number or 0)
    missed = anc_behind(p.gestational_weeks, total - 1)
    if missed is None:
        return None
    week, due, by_then = missed
    return "low", "pustu", {
        "gestational_weeks": p.gestational_weeks, "contacts_total": total, "deadline_week": week,
        "contacts_due": due, "contacts_by_deadline": by_then,
    }
