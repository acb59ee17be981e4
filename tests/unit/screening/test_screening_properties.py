"""Property tests: any plausible visit (the intake's Measurements ranges) evaluates without error."""

from __future__ import annotations

import json
import math
from datetime import date, timedelta
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.screening.domain import History, ScreeningVisit, evaluate, evaluate_line
from services.screening.domain.model import LEVELS, SEVERITIES, STAGES
from shared.contracts.intake import Measurements, Pregnancy
from shared.lifecycle import stage_for

ON = date(2026, 11, 20)
TB_SYMPTOMS = ["weight_loss", "appetite_loss", "fever", "malaise", "night_sweats", "dyspnoea", "lymph_node",
               "haemoptysis"]


def opt(strategy):
    return st.none() | strategy


def fl(lo: float, hi: float):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@st.composite
def measurements(draw) -> Measurements:
    sbp = draw(opt(st.integers(50, 300)))
    dbp = draw(opt(st.integers(20, 200 if sbp is None else max(20, min(200, sbp - 1)))))
    if sbp is not None and dbp is not None and dbp >= sbp:
        dbp = None
    return Measurements(
        weight_kg=draw(opt(fl(0.5, 250))), height_cm=draw(opt(fl(30, 230))), measured_lying=draw(opt(st.booleans())),
        muac_cm=draw(opt(fl(5, 60))), head_circumference_cm=draw(opt(fl(20, 70))), hb_g_dl=draw(opt(fl(2, 25))),
        systolic_mmhg=sbp, diastolic_mmhg=dbp, glucose_mg_dl=draw(opt(fl(20, 1000))),
        glucose_fasting=draw(opt(st.booleans())), waist_cm=draw(opt(fl(30, 250))), cough_weeks=draw(opt(fl(0, 104))),
        tb_symptoms=draw(opt(st.lists(st.sampled_from(TB_SYMPTOMS), max_size=4))),
        oedema=draw(opt(st.booleans())), puma_score=draw(opt(st.integers(0, 8))),
        srq20_score=draw(opt(st.integers(0, 20))), srq20_item17=draw(opt(st.booleans())),
        adl_barthel=draw(opt(st.integers(0, 20))),
        skilas_positive_domains=draw(opt(st.lists(st.sampled_from(
            ["cognition", "mobility", "malnutrition", "vision", "hearing", "depression"]), max_size=6))),
    )


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
        )
    weighings = draw(st.lists(st.tuples(st.integers(-400, 30).map(lambda d: ON + timedelta(days=d)), fl(0.5, 250)),
                              max_size=6))
    history = History(weighings=tuple(weighings), anc_contacts=draw(st.integers(0, 30)))
    visit = ScreeningVisit(UUID(int=draw(st.integers(0, 2**128 - 1))), ON, sex, age, stage, preg, draw(measurements()))
    return visit, history


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(visits())
def test_any_plausible_visit_evaluates(vh):
    visit, history = vh
    result = evaluate(visit, history)
    assert result.stage == visit.stage
    for value in (result.zscores.wfa, result.zscores.lhfa, result.zscores.wflh, result.zscores.bmifa,
                  result.zscores.acfa):
        assert value is None or math.isfinite(value)
    codes = [r.code for r in result.risks]
    assert len(codes) == len(set(codes))
    for r in result.risks:
        assert r.severity in SEVERITIES and r.recommended_level in LEVELS and 1 <= r.cluster <= 5
        json.dumps(r.evidence)
    assert all(isinstance(f, str) for f in result.flags)
    assert evaluate(visit, history) == result  # pure: same input, same output


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_evaluate_line_never_raises(text):
    out = evaluate_line(text)
    assert "error" in out or "risks" in out
