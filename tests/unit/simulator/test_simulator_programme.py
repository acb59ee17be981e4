"""Programme inputs the simulator generates (birth weights, KPSP, vitamin A, standard ANC contacts) — rates near
their cited figures on a large sample — and the ground truth's counting of them on hand-made visits."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

from simulator import anc
from simulator.faults import Emission
from simulator.measurements import birth_weight_g
from simulator.prevalence import (
    ANC_K1_ACCESS,
    ANC_K1_TRIMESTER_1,
    KPSP_SCHEDULE_MONTHS,
    LBW_PCT,
    NEWBORN_RECORD_DAYS,
)
from simulator.truth import Truth, k4_rule, k6_rule

A = "18.72.01.1001"
TARGETS = {(A, 2026): {"under_five": 40, "pregnant": 10}}


def visit(vid: str, when: str, person: dict, measurements: dict | None = None, **extra) -> dict:  # noqa: ANN003
    return {"visit_id": vid, "facility_id": "PKM1872011", "occurred_at": when, "service_point": "puskesmas",
            "person": person, "measurements": measurements or {}, **extra}


def emission(body: dict) -> Emission:
    return Emission(0.0, 0.0, "valid", None, "PKM1872011", "PKM1872011", body, False)


# -- generation ------------------------------------------------------------------------------------

def test_birth_weights_give_the_ski_2023_share_of_low_birth_weight() -> None:
    weights = [birth_weight_g(key) for key in range(40_000)]
    low = 100 * sum(w < 2500 for w in weights) / len(weights)
    assert abs(low - LBW_PCT) < 0.5
    assert 3000 < sum(weights) / len(weights) < 3300
    assert birth_weight_g(17) == birth_weight_g(17)  # fixed by the child's identity


def test_anc_schedules_meet_the_coverage_assumptions_and_the_contract_rules() -> None:
    rng = random.Random(5)
    n, k1, k1_t1, k4 = 20_000, 0, 0, 0
    for key in range(n):
        lmp = date(2026, 1, 1) + timedelta(days=int(rng.random() * 300))
        due = 34 + int(rng.random() * 8)
        contacts = anc.schedule(key, lmp, due)
        assert contacts == anc.schedule(key, lmp, due)  # the same history whatever window is simulated
        weeks = [(c.day - lmp).days // 7 for c in contacts]
        assert [c.number for c in contacts] == list(range(1, len(contacts) + 1))
        assert all(c.day.weekday() != 6 for c in contacts)
        assert all((b.day - a.day).days >= 7 for a, b in zip(contacts, contacts[1:]))  # never two on one day
        assert all(w <= due for w in weeks)
        if contacts:
            k1 += 1
            k1_t1 += weeks[0] <= 13
            assert contacts[0].by == "doctor"
            k4 += k4_rule(weeks)
    assert abs(k1 / n - ANC_K1_ACCESS) < 0.01
    assert abs(k1_t1 / k1 - ANC_K1_TRIMESTER_1) < 0.015
    assert 0.70 < k4 / n < 0.80  # about the 77 % of SDKI 2017


def test_a_run_sends_the_programme_inputs(small_run) -> None:  # noqa: ANN001
    sim, emissions = small_run
    seen: Counter[str] = Counter()
    numbers: dict[str, list[int]] = {}
    for e in emissions:
        body = e.body
        if not isinstance(body, dict) or e.kind == "invalid":
            continue
        born, on = date.fromisoformat(body["person"]["birth_date"]), date.fromisoformat(body["occurred_at"][:10])
        if "newborn" in body:
            seen["newborn"] += 1
            assert (on - born).days <= NEWBORN_RECORD_DAYS + 1  # + 1: a data-quality warning's shift
        if "development" in body:
            seen["kpsp"] += 1
        if body["measurements"].get("vitamin_a_given"):
            seen["vitamin_a"] += 1
        preg = body.get("pregnancy")
        if preg and preg.get("anc"):
            seen["contact"] += 1
            assert body["service_point"] in ("pustu", "puskesmas") and preg["anc_visit_number"] >= 1
            if e.kind == "valid":
                numbers.setdefault(body["person"]["nik"], []).append(preg["anc_visit_number"])
        elif preg:
            assert "anc_visit_number" not in preg  # a kader's or a sick visit: no K-number
    assert seen["kpsp"] > 0 and seen["contact"] > 0
    assert seen["vitamin_a"] == 0  # October-November: no vitamin A round
    for ks in numbers.values():  # a woman's K-numbers go up by one, contact after contact
        assert sorted(ks) == list(range(min(ks), min(ks) + len(ks)))


def test_vitamin_a_in_the_august_round(small_simulation) -> None:  # noqa: ANN001
    sim = small_simulation(start=date(2026, 8, 1), days=10)
    given = [e.body for e in sim.emissions() if isinstance(e.body, dict) and e.kind != "invalid"
             and e.body["measurements"].get("vitamin_a_given")]
    assert given
    for body in given:
        on, born = date.fromisoformat(body["occurred_at"][:10]), date.fromisoformat(body["person"]["birth_date"])
        assert 6 * 30 < (on - born).days < 60 * 30.5


# -- the truth's counting --------------------------------------------------------------------------

baby = {"nik": "1872014506260001", "sex": "F", "birth_date": "2026-10-01", "village_code": A}
baby2 = {"mother_nik": "1872015003950002", "sex": "M", "birth_date": "2026-10-10", "village_code": A}
toddler = {"nik": "1872010505240003", "sex": "M", "birth_date": "2024-05-05", "village_code": A}
infant = {"nik": "1872010404260004", "sex": "M", "birth_date": "2026-04-20", "village_code": A}  # 5 months in Oct
woman = {"nik": "1872014404960006", "sex": "F", "birth_date": "1996-04-04", "village_code": A}
woman2 = {"nik": "1872014505970007", "sex": "F", "birth_date": "1997-05-05", "village_code": A}


def contact(vid: str, when: str, person: dict, weeks: int, number: int | None, by: str = "midwife") -> dict:
    preg = {"gestational_weeks": weeks, "anc": {"by": by}}
    if number is not None:
        preg["anc_visit_number"] = number
    return visit(vid, when, person, pregnancy=preg)


def test_truth_counts_birth_weight_kpsp_vitamin_a_and_anc_milestones() -> None:
    t = Truth(TARGETS, zscores=None)
    for body in [
        visit("n1", "2026-10-05T09:00:00+07:00", baby, {"weight_kg": 2.4}, newborn={"birth_weight_g": 2400}),
        visit("n2", "2026-10-12T09:00:00+07:00", baby, {"weight_kg": 2.9}, newborn={"birth_weight_g": 2400}),
        visit("n3", "2026-10-15T09:00:00+07:00", baby2, {}, newborn={"birth_weight_g": 3100}),
        visit("n4", "2026-10-16T09:00:00+07:00", baby2, {}, newborn={}),  # no birth weight: not judged
        visit("d1", "2026-10-05T09:00:00+07:00", toddler, {"weight_kg": 11.0}, development={"kpsp": "appropriate"}),
        visit("d2", "2026-10-20T09:00:00+07:00", toddler, {}, development={"kpsp": "doubtful"}),  # once a month
        visit("a1", "2026-10-05T09:00:00+07:00", toddler, {"vitamin_a_given": True}),
        visit("a2", "2026-10-05T09:00:00+07:00", infant, {"vitamin_a_given": True}),  # 5 months: outside 6-59
        # woman: K1 earlier (not sent); contacts 3 and 4 here -> K4 at number 4 in November
        contact("k1", "2026-10-07T09:00:00+07:00", woman, 30, 3),
        contact("k2", "2026-11-04T09:00:00+07:00", woman, 34, 4),
        contact("k3", "2026-11-18T09:00:00+07:00", woman, 36, 5),  # K4 once
        contact("k4", "2026-11-25T09:00:00+07:00", woman, 37, 6),  # K6 by the facility's K-number
        # woman2: no K-numbers: her first contact is K1; 1-1-2 met at the fourth known contact
        contact("m1", "2026-10-01T09:00:00+07:00", woman2, 10, None, "doctor"),  # K1 murni
        contact("m2", "2026-10-02T15:00:00+07:00", woman2, 10, None),  # a second visit a day later: K2
        contact("m3", "2026-10-20T09:00:00+07:00", woman2, 13, None),
        contact("m4", "2026-10-28T09:00:00+07:00", woman2, 14, None),  # four, but only one in trimesters 2/3
    ]:
        t.add(emission(body))
    t.add(emission(contact("m1", "2026-10-01T09:00:00+07:00", woman2, 10, None)))  # a duplicate
    result = t.result()
    oct_ = result["periods"]["2026-10"]["villages"][A]
    nov = result["periods"]["2026-11"]["villages"][A]
    assert oct_["low_birth_weight"] == {"numerator": 1, "denominator": 2, "value": 50.0}
    assert oct_["development_screened"] == {"numerator": 1, "denominator": 40, "value": 2.5}
    assert oct_["vitamin_a"] == {"numerator": 1, "denominator": 40, "value": 2.5}
    assert oct_["anc_k1"] == {"numerator": 1, "denominator": 10, "value": 10.0}  # woman2 only
    assert oct_["anc_k4"]["numerator"] == 0
    assert nov["anc_k4"] == {"numerator": 1, "denominator": 10, "value": 10.0}
    assert nov["anc_k1"]["numerator"] == 0
    assert oct_["anc_k1_murni"] == {"numerator": 1, "denominator": 10, "value": 10.0}
    assert oct_["anc_k6"]["numerator"] == 0 and nov["anc_k6"]["numerator"] == 1
    assert set(result["meta"]["indicators"]) >= {"low_birth_weight", "vitamin_a", "development_screened",
                                                 "anc_k1", "anc_k4", "anc_k1_murni", "anc_k6"}


def test_k4_rule_needs_one_one_two() -> None:
    assert k4_rule([10, 20, 30, 34])
    assert not k4_rule([10, 20, 30])  # three contacts
    assert not k4_rule([10, 12, 30, 34])  # none in trimester 2
    assert not k4_rule([14, 20, 30, 34])  # none in trimester 1
    assert not k4_rule([10, 20, 26, 30])  # one in trimester 3
    assert k4_rule([13, 27, 28, 40])  # the boundaries: 13 is trimester 1, 27 trimester 2, 28 trimester 3


def test_k6_rule_needs_one_two_three_and_two_doctors() -> None:
    d, m = "doctor", "midwife"
    assert k6_rule([(10, d), (16, m), (22, m), (28, m), (32, d), (36, m)])
    assert not k6_rule([(10, d), (16, m), (22, m), (28, m), (32, m), (36, m)])  # one doctor
    assert not k6_rule([(10, d), (16, m), (28, m), (30, m), (32, d), (36, m)])  # one in trimester 2
    assert not k6_rule([(10, d), (16, m), (22, m), (28, m), (32, d)])  # five


def test_kpsp_schedule_stays_clear_of_the_under_five_boundary() -> None:
    assert max(KPSP_SCHEDULE_MONTHS) < 60


def test_triple_elimination_complete_once_when_the_third_test_has_a_result() -> None:
    t = Truth(TARGETS, zscores=None)
    labs2 = {"hiv": "non_reactive", "hbsag": "non_reactive"}
    labs3 = {**labs2, "syphilis": "reactive"}
    c = contact("t1", "2026-10-07T09:00:00+07:00", woman, 10, 1)
    c["pregnancy"]["labs"] = labs2
    t.add(emission(c))
    c = contact("t2", "2026-11-04T09:00:00+07:00", woman, 14, 2)
    c["pregnancy"]["labs"] = {"syphilis": "non_reactive"}  # the third: complete in November
    t.add(emission(c))
    c = contact("t3", "2026-11-18T09:00:00+07:00", woman, 16, 3)
    c["pregnancy"]["labs"] = labs3  # tested again: not complete again
    t.add(emission(c))
    c = contact("t4", "2026-10-08T09:00:00+07:00", woman2, 12, 1)
    c["pregnancy"]["labs"] = labs3  # all three at once
    t.add(emission(c))
    periods = t.result()["periods"]
    assert periods["2026-10"]["villages"][A]["triple_elimination_tested"]["numerator"] == 1
    assert periods["2026-11"]["villages"][A]["triple_elimination_tested"] == {"numerator": 1, "denominator": 10,
                                                                              "value": 10.0}


def test_triple_elimination_tests_at_k1(small_simulation) -> None:  # noqa: ANN001
    sim = small_simulation(days=40)
    k1 = complete = 0
    for e in sim.emissions():
        preg = e.body.get("pregnancy") if isinstance(e.body, dict) and e.kind == "valid" else None
        if preg and preg.get("labs"):
            assert preg["anc_visit_number"] == 1
        if preg and preg.get("anc_visit_number") == 1:
            k1 += 1
            complete += len(preg.get("labs") or ()) == 3
    assert k1 > 20 and 0.6 < complete / k1 < 0.98
