"""Rules for adults and the elderly (cluster 3) and NCD screens from 15 years: blood pressure, glucose, BMI, waist,
cholesterol and the cardiovascular risk chart.

Adult blood pressure (``HT``, ``BP_HIGH_NORMAL``) applies from 18 years; 13-17-year-olds use the adolescent
table (``HT_CHILD``). Glucose and waist screens apply from 15 years to anyone not pregnant (and glucose in
pregnancy at any age, with the pregnancy criteria); the cluster follows the stage. Adult BMI classes apply to
the adult and elderly stages (younger people use BMI-for-age).
"""

from __future__ import annotations

from . import tables
from .registry import ADULT, NON_PREGNANT_15, Ctx, Finding, family, member, rule

GROUP = "Adults and elderly (usia dewasa & lansia)"
_BP = ("measurements.systolic_mmhg", "measurements.diastolic_mmhg")


@family("adult_bp")
def adult_bp(c: Ctx) -> list[tuple[str, Finding]]:
    """Hypertension grade, else high-normal, from 18 years."""
    sbp, dbp = c.m.systolic_mmhg, c.m.diastolic_mmhg
    if sbp is None and dbp is None:
        return []
    for s_from, d_from, grade, severity in tables.ADULT_HT_GRADES:
        if (sbp is not None and sbp >= s_from) or (dbp is not None and dbp >= d_from):
            ish = sbp is not None and sbp >= 140 and dbp is not None and dbp < 90
            return [("HT", (severity, "puskesmas", {
                "systolic_mmhg": sbp, "diastolic_mmhg": dbp, "grade": grade, "isolated_systolic": ish}))]
    s_from, d_from = tables.ADULT_HIGH_NORMAL
    if (sbp is not None and sbp >= s_from) or (dbp is not None and dbp >= d_from):
        return [("BP_HIGH_NORMAL", ("low", "posyandu", {"systolic_mmhg": sbp, "diastolic_mmhg": dbp,
                                                        "class": "normal-tinggi"}))]
    return []


member(
    "HT", family="adult_bp", title="Hypertension (hipertensi)", stages=ADULT, cluster=None, group=GROUP,
    criteria="age >= 18 y: systolic >= 140 or diastolic >= 90; grade by the juknis table",
    severity="grade 1 (140-159/90-99) moderate, grade 2 (160-179/100-109) high, grade 3 (>= 180/>= 110) emergency",
    level="puskesmas", source="[ILP-T 02-skrining-hipertensi]", confidence="C", inputs=_BP,
    notes="Diagnosis by a doctor at Puskesmas; isolated systolic (>= 140 and < 90) noted in evidence. 13-17 y: "
    "HT_CHILD. The PWS fact hypertension keeps the contract's >= 15 y, 140/90 (pregnant women included).",
)
member(
    "BP_HIGH_NORMAL", family="adult_bp", title="High-normal blood pressure (normal-tinggi)", stages=ADULT,
    cluster=None, group=GROUP,
    criteria="age >= 18 y: systolic 130-139 or diastolic 85-89, below the hypertension range", severity="low",
    level="posyandu", source="[ILP-T 02-skrining-hipertensi]", confidence="C", inputs=_BP,
    notes="Posyandu/Pustu: monthly monitoring.",
)


_GLUCOSE = ("measurements.glucose_mg_dl", "measurements.glucose_fasting", "measurements.glucose_ogtt_2h_mg_dl")


@family("glucose")
def glucose(c: Ctx) -> list[tuple[str, Finding]]:
    """Diabetes range (with crisis ranges), else prediabetes range; hypoglycaemia."""
    if c.preg is None and c.age_years < 15:
        return []
    m = c.m
    g, ogtt = m.glucose_mg_dl, m.glucose_ogtt_2h_mg_dl
    fasting = bool(m.glucose_fasting)
    out: list[tuple[str, Finding]] = []
    ev: dict = {}
    if g is not None and g >= (126 if fasting else 200):
        ev.update(glucose_mg_dl=g, fasting=fasting, threshold_mg_dl=126 if fasting else 200)
    if ogtt is not None and ogtt >= 200:
        ev.update(ogtt_2h_mg_dl=ogtt)
    if ev:
        peak = max(v for v in (g, ogtt) if v is not None)
        if peak >= tables.GLUCOSE_HHS:
            out.append(("DM_SUSPECT", ("emergency", "rs", {**ev, "crisis_range": "hyperosmolar"})))
        elif peak >= c.config.glucose_crisis_mg_dl:
            out.append(("DM_SUSPECT", ("high", "puskesmas", {**ev, "crisis_range": "check ketones the same day"})))
        else:
            out.append(("DM_SUSPECT", ("high" if c.preg is not None else "moderate", "puskesmas", ev)))
    elif c.preg is None:
        low, high = (100, 126) if fasting else (140, 200)
        if (g is not None and low <= g < high) or (ogtt is not None and 140 <= ogtt < 200):
            out.append(("PREDIABETES", ("low", "posyandu", {"glucose_mg_dl": g, "fasting": fasting,
                                                            "range_mg_dl": [low, high - 1], "ogtt_2h_mg_dl": ogtt})))
    if g is not None and g < tables.HYPOGLYCAEMIA_L1:
        if g < tables.HYPOGLYCAEMIA_L2:
            out.append(("HYPOGLYCAEMIA", ("emergency", "puskesmas", {"glucose_mg_dl": g, "level": 2,
                                                                     "threshold_mg_dl": tables.HYPOGLYCAEMIA_L2})))
        else:
            out.append(("HYPOGLYCAEMIA", ("moderate", "puskesmas", {"glucose_mg_dl": g, "level": 1,
                                                                    "threshold_mg_dl": tables.HYPOGLYCAEMIA_L1})))
    return out


member(
    "DM_SUSPECT", family="glucose", title="Diabetes range glucose", stages=NON_PREGNANT_15 + ("pregnancy",),
    cluster=None, group=GROUP,
    criteria="age >= 15 y or pregnant: random (GDS) >= 200, fasting (GDP) >= 126 or 2-h OGTT >= 200 "
    "mg/dL (unstated = random); crisis check from 300, hyperosmolar range from 600",
    severity="moderate; high in pregnancy or at >= 300; emergency at >= 600",
    level="puskesmas; rs at >= 600", inputs=_GLUCOSE,
    source="[ILP-T 03-skrining-dm] (PNPK DM tipe 2); [WHO 2013] (diabetes in pregnancy, same values); "
    "[PERKENI 2021] crisis ranges [S]; the 300 mg/dL same-day check [UNCONFIRMED], configurable", confidence="C",
    notes="Diagnosis by a doctor (photometer/analyzer/HbA1c). In pregnancy: random glucose at K3.",
)
member(
    "PREDIABETES", family="glucose", title="Prediabetes range glucose", stages=NON_PREGNANT_15, cluster=None,
    group=GROUP, criteria="age >= 15 y, not pregnant: random 140-199, fasting 100-125 or 2-h OGTT 140-199 mg/dL",
    severity="low", level="posyandu", source="[ILP-T 03-skrining-dm]", confidence="C", inputs=_GLUCOSE,
    notes="Lifestyle advice and a recheck every 3 months.",
)
member(
    "HYPOGLYCAEMIA", family="glucose", title="Hypoglycaemia (hipoglikemia)", stages=NON_PREGNANT_15 + ("pregnancy",),
    cluster=None, group=GROUP, criteria="age >= 15 y or pregnant: glucose < 70 mg/dL (level 1); < 54 (level 2)",
    severity="level 1 moderate, level 2 emergency", level="puskesmas", inputs=("measurements.glucose_mg_dl",),
    source="[ADA 2024] Standards of Care, section 6 (glycaemic targets); PERKENI 2021 [S]", confidence="S",
    notes="Give oral glucose at once; a doctor the same day for level 2.",
)


def _bmi(c: Ctx) -> float | None:
    m = c.m
    if m.weight_kg is None or m.height_cm is None:
        return None
    return m.weight_kg / (m.height_cm / 100.0) ** 2


def _bmi_evidence(bmi: float) -> dict:
    return {
        "bmi": round(bmi, 2), "class_asia_pacific": tables.bmi_class_ap(bmi),
        "class_national": tables.bmi_class_national(bmi),
    }


_WH = ("measurements.weight_kg", "measurements.height_cm")


@family("adult_bmi")
def adult_bmi(c: Ctx) -> list[tuple[str, Finding]]:
    """The Asia-Pacific BMI class of an adult: underweight, overweight (at risk) or obese I/II."""
    bmi = _bmi(c)
    if bmi is None or 18.5 <= bmi < 23.0:
        return []
    if bmi < 18.5:
        return [("UNDERWEIGHT_ADULT", ("low", "posyandu", _bmi_evidence(bmi)))]
    if bmi < 25.0:
        return [("OVERWEIGHT_ADULT", ("low", "posyandu", _bmi_evidence(bmi)))]
    return [("OBESITY", ("moderate" if bmi >= 30.0 else "low", "posyandu", _bmi_evidence(bmi)))]


member(
    "UNDERWEIGHT_ADULT", family="adult_bmi", title="Underweight adult (kurus)", stages=ADULT, cluster=3, group=GROUP,
    criteria="BMI < 18.5 (Asia-Pacific)", severity="low", level="posyandu", inputs=_WH,
    source="[ILP-T 01-skrining-obesitas]", confidence="C", notes="National class (kurus berat < 17.0) in evidence.",
)
member(
    "OVERWEIGHT_ADULT", family="adult_bmi", title="Overweight adult, at risk (berat badan lebih)", stages=ADULT,
    cluster=3, group=GROUP, criteria="BMI 23.0-24.9 (Asia-Pacific)", severity="low", level="posyandu", inputs=_WH,
    source="[ILP-T 01-skrining-obesitas]", confidence="C",
    notes="Education, re-evaluate at 3 months. National class in evidence.",
)
member(
    "OBESITY", family="adult_bmi", title="Obesity (obesitas I/II)", stages=ADULT, cluster=3, group=GROUP,
    criteria="BMI >= 25.0 (Asia-Pacific: obese I 25.0-29.9, obese II >= 30.0)",
    severity="obese I low, obese II moderate", level="posyandu", inputs=_WH,
    source="[ILP-T 01-skrining-obesitas] [IMT-SCRIBD] [IMT-FLIP]", confidence="C",
    notes="Product decision: obese I is 25-29.9 (the transcription's 23-29.9 read as a typo); the national "
    "class (obesitas > 27.0) is reported alongside. Posyandu/Pustu: education, re-evaluate at 3 months; "
    "no change: FKTP.",
)


@rule(
    "CENTRAL_OBESITY", title="Central obesity (obesitas sentral)", stages=NON_PREGNANT_15, cluster=None,
    group=GROUP, criteria="age >= 15 y, not pregnant: waist > 90 cm (men) or > 80 cm (women)",
    severity="low", level="posyandu", source="[ILP-T 01-skrining-obesitas]", confidence="C",
    inputs=("measurements.waist_cm",),
)
def central_obesity(c: Ctx) -> Finding | None:
    waist = c.m.waist_cm
    if waist is None or c.age_years < 15:
        return None
    limit = 90.0 if c.sex == "M" else 80.0
    if waist <= limit:
        return None
    return "low", "posyandu", {"waist_cm": waist, "threshold_cm": limit}


@rule(
    "CHOLESTEROL_HIGH", title="High total cholesterol (kolesterol tinggi)", stages=ADULT, cluster=3, group=GROUP,
    criteria="total cholesterol >= 200 mg/dL: borderline 200-239, high >= 240 (> 320: statin)",
    severity="borderline low, high moderate", level="borderline posyandu, high puskesmas",
    inputs=("measurements.cholesterol_total_mg_dl",),
    source="[ILP-T 04-skrining-stroke] (PERKENI 2021 dyslipidaemia guideline; > 320 mg/dL: lifestyle and statin)",
    confidence="C",
)
def cholesterol_high(c: Ctx) -> Finding | None:
    total = c.m.cholesterol_total_mg_dl
    if total is None or total < tables.CHOLESTEROL_BORDERLINE:
        return None
    if total < tables.CHOLESTEROL_HIGH:
        return "low", "posyandu", {"cholesterol_total_mg_dl": total, "class": "borderline"}
    ev = {"cholesterol_total_mg_dl": total, "class": "high", "statin": total > tables.CHOLESTEROL_STATIN}
    return "moderate", "puskesmas", ev


@rule(
    "CVD_RISK", title="Cardiovascular risk (Tabel Prediksi Risiko PTM)", stages=ADULT, cluster=3, group=GROUP,
    criteria="10-year cardiovascular risk read from the juknis chart: 5-<10 %, 10-<20 %, >= 20 %",
    severity="5-<10 % low, 10-<20 % moderate, >= 20 % high", level="puskesmas", inputs=("measurements.cvd_risk_percent",),
    source="[ILP-T 04-skrining-stroke; 05-skrining-jantung] (WHO/ISH chart; follow-up by band: 1 year, 3, 3-6, 3 "
    "months, FKRTL when unchanged in 6 months at > 20 %)", confidence="C",
    notes="The chart itself (sex, age, smoking, systolic BP, cholesterol, diabetes) is read by the health worker; "
    "its colour bands are taken as the chart's (< 10, 10-< 20, 20-< 30, >= 30 %).",
)
def cvd_risk(c: Ctx) -> Finding | None:
    risk = c.m.cvd_risk_percent
    if risk is None:
        return None
    for lowest, band, severity in tables.CVD_RISK_BANDS:
        if risk >= lowest:
            return severity, "puskesmas", {"cvd_risk_percent": risk, "band": band}
    return None
