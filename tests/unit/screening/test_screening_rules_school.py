"""School-age and adolescent rules: WHO anaemia cut-offs, BMI-for-age (WHO 2007), the juknis child BP table."""

from __future__ import annotations

import pytest

from services.screening.domain import evaluate
from services.screening.domain.tables import CHILD_BP


def _school(h, years: int, sex: str = "F", stage: str = "school_age", **m):
    return evaluate(h.make_visit(stage, h.age_days(years=years, days=30), sex, **m))


@pytest.mark.parametrize("years,sex,threshold", [
    (5, "F", 11.5), (11, "M", 11.5), (12, "F", 12.0), (14, "M", 12.0), (15, "F", 12.0), (17, "F", 12.0),
    (15, "M", 13.0), (17, "M", 13.0),
])
def test_anaemia_cut_offs_by_age_and_sex(h, years, sex, threshold):
    stage = "preschool" if years == 5 else "school_age"
    below = _school(h, years, sex, stage, hb_g_dl=round(threshold - 0.1, 1))
    assert "ANEMIA_SCHOOL" in h.codes(below)
    assert h.risk(below, "ANEMIA_SCHOOL").evidence["threshold_g_dl"] == threshold
    assert "ANEMIA_SCHOOL" not in h.codes(_school(h, years, sex, stage, hb_g_dl=threshold))
    assert "ANEMIA_SCHOOL" not in h.codes(_school(h, years, sex, stage, hb_g_dl=threshold + 0.1))


@pytest.mark.parametrize("years,sex,hb,grade", [
    (8, "F", 11.4, "mild"), (8, "F", 11.0, "mild"), (8, "F", 10.9, "moderate"), (8, "F", 8.0, "moderate"),
    (8, "F", 7.9, "severe"), (16, "M", 12.9, "mild"), (16, "M", 11.0, "mild"), (16, "M", 10.9, "moderate"),
    (13, "F", 11.9, "mild"),
])
def test_anaemia_grades(h, years, sex, hb, grade):
    r = h.risk(_school(h, years, sex, hb_g_dl=hb), "ANEMIA_SCHOOL")
    assert r.evidence["grade"] == grade and r.cluster == 2


def _bmifa_visit(h, months: int, z: float, sex: str = "F"):
    age = round(months * 30.4375)
    height = 130.0
    bmi = h.measure_for_z("bmifa07", sex, age / 30.4375, z)
    visit = h.make_visit("school_age", age, sex, weight_kg=bmi * (height / 100) ** 2, height_cm=height)
    return evaluate(visit)


@pytest.mark.parametrize("code,fire,quiet", [
    ("SEVERE_THINNESS", [-3.01, -4.9], [-3.0]),
    ("THINNESS", [-3.0, -2.01], [-3.01, -2.0]),
    ("BMIFA_OVERWEIGHT", [1.01, 2.0], [1.0, 2.01]),
    ("BMIFA_OBESE", [2.01, 4.9], [2.0]),
])
def test_bmi_for_age_bands(h, code, fire, quiet):
    for z in fire:
        result = _bmifa_visit(h, 120, z)
        assert result.zscores.bmifa == pytest.approx(z, abs=1e-9)
        r = h.risk(result, code)
        assert r.evidence["reference"] == "WHO 2007" and r.cluster == 2
    for z in quiet:
        assert code not in h.codes(_bmifa_visit(h, 120, z))


def test_bmi_for_age_implausible_is_flag_only(h):
    result = _bmifa_visit(h, 150, -5.01, "M")
    assert "BIV_BMIFA" in result.flags and "SEVERE_THINNESS" not in h.codes(result)


@pytest.mark.parametrize("days,reference", [(1826, "WHO 2006"), (1827, "WHO 2007"), (1845, "WHO 2007"),
                                            (1856, "WHO 2007")])
def test_bmi_for_age_from_60_months(h, days, reference):
    """AnthroPlus starts at 60 months (month-60 row); day 1826 (59.99 months) is still WHO 2006."""
    result = evaluate(h.make_visit("preschool", days, "F", weight_kg=14.0, height_cm=108.0))
    assert result.zscores.bmifa is not None
    assert (result.zscores.wfa is not None) == (reference == "WHO 2006")


def test_who2007_month_60_row_is_anthroplus(h):
    from services.screening.domain.zscores import lms_at

    assert lms_at("bmifa07", "M", 60) == (-0.7151, 15.2679, 0.08366)
    assert lms_at("bmifa07", "F", 60) == (-0.8702, 15.2453, 0.09646)
    mid = lms_at("bmifa07", "F", 60.5)
    assert mid == pytest.approx(tuple((a + b) / 2 for a, b in zip((-0.8702, 15.2453, 0.09646),
                                                                   (-0.8886, 15.2441, 0.09692))))


@pytest.mark.parametrize("years", sorted(CHILD_BP))
@pytest.mark.parametrize("sex", ["M", "F"])
def test_child_bp_table(h, years, sex):
    sbp, dbp = CHILD_BP[years][0 if sex == "M" else 1]
    assert "BP_SCREEN_CHILD" in h.codes(_school(h, years, sex, systolic_mmhg=sbp, diastolic_mmhg=dbp - 10))
    assert "BP_SCREEN_CHILD" in h.codes(_school(h, years, sex, systolic_mmhg=sbp - 10, diastolic_mmhg=dbp))
    assert "BP_SCREEN_CHILD" in h.codes(_school(h, years, sex, systolic_mmhg=sbp + 1, diastolic_mmhg=dbp + 1))
    quiet = _school(h, years, sex, systolic_mmhg=sbp - 1, diastolic_mmhg=dbp - 1)
    assert not {"BP_SCREEN_CHILD", "HT_CHILD", "BP_ELEVATED_CHILD", "HT"} & h.codes(quiet)


def test_child_bp_table_values_from_juknis(h):
    r = h.risk(_school(h, 10, "F", systolic_mmhg=109, diastolic_mmhg=60), "BP_SCREEN_CHILD")
    assert r.evidence["table_mmhg"] == [109, 72] and r.recommended_level == "puskesmas" and r.severity == "low"
    assert "BP_SCREEN_CHILD" not in h.codes(_school(h, 10, "M", systolic_mmhg=107, diastolic_mmhg=71))
    assert not h.codes(_school(h, 6, "M", systolic_mmhg=130, diastolic_mmhg=85))  # no table row under 7


@pytest.mark.parametrize("sbp,dbp,code,cls,severity", [
    (119, 79, None, None, None),
    (120, 79, "BP_ELEVATED_CHILD", "elevated", "low"), (129, 79, "BP_ELEVATED_CHILD", "elevated", "low"),
    (129, 80, "HT_CHILD", "stage 1", "moderate"), (130, 70, "HT_CHILD", "stage 1", "moderate"),
    (139, 89, "HT_CHILD", "stage 1", "moderate"), (140, 70, "HT_CHILD", "stage 2", "high"),
    (125, 90, "HT_CHILD", "stage 2", "high"),
])
@pytest.mark.parametrize("years", [13, 14, 15, 17])
def test_adolescent_bp_classes(h, years, sbp, dbp, code, cls, severity):
    result = _school(h, years, "M", systolic_mmhg=sbp, diastolic_mmhg=dbp)
    found = {"BP_ELEVATED_CHILD", "HT_CHILD", "BP_SCREEN_CHILD", "HT"} & h.codes(result)
    if code is None:
        assert not found
        return
    assert found == {code}
    r = h.risk(result, code)
    assert (r.evidence["class"], r.severity) == (cls, severity)


def test_adolescent_table_applies_to_17_years(h):
    """The juknis adolescent table is for >= 13 years; the adult 140/90 applies from 18 (rules_adult)."""
    result = _school(h, 16, "M", systolic_mmhg=132, diastolic_mmhg=82)
    r = h.risk(result, "HT_CHILD")
    assert (r.evidence["class"], r.severity, r.cluster) == ("stage 1", "moderate", 2)
    assert "HT" not in h.codes(result)
    assert h.risk(_school(h, 17, "F", systolic_mmhg=125, diastolic_mmhg=70), "BP_ELEVATED_CHILD")


@pytest.mark.parametrize("sbp,dbp,severity", [(179, 100, "high"), (180, 100, "emergency"), (150, 119, "high"),
                                               (150, 120, "emergency")])
def test_adolescent_urgent_range(h, sbp, dbp, severity):
    assert h.risk(_school(h, 16, "M", systolic_mmhg=sbp, diastolic_mmhg=dbp), "HT_CHILD").severity == severity
