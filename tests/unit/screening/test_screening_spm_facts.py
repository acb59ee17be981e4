"""The SPM verdicts on VisitScreened.facts (Permenkes 4/2019): every age bound and reading at, just below and
just above its threshold, the components each screening needs, the health-facility condition, the TB cascade."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from services.screening.domain import History, ServiceRecord, evaluate
from shared.contracts.events import PwsFacts, ServiceFacts

DAYS_10 = 3653  # 10 x 365.25 = 3652.5: the first whole day at or above
DAYS_15 = 5479  # 15 x 365.25 = 5478.75
DAYS_18 = 6575  # 18 x 365.25 = 6574.5
DAYS_60 = 21915  # 60 x 365.25 = 21915.0 exactly

PRODUCTIVE = {"systolic_mmhg": 120, "diastolic_mmhg": 80, "glucose_mg_dl": 110.0, "weight_kg": 60.0,
              "height_cm": 160.0, "waist_cm": 80.0}
ELDERLY = {**PRODUCTIVE, "cholesterol_total_mg_dl": 190.0, "adl_barthel": 20, "skilas_positive_domains": []}


def facts(h, stage: str, age: int, *, sex: str = "F", point: str | None = "puskesmas", diagnoses=(),
          history: History = History(), pregnancy=None, **m):  # noqa: B008
    visit = dataclasses.replace(h.make_visit(stage, age, sex, pregnancy=pregnancy, **m), service_point=point,
                                diagnoses=tuple(diagnoses))
    result = evaluate(visit, history).facts
    return PwsFacts.model_validate(result["pws"]), ServiceFacts.model_validate(result["services"])


def pws(h, stage: str, age: int, **kw) -> PwsFacts:
    return facts(h, stage, age, **kw)[0]


# -- usia produktif ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("age,expected", [
    (DAYS_15 - 1, None), (DAYS_15, True), (DAYS_15 + 1, True), (DAYS_60 - 1, True), (DAYS_60, None), (DAYS_60 + 1, None),
])
def test_productive_age_bounds_15_to_below_60(h, age, expected):
    assert pws(h, "adult", age, **PRODUCTIVE).spm_productive_screened is expected


@pytest.mark.parametrize("missing", sorted(PRODUCTIVE))
def test_productive_needs_every_component(h, missing):
    m = {k: v for k, v in PRODUCTIVE.items() if k != missing}
    if missing == "systolic_mmhg":
        m.pop("diastolic_mmhg")  # a diastolic alone is not a blood pressure either
    assert pws(h, "adult", 12000, **m).spm_productive_screened is False


def test_productive_counts_anywhere_and_pregnant_women_too(h):
    assert pws(h, "adult", 12000, point="posyandu", **PRODUCTIVE).spm_productive_screened is True
    assert pws(h, "pregnancy", 9000, pregnancy={"gestational_weeks": 20}, **PRODUCTIVE).spm_productive_screened is True


# -- lansia -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("age,expected", [(DAYS_60 - 1, None), (DAYS_60, True), (DAYS_60 + 1, True)])
def test_elderly_from_60(h, age, expected):
    assert pws(h, "elderly", age, **ELDERLY).spm_elderly_screened is expected


@pytest.mark.parametrize("missing", ["systolic_mmhg", "glucose_mg_dl", "weight_kg", "waist_cm",
                                     "cholesterol_total_mg_dl", "adl_barthel", "skilas_positive_domains"])
def test_elderly_needs_every_component(h, missing):
    m = {k: v for k, v in ELDERLY.items() if k != missing}
    if missing == "systolic_mmhg":
        m.pop("diastolic_mmhg")
    assert pws(h, "elderly", 25000, **m).spm_elderly_screened is False


def test_elderly_alternatives_muac_for_height_and_amt_or_minicog_with_gds4_for_skilas(h):
    base = {k: v for k, v in ELDERLY.items() if k not in ("height_cm", "skilas_positive_domains")}
    assert pws(h, "elderly", 25000, muac_cm=24.0, skilas_positive_domains=[], **base).spm_elderly_screened is True
    assert pws(h, "elderly", 25000, height_cm=150.0, skilas={"recall_words": 3}, **base).spm_elderly_screened is True
    assert pws(h, "elderly", 25000, height_cm=150.0, amt_score=9, gds4_score=0, **base).spm_elderly_screened is True
    assert pws(h, "elderly", 25000, height_cm=150.0, mini_cog_score=4, gds4_score=1,
               **base).spm_elderly_screened is True
    assert pws(h, "elderly", 25000, height_cm=150.0, amt_score=9, **base).spm_elderly_screened is False  # no GDS-4
    assert pws(h, "elderly", 25000, height_cm=150.0, gds4_score=0, **base).spm_elderly_screened is False  # no cognition
    assert pws(h, "elderly", 25000, skilas_positive_domains=[], **base).spm_elderly_screened is False  # no height/MUAC


# -- hypertension and diabetes care ---------------------------------------------------------------------------
@pytest.mark.parametrize("age,sbp,dbp,expected", [
    (DAYS_15 - 1, 150, 95, None), (DAYS_15, 139, 89, False), (DAYS_15, 140, 89, True), (DAYS_15, 139, 90, True),
    (DAYS_15, 141, 91, True), (25000, 160, 100, True),
])
def test_hypertension_care_reading_and_age(h, age, sbp, dbp, expected):
    assert pws(h, "adult", age, systolic_mmhg=sbp, diastolic_mmhg=dbp).spm_hypertension_care is expected


@pytest.mark.parametrize("point,expected", [("pustu", True), ("puskesmas", True), ("rs", True),
                                            ("posyandu", None), ("home_visit", None), (None, None)])
def test_care_counts_at_a_health_facility_only(h, point, expected):
    f = pws(h, "adult", 12000, point=point, systolic_mmhg=150, diastolic_mmhg=95, glucose_mg_dl=250.0)
    assert f.spm_hypertension_care is expected and f.spm_diabetes_care is expected
    assert f.hypertension is True and f.diabetes is True  # the v1 verdicts count everywhere, as before


def test_known_sufferers_coded_at_the_visit_count_with_a_controlled_reading(h):
    controlled = pws(h, "adult", 12000, diagnoses=("I10",), systolic_mmhg=128, diastolic_mmhg=82)
    assert controlled.spm_hypertension_care is True and controlled.hypertension is False
    assert pws(h, "adult", 12000, diagnoses=("I11.9",), systolic_mmhg=120, diastolic_mmhg=80).spm_hypertension_care
    assert pws(h, "adult", 12000, diagnoses=("I20",), systolic_mmhg=120, diastolic_mmhg=80).spm_hypertension_care is False
    assert pws(h, "adult", 12000, diagnoses=("I10",)).spm_hypertension_care is None  # not measured: no service
    assert pws(h, "adult", 12000, diagnoses=("E11.9",), glucose_mg_dl=140.0).spm_diabetes_care is True
    assert pws(h, "adult", 12000, diagnoses=("E16",), glucose_mg_dl=140.0).spm_diabetes_care is False


@pytest.mark.parametrize("glucose,fasting,expected", [
    (199.0, False, False), (200.0, False, True), (201.0, False, True), (125.0, True, False), (126.0, True, True),
    (127.0, True, True),
])
def test_diabetes_care_reading(h, glucose, fasting, expected):
    f = pws(h, "adult", DAYS_15, glucose_mg_dl=glucose, glucose_fasting=fasting)
    assert f.spm_diabetes_care is expected
    assert pws(h, "school_age", DAYS_15 - 1, glucose_mg_dl=glucose, glucose_fasting=fasting).spm_diabetes_care is None


# -- TB cascade -----------------------------------------------------------------------------------------------
TCM = {"method": "tcm", "result": "negative"}


def test_tb_examined_presumptive_with_and_without_a_test(h):
    assert pws(h, "adult", 12000, cough_weeks=3).tb_examined is False
    assert pws(h, "adult", 12000, cough_weeks=3, tb_test=TCM).tb_examined is True
    assert pws(h, "adult", 12000, cough_weeks=1).tb_examined is None  # screened, not presumptive
    assert pws(h, "adult", 12000, tb_test={"method": "xray", "result": "positive"}).tb_examined is True
    assert pws(h, "adult", 12000).tb_examined is None


@pytest.mark.parametrize("days_before,expected", [(0, True), (29, True), (30, True), (31, False)])
def test_an_earlier_examination_answers_a_presumptive_visit_for_30_days(h, days_before, expected):
    history = History(services=(ServiceRecord("tb_test", h.ON - timedelta(days=days_before), "tcm:negative"),))
    assert pws(h, "adult", 12000, cough_weeks=3, history=history).tb_examined is expected


def test_a_later_examination_in_the_history_does_not_answer_an_earlier_visit(h):
    history = History(services=(ServiceRecord("tb_test", h.ON + timedelta(days=1), "tcm:negative"),))
    assert pws(h, "adult", 12000, cough_weeks=3, history=history).tb_examined is False


def test_a_tb_test_becomes_history():
    from services.screening.domain.history import records_of
    from tests.unit.screening.conftest import make_visit

    visit = make_visit("adult", 12000, tb_test={"method": "microscopy", "result": "positive"})
    rows = records_of(visit, evaluate(visit), (), ())
    assert [(r.kind, r.value) for r in rows.services] == [("tb_test", "microscopy:positive")]


# -- TTD for adolescent girls ---------------------------------------------------------------------------------
@pytest.mark.parametrize("age,expected", [
    (DAYS_10 - 1, None), (DAYS_10, True), (DAYS_10 + 1, True), (DAYS_18 - 1, True), (DAYS_18, None), (DAYS_18 + 1, None),
])
def test_ttd_adolescent_girl_age_10_to_below_18(h, age, expected):
    assert facts(h, "school_age", age, ttd_tablets=4)[1].ttd_adolescent_girl is expected


@pytest.mark.parametrize("tablets,expected", [(0, False), (1, True), (None, None)])
def test_ttd_adolescent_girl_tablets_given(h, tablets, expected):
    assert facts(h, "school_age", 5000, ttd_tablets=tablets)[1].ttd_adolescent_girl is expected


def test_ttd_adolescent_girl_not_boys_nor_pregnant_girls(h):
    assert facts(h, "school_age", 5000, sex="M", ttd_tablets=4)[1].ttd_adolescent_girl is None
    assert facts(h, "pregnancy", 6000, pregnancy={"gestational_weeks": 20}, ttd_tablets=30)[1].ttd_adolescent_girl is None


# -- delivery at a health facility ----------------------------------------------------------------------------
@pytest.mark.parametrize("place,expected", [("hospital", True), ("puskesmas", True), ("pustu", True), ("clinic", True),
                                            ("midwife_practice", True), ("home", False), ("other", False)])
def test_delivery_facility_by_place(h, place, expected):
    f = facts(h, "adult", 9000, postpartum_days=1, delivery={"place": place, "attendant": "midwife"})[1]
    assert f.delivery_facility is expected


@pytest.mark.parametrize("days_before,expected", [(0, None), (41, None), (42, None), (43, True)])
def test_a_delivery_reported_again_within_the_42_days_of_nifas_is_the_same_delivery(h, days_before, expected):
    history = History(services=(ServiceRecord("delivery", h.ON - timedelta(days=days_before), "puskesmas"),))
    f = facts(h, "adult", 9000, history=history, delivery={"place": "puskesmas"})[1]
    assert f.delivery_facility is expected


def test_no_delivery_no_verdict_and_the_delivery_becomes_history(h):
    from services.screening.domain.history import records_of

    assert facts(h, "adult", 9000, postpartum_days=3)[1].delivery_facility is None
    visit = h.make_visit("adult", 9000, delivery={"place": "home", "attendant": "traditional"})
    rows = records_of(visit, evaluate(visit), (), ())
    assert [(r.kind, r.value) for r in rows.services] == [("delivery", "home")]
