"""Rules for pre-school and school-age children and adolescents (cluster 2): anaemia, BMI-for-age, blood pressure.

BMI-for-age uses the WHO Growth Reference 2007 (61-228 months), classified by PMK 2/2020 (IMT/U 5-18 y).
Blood pressure uses the juknis child table for 7-14 years; from 15 years the adult rule ``HT`` applies.
"""

from __future__ import annotations

from . import tables
from .registry import SCHOOL, Ctx, Finding, rule

GROUP = "Pre-school, school-age and adolescents (anak sekolah & remaja)"

# (code, title, test, band, severity, level, Indonesian category, confidence) -- [PMK2] [ILP-T 05-skrining-obesitas]
BMIFA_BANDS = (
    ("SEVERE_THINNESS", "Severe thinness", lambda z: z < -3, "< -3 SD", "high", "puskesmas", "gizi buruk",
     "UNCONFIRMED"),
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
        group=GROUP, criteria=f"BMI-for-age z {_band} (WHO 2007, 61-228 months), not flagged implausible",
        severity=_sev, level=_lvl, source="[PMK2] [ILP-T 05-skrining-obesitas]", confidence=_conf,
        notes="PMK 2/2020's < -3 SD row for IMT/U is unconfirmed." if _conf == "UNCONFIRMED" else
        ("Posyandu/Pustu: education, re-evaluate after 3 months; no change: FKTP." if "OBESE" in _code else ""),
    )(_make_bmifa_check(_test, _band, _sev, _lvl, _cat))


def anaemia_group(sex: str, age_years: int) -> str | None:
    """The WHO 2011 group of a non-pregnant person aged 5 years or more."""
    if age_years < 5:
        return None
    if age_years <= 11:
        return "children 5-11 years"
    if age_years <= 14:
        return "children 12-14 years"
    return "non-pregnant women >= 15 years" if sex == "F" else "men >= 15 years"


@rule(
    "ANEMIA_SCHOOL", title="Anaemia, child 5-17 years or adolescent", stages=SCHOOL, cluster=2, group=GROUP,
    criteria=(
        "Hb below the WHO cut-off: 5-11 y < 11.5; 12-14 y < 12.0; girls >= 15 y < 12.0; boys >= 15 y < 13.0 g/dL; "
        "mild from 11.0, severe < 8.0"
    ),
    severity="mild low, moderate moderate, severe high", level="mild pustu, moderate puskesmas, severe rs (assumed)",
    source="[WHO-HB] [ILP-T 02-skrining-anemia]", confidence="C",
    notes="Adolescent girls are tested at 12 and 15 years. The levels are a product assumption.",
)
def anemia_school(c: Ctx) -> Finding | None:
    hb = c.m.hb_g_dl
    if hb is None:
        return None
    group = anaemia_group(c.sex, c.age_years)
    if group is None:
        return None
    grade = tables.anaemia_grade(hb, group)
    if grade is None:
        return None
    severity, level = tables.ANAEMIA_ACTION[grade]
    return severity, level, {"hb_g_dl": hb, "threshold_g_dl": tables.ANAEMIA[group][0], "group": group, "grade": grade}


def _child_bp_class(c: Ctx) -> tuple[str, dict] | None:
    """'screen' (7-12 y at/above the table), 'elevated', 'stage 1' or 'stage 2' (13-14 y), with evidence."""
    sbp, dbp = c.m.systolic_mmhg, c.m.diastolic_mmhg
    age = c.age_years
    if (sbp is None and dbp is None) or not 7 <= age <= 14:
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


@rule(
    "BP_SCREEN_CHILD", title="Blood pressure at/above the child screening table", stages=SCHOOL, cluster=2,
    group=GROUP, criteria="age 7-12 y: systolic or diastolic at or above the juknis table value for age and sex",
    severity="low", level="puskesmas", source="[ILP-T 07-skrining-ht] (AAP 2017 simplified table)",
    confidence="C", notes="Diagnosis at Puskesmas/FKTP; the table has no row under 7 years.",
)
def bp_screen_child(c: Ctx) -> Finding | None:
    cls = _child_bp_class(c)
    if cls is None or cls[0] != "screen":
        return None
    return "low", "puskesmas", cls[1]


@rule(
    "BP_ELEVATED_CHILD", title="Elevated blood pressure (tekanan darah meningkat), 13-14 y", stages=SCHOOL,
    cluster=2, group=GROUP, criteria="age 13-14 y: systolic 120-129 and diastolic < 80",
    severity="low", level="posyandu", source="[ILP-T 07-skrining-ht] (AAP 2017)", confidence="C",
    notes="Education and monthly monitoring.",
)
def bp_elevated_child(c: Ctx) -> Finding | None:
    cls = _child_bp_class(c)
    if cls is None or cls[0] != "elevated":
        return None
    return "low", "posyandu", {**cls[1], "class": "elevated"}


@rule(
    "HT_CHILD", title="Hypertension, 13-14 y (hipertensi tingkat 1/2)", stages=SCHOOL, cluster=2, group=GROUP,
    criteria="age 13-14 y: stage 1 systolic 130-139 or diastolic 80-89; stage 2 >= 140 or >= 90",
    severity="stage 1 moderate, stage 2 high", level="puskesmas",
    source="[ILP-T 07-skrining-ht] (AAP 2017)", confidence="C",
    notes="Posyandu/Pustu: diagnosis at a facility; Puskesmas refers to FKRTL / Sp.A. From 15 y see HT.",
)
def ht_child(c: Ctx) -> Finding | None:
    cls = _child_bp_class(c)
    if cls is None or cls[0] not in ("stage 1", "stage 2"):
        return None
    return ("high" if cls[0] == "stage 2" else "moderate"), "puskesmas", {**cls[1], "class": cls[0]}
