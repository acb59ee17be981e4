"""Rules for pre-school and school-age children and adolescents (cluster 2): BMI-for-age, blood pressure,
SDQ, adolescent girls' Hb screening and iron tablets (TTD). Anaemia: ``rules_anaemia``.

BMI-for-age uses the WHO Growth Reference 2007 (60-228 months), classified by PMK 2/2020 (IMT/U 5-18 y).
Blood pressure uses the juknis child table for 7-12 years and the adolescent table from 13 to 17 years; from
18 years the adult rule ``HT`` applies.

Mental health instruments by age (the juknis conflict resolved): the school juknis [ILP-T 06-skrining-jiwa]
uses SDQ for 4-18 years and SRQ-20 above 18; the adult juknis [ILP-T 07-skrining-jiwa] screens from 15 years
with SRQ-20. Jejaring reads SDQ below 18 (``SDQ_PROBLEM``) and SRQ-20 from 18 as the instruments of those
ages; an SRQ-20 given at 15-17 is still scored (``MENTAL_POSITIVE``, with ``instrument_for_age: SDQ`` in its
evidence) so that a suicidal answer (item 17) is never dropped.
"""

from __future__ import annotations

from datetime import timedelta

from . import tables
from .registry import SCHOOL, Ctx, Finding, rule

GROUP = "Pre-school, school-age and adolescents (anak sekolah & remaja)"

# (code, title, test, band, severity, level, Indonesian category, confidence) -- [PMK2] [ILP-T 05-skrining-obesitas]
BMIFA_BANDS = (
    ("SEVERE_THINNESS", "Severe thinness", lambda z: z < -3, "< -3 SD", "high", "puskesmas", "gizi buruk", "C"),
    ("THINNESS", "Thinness", lambda z: -3 <= z < -2, "-3 SD to < -2 SD", "moderate", "puskesmas", "gizi kurang", "C"),
    ("BMIFA_OVERWEIGHT", "Overweight", lambda z: 1 < z <= 2, "> +1 SD to +2 SD", "low", "posyandu", "gizi lebih", "C"),
    ("BMIFA_OBESE", "Obesity", lambda z: z > 2, "> +2 SD", "moderate", "pustu", "obesitas", "C"),
)


def _make_bmifa_check(test, band: str, severity: str, level: str, category: str):
    def check(c: Ctx) -> Finding | None:
        z = c.bmifa
        if z is None or not test(z) or "BIV_BMIFA" in c.flags:
            return None
        m = c.m
        bmi = m.weight_kg / (m.height_cm / 100.0) ** 2  # type: ignore[operator]
        return severity, level, {
            "indicator": "bmifa", "z": z, "band": band, "category": category, "bmi": round(bmi, 2),
            "age_months": c.age_months, "reference": "WHO 2007",
        }

    return check


for _code, _title, _test, _band, _sev, _lvl, _cat, _conf in BMIFA_BANDS:
    rule(
        _code, title=f"{_title} ({_cat}, IMT/U)", stages=SCHOOL, cluster=2,
        group=GROUP, criteria=f"BMI-for-age z {_band} (WHO 2007, 60-228 months), not flagged implausible",
        severity=_sev, level=_lvl, source="[PMK2] [ILP-T 05-skrining-obesitas]", confidence=_conf,
        inputs=("measurements.weight_kg", "measurements.height_cm"),
        notes="PMK 2/2020 (IMT/U 5-18 years): gizi buruk < -3 SD." if _code == "SEVERE_THINNESS" else
        ("Posyandu/Pustu: education, re-evaluate after 3 months; no change: FKTP." if "OBESE" in _code else ""),
    )(_make_bmifa_check(_test, _band, _sev, _lvl, _cat))


def _child_bp_class(c: Ctx) -> tuple[str, dict] | None:
    """'screen' (7-12 y at/above the table), 'elevated', 'stage 1' or 'stage 2' (13-17 y), with evidence."""
    sbp, dbp = c.m.systolic_mmhg, c.m.diastolic_mmhg
    age = c.age_years
    if (sbp is None and dbp is None) or not 7 <= age <= 17:
        return None
    ev: dict = {"systolic_mmhg": sbp, "diastolic_mmhg": dbp, "age_years": age}
    if age <= 12:
        ref_sbp, ref_dbp = tables.CHILD_BP[age][0 if c.sex == "M" else 1]
        ev["table_mmhg"] = [ref_sbp, ref_dbp]
        if (sbp is not None and sbp >= ref_sbp) or (dbp is not None and dbp >= ref_dbp):
            return "screen", ev
        return None
    s2_sbp, s2_dbp = tables.CHILD_BP_13["stage2"]
    s1_sbp, s1_dbp = tables.CHILD_BP_13["stage1"]
    if (sbp is not None and sbp >= s2_sbp) or (dbp is not None and dbp >= s2_dbp):
        return "stage 2", ev
    if (sbp is not None and sbp >= s1_sbp) or (dbp is not None and dbp >= s1_dbp):
        return "stage 1", ev
    if sbp is not None and sbp >= tables.CHILD_BP_13["elevated_sys"]:
        return "elevated", ev
    return None


_BP = ("measurements.systolic_mmhg", "measurements.diastolic_mmhg")


@rule(
    "BP_SCREEN_CHILD", title="Blood pressure at/above the child screening table", stages=SCHOOL, cluster=2,
    group=GROUP, criteria="age 7-12 y: systolic or diastolic at or above the juknis table value for age and sex",
    severity="low", level="puskesmas", source="[ILP-T 07-skrining-ht] (AAP 2017 simplified table)",
    confidence="C", inputs=_BP, notes="Diagnosis at Puskesmas/FKTP; the table has no row under 7 years.",
)
def bp_screen_child(c: Ctx) -> Finding | None:
    cls = _child_bp_class(c)
    if cls is None or cls[0] != "screen":
        return None
    return "low", "puskesmas", cls[1]


@rule(
    "BP_ELEVATED_CHILD", title="Elevated blood pressure (tekanan darah meningkat), 13-17 y", stages=SCHOOL,
    cluster=2, group=GROUP, criteria="age 13-17 y: systolic 120-129 and diastolic < 80",
    severity="low", level="posyandu", source="[ILP-T 07-skrining-ht] (AAP 2017)", confidence="C", inputs=_BP,
    notes="Education and monthly monitoring.",
)
def bp_elevated_child(c: Ctx) -> Finding | None:
    cls = _child_bp_class(c)
    if cls is None or cls[0] != "elevated":
        return None
    return "low", "posyandu", {**cls[1], "class": "elevated"}


@rule(
    "HT_CHILD", title="Hypertension, 13-17 y (hipertensi tingkat 1/2)", stages=SCHOOL, cluster=2, group=GROUP,
    criteria="age 13-17 y: stage 1 systolic 130-139 or diastolic 80-89; stage 2 >= 140 or >= 90",
    severity="stage 1 moderate, stage 2 high; emergency at >= 180 / >= 120", level="puskesmas",
    source="[ILP-T 07-skrining-ht] (AAP 2017 table for >= 13 years); [AAP 2017] immediate referral from 180/120",
    confidence="C", inputs=_BP,
    notes="Posyandu/Pustu: diagnosis at a facility; Puskesmas refers to FKRTL / Sp.A. From 18 y see HT.",
)
def ht_child(c: Ctx) -> Finding | None:
    cls = _child_bp_class(c)
    if cls is None or cls[0] not in ("stage 1", "stage 2"):
        return None
    ev = {**cls[1], "class": cls[0]}
    sbp, dbp = c.m.systolic_mmhg, c.m.diastolic_mmhg
    u_sbp, u_dbp = tables.ADOLESCENT_URGENT
    if (sbp is not None and sbp >= u_sbp) or (dbp is not None and dbp >= u_dbp):
        return "emergency", "puskesmas", {**ev, "urgent_range": True}
    return ("high" if cls[0] == "stage 2" else "moderate"), "puskesmas", ev


@rule(
    "SDQ_PROBLEM", title="Mental health screen borderline or abnormal (SDQ)",
    stages=("under_five", "preschool", "school_age"), cluster=2, group=GROUP,
    criteria="age 4-17 y, SDQ total difficulties: self-report (above 11 y) borderline 16-19, abnormal >= 20; "
    "parent/teacher (11 y and under) borderline 14-16, abnormal >= 17",
    severity="borderline low, abnormal moderate", level="puskesmas", inputs=("measurements.sdq_score",),
    source="[ILP-T 11-skrining-jiwa; 06-skrining-jiwa] (SDQ, interpretation); cut-offs of sdqinfo.org (parent "
    "[S], self-report [UNCONFIRMED]), configurable", confidence="S",
    notes="Counselling by a trained teacher or health worker, KAP, and/or Puskesmas (doctor or clinical "
    "psychologist); RS/RSJ if needed.",
)
def sdq_problem(c: Ctx) -> Finding | None:
    score = c.m.sdq_score
    if score is None or not 4 <= c.age_years < 18:
        return None
    informant = "self" if c.age_years > 11 else "parent"
    borderline, abnormal = c.config.sdq_self_cutoffs if informant == "self" else c.config.sdq_parent_cutoffs
    if score < borderline:
        return None
    band = "abnormal" if score >= abnormal else "borderline"
    return ("moderate" if band == "abnormal" else "low"), "puskesmas", {
        "sdq_score": score, "band": band, "informant": informant, "cutoffs": [borderline, abnormal]}


def _girl_in_grades(c: Ctx, grades: tuple[int, ...]) -> bool:
    return c.sex == "F" and c.m.school_grade is not None and c.m.school_grade in grades


@rule(
    "ADOLESCENT_HB_DUE", title="Adolescent girl's Hb screening due (grade 7 or 10)", stages=SCHOOL, cluster=2,
    group=GROUP, criteria="a girl in grade 7 or 10 with no Hb at this visit nor in the last 365 days",
    severity="low", level="pustu", inputs=("measurements.school_grade", "measurements.hb_g_dl", "history.services"),
    triggers=("measurements.school_grade",),
    source="[ILP-T 01-skrining-anemia] (Hb of girls in grades 7 and 10, regardless of symptoms; PoCT at Pustu)",
    confidence="C", notes="Needs the school grade (an input added by Jejaring).",
)
def adolescent_hb_due(c: Ctx) -> Finding | None:
    if not _girl_in_grades(c, (7, 10)) or c.m.hb_g_dl is not None:
        return None
    since = c.visit.occurred_on - timedelta(days=c.config.hb_screen_lookback_days)
    if any(r.kind == "hb" and since <= r.occurred_on <= c.visit.occurred_on for r in c.history.services):
        return None
    return "low", "pustu", {"school_grade": c.m.school_grade, "since": since.isoformat()}


@rule(
    "TTD_NOT_RECEIVED", title="Adolescent girl without iron tablets (TTD)", stages=SCHOOL, cluster=2, group=GROUP,
    criteria="a girl in grades 7-12 with no TTD at this visit nor in the last 35 days", severity="low",
    level="pustu", inputs=("measurements.school_grade", "measurements.ttd_tablets", "history.services"),
    triggers=("measurements.school_grade",),
    source="[ILP-T 02-pemberian-tdd] (1 tablet a week all year, 60 mg iron + 400 ug folic acid); 35-day window "
    "[UNCONFIRMED]", confidence="C",
)
def ttd_not_received(c: Ctx) -> Finding | None:
    if not _girl_in_grades(c, tuple(range(7, 13))) or (c.m.ttd_tablets or 0) > 0:
        return None
    since = c.visit.occurred_on - timedelta(days=c.config.ttd_interval_days)
    if any(r.kind == "ttd" and since <= r.occurred_on <= c.visit.occurred_on for r in c.history.services):
        return None
    return "low", "pustu", {"school_grade": c.m.school_grade, "since": since.isoformat()}
