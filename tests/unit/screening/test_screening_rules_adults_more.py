"""Adults, WUS and catin, elderly instruments, screens across ages, anaemia references, postpartum."""

from __future__ import annotations

from datetime import timedelta

import pytest

from services.screening.domain import History, ServiceRecord, evaluate
from services.screening.domain.config import ScreeningConfig

WHO2024 = ScreeningConfig(anaemia_reference="who2024")


def adult(h, years: int = 30, sex: str = "F", stage: str | None = None, config=None, history=None, **m):
    stage = stage or ("elderly" if years >= 60 else "adult" if years >= 18 else "school_age")
    visit = h.make_visit(stage, h.age_days(years=years, days=40), sex, **m)
    return evaluate(visit, history or History(), config or ScreeningConfig())


@pytest.mark.parametrize("sex,hb,grade", [
    ("F", 12.0, None), ("F", 11.9, "mild"), ("F", 11.0, "mild"), ("F", 10.9, "moderate"), ("F", 8.0, "moderate"),
    ("F", 7.9, "severe"), ("M", 13.0, None), ("M", 12.9, "mild"), ("M", 9.0, "moderate"),
])
def test_anaemia_adult(h, sex, hb, grade):
    result = adult(h, 25, sex, hb_g_dl=hb)
    if grade is None:
        assert "ANEMIA_ADULT" not in h.codes(result)
    else:
        r = h.risk(result, "ANEMIA_ADULT")
        assert (r.evidence["grade"], r.cluster) == (grade, 3)


def test_woman_of_25_with_hb_9(h):
    r = h.risk(adult(h, 25, "F", hb_g_dl=9.0), "ANEMIA_ADULT")
    assert (r.severity, r.recommended_level) == ("moderate", "puskesmas")


@pytest.mark.parametrize("elevation,smoker,cigarettes,adjusted", [
    (999, None, None, None), (1000, None, None, 11.8), (1500, None, None, 11.5), (2500, None, None, 10.7),
    (None, True, None, 11.7), (None, True, 20, 11.5), (None, True, 40, 11.3), (1000, True, 10, 11.5),
])
def test_hb_adjustments(h, elevation, smoker, cigarettes, adjusted):
    m = {k: v for k, v in (("elevation_m", elevation), ("smoker", smoker), ("cigarettes_per_day", cigarettes))
         if v is not None}
    result = adult(h, 30, "F", hb_g_dl=12.0, **m)
    if adjusted is None:
        assert "ANEMIA_ADULT" not in h.codes(result)
        return
    ev = h.risk(result, "ANEMIA_ADULT").evidence
    assert ev["adjusted_hb_g_dl"] == pytest.approx(adjusted)
    assert "ANEMIA_ADULT" not in h.codes(adult(h, 30, "F", hb_g_dl=12.0, config=ScreeningConfig(hb_adjustments=False),
                                               **m))


@pytest.mark.parametrize("weeks,hb,who2011,who2024", [
    (20, 10.6, "mild", None), (20, 10.4, "mild", "mild"), (13, 10.9, "mild", "mild"), (28, 10.9, "mild", "mild"),
    (14, 10.5, "mild", None),
])
def test_who2024_second_trimester(h, weeks, hb, who2011, who2024):
    visit = h.make_visit("pregnancy", h.age_days(years=28), "F", pregnancy={"gestational_weeks": weeks}, hb_g_dl=hb)
    for config, grade in ((ScreeningConfig(), who2011), (WHO2024, who2024)):
        result = evaluate(visit, History(), config)
        if grade is None:
            assert "ANEMIA_PREG" not in h.codes(result)
        else:
            assert h.risk(result, "ANEMIA_PREG").evidence["grade"] == grade
        assert result.facts["pws"]["anemia_pregnancy"] is (hb < 11.0)  # the contract's cut-off, whatever the config


@pytest.mark.parametrize("months,hb,who2011,who2024", [(12, 10.6, "mild", None), (12, 10.4, "mild", "mild"),
                                                       (30, 10.6, "mild", "mild"), (23, 10.5, "mild", None)])
def test_who2024_children_6_23_months(h, months, hb, who2011, who2024):
    visit = h.make_visit("under_five", h.age_days(months=months, days=2), "F", hb_g_dl=hb)
    for config, grade in ((ScreeningConfig(), who2011), (WHO2024, who2024)):
        result = evaluate(visit, History(), config)
        assert (h.risk(result, "ANEMIA_CHILD").evidence["grade"] if grade else "ANEMIA_CHILD" not in h.codes(result)) \
            == (grade or True)


@pytest.mark.parametrize("years,muac,pre,severity", [
    (25, 23.4, None, "low"), (25, 23.5, None, None), (25, 22.0, {"status": "catin"}, "moderate"),
    (14, 22.0, None, None), (50, 22.0, None, None), (16, 22.0, None, "low"),
])
def test_kek_wus_and_catin(h, years, muac, pre, severity):
    m = {"muac_cm": muac}
    if pre:
        m["pre_pregnancy"] = pre
    result = adult(h, years, "F", **m)
    if severity is None:
        assert "KEK_WUS" not in h.codes(result)
    else:
        assert h.risk(result, "KEK_WUS").severity == severity
    assert "KEK_WUS" not in h.codes(adult(h, 25, "M", muac_cm=20.0))


@pytest.mark.parametrize("years,pre,m,cls", [
    (25, {"status": "catin"}, {"hb_g_dl": 12.5, "muac_cm": 25.0, "weight_kg": 55.0, "height_cm": 155.0}, None),
    (19, {"status": "catin"}, {}, "tidak layak hamil"),
    (36, {"status": "pus"}, {}, "tidak layak hamil"),
    (25, {"status": "pus", "living_children": 3}, {}, "tidak layak hamil"),
    (25, {"status": "pus", "months_since_last_birth": 23}, {}, "tidak layak hamil"),
    (25, {"status": "pus", "months_since_last_birth": 24}, {}, None),
    (25, {"status": "catin"}, {"hb_g_dl": 11.9}, "tidak layak hamil"),
    (25, {"status": "catin"}, {"muac_cm": 23.4}, "tidak layak hamil"),
    (25, {"status": "catin", "sti": True}, {}, "tidak layak hamil"),
    (25, {"status": "catin"}, {"weight_kg": 62.5, "height_cm": 158.1}, "dapat hamil dengan pengawasan"),  # BMI 25.0
    (25, {"status": "pus", "previous_complication": True}, {}, "dapat hamil dengan pengawasan"),
])
def test_pre_pregnancy(h, years, pre, m, cls):
    result = adult(h, years, "F", pre_pregnancy=pre, **m)
    if cls is None:
        assert "PREPREGNANCY_RISK" not in h.codes(result)
        return
    r = h.risk(result, "PREPREGNANCY_RISK")
    assert r.evidence["class"] == cls and r.recommended_level == "puskesmas"


@pytest.mark.parametrize("status,years,sex,fires", [(4, 25, "F", True), (5, 25, "F", False), (0, 49, "F", True),
                                                    (0, 50, "F", False), (0, 25, "M", False)])
def test_td_status_wus(h, status, years, sex, fires):
    assert ("TD_INCOMPLETE" in h.codes(adult(h, years, sex, td_status=status))) == fires


@pytest.mark.parametrize("total,cls,severity", [(199.0, None, None), (200.0, "borderline", "low"),
                                                (239.0, "borderline", "low"), (240.0, "high", "moderate")])
def test_cholesterol(h, total, cls, severity):
    result = adult(h, 50, cholesterol_total_mg_dl=total)
    if cls is None:
        assert "CHOLESTEROL_HIGH" not in h.codes(result)
        return
    r = h.risk(result, "CHOLESTEROL_HIGH")
    assert (r.evidence["class"], r.severity) == (cls, severity)


@pytest.mark.parametrize("total,statin", [(320.0, False), (320.1, True)])
def test_cholesterol_statin(h, total, statin):
    assert h.risk(adult(h, 50, cholesterol_total_mg_dl=total), "CHOLESTEROL_HIGH").evidence["statin"] is statin


@pytest.mark.parametrize("risk,severity", [(4.9, None), (5.0, "low"), (9.9, "low"), (10.0, "moderate"),
                                           (19.9, "moderate"), (20.0, "high"), (35.0, "high")])
def test_cvd_risk(h, risk, severity):
    result = adult(h, 55, "M", cvd_risk_percent=risk)
    if severity is None:
        assert "CVD_RISK" not in h.codes(result)
    else:
        assert h.risk(result, "CVD_RISK").severity == severity


@pytest.mark.parametrize("iva,severity,level", [("negative", None, None), ("positive", "moderate", "puskesmas"),
                                                ("suspect_cancer", "high", "rs")])
def test_cervical_iva(h, iva, severity, level):
    result = adult(h, 35, "F", iva_result=iva)
    if severity is None:
        assert "CERVICAL_IVA_POSITIVE" not in h.codes(result)
    else:
        r = h.risk(result, "CERVICAL_IVA_POSITIVE")
        assert (r.severity, r.recommended_level) == (severity, level)


def test_breast_sadanis(h):
    r = h.risk(adult(h, 40, "F", sadanis_result="abnormal"), "BREAST_SADANIS_ABNORMAL")
    assert (r.severity, r.recommended_level) == ("high", "rs")
    assert "BREAST_SADANIS_ABNORMAL" not in h.codes(adult(h, 40, "F", sadanis_result="normal"))


@pytest.mark.parametrize("acuity,severity,band", [
    ("6/6", None, None), ("6/9", None, None), ("6/12", "low", "6/12 (not better than 6/12)"),
    ("6/18", "low", "mild (< 6/12 to 6/18)"), ("6/24", "moderate", "moderate (< 6/18 to 6/60)"),
    ("6/60", "moderate", "moderate (< 6/18 to 6/60)"), ("3/60", "moderate", "severe (< 6/60 to 3/60)"),
    ("1/60", "moderate", "blind (< 3/60)"),
])
@pytest.mark.parametrize("years", [10, 30, 70])
def test_vision(h, acuity, severity, band, years):
    result = adult(h, years, visual_acuity=acuity)
    if severity is None:
        assert "VISION_IMPAIRED" not in h.codes(result)
        return
    r = h.risk(result, "VISION_IMPAIRED")
    assert (r.severity, r.evidence["band"], r.recommended_level) == (severity, band, "puskesmas")


def test_finger_count_colour_and_hearing(h):
    assert "VISION_IMPAIRED" in h.codes(adult(h, 45, finger_count_passed=False))
    assert "COLOUR_VISION_DEFICIT" in h.codes(adult(h, 10, colour_vision_passed=False))
    assert "HEARING_IMPAIRED" in h.codes(adult(h, 12, whisper_test_passed=False))
    assert not {"VISION_IMPAIRED", "HEARING_IMPAIRED"} & h.codes(adult(h, 45, finger_count_passed=True,
                                                                       whisper_test_passed=True))


@pytest.mark.parametrize("years,stage,severity", [(9, None, None), (10, None, "low"), (16, None, "low"),
                                                  (40, None, "low"), (25, "pregnancy", "moderate")])
def test_smoking(h, years, stage, severity):
    preg = {"gestational_weeks": 20} if stage == "pregnancy" else None
    visit = h.make_visit(stage or ("adult" if years >= 18 else "school_age"), h.age_days(years=years), "F",
                         pregnancy=preg, smoker=True)
    result = evaluate(visit)
    if severity is None:
        assert "SMOKER" not in h.codes(result)
    else:
        assert h.risk(result, "SMOKER").severity == severity


@pytest.mark.parametrize("score,years,band,severity", [
    (15, 14, None, None), (16, 14, "borderline", "low"), (19, 14, "borderline", "low"), (20, 14, "abnormal", "moderate"),
    (13, 9, None, None), (14, 9, "borderline", "low"), (17, 9, "abnormal", "moderate"), (20, 18, None, None),
])
def test_sdq(h, score, years, band, severity):
    result = adult(h, years, "M", sdq_score=score)
    if band is None:
        assert "SDQ_PROBLEM" not in h.codes(result)
        return
    r = h.risk(result, "SDQ_PROBLEM")
    assert (r.evidence["band"], r.severity, r.evidence["informant"]) == (band, severity,
                                                                          "self" if years > 11 else "parent")


def test_adolescent_girls_hb_screen_and_ttd(h):
    on = h.ON
    due = adult(h, 12, "F", school_grade=7)
    assert "ADOLESCENT_HB_DUE" in h.codes(due) and "TTD_NOT_RECEIVED" in h.codes(due)
    tested = History(services=(ServiceRecord("hb", on - timedelta(days=100), "12.5"),
                               ServiceRecord("ttd", on - timedelta(days=35), "1")))
    done = adult(h, 12, "F", school_grade=7, history=tested)
    assert not {"ADOLESCENT_HB_DUE", "TTD_NOT_RECEIVED"} & h.codes(done)
    late = History(services=(ServiceRecord("ttd", on - timedelta(days=36), "1"),))
    assert "TTD_NOT_RECEIVED" in h.codes(adult(h, 12, "F", school_grade=7, history=late))
    assert not {"ADOLESCENT_HB_DUE", "TTD_NOT_RECEIVED"} & h.codes(adult(h, 12, "M", school_grade=7))
    assert "ADOLESCENT_HB_DUE" not in h.codes(adult(h, 13, "F", school_grade=8))
    given = adult(h, 15, "F", school_grade=10, ttd_tablets=1, hb_g_dl=12.5)
    assert not {"ADOLESCENT_HB_DUE", "TTD_NOT_RECEIVED"} & h.codes(given)
    assert given.facts["services"]["ttd_tablets"] == 1 and given.facts["services"]["hb_tested"]


@pytest.mark.parametrize("items,m,domains", [
    ({"recall_words": 2}, {}, ["cognition"]), ({"recall_words": 3, "orientation_correct": True}, {}, []),
    ({"chair_rise_seconds": 14.0}, {}, []), ({"chair_rise_seconds": 14.1}, {}, ["mobility"]),
    ({"chair_rise_unable": True}, {}, ["mobility"]), ({"weight_loss_3kg": True}, {}, ["malnutrition"]),
    ({}, {"muac_cm": 20.9}, ["malnutrition"]), ({}, {"muac_cm": 21.0}, []),
    ({"eye_problem": True}, {}, ["vision"]), ({}, {"finger_count_passed": False}, ["vision"]),
    ({}, {"whisper_test_passed": False}, ["hearing"]), ({"anhedonia": True}, {}, ["depression"]),
])
def test_skilas_from_raw_items(h, items, m, domains):
    result = adult(h, 70, skilas=items, **m)
    if not domains:
        assert "SKILAS_POSITIVE" not in h.codes(result)
        return
    assert h.risk(result, "SKILAS_POSITIVE").evidence["domains"] == domains


@pytest.mark.parametrize("m,code,severity", [
    ({"amt_score": 8}, None, None), ({"amt_score": 7}, "COGNITIVE_IMPAIRMENT", "moderate"),
    ({"amt_score": 4}, "COGNITIVE_IMPAIRMENT", "moderate"), ({"amt_score": 3}, "COGNITIVE_IMPAIRMENT", "high"),
    ({"mini_cog_score": 3}, None, None), ({"mini_cog_score": 2}, "COGNITIVE_IMPAIRMENT", "moderate"),
    ({"gds4_score": 0}, None, None), ({"gds4_score": 1}, "GERIATRIC_DEPRESSION", "low"),
    ({"gds4_score": 2}, "GERIATRIC_DEPRESSION", "moderate"),
    ({"mna_sf_score": 12}, None, None), ({"mna_sf_score": 11}, "MALNUTRITION_ELDERLY", "low"),
    ({"mna_sf_score": 8}, "MALNUTRITION_ELDERLY", "low"), ({"mna_sf_score": 7}, "MALNUTRITION_ELDERLY", "moderate"),
])
def test_elderly_follow_up_instruments(h, m, code, severity):
    result = adult(h, 68, **m)
    found = {"COGNITIVE_IMPAIRMENT", "GERIATRIC_DEPRESSION", "MALNUTRITION_ELDERLY"} & h.codes(result)
    assert found == ({code} if code else set())
    if code:
        assert h.risk(result, code).severity == severity


@pytest.mark.parametrize("days,kf,seen,missed", [
    (2, None, set(), []), (3, None, set(), ["KF1"]), (10, None, {1, 2}, []), (30, None, {1}, ["KF2", "KF3"]),
    (30, 4, {1, 2, 3}, []),
])
def test_postpartum_visits(h, days, kf, seen, missed):
    history = History(services=tuple(ServiceRecord("kf", h.ON - timedelta(days=max(days - 1, 0)), str(n))
                                     for n in seen))
    m = {"postpartum_days": days}
    if kf:
        m["postpartum_visit"] = kf
    result = adult(h, 28, "F", history=history, **m)
    if not missed:
        assert "POSTPARTUM_VISIT_MISSED" not in h.codes(result)
    else:
        assert h.risk(result, "POSTPARTUM_VISIT_MISSED").evidence["missed"] == missed
    expected = kf or (1 if days <= 2 else 2 if days <= 7 else 3 if days <= 28 else 4)
    assert result.facts["services"]["postpartum_visit"] == expected


def test_postpartum_visits_of_an_earlier_delivery_do_not_count(h):
    old = History(services=(ServiceRecord("kf", h.ON - timedelta(days=400), "2"),))
    assert h.risk(adult(h, 28, "F", history=old, postpartum_days=10), "POSTPARTUM_VISIT_MISSED").evidence["missed"] == [
        "KF1", "KF2"]


@pytest.mark.parametrize("signs,severity,level", [(["bleeding"], "emergency", "rs"), (["fever"], "high", "puskesmas"),
                                                  (["sadness"], "moderate", "puskesmas")])
def test_postpartum_danger_signs(h, signs, severity, level):
    r = h.risk(adult(h, 28, "F", postpartum_days=5, postpartum_danger_signs=signs), "POSTPARTUM_DANGER_SIGN")
    assert (r.severity, r.recommended_level) == (severity, level)
