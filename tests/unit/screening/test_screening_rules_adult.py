"""Adult, elderly and any-age rules at their boundaries."""

from __future__ import annotations

import pytest

from services.screening.domain import evaluate


def _adult(h, years: int = 45, sex: str = "M", stage: str | None = None, **m):
    stage = stage or ("elderly" if years >= 60 else "adult" if years >= 18 else "school_age")
    return evaluate(h.make_visit(stage, h.age_days(years=years, days=40), sex, **m))


@pytest.mark.parametrize("sbp,dbp,grade,severity", [
    (139, 89, None, None),
    (140, 70, "grade 1", "moderate"), (141, 70, "grade 1", "moderate"), (120, 90, "grade 1", "moderate"),
    (159, 99, "grade 1", "moderate"), (160, 80, "grade 2", "high"), (150, 100, "grade 2", "high"),
    (179, 109, "grade 2", "high"), (180, 80, "grade 3", "emergency"), (170, 110, "grade 3", "emergency"),
    (181, 111, "grade 3", "emergency"),
])
def test_hypertension_grades(h, sbp, dbp, grade, severity):
    result = _adult(h, systolic_mmhg=sbp, diastolic_mmhg=dbp)
    if grade is None:
        assert "HT" not in h.codes(result)
        return
    r = h.risk(result, "HT")
    assert (r.evidence["grade"], r.severity, r.recommended_level, r.cluster) == (grade, severity, "puskesmas", 3)


def test_isolated_systolic_noted(h):
    assert h.risk(_adult(h, systolic_mmhg=150, diastolic_mmhg=85), "HT").evidence["isolated_systolic"] is True
    assert h.risk(_adult(h, systolic_mmhg=150, diastolic_mmhg=95), "HT").evidence["isolated_systolic"] is False


@pytest.mark.parametrize("glucose,fasting,code", [
    (139.0, False, None), (140.0, False, "PREDIABETES"), (199.0, False, "PREDIABETES"), (199.9, False, "PREDIABETES"),
    (200.0, False, "DM_SUSPECT"), (201.0, False, "DM_SUSPECT"), (99.0, True, None), (100.0, True, "PREDIABETES"),
    (125.0, True, "PREDIABETES"), (126.0, True, "DM_SUSPECT"), (127.0, True, "DM_SUSPECT"),
    (150.0, None, "PREDIABETES"),  # not stated: random
])
def test_glucose(h, glucose, fasting, code):
    m = {"glucose_mg_dl": glucose}
    if fasting is not None:
        m["glucose_fasting"] = fasting
    found = {"PREDIABETES", "DM_SUSPECT"} & h.codes(_adult(h, **m))
    assert found == ({code} if code else set())


def test_glucose_severity_and_level(h):
    dm = h.risk(_adult(h, glucose_mg_dl=250.0), "DM_SUSPECT")
    pre = h.risk(_adult(h, glucose_mg_dl=150.0), "PREDIABETES")
    assert (dm.severity, dm.recommended_level) == ("moderate", "puskesmas")
    assert (pre.severity, pre.recommended_level) == ("low", "posyandu")


def _bmi_visit(h, bmi: float, years: int = 40):
    # 200 cm: BMI = weight / 4, exact in binary floating point, so boundaries are hit exactly
    return _adult(h, years, "F", weight_kg=bmi * 4, height_cm=200.0)


@pytest.mark.parametrize("bmi,code,ap,national", [
    (16.9, "UNDERWEIGHT_ADULT", "underweight", "kurus berat"),
    (17.0, "UNDERWEIGHT_ADULT", "underweight", "kurus ringan"),
    (18.49, "UNDERWEIGHT_ADULT", "underweight", "kurus ringan"),
    (18.5, None, "normal", "normal"), (22.99, None, "normal", "normal"),
    (23.0, "OVERWEIGHT_ADULT", "overweight", "normal"), (24.99, "OVERWEIGHT_ADULT", "overweight", "normal"),
    (25.0, "OBESITY", "obese I", "normal"), (25.01, "OBESITY", "obese I", "gemuk ringan"),
    (27.0, "OBESITY", "obese I", "gemuk ringan"), (27.01, "OBESITY", "obese I", "obesitas"),
    (29.99, "OBESITY", "obese I", "obesitas"), (30.0, "OBESITY", "obese II", "obesitas"),
])
def test_adult_bmi_classes(h, bmi, code, ap, national):
    result = _bmi_visit(h, bmi)
    found = {"UNDERWEIGHT_ADULT", "OVERWEIGHT_ADULT", "OBESITY"} & h.codes(result)
    assert found == ({code} if code else set())
    if code:
        ev = h.risk(result, code).evidence
        assert (ev["class_asia_pacific"], ev["class_national"]) == (ap, national)


def test_obesity_severity(h):
    assert h.risk(_bmi_visit(h, 26.0), "OBESITY").severity == "low"
    assert h.risk(_bmi_visit(h, 31.0), "OBESITY").severity == "moderate"
    assert "OBESITY" in h.codes(_bmi_visit(h, 31.0, years=70))  # elderly too
    assert "OBESITY" not in h.codes(_bmi_visit(h, 31.0, years=16))  # under 18: BMI-for-age instead


@pytest.mark.parametrize("sex,waist,fires", [
    ("M", 89.9, False), ("M", 90.0, False), ("M", 90.1, True),
    ("F", 79.9, False), ("F", 80.0, False), ("F", 80.1, True),
])
def test_central_obesity(h, sex, waist, fires):
    assert ("CENTRAL_OBESITY" in h.codes(_adult(h, 30, sex, waist_cm=waist))) == fires


def test_ncd_screens_start_at_15(h):
    m = {"glucose_mg_dl": 250.0, "waist_cm": 100.0, "srq20_score": 10}
    young = _adult(h, 14, "M", **m)
    assert not {"DM_SUSPECT", "CENTRAL_OBESITY", "MENTAL_POSITIVE"} & h.codes(young)
    older = _adult(h, 15, "M", **m)
    assert {"DM_SUSPECT", "CENTRAL_OBESITY", "MENTAL_POSITIVE"} <= h.codes(older)
    assert {r.cluster for r in older.risks} == {2}
    assert h.risk(older, "MENTAL_POSITIVE").evidence["instrument_for_age"] == "SDQ"
    assert "instrument_for_age" not in h.risk(_adult(h, 18, "M", **m), "MENTAL_POSITIVE").evidence


@pytest.mark.parametrize("years,code", [(17, "HT_CHILD"), (18, "HT")])
def test_adult_blood_pressure_from_18(h, years, code):
    result = _adult(h, years, "M", systolic_mmhg=150, diastolic_mmhg=95)
    assert {"HT", "HT_CHILD"} & h.codes(result) == {code}


@pytest.mark.parametrize("sbp,dbp,fires", [
    (129, 84, False), (130, 70, True), (120, 85, True), (139, 89, True), (140, 80, False), (135, 90, False),
])
def test_high_normal_blood_pressure(h, sbp, dbp, fires):
    result = _adult(h, 45, systolic_mmhg=sbp, diastolic_mmhg=dbp)
    assert ("BP_HIGH_NORMAL" in h.codes(result)) == fires
    if fires:
        r = h.risk(result, "BP_HIGH_NORMAL")
        assert (r.severity, r.recommended_level) == ("low", "posyandu") and "HT" not in h.codes(result)


@pytest.mark.parametrize("glucose,severity,level", [
    (299.0, "moderate", "puskesmas"), (300.0, "high", "puskesmas"), (301.0, "high", "puskesmas"),
    (599.0, "high", "puskesmas"), (600.0, "emergency", "rs"), (601.0, "emergency", "rs"),
])
def test_glucose_crisis_ranges(h, glucose, severity, level):
    r = h.risk(_adult(h, glucose_mg_dl=glucose), "DM_SUSPECT")
    assert (r.severity, r.recommended_level) == (severity, level)


@pytest.mark.parametrize("glucose,level,severity", [
    (70.0, None, None), (69.9, 1, "moderate"), (54.0, 1, "moderate"), (53.9, 2, "emergency"), (20.0, 2, "emergency"),
])
def test_hypoglycaemia(h, glucose, level, severity):
    result = _adult(h, glucose_mg_dl=glucose, glucose_fasting=True)
    if level is None:
        assert "HYPOGLYCAEMIA" not in h.codes(result)
        return
    r = h.risk(result, "HYPOGLYCAEMIA")
    assert (r.evidence["level"], r.severity, r.recommended_level) == (level, severity, "puskesmas")


@pytest.mark.parametrize("ogtt,code", [(139.0, None), (140.0, "PREDIABETES"), (199.0, "PREDIABETES"),
                                       (200.0, "DM_SUSPECT")])
def test_ogtt_two_hours(h, ogtt, code):
    found = {"PREDIABETES", "DM_SUSPECT"} & h.codes(_adult(h, glucose_ogtt_2h_mg_dl=ogtt))
    assert found == ({code} if code else set())


@pytest.mark.parametrize("weeks,symptoms,fires", [
    (1.9, [], False), (2.0, [], True), (2.1, [], True), (0.5, ["fever"], True), (0.0, ["fever"], False),
    (None, ["night_sweats"], False), (1.0, [], False),
])
@pytest.mark.parametrize("stage,years", [("adult", 30), ("school_age", 9), ("pregnancy", 25)])
def test_tb_presumptive_from_6_years(h, weeks, symptoms, fires, stage, years):
    preg = {"gestational_weeks": 20} if stage == "pregnancy" else None
    visit = h.make_visit(stage, h.age_days(years=years, days=10), "F", pregnancy=preg, cough_weeks=weeks,
                         tb_symptoms=symptoms)
    result = evaluate(visit)
    assert ("TB_PRESUMPTIVE" in h.codes(result)) == fires
    if fires:
        r = h.risk(result, "TB_PRESUMPTIVE")
        assert (r.cluster, r.severity, r.recommended_level) == (4, "moderate", "pustu")


@pytest.mark.parametrize("years,score,fires", [
    (39, 8, False), (40, 5, False), (40, 6, True), (40, 7, True), (65, 6, True), (40, 9, True), (39, 9, False),
])
def test_ppok_puma(h, years, score, fires):
    result = _adult(h, years, puma_score=score)
    assert ("PPOK_HIGH_RISK" in h.codes(result)) == fires
    if fires:
        assert h.risk(result, "PPOK_HIGH_RISK").recommended_level == "rs"


@pytest.mark.parametrize("score,item17,severity", [
    (5, False, None), (6, False, "moderate"), (7, False, "moderate"), (0, True, "emergency"), (5, True, "emergency"),
    (None, True, "emergency"), (None, None, None),
])
def test_srq20(h, score, item17, severity):
    m = {}
    if score is not None:
        m["srq20_score"] = score
    if item17 is not None:
        m["srq20_item17"] = item17
    result = _adult(h, 30, **m)
    if severity is None:
        assert "MENTAL_POSITIVE" not in h.codes(result)
    else:
        r = h.risk(result, "MENTAL_POSITIVE")
        assert (r.severity, r.recommended_level) == (severity, "puskesmas")


@pytest.mark.parametrize("score,cls,severity,level", [
    (20, None, None, None),
    (19, "ketergantungan ringan", "low", "pustu"), (12, "ketergantungan ringan", "low", "pustu"),
    (11, "ketergantungan sedang", "moderate", "puskesmas"), (9, "ketergantungan sedang", "moderate", "puskesmas"),
    (8, "ketergantungan berat", "high", "puskesmas"), (5, "ketergantungan berat", "high", "puskesmas"),
    (4, "ketergantungan total", "high", "puskesmas"), (0, "ketergantungan total", "high", "puskesmas"),
])
def test_adl(h, score, cls, severity, level):
    result = _adult(h, 70, adl_barthel=score)
    if cls is None:
        assert "DEPENDENT" not in h.codes(result)
        return
    r = h.risk(result, "DEPENDENT")
    assert (r.evidence["class"], r.severity, r.recommended_level, r.cluster) == (cls, severity, level, 3)


def test_adl_and_skilas_only_for_elderly(h):
    assert not h.codes(_adult(h, 59, adl_barthel=5, skilas_positive_domains=["vision"]))
    assert {"DEPENDENT", "SKILAS_POSITIVE"} <= h.codes(_adult(h, 60, adl_barthel=5, skilas_positive_domains=["vision"]))


@pytest.mark.parametrize("domains,fires", [
    ([], False), (None, False), (["hearing"], True), (["cognition", "mobility"], True),
])
def test_skilas(h, domains, fires):
    result = _adult(h, 75, skilas_positive_domains=domains)
    assert ("SKILAS_POSITIVE" in h.codes(result)) == fires
    if fires:
        assert h.risk(result, "SKILAS_POSITIVE").evidence["count"] == len(domains)
