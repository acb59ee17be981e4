"""Rules for pregnant women (ibu hamil, cluster 2): KEK, BMI, hypertension and pre-eclampsia, 4T and obstetric
risk, gestational diabetes, triple elimination results, danger signs. ANC schedule rules: ``rules_anc``.

No rule here has an age guard: a pregnant girl under 15 is screened like any pregnant woman.
"""

from __future__ import annotations

from . import tables
from .registry import PREGNANCY, Ctx, Finding, rule

GROUP = "Pregnancy (ibu hamil)"


@rule(
    "KEK", title="Chronic energy deficiency (KEK)", stages=PREGNANCY, cluster=2, group=GROUP,
    criteria="MUAC (LiLA) < 23.5 cm", severity="moderate", level="puskesmas", inputs=("measurements.muac_cm",),
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
    source="[ILP-T 03-pmt-ibu-hamil-kek]", confidence="C", inputs=("measurements.weight_kg", "measurements.height_cm"),
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
    return c.preg is not None and c.preg.gestational_weeks >= 20 and (c.preg.proteinuria or 0) >= 1


_BP = ("measurements.systolic_mmhg", "measurements.diastolic_mmhg")


@rule(
    "HT_PREG", title="Hypertension in pregnancy", stages=PREGNANCY, cluster=2, group=GROUP,
    criteria="systolic >= 140 or diastolic >= 90 mmHg, when SUSPECT_PE does not apply",
    severity="high; emergency at >= 160 / >= 110", level="puskesmas; rs at >= 160 / >= 110", inputs=_BP,
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
    criteria="systolic >= 140 or diastolic >= 90 mmHg from 20 weeks (>= 20) with proteinuria >= +1",
    severity="emergency (same-day referral)", level="rs", inputs=_BP + ("pregnancy.proteinuria",),
    source="[PREEK-DICTIO] (onset from 20 weeks); [ANC-IG Logical-Preeclampsia-Referral]; WHO recommendations for "
    "prevention and treatment of pre-eclampsia and eclampsia (2011) and POGI PNPK pre-eklampsia (2016): refer to "
    "a hospital at once", confidence="S",
    notes="Same-day handling: the referral deadline of severity emergency is 1 day (docs/referral.md).",
)
def suspect_pe(c: Ctx) -> Finding | None:
    sbp, dbp, ht, severe = _hypertensive(c)
    if not ht or not _suspect_pe(c):
        return None
    ev = {
        "systolic_mmhg": sbp, "diastolic_mmhg": dbp, "proteinuria": c.preg.proteinuria,  # type: ignore[union-attr]
        "gestational_weeks": c.preg.gestational_weeks, "severe_range": severe,  # type: ignore[union-attr]
    }
    return "emergency", "rs", ev


@rule(
    "RISK_4T", title="4T risk (terlalu muda, tua, dekat, banyak)", stages=PREGNANCY, cluster=2, group=GROUP,
    criteria=(
        "age < 20 or > 35 years; when given: >= 3 previous births (parity; else living children; else gravida - 1), "
        "or < 24 months from the last birth to this conception (months since last birth - gestational weeks)"
    ),
    severity="low for one factor, moderate for two or more", level="puskesmas",
    inputs=("age", "pregnancy.parity", "pregnancy.living_children", "pregnancy.gravida",
            "pregnancy.months_since_last_birth"),
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
    births, basis = (p.parity, "parity") if p.parity is not None else (
        (p.living_children, "living_children") if p.living_children is not None else (
            (p.gravida - 1, "gravida") if p.gravida is not None else (None, None)))
    if births is not None:
        ev["previous_births"], ev["births_basis"] = births, basis
        if p.living_children is not None:
            ev["living_children"] = p.living_children
        if births >= 3:
            factors.append("terlalu_banyak")
    if not factors:
        return None
    ev["factors"] = factors
    return ("moderate" if len(factors) > 1 else "low"), "puskesmas", ev


@rule(
    "RISK_OBSTETRIC", title="Obstetric risk factors (faktor risiko kehamilan)", stages=PREGNANCY, cluster=2,
    group=GROUP, criteria="maternal height < 145 cm, or an obstetric history item (previous caesarean, stillbirth, "
    "recurrent miscarriage, preterm birth, postpartum haemorrhage, pre-eclampsia, low-birth-weight baby, "
    "obstructed labour)", severity="moderate", level="puskesmas",
    inputs=("measurements.height_cm", "pregnancy.obstetric_history"),
    source="[NAKITA] (height < 145 cm); Buku KIA 2023 risk factors; [ILP-T 01-anc-terpadu] (risk found at the "
    "first ANC: later ANC at a hospital per the doctor's K1 recommendation)", confidence="S",
)
def risk_obstetric(c: Ctx) -> Finding | None:
    p = c.preg
    if p is None:
        return None
    factors = sorted(set(p.obstetric_history or ()))
    height = c.m.height_cm
    if height is not None and height < 145.0:
        factors.insert(0, "height_below_145_cm")
    if not factors:
        return None
    return "moderate", "puskesmas", {"factors": factors, "height_cm": height}


@rule(
    "GDM", title="Gestational diabetes range (diabetes melitus gestasional)", stages=PREGNANCY, cluster=2, group=GROUP,
    criteria="fasting glucose 92-125 mg/dL or 2-h 75 g OGTT 153-199 mg/dL (below the diabetes-in-pregnancy range)",
    severity="moderate", level="puskesmas", inputs=("measurements.glucose_mg_dl", "measurements.glucose_ogtt_2h_mg_dl"),
    source="[WHO 2013] Diagnostic criteria and classification of hyperglycaemia first detected in pregnancy "
    "(WHO/NMH/MND/13.2)", confidence="S",
    notes="Diagnosis by a doctor; diabetes in pregnancy (fasting >= 126, 2-h >= 200, random >= 200) is DM_SUSPECT.",
)
def gdm(c: Ctx) -> Finding | None:
    m = c.m
    if c.preg is None:
        return None
    ev: dict = {}
    g = m.glucose_mg_dl
    if g is not None and m.glucose_fasting and tables.GDM_FASTING <= g < tables.DIP_FASTING:
        ev["fasting_mg_dl"] = g
    ogtt = m.glucose_ogtt_2h_mg_dl
    if ogtt is not None and tables.GDM_OGTT_2H <= ogtt < tables.DIP_OGTT_2H:
        ev["ogtt_2h_mg_dl"] = ogtt
    if not ev:
        return None
    ev["thresholds_mg_dl"] = {"fasting": tables.GDM_FASTING, "ogtt_2h": tables.GDM_OGTT_2H}
    ev["gestational_weeks"] = c.preg.gestational_weeks
    return "moderate", "puskesmas", ev


def _reactive(test: str, name: str, level: str, source: str, note: str):
    def check(c: Ctx) -> Finding | None:
        labs = c.preg.labs if c.preg is not None else None
        if labs is None or getattr(labs, test) != "reactive":
            return None
        return "high", level, {"test": test, "result": "reactive"}

    check.__name__ = f"check_{test}_reactive"
    return rule(
        f"{test.upper()}_REACTIVE_PREG", title=f"{name} reactive in pregnancy (triple elimination)", stages=PREGNANCY, cluster=2, group=GROUP,
        criteria=f"pregnancy.labs.{test} reactive", severity="high", level=level, source=source, confidence="C",
        inputs=(f"pregnancy.labs.{test}",), notes=note,
    )(check)


_reactive("hiv", "HIV", "puskesmas", "[ILP-T 01-anc-terpadu]", "To the PDP (HIV care and treatment) service for diagnosis.")
_reactive("syphilis", "Syphilis", "puskesmas", "[ILP-T 01-anc-terpadu]", "To the PDP service; treat the partner too.")
_reactive("hbsag", "HBsAg (hepatitis B)", "rs", "[ILP-T 01-anc-terpadu]", "Refer to FKRTL (Sp.PD); the newborn gets HB0 and HBIg.")

# Buku KIA 2023, tanda bahaya kehamilan: go to a health facility at once [S].
DANGER_EMERGENCY = {"bleeding", "seizures", "ruptured_membranes", "reduced_fetal_movement", "severe_headache",
                    "blurred_vision"}


@rule(
    "DANGER_SIGN_PREG", title="Danger sign in pregnancy (tanda bahaya kehamilan)", stages=PREGNANCY, cluster=2,
    group=GROUP, criteria="any danger sign: bleeding, seizures, fever, reduced fetal movement, ruptured membranes, "
    "persistent vomiting, severe headache, blurred vision, swelling of face/hands/feet",
    severity="emergency for bleeding, seizures, ruptured membranes, reduced fetal movement, severe headache, blurred "
    "vision; otherwise high", level="rs for an emergency sign; otherwise puskesmas", inputs=("pregnancy.danger_signs",),
    source="Buku KIA 2023 (tanda bahaya kehamilan); [ILP-T 01-anc-terpadu] (kader educate on danger signs)",
    confidence="S",
)
def danger_sign_preg(c: Ctx) -> Finding | None:
    signs = c.preg.danger_signs if c.preg is not None else None
    if not signs:
        return None
    found = sorted(set(signs))
    if DANGER_EMERGENCY & set(found):
        return "emergency", "rs", {"signs": found}
    return "high", "puskesmas", {"signs": found}
