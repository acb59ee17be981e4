"""Pregnancy rules at their boundaries: anaemia, KEK, trimester-1 BMI, hypertension / pre-eclampsia, 4T, ANC."""

from __future__ import annotations

import pytest

from services.screening.domain import History, evaluate

ADULT_AGE = 28


def _preg(h, gw: int = 20, age_years: int = ADULT_AGE, history: History | None = None, preg: dict | None = None, **m):
    visit = h.make_visit("pregnancy", h.age_days(years=age_years, days=10), "F",
                         pregnancy={"gestational_weeks": gw, **(preg or {})}, **m)
    return evaluate(visit, history or History())


@pytest.mark.parametrize("hb,grade,severity,level", [
    (11.1, None, None, None), (11.0, None, None, None), (10.9, "mild", "low", "pustu"), (10.0, "mild", "low", "pustu"),
    (9.9, "moderate", "moderate", "puskesmas"), (7.0, "moderate", "moderate", "puskesmas"),
    (6.9, "severe", "high", "rs"),
])
def test_anaemia_in_pregnancy(h, hb, grade, severity, level):
    result = _preg(h, hb_g_dl=hb)
    if grade is None:
        assert "ANEMIA_PREG" not in h.codes(result)
        return
    r = h.risk(result, "ANEMIA_PREG")
    assert (r.evidence["grade"], r.severity, r.recommended_level, r.cluster) == (grade, severity, level, 2)


@pytest.mark.parametrize("muac,fires", [(23.4, True), (23.5, False), (23.6, False)])
def test_kek(h, muac, fires):
    result = _preg(h, muac_cm=muac)
    assert ("KEK" in h.codes(result)) == fires
    if fires:
        assert h.risk(result, "KEK").recommended_level == "puskesmas"


@pytest.mark.parametrize("gw,weight,fires", [(12, 42.0, True), (13, 42.0, False), (12, 45.0, False)])
def test_low_bmi_in_trimester_1(h, gw, weight, fires):
    result = _preg(h, gw=gw, weight_kg=weight, height_cm=155.0)  # BMI 17.48 / 18.73
    assert ("LOW_BMI_PREG" in h.codes(result)) == fires


def test_low_bmi_boundary_exact(h):
    height = 160.0
    at = 18.5 * (height / 100) ** 2
    assert "LOW_BMI_PREG" not in h.codes(_preg(h, gw=10, weight_kg=at + 1e-9, height_cm=height))
    assert "LOW_BMI_PREG" in h.codes(_preg(h, gw=10, weight_kg=at - 0.01, height_cm=height))


@pytest.mark.parametrize("sbp,dbp,code,severity,level", [
    (139, 89, None, None, None),
    (140, 80, "HT_PREG", "high", "puskesmas"), (141, 80, "HT_PREG", "high", "puskesmas"),
    (130, 90, "HT_PREG", "high", "puskesmas"), (130, 91, "HT_PREG", "high", "puskesmas"),
    (159, 109, "HT_PREG", "high", "puskesmas"),
    (160, 100, "HT_PREG", "emergency", "rs"), (150, 110, "HT_PREG", "emergency", "rs"),
])
def test_hypertension_in_pregnancy(h, sbp, dbp, code, severity, level):
    result = _preg(h, gw=30, systolic_mmhg=sbp, diastolic_mmhg=dbp)
    if code is None:
        assert not {"HT_PREG", "SUSPECT_PE", "HT"} & h.codes(result)
        return
    r = h.risk(result, code)
    assert (r.severity, r.recommended_level) == (severity, level)
    assert "HT" not in h.codes(result)  # the adult rule does not run in pregnancy


@pytest.mark.parametrize("gw,protein,sbp,dbp,expected", [
    (21, 1, 140, 85, ("SUSPECT_PE", "emergency")),
    (20, 1, 140, 85, ("SUSPECT_PE", "emergency")),  # from 20 weeks (>= 20)
    (19, 1, 140, 85, ("HT_PREG", "high")),
    (21, 0, 140, 85, ("HT_PREG", "high")),  # no proteinuria
    (21, None, 140, 85, ("HT_PREG", "high")),
    (21, 1, 139, 89, None),  # proteinuria without hypertension
    (30, 3, 165, 100, ("SUSPECT_PE", "emergency")),
])
def test_suspected_pre_eclampsia(h, gw, protein, sbp, dbp, expected):
    result = _preg(h, gw=gw, preg={"proteinuria": protein}, systolic_mmhg=sbp, diastolic_mmhg=dbp)
    found = {"HT_PREG", "SUSPECT_PE"} & h.codes(result)
    if expected is None:
        assert not found
        return
    code, severity = expected
    assert found == {code}  # exclusive
    r = h.risk(result, code)
    assert r.severity == severity
    if code == "SUSPECT_PE":
        assert r.recommended_level == "rs" and r.evidence["proteinuria"] == protein


@pytest.mark.parametrize("age,factor", [(19, "terlalu_muda"), (20, None), (35, None), (36, "terlalu_tua")])
def test_4t_age(h, age, factor):
    result = _preg(h, age_years=age)
    if factor is None:
        assert "RISK_4T" not in h.codes(result)
    else:
        assert h.risk(result, "RISK_4T").evidence["factors"] == [factor]


@pytest.mark.parametrize("children,fires", [(2, False), (3, True), (4, True)])
def test_4t_many_children(h, children, fires):
    assert ("RISK_4T" in h.codes(_preg(h, preg={"living_children": children}))) == fires


@pytest.mark.parametrize("preg,births,basis", [
    ({"parity": 3, "living_children": 1}, 3, "parity"),  # parity first: births, not survivors
    ({"parity": 2, "living_children": 3}, 2, "parity"),
    ({"gravida": 4}, 3, "gravida"), ({"gravida": 3}, 2, "gravida"),
    ({"gravida": 5, "living_children": 2}, 2, "living_children"),
])
def test_4t_terlalu_banyak_uses_parity(h, preg, births, basis):
    result = _preg(h, preg=preg)
    if births >= 3:
        ev = h.risk(result, "RISK_4T").evidence
        assert (ev["previous_births"], ev["births_basis"], "terlalu_banyak" in ev["factors"]) == (births, basis, True)
    else:
        assert "RISK_4T" not in h.codes(result)


@pytest.mark.parametrize("height,fires", [(144.9, True), (145.0, False), (145.1, False)])
def test_short_maternal_height(h, height, fires):
    result = _preg(h, height_cm=height)
    assert ("RISK_OBSTETRIC" in h.codes(result)) == fires
    if fires:
        r = h.risk(result, "RISK_OBSTETRIC")
        assert r.evidence["factors"] == ["height_below_145_cm"] and r.recommended_level == "puskesmas"


def test_obstetric_history(h):
    r = h.risk(_preg(h, preg={"obstetric_history": ["stillbirth", "previous_caesarean"]}), "RISK_OBSTETRIC")
    assert r.evidence["factors"] == ["previous_caesarean", "stillbirth"] and r.severity == "moderate"


@pytest.mark.parametrize("fasting,value,code", [
    (True, 91.0, None), (True, 92.0, "GDM"), (True, 110.0, "GDM"), (True, 125.9, "GDM"), (True, 126.0, "DM_SUSPECT"),
    (False, 110.0, None), (False, 199.0, None), (False, 200.0, "DM_SUSPECT"),
])
def test_gestational_diabetes_fasting_and_random(h, fasting, value, code):
    result = _preg(h, gw=28, glucose_mg_dl=value, glucose_fasting=fasting)
    found = {"GDM", "DM_SUSPECT", "PREDIABETES"} & h.codes(result)
    assert found == ({code} if code else set())


@pytest.mark.parametrize("ogtt,code", [(152.0, None), (153.0, "GDM"), (199.0, "GDM"), (200.0, "DM_SUSPECT")])
def test_gestational_diabetes_ogtt(h, ogtt, code):
    found = {"GDM", "DM_SUSPECT"} & h.codes(_preg(h, gw=26, glucose_ogtt_2h_mg_dl=ogtt))
    assert found == ({code} if code else set())


def test_pregnant_girl_under_15_is_screened(h):
    result = _preg(h, age_years=14, glucose_mg_dl=100.0, glucose_fasting=True, muac_cm=22.0)
    assert {"GDM", "KEK", "RISK_4T"} <= h.codes(result)
    assert h.risk(_preg(h, age_years=14, glucose_mg_dl=250.0), "DM_SUSPECT").severity == "high"


@pytest.mark.parametrize("test,level", [("hiv", "puskesmas"), ("syphilis", "puskesmas"), ("hbsag", "rs")])
def test_triple_elimination_reactive(h, test, level):
    result = _preg(h, preg={"labs": {test: "reactive"}})
    r = h.risk(result, f"{test.upper()}_REACTIVE_PREG")
    assert (r.severity, r.recommended_level) == ("high", level)
    assert not {f"{t.upper()}_REACTIVE_PREG" for t in ("hiv", "syphilis", "hbsag")} & h.codes(
        _preg(h, preg={"labs": {test: "non_reactive"}}))


@pytest.mark.parametrize("signs,severity,level", [
    (["bleeding"], "emergency", "rs"), (["seizures"], "emergency", "rs"), (["reduced_fetal_movement"], "emergency", "rs"),
    (["fever"], "high", "puskesmas"), (["persistent_vomiting", "fever"], "high", "puskesmas"),
])
def test_danger_signs(h, signs, severity, level):
    r = h.risk(_preg(h, preg={"danger_signs": signs}), "DANGER_SIGN_PREG")
    assert (r.severity, r.recommended_level, r.evidence["signs"]) == (severity, level, sorted(signs))


@pytest.mark.parametrize("status,fires", [(4, True), (5, False), (0, True)])
def test_td_status(h, status, fires):
    assert ("TD_INCOMPLETE" in h.codes(_preg(h, td_status=status))) == fires


@pytest.mark.parametrize("months_since,gw,fires", [(30, 30, True), (20, 4, True), (40, 20, False)])
def test_4t_spacing_is_last_birth_to_conception(h, months_since, gw, fires):
    # 30 months since the last birth at 30 weeks: conceived 23.1 months after it -> terlalu dekat
    result = _preg(h, gw=gw, preg={"months_since_last_birth": months_since})
    assert ("RISK_4T" in h.codes(result)) == fires


def test_4t_spacing_boundary(h):
    # gw 0 is not allowed; with gw 13 (13 * 7 / 30.4375 = 2.9897 months) the boundary is at 26.99 months since birth
    assert "RISK_4T" in h.codes(_preg(h, gw=13, preg={"months_since_last_birth": 26}))  # 23.01 months
    assert "RISK_4T" not in h.codes(_preg(h, gw=13, preg={"months_since_last_birth": 27}))  # 24.01 months


def test_4t_severity_grows_with_factors(h):
    r1 = h.risk(_preg(h, age_years=18), "RISK_4T")
    r2 = h.risk(_preg(h, age_years=38, preg={"living_children": 4, "months_since_last_birth": 14}), "RISK_4T")
    assert r1.severity == "low" and r1.recommended_level == "puskesmas"
    assert r2.severity == "moderate" and r2.evidence["factors"] == ["terlalu_tua", "terlalu_dekat", "terlalu_banyak"]


def test_glucose_and_mental_rules_also_run_in_pregnancy(h):
    result = _preg(h, glucose_mg_dl=201.0, srq20_score=7, waist_cm=100.0)
    assert {"DM_SUSPECT", "MENTAL_POSITIVE"} <= h.codes(result)
    assert not {"PREDIABETES", "CENTRAL_OBESITY"} & h.codes(result)
    assert h.risk(result, "DM_SUSPECT").cluster == 2
