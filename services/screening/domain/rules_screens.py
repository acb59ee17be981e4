"""Screens across adulthood (cluster 3, or 2 by stage): COPD (PUMA), mental health (SRQ-20), cervical and breast
cancer, smoking, vision and hearing."""

from __future__ import annotations

from . import tables
from .registry import NON_PREGNANT_15, NOT_UNDER_FIVE, Ctx, Finding, rule

GROUP = "Adults and elderly (usia dewasa & lansia)"
GROUP_ANY = "Any age"
WITH_PREGNANCY = NON_PREGNANT_15 + ("pregnancy",)


@rule(
    "PPOK_HIGH_RISK", title="COPD high risk (PPOK, PUMA)", stages=WITH_PREGNANCY, cluster=None,
    group=GROUP, criteria="age >= 40 y: PUMA score >= 6 (of 0-9)", severity="moderate", level="rs",
    source="[ILP-T 09-skrining-ppok; 09-form-table/04-kuesioner-puma]", confidence="C",
    inputs=("measurements.puma_score",), notes="UBM counselling, spirometry if available, refer to FKRTL.",
)
def ppok_high_risk(c: Ctx) -> Finding | None:
    score = c.m.puma_score
    if score is None or score < 6 or c.age_years < 40:
        return None
    return "moderate", "rs", {"puma_score": score, "threshold": 6}


@rule(
    "MENTAL_POSITIVE", title="Mental health screen positive (SRQ-20)", stages=WITH_PREGNANCY,
    cluster=None, group=GROUP, criteria="age >= 15 y: SRQ-20 >= 6, or item 17 (suicidal thoughts) = yes",
    severity="moderate; emergency (same day) when item 17 = yes", level="puskesmas",
    inputs=("measurements.srq20_score", "measurements.srq20_item17"),
    source="[ILP-T 07-skrining-jiwa; 09-form-table/12-skrining-jiwa]; same-day handling of suicidal thoughts: WHO "
    "mhGAP Intervention Guide 2.0 (2016), module SUI (imminent risk: do not leave alone, urgent care)",
    confidence="C",
    notes="Product decision: >= 6 (the transcription also prints > 6). Below 18 the instrument for the age is SDQ "
    "(rules_school); an SRQ-20 given at 15-17 is still scored.",
)
def mental_positive(c: Ctx) -> Finding | None:
    score, item17 = c.m.srq20_score, c.m.srq20_item17
    if c.age_years < 15 or (not item17 and (score is None or score < 6)):
        return None
    ev: dict = {"srq20_score": score, "item17": bool(item17)}
    if c.age_years < 18:
        ev["instrument_for_age"] = "SDQ"
    return ("emergency" if item17 else "moderate"), "puskesmas", ev


@rule(
    "CERVICAL_IVA_POSITIVE", title="Cervical screen positive (IVA positif)", stages=WITH_PREGNANCY, cluster=None,
    group=GROUP, criteria="IVA (visual inspection with acetic acid) positive or suspected cancer",
    severity="positive moderate, suspected cancer high", level="positive puskesmas, suspected cancer rs",
    inputs=("measurements.iva_result",),
    source="[ILP-T 02-skrining-kanker-leher-rahim] (women > 30 y, every 3 years; IVA-positive follow-up at "
    "Puskesmas by a trained doctor or midwife); PMK 34/2015 (suspected cancer -> FKRTL) [S]", confidence="C",
)
def cervical_iva_positive(c: Ctx) -> Finding | None:
    result = c.m.iva_result
    if result is None or result == "negative" or c.sex != "F":
        return None
    if result == "suspect_cancer":
        return "high", "rs", {"iva_result": result}
    return "moderate", "puskesmas", {"iva_result": result}


@rule(
    "BREAST_SADANIS_ABNORMAL", title="Clinical breast examination abnormal (SADANIS)", stages=WITH_PREGNANCY,
    cluster=None, group=GROUP, criteria="SADANIS abnormal (lump, skin or nipple change, unusual complaint)",
    severity="high", level="rs", inputs=("measurements.sadanis_result",),
    source="[ILP-T 01-skrining-kanker-payudara] (women > 15 y, every 3 years; abnormal -> FKRTL)", confidence="C",
)
def breast_sadanis_abnormal(c: Ctx) -> Finding | None:
    if c.m.sadanis_result != "abnormal" or c.sex != "F":
        return None
    return "high", "rs", {"sadanis_result": "abnormal"}


@rule(
    "SMOKER", title="Tobacco smoking (merokok)", stages=NOT_UNDER_FIVE, cluster=None, group=GROUP_ANY,
    criteria="current smoker, age >= 10 y", severity="low; moderate in pregnancy", level="puskesmas",
    inputs=("measurements.smoker", "measurements.cigarettes_per_day"),
    source="[ILP-T 09-skrining-merokok; 09-form-table/02-skrining-merokok] (adolescents 10-18 y; adults): "
    "counselling to quit (UBM)", confidence="C",
)
def smoker(c: Ctx) -> Finding | None:
    if not c.m.smoker or c.age_years < 10:
        return None
    ev = {"cigarettes_per_day": c.m.cigarettes_per_day, "adolescent": c.age_years < 18}
    return ("moderate" if c.preg is not None else "low"), "puskesmas", ev


def acuity(text: str) -> float:
    """Decimal visual acuity of a Snellen fraction such as "6/18"."""
    top, bottom = text.split("/")
    return int(top) / int(bottom)


def vision_band(value: float) -> str:
    for worse_than, band in tables.VISION_BANDS:
        if value < worse_than:
            return band
    return "6/12 (not better than 6/12)" if value <= tables.VISION_REFER_AT else "not impaired"


@rule(
    "VISION_IMPAIRED", title="Visual impairment (gangguan penglihatan)", stages=NOT_UNDER_FIVE, cluster=None,
    group=GROUP_ANY, criteria="presenting visual acuity (better eye) not better than 6/12, or a failed finger-count "
    "test (2 or more wrong of 5)", severity="low; moderate from < 6/18", level="puskesmas",
    inputs=("measurements.visual_acuity", "measurements.finger_count_passed"),
    source="[ILP-T 12-skrining-mata] (refer to Puskesmas when not better than 6/12; bands mild < 6/12-6/18, "
    "moderate < 6/18-6/60, severe < 6/60-3/60, blind < 3/60); [ILP-T 09-skrining-penglihatan]", confidence="C",
    notes="Puskesmas: refraction (glasses) and, from 40 y, cataract screening.",
)
def vision_impaired(c: Ctx) -> Finding | None:
    m = c.m
    ev: dict = {}
    if m.visual_acuity is not None:
        value = acuity(m.visual_acuity)
        if value <= tables.VISION_REFER_AT:
            ev.update(visual_acuity=m.visual_acuity, band=vision_band(value))
    if m.finger_count_passed is False:
        ev["finger_count_passed"] = False
    if not ev:
        return None
    moderate = m.visual_acuity is not None and acuity(m.visual_acuity) < 6 / 18
    return ("moderate" if moderate else "low"), "puskesmas", ev


@rule(
    "COLOUR_VISION_DEFICIT", title="Colour vision deficit (buta warna)", stages=("preschool", "school_age"),
    cluster=2, group=GROUP_ANY, criteria="fails the colour vision plates", severity="low", level="puskesmas",
    inputs=("measurements.colour_vision_passed",), source="[ILP-T 09-skrining-penglihatan]", confidence="C",
)
def colour_vision_deficit(c: Ctx) -> Finding | None:
    if c.m.colour_vision_passed is not False:
        return None
    return "low", "puskesmas", {"colour_vision_passed": False}


@rule(
    "HEARING_IMPAIRED", title="Hearing impairment (gangguan pendengaran)", stages=NOT_UNDER_FIVE, cluster=None,
    group=GROUP_ANY, criteria="fails the (modified) whisper test: fewer than 80 % of words repeated",
    severity="low", level="puskesmas", inputs=("measurements.whisper_test_passed",),
    source="[ILP-T 10-skrining-pendengaran] (audiometry or referral); [ILP-T 05-kuesioner-skilas] (elderly)",
    confidence="C",
)
def hearing_impaired(c: Ctx) -> Finding | None:
    if c.m.whisper_test_passed is not False:
        return None
    return "low", "puskesmas", {"whisper_test_passed": False}
