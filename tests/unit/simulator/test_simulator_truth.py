"""Ground truth on a tiny hand-checkable case, and on a real run against the records themselves."""

from __future__ import annotations

from simulator.faults import Emission
from simulator.truth import Truth

A, B = "18.72.01.1001", "18.72.01.1002"
CHILD_NIK = "1872014506250001"
MOTHER_NIK = "1872015003950002"
ADULT1, ADULT2, TEEN, MOTHER = "1872010101860003", "1872010202860004", "1872010303120005", "1872014404960006"


def visit(vid: str, when: str, person: dict, measurements: dict, pregnancy: dict | None = None) -> dict:
    body = {"visit_id": vid, "facility_id": "POSY18720110011", "occurred_at": when, "service_point": "posyandu",
            "person": person, "measurements": measurements}
    if pregnancy:
        body["pregnancy"] = pregnancy
    return body


def emission(body, kind: str = "valid", reason: str | None = None) -> Emission:  # noqa: ANN001
    return Emission(0.0, 0.0, kind, reason, "POSY18720110011", "PKM1872011", body, False)


child1 = {"nik": CHILD_NIK, "mother_nik": MOTHER_NIK, "sex": "F", "birth_date": "2025-06-05", "village_code": A}
child2 = {"mother_nik": MOTHER_NIK, "sex": "F", "birth_date": "2025-06-01", "village_code": A}  # no NIK yet
adult1 = {"nik": ADULT1, "sex": "M", "birth_date": "1986-01-01", "village_code": A}
adult2 = {"nik": ADULT2, "sex": "M", "birth_date": "1986-02-02", "village_code": A}
teen = {"nik": TEEN, "sex": "M", "birth_date": "2012-03-03", "village_code": A}
mother = {"nik": MOTHER, "sex": "F", "birth_date": "1996-04-04", "village_code": A}
adult_b = {"nik": ADULT1[:-1] + "9", "sex": "M", "birth_date": "1986-01-01", "village_code": B}


def fake_who2006(sex, age_days, weight, height, lying, muac, oedema):  # noqa: ANN001, ANN201, ARG001
    """A stand-in for the WHO function: underweight below 8 kg, stunted when a height is given."""
    wfa = None if weight is None else (-2.5 if weight < 8 else 0.0)
    lhfa = None if height is None else -2.1
    return wfa, lhfa, None, None, None, None, []


TARGETS = {(A, 2026): {"under_five": 40, "pregnant": 10, "adult_15_59": 300, "elderly": 60},
           (B, 2026): {"under_five": 30, "pregnant": 8, "adult_15_59": 200, "elderly": 40}}


def tiny_truth() -> Truth:
    t = Truth(TARGETS, zscores=fake_who2006)
    bodies = [
        visit("v1", "2026-10-05T09:00:00+07:00", child1, {"weight_kg": 9.0}),
        visit("v3", "2026-10-06T09:00:00+07:00", child2, {"weight_kg": 7.0}),
        # adult1: normal on 21 Oct arrives before his high reading of 7 Oct (offline): latest wins
        visit("v5", "2026-10-21T09:00:00+07:00", adult1, {"systolic_mmhg": 120, "diastolic_mmhg": 80,
                                                          "glucose_mg_dl": 120, "glucose_fasting": True,
                                                          "cough_weeks": 0}),
        visit("v4", "2026-10-07T09:00:00+07:00", adult1, {"systolic_mmhg": 150, "diastolic_mmhg": 95,
                                                          "cough_weeks": 3}),
        visit("v6", "2026-10-07T10:00:00+07:00", adult2, {"systolic_mmhg": 130, "diastolic_mmhg": 92,
                                                          "glucose_mg_dl": 210, "glucose_fasting": False,
                                                          "cough_weeks": 1}),
        visit("v7", "2026-10-07T10:05:00+07:00", teen, {"systolic_mmhg": 150, "diastolic_mmhg": 95}),  # < 15 y
        visit("v8", "2026-10-08T09:00:00+07:00", mother, {"hb_g_dl": 10.5, "muac_cm": 23.0, "cough_weeks": 3},
              {"gestational_weeks": 20, "anc": {"by": "midwife"}}),
        visit("v9", "2026-10-09T09:00:00+07:00", mother, {"hb_g_dl": 11.0, "cough_weeks": 2},
              {"gestational_weeks": 21}),  # no ``anc``: a kader's visit, no ANC contact
        visit("v2", "2026-10-20T09:00:00+07:00", child1, {"weight_kg": 9.2, "height_cm": 75.0,
                                                          "measured_lying": True}),
        # 05:00 WIB on 1 November is still 31 October in UTC: it belongs to November
        visit("v10", "2026-11-01T05:00:00+07:00", adult_b, {"cough_weeks": 2}),
    ]
    for b in bodies:
        t.add(emission(b))
    t.add(emission(bodies[0], "duplicate"))
    t.add(emission(dict(bodies[0], visit_id="v1"), "valid"))  # the same visit_id again, however labelled
    t.add(emission('{"visit_id": "v99", "facil', "invalid", "truncated_json"))
    t.add(emission(visit("v98", "2026-10-05T09:00:00+07:00", adult2, {"systolic_mmhg": 1500}), "invalid",
                   "systolic_extra_digit"))
    return t


def test_tiny_case_by_hand() -> None:
    result = tiny_truth().result({"case": "tiny"})
    counts = result["counts"]
    assert counts["messages"] == 14
    assert counts["accepted"] == 10 and counts["duplicates"] == 2 and counts["invalid"] == 2
    assert counts["invalid_schema"] == 2 and counts["invalid_semantic"] == 0
    assert counts["invalid_by_reason"] == {"systolic_extra_digit": 1, "truncated_json": 1}

    oct_a = result["periods"]["2026-10"]["villages"][A]
    assert oct_a["visits"] == {"numerator": 9, "denominator": None, "value": 9}
    assert oct_a["children_weighed"] == {"numerator": 2, "denominator": 40, "value": 5.0}
    assert oct_a["hypertension"] == {"numerator": 1, "denominator": 2, "value": 50.0}  # adult2 only
    assert oct_a["diabetes"] == {"numerator": 1, "denominator": 2, "value": 50.0}
    assert oct_a["anemia_pregnancy"] == {"numerator": 0, "denominator": 1, "value": 0.0}  # latest Hb 11.0
    assert oct_a["kek_pregnancy"] == {"numerator": 1, "denominator": 1, "value": 100.0}
    # the mother once (latest cough 2 weeks); adult1's cough of 7 Oct was over by 21 Oct
    assert oct_a["tb_presumptive"] == {"numerator": 1, "denominator": None, "value": 1}
    assert oct_a["pregnant_served"] == {"numerator": 1, "denominator": 10, "value": 10.0}
    assert oct_a["bp_screened"] == {"numerator": 2, "denominator": 360, "value": 0.6}  # not the 14-year-old
    assert oct_a["underweight"] == {"numerator": 1, "denominator": 2, "value": 50.0}  # child2; child1 latest 9.2 kg
    assert oct_a["stunting"] == {"numerator": 1, "denominator": 1, "value": 100.0}
    assert oct_a["wasting"] == {"numerator": 0, "denominator": 0, "value": None}

    oct_b = result["periods"]["2026-10"]["villages"][B]  # listed with its target although nobody came
    assert oct_b["visits"]["numerator"] == 0 and oct_b["children_weighed"] == {"numerator": 0, "denominator": 30,
                                                                               "value": 0.0}
    nov_b = result["periods"]["2026-11"]["villages"][B]
    assert nov_b["visits"]["numerator"] == 1 and nov_b["tb_presumptive"]["numerator"] == 1

    total = result["periods"]["2026-10"]["total"]
    assert total["children_weighed"] == {"numerator": 2, "denominator": 70, "value": 2.9}
    assert total["pregnant_served"] == {"numerator": 1, "denominator": 18, "value": 5.6}
    assert total["bp_screened"] == {"numerator": 2, "denominator": 600, "value": 0.3}
    assert result["periods"]["2026-10"]["kecamatan"]["18.72.01"]["visits"]["numerator"] == 9
    assert result["meta"]["case"] == "tiny"


def test_without_zscores_the_three_anthropometric_indicators_are_left_out() -> None:
    t = Truth(TARGETS, zscores=None)
    t.add(emission(visit("v1", "2026-10-05T09:00:00+07:00", child1, {"weight_kg": 9.0, "height_cm": 75.0})))
    result = t.result()
    row = result["periods"]["2026-10"]["villages"][A]
    assert "stunting" not in row and "underweight" not in row and "wasting" not in row
    assert result["meta"]["zscore_source"] is None
    assert "stunting" not in result["meta"]["indicators"]


def test_truth_of_a_run_matches_a_recount_of_its_accepted_records(small_run) -> None:  # noqa: ANN001
    sim, emissions = small_run
    truth = Truth.for_network(sim.net, [2026], zscores=None)
    for e in emissions:
        truth.add(e)
    result = truth.result()
    accepted = {e.body["visit_id"]: e.body for e in emissions if e.kind == "valid"}
    assert result["counts"]["accepted"] == len(accepted)
    assert result["counts"]["duplicates"] == sum(e.kind == "duplicate" for e in emissions)
    assert result["counts"]["invalid"] == sum(e.kind == "invalid" for e in emissions)
    per_cell: dict[tuple[str, str], int] = {}
    for b in accepted.values():
        key = (b["occurred_at"][:7], b["person"]["village_code"])
        per_cell[key] = per_cell.get(key, 0) + 1
    got = {(p, v): row["visits"]["numerator"] for p, rows in result["periods"].items()
           for v, row in rows["villages"].items() if row["visits"]["numerator"]}
    assert got == per_cell
    assert set(result["periods"]) == {"2026-10", "2026-11"}
