"""Haemoglobin cut-offs (WHO 2011 and WHO 2024) and the elevation and smoking adjustments.

Kemenkes uses WHO 2011 (Haemoglobin concentrations for the diagnosis of anaemia and assessment of severity,
WHO/NMH/NHD/MNM/11.1) as reproduced by Kemenkes 2016 [WHO-HB]; it is the default. The WHO 2024 guideline
(Guideline on haemoglobin cutoffs to define anaemia in individuals and populations, March 2024) lowers the
cut-off for children 6-23 months to 10.5 g/dL and, for pregnant women, sets 10.5 g/dL in the second
trimester; it is selectable (``ScreeningConfig.anaemia_reference``) for screening's risks only.
"""

from __future__ import annotations

# group -> (anaemia below, mild from, severe below), g/dL. Mild: mild_from <= Hb < below; moderate:
# severe_below <= Hb < mild_from; severe: Hb < severe_below.
WHO2011: dict[str, tuple[float, float, float]] = {
    "children 6-59 months": (11.0, 10.0, 7.0),
    "pregnant women": (11.0, 10.0, 7.0),
    "children 5-11 years": (11.5, 11.0, 8.0),
    "children 12-14 years": (12.0, 11.0, 8.0),
    "non-pregnant women >= 15 years": (12.0, 11.0, 8.0),
    "men >= 15 years": (13.0, 11.0, 8.0),
}
# WHO 2024: cut-offs seen in secondary copies of the guideline [S]; the severity bands of the two new groups
# (mild 9.5-10.4, moderate 7.0-9.4, severe < 7.0) are [UNCONFIRMED].
WHO2024: dict[str, tuple[float, float, float]] = {
    "children 6-23 months": (10.5, 9.5, 7.0),
    "children 24-59 months": (11.0, 10.0, 7.0),
    "pregnant women, trimester 1": (11.0, 10.0, 7.0),
    "pregnant women, trimester 2": (10.5, 9.5, 7.0),
    "pregnant women, trimester 3": (11.0, 10.0, 7.0),
    "children 5-11 years": (11.5, 11.0, 8.0),
    "children 12-14 years": (12.0, 11.0, 8.0),
    "non-pregnant women >= 15 years": (12.0, 11.0, 8.0),
    "men >= 15 years": (13.0, 11.0, 8.0),
}
REFERENCES = {"who2011": WHO2011, "who2024": WHO2024}
# Anaemia grade -> (severity, recommended level): a product assumption (the sources give thresholds only).
ACTION: dict[str, tuple[str, str]] = {
    "mild": ("low", "pustu"),
    "moderate": ("moderate", "puskesmas"),
    "severe": ("high", "rs"),
}
# WHO 2011 adjustments (g/dL subtracted from the measured Hb). Elevation of residence: (from metres, adjustment).
ELEVATION_ADJUSTMENT: tuple[tuple[int, float], ...] = (
    (4500, 4.5), (4000, 3.5), (3500, 2.7), (3000, 1.9), (2500, 1.3), (2000, 0.8), (1500, 0.5), (1000, 0.2),
)
# Smoking: (from cigarettes a day, adjustment); a smoker of unknown amount: 0.3. WHO 2024 keeps adjusting
# for both; whether its values differ is [UNCONFIRMED], so the WHO 2011 values apply under either reference.
SMOKING_ADJUSTMENT: tuple[tuple[int, float], ...] = ((40, 0.7), (20, 0.5), (0, 0.3))


def group(reference: str, sex: str, age_months: int, age_years: int, pregnant_weeks: int | None) -> str | None:
    """The haemoglobin group of a person under a reference, or ``None`` (under 6 months)."""
    if pregnant_weeks is not None:
        if reference == "who2011":
            return "pregnant women"
        trimester = 1 if pregnant_weeks <= 13 else 2 if pregnant_weeks <= 27 else 3
        return f"pregnant women, trimester {trimester}"
    if age_months < 6:
        return None
    if age_months < 60:
        if reference == "who2011":
            return "children 6-59 months"
        return "children 6-23 months" if age_months < 24 else "children 24-59 months"
    if age_years <= 11:
        return "children 5-11 years"
    if age_years <= 14:
        return "children 12-14 years"
    return "non-pregnant women >= 15 years" if sex == "F" else "men >= 15 years"


def adjustment(elevation_m: int | None, smoker: bool | None, cigarettes_per_day: int | None) -> float:
    """WHO 2011 adjustment (g/dL) to subtract from a measured Hb; 0 without elevation or smoking."""
    total = 0.0
    if elevation_m is not None:
        for metres, value in ELEVATION_ADJUSTMENT:
            if elevation_m >= metres:
                total += value
                break
    if smoker:
        per_day = cigarettes_per_day or 0
        for cigarettes, value in SMOKING_ADJUSTMENT:
            if per_day >= cigarettes:
                total += value
                break
    return total


def grade(hb: float, cutoffs: tuple[float, float, float]) -> str | None:
    """The grade of a haemoglobin value for a group's cut-offs, or ``None`` when not anaemic."""
    below, mild_from, severe_below = cutoffs
    if hb >= below:
        return None
    if hb >= mild_from:
        return "mild"
    if hb >= severe_below:
        return "moderate"
    return "severe"
