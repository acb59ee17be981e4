"""The facts of VisitScreened: the v1 PWS verdicts with the contract's definitions, SKDN, newborn, services."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.screening.domain import History, evaluate
from services.screening.domain.config import ScreeningConfig
from shared.contracts.events import GrowthMonitoringFacts, PwsFacts, VisitFacts

DAYS_15 = 5479  # 15 x 365.25 = 5478.75


def pws(h, stage: str, age: int, pregnancy=None, **m) -> PwsFacts:
    return PwsFacts.model_validate(evaluate(h.make_visit(stage, age, "F", pregnancy=pregnancy, **m)).facts["pws"])


@pytest.mark.parametrize("age,sbp,dbp,expected", [
    (DAYS_15 - 1, 150, 95, None), (DAYS_15, 139, 89, False), (DAYS_15, 140, 80, True), (DAYS_15, 130, 90, True),
    (DAYS_15, 150, None, None), (DAYS_15, None, 95, None),  # both pressures needed
])
def test_hypertension_fact(h, age, sbp, dbp, expected):
    assert pws(h, "school_age", age, systolic_mmhg=sbp, diastolic_mmhg=dbp).hypertension is expected


def test_hypertension_fact_includes_pregnant_women_and_differs_from_the_rules(h):
    preg = {"gestational_weeks": 30}
    assert pws(h, "pregnancy", 9000, preg, systolic_mmhg=140, diastolic_mmhg=85).hypertension is True
    adolescent = evaluate(h.make_visit("school_age", DAYS_15 + 400, "M", systolic_mmhg=132, diastolic_mmhg=82))
    assert adolescent.facts["pws"]["hypertension"] is False and "HT_CHILD" in {r.code for r in adolescent.risks}


@pytest.mark.parametrize("glucose,fasting,expected", [
    (199.0, False, False), (200.0, False, True), (125.0, True, False), (126.0, True, True), (200.0, None, True),
])
def test_diabetes_fact(h, glucose, fasting, expected):
    m = {"glucose_mg_dl": glucose}
    if fasting is not None:
        m["glucose_fasting"] = fasting
    assert pws(h, "adult", 12000, **m).diabetes is expected
    assert pws(h, "school_age", DAYS_15 - 1, **m).diabetes is None


def test_diabetes_fact_keeps_contract_cut_offs_in_pregnancy(h):
    facts = pws(h, "pregnancy", 9000, {"gestational_weeks": 28}, glucose_mg_dl=110.0, glucose_fasting=True)
    assert facts.diabetes is False  # GDM by the rules (WHO 2013), not diabetes for the v1 indicator


@pytest.mark.parametrize("hb,expected", [(10.9, True), (11.0, False), (None, None)])
def test_anemia_pregnancy_fact(h, hb, expected):
    assert pws(h, "pregnancy", 9000, {"gestational_weeks": 20}, hb_g_dl=hb).anemia_pregnancy is expected
    if hb is not None:
        assert pws(h, "adult", 9000, hb_g_dl=hb).anemia_pregnancy is None


@pytest.mark.parametrize("muac,expected", [(23.4, True), (23.5, False)])
def test_kek_pregnancy_fact(h, muac, expected):
    assert pws(h, "pregnancy", 9000, {"gestational_weeks": 20}, muac_cm=muac).kek_pregnancy is expected


def test_tb_fact_needs_a_tb_input(h):
    assert pws(h, "adult", 12000, systolic_mmhg=120, diastolic_mmhg=80).tb_presumptive is None
    assert pws(h, "adult", 12000, cough_weeks=0).tb_presumptive is False
    assert pws(h, "adult", 12000, cough_weeks=2).tb_presumptive is True


def _z(h, indicator, z, **extra):
    age = 400
    if indicator == "wfa":
        m = {"weight_kg": h.measure_for_z("wfa", "M", age, z)}
    elif indicator == "lhfa":
        m = {"height_cm": h.measure_for_z("lhfa", "M", age, z), "measured_lying": True}
    else:
        m = {"weight_kg": h.measure_for_z("wfl", "M", 75.0, z), "height_cm": 75.0, "measured_lying": True}
    return PwsFacts.model_validate(evaluate(h.make_visit("under_five", age, "M", **m, **extra)).facts["pws"])


@pytest.mark.parametrize("indicator,name", [("wfa", "underweight"), ("lhfa", "stunting"), ("wflh", "wasting")])
@pytest.mark.parametrize("z,expected", [(-2.01, True), (-2.0, False), (-1.99, False)])
def test_growth_facts(h, indicator, name, z, expected):
    assert getattr(_z(h, indicator, z), name) is expected


@pytest.mark.parametrize("indicator,name,z", [("wfa", "underweight", -6.01), ("lhfa", "stunting", -6.01),
                                              ("wflh", "wasting", 5.01)])
def test_implausible_zscores_are_not_counted(h, indicator, name, z):
    assert getattr(_z(h, indicator, z), name) is None


def test_oedema_counts_below_minus_3_for_weight_based_indicators(h):
    facts = PwsFacts.model_validate(evaluate(h.make_visit("under_five", 500, "M", oedema=True)).facts["pws"])
    assert (facts.underweight, facts.wasting, facts.stunting) == (True, True, None)
    weighed = PwsFacts.model_validate(evaluate(h.make_visit("under_five", 500, "M", oedema=True, weight_kg=12.0,
                                                            height_cm=76.0, measured_lying=True)).facts["pws"])
    assert (weighed.underweight, weighed.wasting, weighed.stunting) == (True, True, False)


def test_growth_facts_only_for_under_fives(h):
    facts = pws(h, "preschool", 2000, weight_kg=10.0, height_cm=100.0)
    assert (facts.underweight, facts.stunting, facts.wasting) == (None, None, None)


def _weighing(h, weight, history, months=20, config=None):
    visit = h.make_visit("under_five", h.age_days(months=months, days=5), "M", weight_kg=weight)
    result = evaluate(visit, History(weighings=tuple(history)), config or ScreeningConfig())
    return GrowthMonitoringFacts.model_validate(result.facts["growth"])


def test_skdn(h):
    first = _weighing(h, 10.0, [])
    assert (first.weighed, first.first_weighing, first.trend, first.two_t) == (True, True, None, False)
    n = _weighing(h, 10.2, [(date(2026, 10, 20), 10.0)])
    assert (n.first_weighing, n.trend, n.gain_g, n.kbm_g) == (False, "N", 200, 200)
    t = _weighing(h, 10.199, [(date(2026, 10, 20), 10.0)])
    assert (t.trend, t.gain_g) == ("T", 199)
    two = _weighing(h, 10.15, [(date(2026, 9, 15), 10.0), (date(2026, 10, 16), 10.1)])
    assert (two.trend, two.two_t) == ("T", True)
    absent = _weighing(h, 10.0, [(date(2026, 9, 15), 10.0)])  # O: not weighed last month
    assert (absent.trend, absent.first_weighing) == (None, False)


def test_curve_rule_counts_n_when_the_z_score_holds(h):
    """A child on its curve (z 0 both months) gains less than the KBM at 48 months: T by KBM, N by the curve."""
    age = h.age_days(months=48, days=5)
    before_on = date(2026, 10, 20)
    before_age = age - (h.ON - before_on).days
    history = [(before_on, round(h.measure_for_z("wfa", "M", before_age, 0.0), 3))]
    now = round(h.measure_for_z("wfa", "M", age, 0.01), 3)
    visit = h.make_visit("under_five", age, "M", weight_kg=now)
    kbm = GrowthMonitoringFacts.model_validate(evaluate(visit, History(weighings=tuple(history))).facts["growth"])
    curve = GrowthMonitoringFacts.model_validate(evaluate(visit, History(weighings=tuple(history)),
                                                          ScreeningConfig(growth_n_rule="kbm_or_curve")).facts["growth"])
    assert kbm.gain_g < kbm.kbm_g and (kbm.trend, curve.trend) == ("T", "N")


@pytest.mark.parametrize("z,bgm", [(-3.01, True), (-3.0, False)])
def test_bgm(h, z, bgm):
    visit = h.make_visit("under_five", 400, "M", weight_kg=h.measure_for_z("wfa", "M", 400, z))
    assert evaluate(visit).facts["growth"]["bgm"] is bgm


def test_facts_schema_and_empty_blocks(h):
    facts = VisitFacts.model_validate(evaluate(h.make_visit("adult", 12000, "M")).facts)
    assert facts.growth is None and facts.anc is None and facts.newborn is None and facts.immunization is None
    assert facts.services.vitamin_a is None and facts.services.triple_elimination_tested == []


def test_services_facts(h):
    visit = h.make_visit("pregnancy", 9000, "F", immunizations=("td",), pregnancy={
        "gestational_weeks": 12, "anc": {"by": "midwife"}, "labs": {"hiv": "non_reactive", "hbsag": "non_reactive"}})
    services = evaluate(visit).facts["services"]
    assert services["td_given"] is True and services["triple_elimination_tested"] == ["hiv", "hbsag"]
    child = h.make_visit("under_five", 700, "F", vitamin_a_given=True, deworming_given=False, kpsp="appropriate")
    services = evaluate(child).facts["services"]
    assert (services["vitamin_a"], services["deworming"], services["kpsp"]) == (True, False, "appropriate")


# --- additions: gizi buruk, KN/KF lengkap, triple elimination complete, vitamin A 6-59 months ---------------------

@pytest.mark.parametrize("z,expected", [(-3.01, True), (-3.0, False), (-2.99, False)])
def test_severe_wasting_is_weight_for_length_below_minus_3(h, z, expected):
    facts = _z(h, "wflh", z)
    assert facts.severe_wasting is expected
    assert facts.wasting is True  # all three are < -2


def test_severe_wasting_with_oedema_and_not_measured(h):
    oedema = PwsFacts.model_validate(evaluate(h.make_visit("under_five", 500, "M", oedema=True)).facts["pws"])
    assert oedema.severe_wasting is True
    assert _z(h, "wfa", -3.5).severe_wasting is None  # weight only: no weight-for-length
    assert _z(h, "wflh", 5.01).severe_wasting is None  # implausible: not counted


def _services(h, visit, services=()):
    return evaluate(visit, History(services=tuple(services))).facts


def test_kn_complete_only_at_the_visit_that_completes_kn1_to_kn3(h):
    from services.screening.domain.model import ServiceRecord

    on = h.ON
    kn1, kn2 = ServiceRecord("kn", on - timedelta(days=10), "1"), ServiceRecord("kn", on - timedelta(days=6), "2")
    third = h.make_visit("under_five", 14, "M", newborn={"neonatal_visit": 3})
    assert _services(h, third, [kn1, kn2])["newborn"]["kn_complete"] is True
    assert _services(h, third, [kn1])["newborn"]["kn_complete"] is False  # KN2 missing
    # already complete before this visit (a repeat KN3): not reached now
    earlier3 = ServiceRecord("kn", on - timedelta(days=2), "3")
    assert _services(h, third, [kn1, kn2, earlier3])["newborn"]["kn_complete"] is False
    # a later-dated record (a late report of a later visit) does not complete this one
    later = h.make_visit("under_five", 14, "M", newborn={"neonatal_visit": 2})
    assert _services(h, later, [kn1, ServiceRecord("kn", on + timedelta(days=5), "3")])["newborn"]["kn_complete"] is False


def test_kf_complete_needs_kf1_to_kf4_since_this_delivery(h):
    from services.screening.domain.model import ServiceRecord

    on = h.ON
    kf = [ServiceRecord("kf", on - timedelta(days=d), str(n)) for n, d in ((1, 34), (2, 30), (3, 20))]
    fourth = h.make_visit("adult", 10000, "F", postpartum_days=35)
    assert _services(h, fourth, kf)["services"]["kf_complete"] is True
    assert _services(h, fourth, kf[1:])["services"]["kf_complete"] is False  # KF1 missing
    # KF1 of an earlier delivery (before this one's day 0) does not count
    old = [ServiceRecord("kf", on - timedelta(days=400), "1"), *kf[1:]]
    assert _services(h, fourth, old)["services"]["kf_complete"] is False
    # without postpartum_days: the 42 days before the visit
    given = h.make_visit("adult", 10000, "F", postpartum_visit=4)
    assert _services(h, given, kf)["services"]["kf_complete"] is True
    assert _services(h, h.make_visit("adult", 10000, "F"), kf)["services"]["kf_complete"] is False


def test_triple_elimination_complete_at_the_third_test_of_the_pregnancy(h):
    from services.screening.domain.model import ServiceRecord

    on = h.ON
    preg = {"gestational_weeks": 20, "anc": {"by": "midwife"}, "labs": {"hbsag": "non_reactive"}}
    visit = h.make_visit("pregnancy", 9000, "F", pregnancy=preg)
    two = [ServiceRecord("hiv", on - timedelta(weeks=4), "non_reactive"),
           ServiceRecord("syphilis", on - timedelta(weeks=4), "non_reactive")]
    assert _services(h, visit, two)["services"]["triple_elimination_complete"] is True
    assert _services(h, visit, two[:1])["services"]["triple_elimination_complete"] is False
    # tests of an earlier pregnancy (before this conception, 20 weeks ago) do not count
    old = [ServiceRecord(r.kind, on - timedelta(weeks=60), r.value) for r in two]
    assert _services(h, visit, old)["services"]["triple_elimination_complete"] is False
    # all three at once
    all3 = {**preg, "labs": {"hiv": "reactive", "syphilis": "non_reactive", "hbsag": "non_reactive"}}
    assert _services(h, h.make_visit("pregnancy", 9000, "F", pregnancy=all3))["services"][
        "triple_elimination_complete"] is True
    # a visit without a test completes nothing
    none = h.make_visit("pregnancy", 9000, "F", pregnancy={"gestational_weeks": 20, "anc": {"by": "midwife"}})
    assert _services(h, none, two)["services"]["triple_elimination_complete"] is False


@pytest.mark.parametrize("months,days,expected", [(5, 28, None), (6, 0, True), (59, 20, True), (60, 0, None)])
def test_vitamin_a_6_59_months(h, months, days, expected):
    visit = h.make_visit("under_five", h.age_days(months=months, days=days), "F", vitamin_a_given=True)
    assert evaluate(visit).facts["services"]["vitamin_a_6_59"] is expected
