"""Property tests: any plausible visit (the intake's ranges, every block and history) evaluates without error.

The facts always fit the ``VisitFacts`` schema, every risk uses the contract's vocabularies, evaluation is pure,
and input gating never changes the result.
"""

from __future__ import annotations

import functools
import json
import math
from datetime import date, timedelta
from typing import get_args
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.screening.admin import evaluate_line
from services.screening.domain import (
    History,
    PregnancyRecord,
    ScreeningVisit,
    ServiceRecord,
    evaluate,
)
from services.screening.domain.config import DEFAULT, ScreeningConfig
from services.screening.domain.model import LEVELS, SEVERITIES, STAGES
from shared.contracts.events import VisitFacts
from shared.contracts.intake import (
    Antigen,
    Development,
    Measurements,
    Newborn,
    ObstetricHistory,
    PostpartumDangerSign,
    Pregnancy,
    PregnancyDangerSign,
    SkilasDomain,
    TbSymptom,
)
from shared.lifecycle import stage_for

ON = date(2026, 11, 20)
ANTIGENS = list(get_args(Antigen))
KINDS = ["vitamin_a", "deworming", "ttd", "hb", "kpsp", "kn", "kf", "hiv", "syphilis", "hbsag"]


@functools.lru_cache(maxsize=1024)  # one strategy object per argument: built and validated once, not per draw
def opt(strategy):
    return st.none() | strategy


@functools.lru_cache(maxsize=1024)
def fl(lo: float, hi: float):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@functools.lru_cache(maxsize=1024)
def some(vocabulary, size: int):
    return opt(st.lists(st.sampled_from(list(get_args(vocabulary))), max_size=size))


@st.composite
def measurements(draw) -> Measurements:
    sbp = draw(opt(st.integers(50, 300)))
    dbp = draw(opt(st.integers(20, 200 if sbp is None else max(20, min(200, sbp - 1)))))
    if sbp is not None and dbp is not None and dbp >= sbp:
        dbp = None
    b = st.booleans()
    return Measurements(
        weight_kg=draw(opt(fl(0.5, 250))), height_cm=draw(opt(fl(30, 230))), measured_lying=draw(opt(b)),
        muac_cm=draw(opt(fl(5, 60))), head_circumference_cm=draw(opt(fl(20, 70))), hb_g_dl=draw(opt(fl(2, 25))),
        systolic_mmhg=sbp, diastolic_mmhg=dbp, glucose_mg_dl=draw(opt(fl(20, 1000))),
        glucose_fasting=draw(opt(b)), waist_cm=draw(opt(fl(30, 250))), cough_weeks=draw(opt(fl(0, 104))),
        tb_symptoms=draw(some(TbSymptom, 4)), oedema=draw(opt(b)), puma_score=draw(opt(st.integers(0, 9))),
        srq20_score=draw(opt(st.integers(0, 20))), srq20_item17=draw(opt(b)),
        adl_barthel=draw(opt(st.integers(0, 20))), skilas_positive_domains=draw(some(SkilasDomain, 6)),
        glucose_ogtt_2h_mg_dl=draw(opt(fl(20, 1000))), cholesterol_total_mg_dl=draw(opt(fl(50, 1000))),
        cvd_risk_percent=draw(opt(fl(0, 100))), fever_weeks=draw(opt(fl(0, 104))), tb_contact=draw(opt(b)),
        smoker=draw(opt(b)), cigarettes_per_day=draw(opt(st.integers(0, 100))),
        elevation_m=draw(opt(st.integers(-100, 5000))), school_grade=draw(opt(st.integers(1, 12))),
        ttd_tablets=draw(opt(st.integers(0, 200))), vitamin_a_given=draw(opt(b)), deworming_given=draw(opt(b)),
        sdq_score=draw(opt(st.integers(0, 40))),
        visual_acuity=draw(opt(st.sampled_from(["6/6", "6/9", "6/12", "6/18", "6/60", "3/60", "1/60", "6/999"]))),
        finger_count_passed=draw(opt(b)), colour_vision_passed=draw(opt(b)), whisper_test_passed=draw(opt(b)),
        iva_result=draw(opt(st.sampled_from(["negative", "positive", "suspect_cancer"]))),
        sadanis_result=draw(opt(st.sampled_from(["normal", "abnormal"]))), td_status=draw(opt(st.integers(0, 5))),
        pre_pregnancy=draw(opt(st.fixed_dictionaries({
            "status": st.sampled_from(["catin", "pus"]), "living_children": opt(st.integers(0, 25)),
            "months_since_last_birth": opt(st.integers(0, 600)), "previous_complication": opt(b),
            "chronic_disease": opt(b), "sti": opt(b)}))),
        postpartum_days=draw(opt(st.integers(0, 42))), postpartum_visit=draw(opt(st.integers(1, 4))),
        postpartum_danger_signs=draw(some(PostpartumDangerSign, 8)),
        skilas=draw(opt(st.fixed_dictionaries({
            "recall_words": opt(st.integers(0, 3)), "orientation_correct": opt(b),
            "chair_rise_seconds": opt(fl(0, 300)), "chair_rise_unable": opt(b), "weight_loss_3kg": opt(b),
            "appetite_loss": opt(b), "eye_problem": opt(b), "sad_or_hopeless": opt(b), "anhedonia": opt(b)}))),
        amt_score=draw(opt(st.integers(0, 10))), mini_cog_score=draw(opt(st.integers(0, 5))),
        gds4_score=draw(opt(st.integers(0, 4))), mna_sf_score=draw(opt(st.integers(0, 14))),
    )


@functools.lru_cache(maxsize=1024)
def day(lo: int, hi: int):
    return st.integers(lo, hi).map(lambda d: ON + timedelta(days=d))


@st.composite
def histories(draw) -> History:
    weighings = draw(st.lists(st.tuples(day(-400, 30), fl(0.5, 250)), max_size=6))
    pregnancy = draw(st.lists(st.builds(
        PregnancyRecord, visit_id=st.uuids().map(str), occurred_on=day(-300, 10), order=fl(0, 2e9),
        conception_on=day(-400, 0), gestational_weeks=st.integers(1, 45),
        anc_by=opt(st.sampled_from(["midwife", "doctor", "nurse"])), ultrasound=st.booleans(),
        anc_visit_number=opt(st.integers(1, 30)), pregnancy_id=opt(st.uuids().map(str)),
        milestones=st.sampled_from(["", "k1", "k1,k1_murni", "k4", "k1,k4,k6"])), max_size=8))
    doses = draw(st.lists(st.tuples(st.sampled_from(ANTIGENS), day(-2000, 10)), max_size=25))
    services = draw(st.lists(st.builds(ServiceRecord, kind=st.sampled_from(KINDS), occurred_on=day(-800, 10),
                                       value=st.sampled_from(["", "1", "2", "3", "4", "doubtful", "reactive", "9.5"])),
                             max_size=8))
    return History(tuple(weighings), tuple(pregnancy), tuple(doses), tuple(services))


@st.composite
def visits(draw) -> tuple[ScreeningVisit, History]:
    age = draw(st.integers(0, 110 * 365))
    sex = draw(st.sampled_from(["M", "F"]))
    pregnant = sex == "F" and 10 * 365 <= age <= 55 * 365 and draw(st.booleans())
    consistent = draw(st.integers(0, 9)) > 0
    stage = stage_for(ON - timedelta(days=age), ON, pregnant) if consistent else draw(st.sampled_from(STAGES))
    preg = None
    if pregnant or stage == "pregnancy":
        preg = Pregnancy(
            gestational_weeks=draw(st.integers(1, 45)), gravida=draw(opt(st.integers(1, 25))),
            living_children=draw(opt(st.integers(0, 25))), months_since_last_birth=draw(opt(st.integers(0, 600))),
            anc_visit_number=draw(opt(st.integers(1, 30))), proteinuria=draw(opt(st.integers(0, 4))),
            parity=draw(opt(st.integers(0, 25))), obstetric_history=draw(some(ObstetricHistory, 8)),
            danger_signs=draw(some(PregnancyDangerSign, 9)),
            anc=draw(opt(st.fixed_dictionaries({"by": st.sampled_from(["midwife", "doctor", "nurse"]),
                                                "ultrasound": st.booleans()}))),
            labs=draw(opt(st.fixed_dictionaries({t: opt(st.sampled_from(["reactive", "non_reactive"]))
                                                 for t in ("hiv", "syphilis", "hbsag")}))),
        )
    newborn = None
    if age <= 28 and draw(st.booleans()):
        newborn = Newborn(birth_weight_g=draw(opt(st.integers(300, 7000))),
                          neonatal_visit=draw(opt(st.sampled_from([1, 2, 3]))),
                          shk=draw(opt(st.sampled_from(["normal", "high_tsh", "not_done"]))))
    dev = draw(opt(st.sampled_from(["appropriate", "doubtful", "deviant"]).map(lambda k: Development(kpsp=k))))
    imms = tuple(draw(st.lists(st.sampled_from(ANTIGENS), max_size=6)))
    visit = ScreeningVisit(UUID(int=draw(st.integers(0, 2**128 - 1))), ON, sex, age, stage, preg, draw(measurements()),
                           newborn=newborn, immunizations=imms, development=dev, person_id="p", order=1.8e9)
    return visit, draw(histories())


def _check(visit, history, config=DEFAULT):
    result = evaluate(visit, history, config)
    assert result.stage == visit.stage
    for value in result.zscores:
        assert value is None or math.isfinite(value)
    codes = [r.code for r in result.risks]
    assert len(codes) == len(set(codes))
    for r in result.risks:
        assert r.severity in SEVERITIES and r.recommended_level in LEVELS and 1 <= r.cluster <= 5
        json.dumps(r.evidence)
    assert all(isinstance(f, str) for f in result.flags)
    VisitFacts.model_validate(result.facts)
    json.dumps(result.facts)
    assert evaluate(visit, history, config) == result  # pure: same input, same output
    return result


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(visits())
def test_any_plausible_visit_evaluates(vh):
    _check(*vh)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(visits())
def test_any_plausible_visit_evaluates_with_the_other_configuration(vh):
    _check(*vh, ScreeningConfig(anaemia_reference="who2024", hb_adjustments=False, growth_n_rule="kbm_or_curve"))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(visits())
def test_gating_never_changes_the_result(vh):
    """Every rule of the stage run without gating finds exactly the risks the engine reports."""
    from services.screening.domain import engine

    visit, history = vh
    result = evaluate(visit, history)
    saved = dict(engine._PLAN)
    try:
        engine._PLAN.update({s: tuple((c, code, cl, None) for c, code, cl, _ in plan) for s, plan in saved.items()})
        engine._PLANS.clear()
        ungated = evaluate(visit, history)
    finally:
        engine._PLAN.update(saved)
        engine._PLANS.clear()
    assert ungated == result


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_evaluate_line_never_raises(text):
    out = evaluate_line(text)
    assert "error" in out or "risks" in out
