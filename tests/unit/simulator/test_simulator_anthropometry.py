"""The ground truth's own judgement of children (pygrowup, WHO prevalence rules, 2T) and of TB, checked by hand
and against the screening service's verdicts on the same visits: two independent codes, one answer."""

from __future__ import annotations

from datetime import date

import pytest

from simulator import anthropometry
from simulator.truth import Truth, tb_verdict
from tests.unit.simulator.test_simulator_truth import A, emission, visit


def test_who_z_scores_by_pygrowup_with_whos_length_rules() -> None:
    wfa, lhfa, wflh = anthropometry.who2006("M", 400, 9.5, 75.0, True)
    assert (wfa, lhfa, wflh) == (-0.38, -0.86, 0.0)  # a boy of 400 days, 9.5 kg, 75 cm lying
    # standing before 731 days: 0.7 cm added; before 9 months no correction (WHO anthro)
    assert anthropometry.who2006("M", 400, None, 74.3, False)[1] == lhfa
    assert anthropometry.who2006("M", 200, None, 66.0, False)[1] == anthropometry.who2006("M", 200, None, 66.0, True)[1]
    # lying from 731 days: 0.7 cm subtracted; weight-for-height from 731 days
    assert anthropometry.who2006("F", 800, None, 86.7, True)[1] == anthropometry.who2006("F", 800, None, 86.0, False)[1]
    assert anthropometry.who2006("M", 0, 3.3, 49.9, True) == (-0.1, 0.01, -0.03)  # day 0 is an age
    assert anthropometry.who2006("M", 400, 9.5, 75.0, True, oedema=True)[0] is None  # oedema: no weight-based z
    assert anthropometry.who2006("M", 400, 9.5, 40.0, True)[2] is None  # outside the weight-for-length table


def test_prevalence_rules_leave_implausible_z_out_and_count_oedema_below_minus_3() -> None:
    assert anthropometry.prevalence_verdicts((-2.01, -2.0, 0.0), None) == {
        "underweight": True, "stunting": False, "wasting": False}
    assert anthropometry.prevalence_verdicts((-6.01, 6.01, -5.01), None) == {}
    assert anthropometry.prevalence_verdicts((-6.0, 6.0, 5.0), None) == {
        "underweight": True, "stunting": False, "wasting": False}
    assert anthropometry.prevalence_verdicts((None, -1.0, None), True) == {
        "stunting": False, "underweight": True, "wasting": True}


def test_two_t_needs_two_monthly_steps_below_the_kbm() -> None:
    birth = date(2025, 1, 10)
    sept, octo, nov = date(2026, 9, 10), date(2026, 10, 10), date(2026, 11, 10)
    assert anthropometry.kbm_g(0) is None and anthropometry.kbm_g(3) == 800 and anthropometry.kbm_g(30) == 200
    assert anthropometry.two_t(birth, nov, 9.1, [(sept, 9.0), (octo, 9.05)]) is True  # +50 g, +50 g < 200 g
    assert anthropometry.two_t(birth, nov, 9.3, [(sept, 9.0), (octo, 9.05)]) is False  # +250 g: N
    assert anthropometry.two_t(birth, nov, 9.1, [(octo, 9.05)]) is False  # no weighing two months back
    assert anthropometry.two_t(birth, nov, 9.1, [(sept, 9.0), (date(2026, 10, 2), 8.0), (octo, 9.05)]) is True


def test_tb_verdict_by_the_juknis_criteria() -> None:
    adult, child = (lambda: "adult"), (lambda: "under_five")
    never = lambda: False  # noqa: E731
    assert tb_verdict({}, adult, never) is None
    assert tb_verdict({"cough_weeks": 2}, adult, never) is True
    assert tb_verdict({"cough_weeks": 1}, adult, never) is False
    assert tb_verdict({"cough_weeks": 1, "tb_symptoms": ["night_sweats"]}, adult, never) is True
    assert tb_verdict({"cough_weeks": 1, "tb_symptoms": ["night_sweats"]}, child, never) is False
    assert tb_verdict({"fever_weeks": 2}, child, never) is True
    assert tb_verdict({"fever_weeks": 2}, adult, never) is False
    assert tb_verdict({"tb_symptoms": ["malaise"]}, child, never) is True
    assert tb_verdict({"weight_kg": 9.1}, child, lambda: True) is True  # 2T alone, no TB answer


def test_a_child_with_2t_is_presumptive_tb_in_the_truth() -> None:
    child = {"mother_nik": "1872015003950002", "sex": "F", "birth_date": "2025-01-10", "village_code": A}
    t = Truth({}, zscores=None)
    for n, (when, kg) in enumerate((("2026-09-10", 9.0), ("2026-10-12", 9.05), ("2026-11-10", 9.1))):
        t.add(emission(visit(f"w{n}", f"{when}T09:00:00+07:00", child, {"weight_kg": kg})))
    periods = t.result()["periods"]
    assert periods["2026-11"]["villages"][A]["tb_presumptive"]["numerator"] == 1
    assert periods["2026-10"]["villages"][A]["tb_presumptive"]["numerator"] == 0  # one step only


def test_the_truth_and_screening_judge_every_visit_of_a_run_alike(small_run) -> None:  # noqa: ANN001
    """Every accepted visit of a simulated run: the truth's verdicts equal screening's facts (its own code)."""
    from services.screening import domain
    from services.screening.domain.history import PersonHistory
    from shared.contracts.intake import IntakeVisit

    _sim, emissions = small_run
    people: dict[tuple, PersonHistory] = {}
    seen: set[str] = set()
    compared = {"underweight": 0, "stunting": 0, "wasting": 0, "tb_presumptive": 0, "hypertension": 0}
    for e in emissions:
        if e.kind == "invalid" or e.body["visit_id"] in seen:
            continue
        seen.add(e.body["visit_id"])
        truth = Truth({})
        p = e.body["person"]
        key = ("n", p["nik"]) if p.get("nik") else ("c", p.get("mother_nik"), p["birth_date"], p["sex"])
        history = people.setdefault(key, PersonHistory())
        truth.weighings[key] = [w for w in history.weighings]
        truth.add_visit(e.body)
        expected = {name: next(iter(cells.values()))[key][1] for name, cells in truth.latest.items()
                    if cells and key in next(iter(cells.values()))}
        screened = domain.from_intake(IntakeVisit.model_validate(e.body), "p")
        result = domain.evaluate(screened, history.frozen())
        history.add(screened, domain.records_of(screened, result, domain.DEFAULT.kn_windows, domain.DEFAULT.kf_windows))
        pws = result.facts["pws"]
        for name in compared:
            got = pws[name]
            assert expected.get(name) == got, (name, e.body, pws)
            compared[name] += got is not None
    assert all(n > 20 for n in compared.values()), compared


@pytest.mark.parametrize("age", [0, 30, 200, 400, 730, 731, 1000, 1826])
def test_z_scores_agree_with_screenings_across_ages(age: int) -> None:
    from services.screening.domain.zscores import measurement_at_z, who2006

    for sex in ("M", "F"):
        for target in (-2.5, -2.0, -1.0, 0.5):
            weight = round(measurement_at_z("wfa", sex, age, target), 1)
            height = round(measurement_at_z("lhfa", sex, age, target), 1)
            for lying in (True, False):
                ours = anthropometry.who2006(sex, age, weight, height, lying)
                theirs = who2006(sex, age, weight, height, lying, None, None)[:3]
                assert ours == theirs, (sex, age, weight, height, lying)
