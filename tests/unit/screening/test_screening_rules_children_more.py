"""Newborns and under-fives: BBLR, SHK, KN visits, MUAC, oedema, head circumference, the new z bands, child TB,
KPSP, vitamin A and deworming, immunisation status."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.screening.domain import History, ServiceRecord, evaluate
from services.screening.domain.model import add_months

ON = date(2026, 11, 20)


def newborn(h, days: int = 5, **nb):
    return evaluate(h.make_visit("under_five", days, "F", newborn=nb))


@pytest.mark.parametrize("grams,severity,level,category", [
    (2500, None, None, None), (2499, "moderate", "puskesmas", "BBLR (1500-2499 g)"),
    (2000, "moderate", "puskesmas", "BBLR (1500-2499 g)"), (1999, "high", "rs", "BBLR (1500-2499 g)"),
    (1500, "high", "rs", "BBLR (1500-2499 g)"), (1499, "high", "rs", "BBLSR (1000-1499 g)"),
    (999, "high", "rs", "BBLASR (< 1000 g)"),
])
def test_low_birth_weight(h, grams, severity, level, category):
    result = newborn(h, birth_weight_g=grams)
    if severity is None:
        assert "LOW_BIRTH_WEIGHT" not in h.codes(result)
        assert result.facts["newborn"]["low_birth_weight"] is False
        return
    r = h.risk(result, "LOW_BIRTH_WEIGHT")
    assert (r.severity, r.recommended_level, r.evidence["category"]) == (severity, level, category)
    assert result.facts["newborn"]["low_birth_weight"] is True


@pytest.mark.parametrize("shk,code,level", [("high_tsh", "SHK_HIGH_TSH", "rs"), ("not_done", "SHK_NOT_DONE", "puskesmas"),
                                            ("normal", None, None)])
def test_shk(h, shk, code, level):
    result = newborn(h, shk=shk)
    found = {"SHK_HIGH_TSH", "SHK_NOT_DONE"} & h.codes(result)
    assert found == ({code} if code else set())
    if code:
        assert h.risk(result, code).recommended_level == level


@pytest.mark.parametrize("days,seen,missed", [
    (2, set(), []), (3, set(), ["KN1"]), (3, {1}, []), (8, {1}, ["KN2"]), (8, {1, 2}, []), (20, set(), ["KN1", "KN2"]),
])
def test_neonatal_visits(h, days, seen, missed):
    history = History(services=tuple(ServiceRecord("kn", ON - timedelta(days=1), str(n)) for n in seen))
    result = evaluate(h.make_visit("under_five", days, "F", newborn={}), history)
    if not missed:
        assert "NEONATAL_VISIT_MISSED" not in h.codes(result)
    else:
        assert h.risk(result, "NEONATAL_VISIT_MISSED").evidence["missed"] == missed
    assert result.facts["newborn"]["neonatal_visit"] == (1 if days <= 2 else 2 if days <= 7 else 3)


@pytest.mark.parametrize("muac,code", [(11.4, "SAM_MUAC"), (11.5, "MAM_MUAC"), (12.4, "MAM_MUAC"), (12.5, None),
                                       (12.6, None)])
def test_acute_malnutrition_by_muac(h, muac, code):
    result = evaluate(h.make_visit("under_five", h.age_days(months=14), "F", muac_cm=muac))
    assert {"SAM_MUAC", "MAM_MUAC"} & h.codes(result) == ({code} if code else set())
    if code == "MAM_MUAC":
        r = h.risk(result, "MAM_MUAC")
        assert (r.severity, r.recommended_level) == ("moderate", "puskesmas")


def test_sam_muac_under_4_kg_goes_to_hospital(h):
    r = h.risk(evaluate(h.make_visit("under_five", h.age_days(months=8), "F", muac_cm=11.0, weight_kg=3.9)),
               "SAM_MUAC")
    assert (r.recommended_level, r.evidence["refer_rs"]) == ("rs", "weight < 4 kg")


@pytest.mark.parametrize("months,weight,level", [(5, 5.0, "rs"), (6, 5.0, "puskesmas"), (8, 3.9, "rs")])
def test_oedema_under_6_months_goes_to_hospital(h, months, weight, level):
    visit = h.make_visit("under_five", h.age_days(months=months, days=3), "F", oedema=True, weight_kg=weight)
    assert h.risk(evaluate(visit), "SAM_OEDEMA").recommended_level == level


def _hc_visit(h, z: float, age: int = 400):
    from services.screening.domain.zscores import lms_at, sd_value

    return evaluate(h.make_visit("under_five", age, "M", head_circumference_cm=sd_value(lms_at("hcfa", "M", age), z)))


@pytest.mark.parametrize("z,code,level", [
    (-2.01, "MICROCEPHALY", "puskesmas"), (-2.0, None, None), (2.0, None, None), (2.01, "MACROCEPHALY", "puskesmas"),
    (-3.01, "MICROCEPHALY", "rs"), (3.01, "MACROCEPHALY", "rs"),
])
def test_head_circumference_bands(h, z, code, level):
    result = _hc_visit(h, z)
    assert result.zscores.hcfa == pytest.approx(z, abs=1e-9)
    assert {"MICROCEPHALY", "MACROCEPHALY"} & h.codes(result) == ({code} if code else set())
    if code:
        assert h.risk(result, code).recommended_level == level


@pytest.mark.parametrize("indicator,code,fire,quiet", [
    ("wfa", "RISK_OVERWEIGHT_WFA", [1.01, 4.0], [1.0, 0.99]),
    ("lhfa", "TALL_FOR_AGE", [3.01, 5.0], [3.0, 2.99]),
])
def test_new_pmk2_bands(h, indicator, code, fire, quiet):
    def visit(z):
        if indicator == "wfa":
            return h.make_visit("under_five", 400, "M", weight_kg=h.measure_for_z("wfa", "M", 400, z))
        return h.make_visit("under_five", 400, "M", height_cm=h.measure_for_z("lhfa", "M", 400, z), measured_lying=True)

    for z in fire:
        assert code in h.codes(evaluate(visit(z))), z
    for z in quiet:
        assert code not in h.codes(evaluate(visit(z))), z


@pytest.mark.parametrize("stage,months", [("under_five", 30), ("preschool", 66)])
@pytest.mark.parametrize("m,criterion", [
    ({"fever_weeks": 2.0}, "fever >= 2 weeks"), ({"fever_weeks": 1.9}, None),
    ({"tb_symptoms": ["weight_loss"]}, "weight loss or no gain"), ({"tb_symptoms": ["malaise"]}, "lethargy (lesu)"),
    ({"tb_symptoms": ["fever", "weight_loss"], "cough_weeks": 0}, "fever (TB checklist)"),
    ({"cough_weeks": 2}, "cough >= 2 weeks"), ({"cough_weeks": 1.9}, None),
    ({"tb_symptoms": ["night_sweats"]}, None),
])
def test_child_tb_criteria_without_cough(h, stage, months, m, criterion):
    result = evaluate(h.make_visit(stage, h.age_days(months=months), "F", **m))
    if criterion is None:
        assert "TB_PRESUMPTIVE" not in h.codes(result)
        assert result.facts["pws"]["tb_presumptive"] is False
        return
    assert criterion in h.risk(result, "TB_PRESUMPTIVE").evidence["criteria"]
    assert result.facts["pws"]["tb_presumptive"] is True


def test_child_tb_from_2t(h):
    history = History(weighings=((date(2026, 9, 15), 10.0), (date(2026, 10, 16), 10.1)))
    visit = h.make_visit("under_five", h.age_days(months=20, days=5), "M", weight_kg=10.15)
    result = evaluate(visit, history)
    assert "no weight gain in the previous 2 months (2T)" in h.risk(result, "TB_PRESUMPTIVE").evidence["criteria"]
    assert "GROWTH_FALTERING_2T" in h.codes(result)


def test_tb_close_contact(h):
    result = evaluate(h.make_visit("adult", h.age_days(years=30), "M", tb_contact=True, cough_weeks=0))
    r = h.risk(result, "TB_CLOSE_CONTACT")
    assert (r.cluster, r.recommended_level) == (4, "puskesmas") and "TB_PRESUMPTIVE" not in h.codes(result)
    assert result.facts["pws"] | {} and result.facts["pws"]["tb_close_contact"] is True
    sick = evaluate(h.make_visit("adult", h.age_days(years=30), "M", tb_contact=True, cough_weeks=3))
    assert "TB_PRESUMPTIVE" in h.codes(sick) and "TB_CLOSE_CONTACT" not in h.codes(sick)


@pytest.mark.parametrize("kpsp,code,severity,level", [
    ("appropriate", None, None, None), ("doubtful", "KPSP_DOUBTFUL", "low", "pustu"),
    ("deviant", "KPSP_DEVIANT", "moderate", "rs"),
])
def test_kpsp(h, kpsp, code, severity, level):
    result = evaluate(h.make_visit("under_five", h.age_days(months=18), "F", kpsp=kpsp))
    assert {"KPSP_DOUBTFUL", "KPSP_DEVIANT"} & h.codes(result) == ({code} if code else set())
    if code:
        r = h.risk(result, code)
        assert (r.severity, r.recommended_level) == (severity, level)
    assert result.facts["services"]["kpsp"] == kpsp


def test_kpsp_doubtful_again_or_with_a_nutrition_problem(h):
    again = History(services=(ServiceRecord("kpsp", ON - timedelta(days=14), "doubtful"),))
    r = h.risk(evaluate(h.make_visit("under_five", h.age_days(months=18), "F", kpsp="doubtful"), again), "KPSP_DOUBTFUL")
    assert (r.severity, r.recommended_level, r.evidence["retest_on"]) == ("moderate", "puskesmas", "2026-12-04")
    thin = h.make_visit("under_five", 400, "M", kpsp="doubtful", weight_kg=h.measure_for_z("wfa", "M", 400, -2.5))
    assert h.risk(evaluate(thin), "KPSP_DOUBTFUL").recommended_level == "rs"


def _service_child(h, months: int, on: date, history=(), **m):
    visit = h.make_visit("under_five", (on - add_months(on, -months)).days + 3, "F", on=on, **m)
    return evaluate(visit, History(services=tuple(history)))


@pytest.mark.parametrize("on,last,given_now,due", [
    (date(2026, 8, 20), date(2026, 8, 1), None, False),  # dose this round
    (date(2026, 8, 20), date(2026, 7, 31), None, True),  # last round's dose only
    (date(2026, 11, 20), date(2026, 8, 3), None, False),  # August round still counts in November
    (date(2027, 2, 1), date(2026, 8, 3), None, True),
    (date(2026, 8, 20), None, False, True),  # recorded as not given now
    (date(2026, 8, 20), None, True, False),
    (date(2026, 8, 20), None, None, None),  # vitamin A not tracked for this child: no rule
])
def test_vitamin_a_due(h, on, last, given_now, due):
    history = [ServiceRecord("vitamin_a", last)] if last else []
    m = {} if given_now is None else {"vitamin_a_given": given_now}
    result = _service_child(h, 30, on, history, **m)
    assert ("VITAMIN_A_DUE" in h.codes(result)) == bool(due)


def test_vitamin_a_not_before_6_months(h):
    assert "VITAMIN_A_DUE" not in h.codes(_service_child(h, 5, date(2026, 8, 20), vitamin_a_given=False))
    assert "VITAMIN_A_DUE" in h.codes(_service_child(h, 6, date(2026, 8, 20), vitamin_a_given=False))


@pytest.mark.parametrize("days_ago,due", [(364, False), (365, False), (366, True)])
def test_deworming_yearly(h, days_ago, due):
    on = date(2026, 11, 20)
    result = _service_child(h, 24, on, [ServiceRecord("deworming", on - timedelta(days=days_ago))])
    assert ("DEWORMING_DUE" in h.codes(result)) == due


def test_deworming_from_12_months(h):
    assert "DEWORMING_DUE" not in h.codes(_service_child(h, 11, ON, deworming_given=False))
    assert "DEWORMING_DUE" in h.codes(_service_child(h, 12, ON, deworming_given=False))
