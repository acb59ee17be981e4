"""Anaemia rules of every life stage, on one haemoglobin reference (``ScreeningConfig.anaemia_reference``).

WHO 2011 (default; Kemenkes reproduces it [WHO-HB]) or WHO 2024. When the elevation of residence or smoking
is given and ``hb_adjustments`` is on, the WHO adjustment is subtracted from the measured Hb first.
The grade's severity and level are a product assumption (the sources give thresholds only).
"""

from __future__ import annotations

from . import anaemia
from .registry import ADULT, PREGNANCY, SCHOOL, UNDER_FIVE, Ctx, Finding, rule

_SOURCE = "[WHO-HB] (WHO 2011); WHO 2024 guideline when configured"
_INPUTS = ("measurements.hb_g_dl", "measurements.elevation_m", "measurements.smoker",
           "measurements.cigarettes_per_day")
_SEVERITY = "mild low, moderate moderate, severe high"
_LEVEL = "mild pustu, moderate puskesmas, severe rs (assumed)"


def hb_finding(c: Ctx, pregnant_weeks: int | None) -> Finding | None:
    """The anaemia finding of this visit's Hb, or None."""
    m = c.m
    hb = m.hb_g_dl
    if hb is None:
        return None
    cfg = c.config
    group = anaemia.group(cfg.anaemia_reference, c.sex, c.age_months, c.age_years, pregnant_weeks)
    if group is None:
        return None
    cutoffs = anaemia.REFERENCES[cfg.anaemia_reference][group]
    adjust = anaemia.adjustment(m.elevation_m, m.smoker, m.cigarettes_per_day) if cfg.hb_adjustments else 0.0
    value = round(hb - adjust, 2)
    grade = anaemia.grade(value, cutoffs)
    if grade is None:
        return None
    severity, level = anaemia.ACTION[grade]
    ev = {"hb_g_dl": hb, "threshold_g_dl": cutoffs[0], "grade": grade, "group": group,
          "reference": cfg.anaemia_reference}
    if adjust:
        ev["adjusted_hb_g_dl"] = value
        ev["adjustment_g_dl"] = adjust
    return severity, level, ev


@rule(
    "ANEMIA_CHILD", title="Anaemia, child 6-59 months", stages=UNDER_FIVE, cluster=2, group="Under-fives (balita)",
    criteria="WHO 2011: Hb < 11.0 at 6-59 months (mild 10.0-10.9, moderate 7.0-9.9, severe < 7.0); WHO 2024: "
    "6-23 months < 10.5 (mild 9.5-10.4), 24-59 months < 11.0",
    severity=_SEVERITY, level=_LEVEL, source=_SOURCE + " [ILP-T 11-skrining-thalassemia]", confidence="C",
    inputs=_INPUTS, notes="The levels are a product assumption: the sources give thresholds only.",
)
def anemia_child(c: Ctx) -> Finding | None:
    if c.m.hb_g_dl is None or not 6 <= c.age_months < 60:
        return None
    return hb_finding(c, None)


@rule(
    "ANEMIA_PREG", title="Anaemia in pregnancy", stages=PREGNANCY, cluster=2, group="Pregnancy (ibu hamil)",
    criteria="WHO 2011: Hb < 11.0 (mild 10.0-10.9, moderate 7.0-9.9, severe < 7.0); WHO 2024: < 11.0 in "
    "trimesters 1 and 3, < 10.5 in trimester 2 (14-27 weeks)",
    severity=_SEVERITY, level=_LEVEL, source=_SOURCE, confidence="C", inputs=_INPUTS,
    notes="The levels are a product assumption. The PWS fact anemia_pregnancy stays Hb < 11 g/dL (contract).",
)
def anemia_preg(c: Ctx) -> Finding | None:
    if c.m.hb_g_dl is None or c.preg is None:
        return None
    return hb_finding(c, c.preg.gestational_weeks)


@rule(
    "ANEMIA_SCHOOL", title="Anaemia, child 5-17 years or adolescent", stages=SCHOOL, cluster=2,
    group="Pre-school, school-age and adolescents (anak sekolah & remaja)",
    criteria="Hb below the WHO cut-off: 5-11 y < 11.5; 12-14 y < 12.0; girls >= 15 y < 12.0; boys >= 15 y < 13.0 "
    "g/dL; mild from 11.0, severe < 8.0",
    severity=_SEVERITY, level=_LEVEL, source=_SOURCE + " [ILP-T 02-skrining-anemia]", confidence="C",
    inputs=_INPUTS, notes="Adolescent girls are tested at grades 7 and 10 (ages 12 and 15). The levels are assumed.",
)
def anemia_school(c: Ctx) -> Finding | None:
    if c.m.hb_g_dl is None or c.age_years < 5:
        return None
    return hb_finding(c, None)


@rule(
    "ANEMIA_ADULT", title="Anaemia, adult or elderly", stages=ADULT, cluster=3,
    group="Adults and elderly (usia dewasa & lansia)",
    criteria="non-pregnant women Hb < 12.0, men < 13.0 g/dL; mild from 11.0, severe < 8.0",
    severity=_SEVERITY, level=_LEVEL, source=_SOURCE + " [ILP-T 01-catin; 02-skrining-layak-hamil]",
    confidence="C", inputs=_INPUTS,
    notes="Catin and PUS: anaemia is an ALKI criterion (see PREPREGNANCY_RISK). The levels are assumed.",
)
def anemia_adult(c: Ctx) -> Finding | None:
    if c.m.hb_g_dl is None:
        return None
    return hb_finding(c, None)
