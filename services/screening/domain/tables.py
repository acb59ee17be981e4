"""Source tables the rules read, each transcribed with its source tag (ilp-domain.md section 7)."""

from __future__ import annotations

# [WHO-HB] WHO 2011 haemoglobin thresholds (g/dL), as reproduced by Kemenkes 2016:
# group -> (anaemia below, mild from, severe below). Mild: mild_from <= Hb < anaemia;
# moderate: severe_below <= Hb < mild_from; severe: Hb < severe_below.
ANAEMIA: dict[str, tuple[float, float, float]] = {
    "children 6-59 months": (11.0, 10.0, 7.0),
    "pregnant women": (11.0, 10.0, 7.0),
    "children 5-11 years": (11.5, 11.0, 8.0),
    "children 12-14 years": (12.0, 11.0, 8.0),
    "non-pregnant women >= 15 years": (12.0, 11.0, 8.0),
    "men >= 15 years": (13.0, 11.0, 8.0),
}
# Anaemia grade -> (severity, recommended level). The level mapping is a product assumption: the
# sources give thresholds, not a referral column.
ANAEMIA_ACTION: dict[str, tuple[str, str]] = {
    "mild": ("low", "pustu"),
    "moderate": ("moderate", "puskesmas"),
    "severe": ("high", "rs"),
}


def anaemia_grade(hb: float, group: str) -> str | None:
    """WHO 2011 grade of a haemoglobin value for a group, or ``None`` when not anaemic."""
    below, mild_from, severe_below = ANAEMIA[group]
    if hb >= below:
        return None
    if hb >= mild_from:
        return "mild"
    if hb >= severe_below:
        return "moderate"
    return "severe"


# [KIA2023] KBM (kenaikan berat badan minimal), grams per month by age in completed months.
# [UNCONFIRMED] legacy KMS mapping quoted in ilp-domain.md section 2.2; 11 months and over: 200 g.
KBM_G: dict[int, int] = {1: 800, 2: 900, 3: 800, 4: 600, 5: 500, 6: 400, 7: 400, 8: 300, 9: 300, 10: 300, 11: 200}


def kbm_g(age_months: int) -> int | None:
    """Minimum monthly weight gain (g) at an age in completed months; ``None`` under 1 month."""
    if age_months < 1:
        return None
    return KBM_G[min(age_months, 11)]


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
