"""Source tables the rules read, each transcribed with its source tag (ilp-domain.md section 7)."""

from __future__ import annotations

from .anaemia import ACTION as ANAEMIA_ACTION  # noqa: F401  (re-exported)
from .anaemia import WHO2011 as ANAEMIA
from .anaemia import grade as _grade
from .config import DEFAULT_KBM_G

KBM_G: dict[int, int] = dict(DEFAULT_KBM_G)  # the default KBM table (config.DEFAULT_KBM_G)


def anaemia_grade(hb: float, group: str) -> str | None:
    """WHO 2011 grade of a haemoglobin value for a group, or ``None`` when not anaemic."""
    return _grade(hb, ANAEMIA[group])


# [ILP-T 07-skrining-ht] Tabel 14 (AAP 2017 simplified screening table), age in completed years ->
# ((boys systolic, diastolic), (girls systolic, diastolic)): values at or above need evaluation.
CHILD_BP: dict[int, tuple[tuple[int, int], tuple[int, int]]] = {
    7: ((106, 68), (106, 68)),
    8: ((107, 69), (107, 69)),
    9: ((107, 70), (108, 71)),
    10: ((108, 72), (109, 72)),
    11: ((110, 74), (111, 74)),
    12: ((113, 75), (114, 75)),
}
# [ILP-T 07-skrining-ht] Tabel 15 (AAP 2017, age >= 13): elevated 120-129/<80; stage 1 130-139 or 80-89
# (the transcription prints "130 s.d. 138", read as a typo for 139); stage 2 >= 140 or >= 90.
CHILD_BP_13 = {"elevated_sys": 120, "stage1": (130, 80), "stage2": (140, 90)}

# [ILP-T 02-skrining-hipertensi] adult grades, highest first: (systolic from, diastolic from, grade, severity).
ADULT_HT_GRADES: tuple[tuple[int, int, str, str], ...] = (
    (180, 110, "grade 3", "emergency"),
    (160, 100, "grade 2", "high"),
    (140, 90, "grade 1", "moderate"),
)

# [ILP-T 01-skrining-obesitas] Asia-Pacific BMI classes, upper bounds exclusive (product decision:
# obese I is 25-29.9; the transcription's "23-29.9" is read as a typo).
BMI_ASIA_PACIFIC: tuple[tuple[float, str], ...] = (
    (18.5, "underweight"),
    (23.0, "normal"),
    (25.0, "overweight"),
    (30.0, "obese I"),
    (float("inf"), "obese II"),
)
# [IMT-SCRIBD] [IMT-FLIP] national (Riskesdas) classes, upper bounds and whether inclusive.
BMI_NATIONAL: tuple[tuple[float, bool, str], ...] = (
    (17.0, False, "kurus berat"),
    (18.5, False, "kurus ringan"),
    (25.0, True, "normal"),
    (27.0, True, "gemuk ringan"),
    (float("inf"), True, "obesitas"),
)


def bmi_class_ap(bmi: float) -> str:
    """Asia-Pacific class of an adult BMI."""
    for upper, name in BMI_ASIA_PACIFIC:
        if bmi < upper:
            return name
    return BMI_ASIA_PACIFIC[-1][1]


def bmi_class_national(bmi: float) -> str:
    """National (Riskesdas) class of an adult BMI, reported alongside in evidence."""
    for upper, inclusive, name in BMI_NATIONAL:
        if bmi < upper or (inclusive and bmi == upper):
            return name
    return BMI_NATIONAL[-1][2]


# [ILP-T 01-skrining-geriatri; 09-form-table/06-adl] modified Barthel (0-20): lowest score of each class,
# highest first -> (class, AKS group, severity, recommended level).
ADL_CLASSES: tuple[tuple[int, str, str, str, str], ...] = (
    (20, "mandiri", "A", "", ""),
    (12, "ketergantungan ringan", "B", "low", "pustu"),
    (9, "ketergantungan sedang", "B", "moderate", "puskesmas"),
    (5, "ketergantungan berat", "C", "high", "puskesmas"),
    (0, "ketergantungan total", "C", "high", "puskesmas"),
)


# [ILP-T 02-skrining-hipertensi] adult normal-tinggi (high normal): 130-139 / 85-89 -> monthly monitoring.
ADULT_HIGH_NORMAL = (130, 85)
# [AAP 2017] (Flynn et al., Pediatrics 2017): an adolescent at >= 180 / >= 120 needs immediate referral.
ADOLESCENT_URGENT = (180, 120)

# Glucose (mg/dL). [ILP-T 03-skrining-dm] DM range random >= 200, fasting >= 126; prediabetes 140-199 / 100-125.
# [PERKENI 2021] crisis: ketoacidosis from > 250 with ketosis, hyperosmolar state from > 600 [S]; the
# same-day check threshold is configuration (ScreeningConfig.glucose_crisis_mg_dl). Hypoglycaemia [ADA 2024]
# (Standards of Care, section 6): level 1 < 70, level 2 < 54 [S].
GLUCOSE_HHS = 600.0
HYPOGLYCAEMIA_L1, HYPOGLYCAEMIA_L2 = 70.0, 54.0
# [WHO 2013] Diagnostic criteria and classification of hyperglycaemia first detected in pregnancy
# (WHO/NMH/MND/13.2): GDM fasting 92-125 (5.1-6.9 mmol/L), 2-h 75 g OGTT 153-199 (8.5-11.0 mmol/L);
# diabetes in pregnancy: fasting >= 126, 2-h >= 200, random >= 200.
GDM_FASTING, GDM_OGTT_2H = 92.0, 153.0
DIP_FASTING, DIP_OGTT_2H, DIP_RANDOM = 126.0, 200.0, 200.0

# [ILP-T 04-skrining-stroke] total cholesterol, PERKENI 2021 dyslipidaemia guideline (mg/dL):
# desirable < 200, borderline 200-239, high >= 240; > 320: lifestyle advice and statin.
CHOLESTEROL_BORDERLINE, CHOLESTEROL_HIGH, CHOLESTEROL_STATIN = 200.0, 240.0, 320.0
# [ILP-T 04-skrining-stroke] 10-year cardiovascular risk (Tabel Prediksi Risiko PTM, WHO/ISH charts):
# (from %, band, severity): < 5 % re-assess yearly; 5-<10, 10-<20 and >= 20 as the chart's colour bands.
CVD_RISK_BANDS: tuple[tuple[float, str, str], ...] = (
    (20.0, ">= 20 %", "high"), (10.0, "10-<20 %", "moderate"), (5.0, "5-<10 %", "low"),
)

# [ILP-T 12-skrining-mata; 09-skrining-penglihatan] presenting visual acuity (decimal), better eye:
# (worse than, band). Refer to Puskesmas when not better than 6/12.
VISION_REFER_AT = 6 / 12
VISION_BANDS: tuple[tuple[float, str], ...] = (
    (3 / 60, "blind (< 3/60)"), (6 / 60, "severe (< 6/60 to 3/60)"), (6 / 18, "moderate (< 6/18 to 6/60)"),
    (6 / 12, "mild (< 6/12 to 6/18)"),
)

# [ILP-T 09-form-table/08-amt] AMT 8-10 normal, 4-7 moderate, 0-3 severe memory impairment.
AMT_MODERATE_BELOW, AMT_SEVERE_BELOW = 8, 4
# [ILP-T 09-form-table/05-kuesioner-skilas] Mini-Cog 0-2: possible cognitive impairment.
MINI_COG_POSITIVE_BELOW = 3
# [ILP-T 09-form-table/11-gds] GDS-4: 0 none, 1 possible depression (go on to GDS-15), 2-4 depression.
GDS4_POSSIBLE, GDS4_DEPRESSION = 1, 2
# MNA-SF (Kaiser et al. 2009) 12-14 normal, 8-11 at risk, 0-7 malnourished [S]; the juknis transcription
# [ILP-T 09-form-table/10-nutrisi] prints "> 12 normal, < 11 possible malnutrition".
MNA_AT_RISK_BELOW, MNA_MALNOURISHED_BELOW = 12, 8

# [ILP-T 03-bblr] birth weight (g): (below, category).
BIRTH_WEIGHT_CLASSES: tuple[tuple[int, str], ...] = (
    (1000, "BBLASR (< 1000 g)"), (1500, "BBLSR (1000-1499 g)"), (2500, "BBLR (1500-2499 g)"),
)
LBW_G, LBW_REFER_G = 2500, 2000
