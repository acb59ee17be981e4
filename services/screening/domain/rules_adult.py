"""Rules for adults and the elderly (cluster 3), NCD screens from 15 years, and TB at any age (cluster 4).

NCD screens (HT, glucose, central obesity, SRQ-20) apply from 15 years to anyone not pregnant, so a
15-17-year-old (cluster 2) is screened too; the cluster follows the stage. Adult BMI classes apply to
the adult and elderly stages (younger people use BMI-for-age).
"""

from __future__ import annotations

from . import tables
from .registry import ADULT, ANY_STAGE, ELDERLY, NON_PREGNANT_15, Ctx, Finding, rule

GROUP = "Adults and elderly (usia dewasa & lansia)"
GROUP_ANY = "Any age"


@rule(
    "HT", title="Hypertension (hipertensi)", stages=NON_PREGNANT_15, cluster=None, group=GROUP,
    criteria="age >= 15 y, not pregnant: systolic >= 140 or diastolic >= 90; grade by the juknis table",
    severity="grade 1 (140-159/90-99) moderate, grade 2 (160-179/100-109) high, grade 3 (>= 180/>= 110) emergency",
    level="puskesmas", source="[ILP-T 02-skrining-hipertensi]", confidence="C",
    notes="Diagnosis by a doctor at Puskesmas; isolated systolic (>= 140 and < 90) noted in evidence.",
)
def ht(c: Ctx) -> Finding | None:
    sbp, dbp = c.m.systolic_mmhg, c.m.diastolic_mmhg
    if (sbp is None and dbp is None) or c.age_years < 15:
        return None
    for s_from, d_from, grade, severity in tables.ADULT_HT_GRADES:
        if (sbp is not None and sbp >= s_from) or (dbp is not None and dbp >= d_from):
            ish = sbp is not None and sbp >= 140 and dbp is not None and dbp < 90
            return severity, "puskesmas", {
                "systolic_mmhg": sbp, "diastolic_mmhg": dbp, "grade": grade, "isolated_systolic": ish,
            }
    return None


def _glucose(c: Ctx) -> tuple[float, bool] | None:
    g = c.m.glucose_mg_dl
    if g is None or c.age_years < 15:
        return None
    return g, bool(c.m.glucose_fasting)  # not stated: random (GDS)


@rule(
    "DM_SUSPECT", title="Diabetes range glucose", stages=NON_PREGNANT_15 + ("pregnancy",), cluster=None,
    group=GROUP, criteria="age >= 15 y: random (GDS) >= 200 or fasting (GDP) >= 126 mg/dL; unstated = random",
    severity="moderate", level="puskesmas", source="[ILP-T 03-skrining-dm]", confidence="C",
    notes="Diagnosis by a doctor (photometer/analyzer/HbA1c). Also applied in pregnancy (random glucose at K3).",
)
def dm_suspect(c: Ctx) -> Finding | None:
    g = _glucose(c)
    if g is None:
        return None
    value, fasting = g
    if value < (126 if fasting else 200):
        return None
    threshold = 126 if fasting else 200
    return "moderate", "puskesmas", {"glucose_mg_dl": value, "fasting": fasting, "threshold_mg_dl": threshold}


@rule(
    "PREDIABETES", title="Prediabetes range glucose", stages=NON_PREGNANT_15, cluster=None, group=GROUP,
    criteria="age >= 15 y, not pregnant: random 140-199 or fasting 100-125 mg/dL", severity="low",
    level="posyandu", source="[ILP-T 03-skrining-dm]", confidence="C",
    notes="Lifestyle advice and a recheck every 3 months.",
)
def prediabetes(c: Ctx) -> Finding | None:
    g = _glucose(c)
    if g is None:
        return None
    value, fasting = g
    low, high = (100, 126) if fasting else (140, 200)
    if not low <= value < high:
        return None
    return "low", "posyandu", {"glucose_mg_dl": value, "fasting": fasting, "range_mg_dl": [low, high - 1]}


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


@rule(
    "UNDERWEIGHT_ADULT", title="Underweight adult (kurus)", stages=ADULT, cluster=3, group=GROUP,
    criteria="BMI < 18.5 (Asia-Pacific)", severity="low", level="posyandu",
    source="[ILP-T 01-skrining-obesitas]", confidence="C", notes="National class (kurus berat < 17.0) in evidence.",
)
def underweight_adult(c: Ctx) -> Finding | None:
    bmi = _bmi(c)
    if bmi is None or bmi >= 18.5:
        return None
    return "low", "posyandu", _bmi_evidence(bmi)


@rule(
    "OVERWEIGHT_ADULT", title="Overweight adult, at risk (berat badan lebih)", stages=ADULT, cluster=3, group=GROUP,
    criteria="BMI 23.0-24.9 (Asia-Pacific)", severity="low", level="posyandu",
    source="[ILP-T 01-skrining-obesitas]", confidence="C",
    notes="Education, re-evaluate at 3 months. National class in evidence.",
)
def overweight_adult(c: Ctx) -> Finding | None:
    bmi = _bmi(c)
    if bmi is None or not 23.0 <= bmi < 25.0:
        return None
    return "low", "posyandu", _bmi_evidence(bmi)


@rule(
    "OBESITY", title="Obesity (obesitas I/II)", stages=ADULT, cluster=3, group=GROUP,
    criteria="BMI >= 25.0 (Asia-Pacific: obese I 25.0-29.9, obese II >= 30.0)",
    severity="obese I low, obese II moderate", level="posyandu",
    source="[ILP-T 01-skrining-obesitas] [IMT-SCRIBD] [IMT-FLIP]", confidence="C",
    notes="Product decision: obese I is 25-29.9 (the transcription's 23-29.9 read as a typo); the national "
    "class (obesitas > 27.0) is reported alongside. Posyandu/Pustu: education, re-evaluate at 3 months; "
    "no change: FKTP.",
)
def obesity(c: Ctx) -> Finding | None:
    bmi = _bmi(c)
    if bmi is None or bmi < 25.0:
        return None
    return ("moderate" if bmi >= 30.0 else "low"), "posyandu", _bmi_evidence(bmi)


@rule(
    "CENTRAL_OBESITY", title="Central obesity (obesitas sentral)", stages=NON_PREGNANT_15, cluster=None,
    group=GROUP, criteria="age >= 15 y, not pregnant: waist > 90 cm (men) or > 80 cm (women)",
    severity="low", level="posyandu", source="[ILP-T 01-skrining-obesitas]", confidence="C",
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
    "PPOK_HIGH_RISK", title="COPD high risk (PPOK, PUMA)", stages=NON_PREGNANT_15 + ("pregnancy",), cluster=None,
    group=GROUP, criteria="age >= 40 y: PUMA score >= 6", severity="moderate", level="rs",
    source="[ILP-T 09-skrining-ppok; 09-form-table/04-kuesioner-puma]", confidence="C",
    notes="UBM counselling, spirometry if available, refer to FKRTL.",
)
def ppok_high_risk(c: Ctx) -> Finding | None:
    score = c.m.puma_score
    if score is None or score < 6 or c.age_years < 40:
        return None
    return "moderate", "rs", {"puma_score": score, "threshold": 6}


@rule(
    "MENTAL_POSITIVE", title="Mental health screen positive (SRQ-20)", stages=NON_PREGNANT_15 + ("pregnancy",),
    cluster=None, group=GROUP, criteria="age >= 15 y: SRQ-20 >= 6, or item 17 (suicidal thoughts) = yes",
    severity="moderate; high when item 17 = yes", level="puskesmas",
    source="[ILP-T 07-skrining-jiwa; 09-form-table/12-skrining-jiwa]", confidence="C",
    notes="Product decision: >= 6 (the transcription also prints > 6).",
)
def mental_positive(c: Ctx) -> Finding | None:
    score, item17 = c.m.srq20_score, c.m.srq20_item17
    if c.age_years < 15 or (not item17 and (score is None or score < 6)):
        return None
    return ("high" if item17 else "moderate"), "puskesmas", {"srq20_score": score, "item17": bool(item17)}


@rule(
    "DEPENDENT", title="ADL dependence (ketergantungan, modified Barthel)", stages=ELDERLY, cluster=3, group=GROUP,
    criteria="elderly: Barthel < 20; ringan 12-19, sedang 9-11, berat 5-8, total 0-4",
    severity="ringan low, sedang moderate, berat/total high", level="ringan pustu, otherwise puskesmas",
    source="[ILP-T 01-skrining-geriatri; 09-form-table/06-adl]", confidence="C",
    notes="Puskesmas: sedang/berat/total -> home care with a caregiver or referral to RS.",
)
def dependent(c: Ctx) -> Finding | None:
    score = c.m.adl_barthel
    if score is None:
        return None
    for lowest, name, group, severity, level in tables.ADL_CLASSES:
        if score >= lowest:
            if not severity:
                return None
            return severity, level, {"adl_barthel": score, "class": name, "aks_group": group}
    return None


@rule(
    "SKILAS_POSITIVE", title="SKILAS positive (ICOPE domains)", stages=ELDERLY, cluster=3, group=GROUP,
    criteria="elderly: >= 1 positive SKILAS domain", severity="low", level="pustu",
    source="[ILP-T 09-form-table/05-kuesioner-skilas; 01-skrining-geriatri]", confidence="C",
    notes="Follow-up by a health worker with the domain instruments (Mini-Cog/AMT, SPPB, MNA-SF, ...).",
)
def skilas_positive(c: Ctx) -> Finding | None:
    domains = c.m.skilas_positive_domains
    if not domains:
        return None
    return "low", "pustu", {"domains": sorted(set(domains)), "count": len(set(domains))}


@rule(
    "TB_PRESUMPTIVE", title="Presumptive TB (terduga TBC)", stages=ANY_STAGE, cluster=4, group=GROUP_ANY,
    criteria="any age: cough >= 2 weeks, or cough with at least one other TB symptom",
    severity="moderate", level="pustu", source="[ILP-T 10-skrining-tb; remaja 02-skrining-tb]", confidence="C",
    notes="Two sputum specimens collected at Pustu, TCM at Puskesmas.",
)
def tb_presumptive(c: Ctx) -> Finding | None:
    weeks = c.m.cough_weeks
    if not weeks:
        return None
    symptoms = c.m.tb_symptoms or []
    if weeks < 2 and not symptoms:
        return None
    return "moderate", "pustu", {"cough_weeks": weeks, "symptoms": sorted(set(symptoms))}
