"""Ground truth of the PWS extension indicators on small hand-computed cases (definitions: docs/dashboard.md)."""

from __future__ import annotations

from simulator.faults import Emission
from simulator.truth import Truth

A, B = "18.72.01.1001", "18.72.01.1002"
TARGETS = {(A, 2026): {"under_five": 40, "pregnant": 10, "adult_15_59": 300, "elderly": 60, "maternal": 10,
                       "newborn": 9, "infant": 9, "adolescent_girl": 25, "hypertension_estimated": 50,
                       "diabetes_estimated": 20},
           (B, 2026): {"under_five": 30, "maternal": 8, "newborn": 8}}
_n = iter(range(10_000))


def person(nik: str, sex: str, born: str, village: str = A) -> dict:
    return {"nik": nik, "sex": sex, "birth_date": born, "village_code": village}


def visit(when: str, who: dict, m: dict | None = None, point: str = "posyandu", **extra) -> dict:  # noqa: ANN003
    return {"visit_id": f"v{next(_n)}", "facility_id": "PUSTU1872011001", "occurred_at": f"{when}T09:00:00+07:00",
            "service_point": point, "person": who, "measurements": m or {}, **extra}


def run(*bodies: dict, zscores=None) -> dict:  # noqa: ANN001
    """period -> village -> indicator -> (numerator, denominator) after sending ``bodies`` in this order."""
    t = Truth(TARGETS, zscores=zscores)
    for b in bodies:
        t.add(Emission(0.0, 0.0, "valid", None, b["facility_id"], "PKM1872011", b, False))
    return {p: {v: {k: (c["numerator"], c["denominator"]) for k, c in row.items()} for v, row in villages.items()}
            for p, villages in t.cells().items()}


BABY = person("1872014506260001", "F", "2026-09-25")


def newborn(when: str, n: int | None = None) -> dict:
    return visit(when, BABY, {"weight_kg": 3.2}, "home_visit",
                 newborn={"birth_weight_g": 3100, **({"neonatal_visit": n} if n else {})})


def test_kn_complete_in_the_month_of_the_third_window_reached() -> None:
    # ages 2 (KN1, last day), 7 (KN2, last day), 8 (KN3, first day) in October
    c = run(newborn("2026-09-27"), newborn("2026-10-02"), newborn("2026-10-03"))
    assert c["2026-09"][A]["kn_complete"] == (0, 9)
    assert c["2026-10"][A]["kn_complete"] == (1, 9)
    # a stated number counts as stated; a repeat of KN3 later is no second completion
    c = run(newborn("2026-09-25", 1), newborn("2026-09-29", 2), newborn("2026-10-10", 3), newborn("2026-10-12", 3))
    assert c["2026-10"][A]["kn_complete"] == (1, 9)
    # two visits in one window make no KN lengkap
    assert run(newborn("2026-09-26"), newborn("2026-09-27"), newborn("2026-10-10"))["2026-10"][A]["kn_complete"] == (0, 9)


def test_kn_an_earlier_visit_sent_late_completes_nothing() -> None:
    """Screening judges with the visits it knows: KN1 synced after KN3 neither completes at KN3 nor at KN1."""
    c = run(newborn("2026-09-30"), newborn("2026-10-06"), newborn("2026-09-26"))
    assert c["2026-09"][A]["kn_complete"] == (0, 9) and c["2026-10"][A]["kn_complete"] == (0, 9)


MOM = person("1872014404960006", "F", "1996-04-04")


def nifas(when: str, days: int | None, number: int | None = None, place: str | None = None,
          point: str = "home_visit") -> dict:
    m: dict = {}
    if days is not None:
        m["postpartum_days"] = days
    if number is not None:
        m["postpartum_visit"] = number
    if place:
        m["delivery"] = {"place": place}
    return visit(when, MOM, m, point)


def test_kf_complete_at_the_fourth_visit_of_this_delivery() -> None:
    bodies = [nifas("2026-09-02", 1, place="puskesmas"), nifas("2026-09-06", 5), nifas("2026-09-21", 20),
              nifas("2026-09-30", 29)]  # delivered 1 Sept; day 29 is KF4's first day
    c = run(*bodies)
    assert c["2026-09"][A]["kf_complete"] == (1, 10)
    assert c["2026-09"][A]["delivery_facility"] == (1, 10)
    # day 28 is still KF3: no KF4, not complete
    assert run(*bodies[:3], nifas("2026-09-29", 28))["2026-09"][A]["kf_complete"] == (0, 10)
    # a stated KF number without postpartum_days: the visits of the 42 days before count
    assert run(*bodies[:3], nifas("2026-10-10", None, 4))["2026-10"][A]["kf_complete"] == (1, 10)


def test_kf_visits_of_an_earlier_delivery_do_not_count() -> None:
    old = [nifas("2026-01-02", 1), nifas("2026-01-06", 5), nifas("2026-01-21", 20)]
    # a new delivery on 1 Sept: its KF4 alone does not complete with January's visits
    assert run(*old, nifas("2026-09-30", 29))["2026-09"][A]["kf_complete"] == (0, 10)


def test_delivery_at_a_facility_counts_at_its_first_report() -> None:
    c = run(nifas("2026-09-02", 1, place="midwife_practice"), nifas("2026-09-06", 5, place="midwife_practice"))
    assert c["2026-09"][A]["delivery_facility"] == (1, 10)  # the KF2 repeating the answer is the same delivery
    c = run(nifas("2026-09-02", 1, place="home"), nifas("2026-09-06", 5, place="hospital"))
    assert c["2026-09"][A]["delivery_facility"] == (0, 10)  # a home birth; its repeat within 42 days is no new one
    # 43 days after the first report: a new delivery
    c = run(nifas("2026-08-01", 1, place="home"), nifas("2026-09-13", 1, place="hospital"))
    assert c["2026-09"][A]["delivery_facility"] == (1, 10)
    man = person("1872010101860003", "M", "1986-01-01")
    assert run(visit("2026-09-02", man, {"delivery": {"place": "hospital"}}))["2026-09"][A]["delivery_facility"] == (0, 10)


INFANT = person("1872014506250009", "M", "2025-10-15")
IDL_FIRST = ["hb0", "bcg", "opv1", "dpt_hb_hib1", "opv2", "dpt_hb_hib2", "opv3", "dpt_hb_hib3", "opv4", "ipv1"]


def doses(when: str, given: list[str], who: dict = INFANT) -> dict:
    return visit(when, who, {}, "pustu", immunizations=given)


def test_idl_complete_at_the_last_dose_before_the_first_birthday() -> None:
    c = run(doses("2025-10-15", IDL_FIRST[:3]), doses("2026-02-20", IDL_FIRST[3:]), doses("2026-07-20", ["mr1"]))
    assert c["2026-07"][A]["immunization_complete"] == (1, 9)
    assert c["2026-02"][A]["immunization_complete"] == (0, 9)
    # the same set completed on the first birthday (12 completed months) is late: not counted
    c = run(doses("2025-10-15", IDL_FIRST[:3]), doses("2026-02-20", IDL_FIRST[3:]), doses("2026-10-15", ["mr1"]))
    assert c["2026-10"][A]["immunization_complete"] == (0, 9)
    # one day before the first birthday still counts; a later dose after completion is no second completion
    c = run(doses("2025-10-15", IDL_FIRST[:3]), doses("2026-02-20", IDL_FIRST[3:]), doses("2026-10-14", ["mr1"]),
            doses("2026-10-20", ["ipv2"]))
    assert c["2026-10"][A]["immunization_complete"] == (1, 9)
    # a missing antigen (no opv4): never complete
    assert run(doses("2026-02-20", [a for a in IDL_FIRST if a != "opv4"]),
               doses("2026-07-20", ["mr1"]))["2026-07"][A]["immunization_complete"] == (0, 9)


KID = person("1872014506250002", "M", "2025-06-05")  # 3 completed months on 2025-09-05 ... 13 on 2026-07-05


def weigh(when: str, kg: float, who: dict = KID, **m) -> dict:  # noqa: ANN003
    return visit(when, who, {"weight_kg": kg, **m})


def test_skdn_n_t_2t_against_the_last_weighing_of_the_previous_month() -> None:
    # 13-15 completed months: KBM 200 g (shared.kms, from 11 months)
    bodies = [weigh("2026-07-10", 9.0), weigh("2026-07-25", 9.1),  # July's last: 9.1
              weigh("2026-08-10", 9.2),  # +100 g < 200: T (first step: no 2T)
              weigh("2026-09-10", 9.3),  # +100 g: T, and T before: 2T
              weigh("2026-10-10", 9.5)]  # +200 g = KBM: N
    c = run(*bodies)
    assert c["2026-07"][A]["skdn_n_d"] == (0, 1) and c["2026-07"][A]["skdn_t"] == (0, 1)  # no June weighing: O
    assert (c["2026-08"][A]["skdn_t"], c["2026-08"][A]["skdn_2t"], c["2026-08"][A]["skdn_n_d"]) == ((1, 1), (0, 1), (0, 1))
    assert (c["2026-09"][A]["skdn_t"], c["2026-09"][A]["skdn_2t"]) == ((1, 1), (1, 1))
    assert (c["2026-10"][A]["skdn_n_d"], c["2026-10"][A]["skdn_t"], c["2026-10"][A]["skdn_2t"]) == ((1, 1), (0, 1), (0, 1))


def test_skdn_a_month_skipped_or_a_weighing_synced_late_gives_no_trend() -> None:
    c = run(weigh("2026-07-10", 9.0), weigh("2026-09-10", 8.0))  # no August weighing: neither N nor T
    assert c["2026-09"][A]["skdn_t"] == (0, 1) and c["2026-09"][A]["skdn_n_d"] == (0, 1)
    c = run(weigh("2026-09-10", 8.0), weigh("2026-08-10", 9.0))  # August's arrives after September's
    assert c["2026-09"][A]["skdn_t"] == (0, 1)
    # the latest weighing of the month decides: T on 5 Sept, N on 20 Sept
    c = run(weigh("2026-08-10", 9.0), weigh("2026-09-05", 9.0), weigh("2026-09-20", 9.4))
    assert c["2026-09"][A]["skdn_n_d"] == (1, 1) and c["2026-09"][A]["skdn_t"] == (0, 1)


def test_k_is_cumulative_from_january_and_d_k_divides_by_it() -> None:
    other = person("1872014506250003", "F", "2024-01-01")
    adult = person("1872010101860003", "M", "1986-01-01")
    c = run(weigh("2026-08-10", 9.0), visit("2026-09-03", other, {"muac_cm": 14.0}),  # seen, not weighed
            weigh("2026-09-12", 9.2), visit("2026-09-12", adult, {"weight_kg": 70.0}))
    assert c["2026-08"][A]["skdn_k_s"] == (1, 40) and c["2026-08"][A]["skdn_d_k"] == (1, 1)
    assert c["2026-09"][A]["skdn_k_s"] == (2, 40) and c["2026-09"][A]["skdn_d_k"] == (1, 2)
    assert c["2026-09"][B]["skdn_k_s"] == (0, 30) and c["2026-09"][B]["skdn_d_k"] == (0, 0)
    # a late-synced July visit puts the child in K from July, and in every later month once
    c = run(weigh("2026-09-12", 9.2), weigh("2026-07-01", 8.8), visit("2026-08-03", ADULT))
    assert [c[p][A]["skdn_k_s"][0] for p in ("2026-07", "2026-08", "2026-09")] == [1, 1, 1]
    assert c["2026-08"][A]["skdn_d_k"] == (0, 1)


def z_by_weight(sex, age_days, weight, height, lying, muac, oedema):  # noqa: ANN001, ANN201, ARG001
    """A stand-in WHO function: WAZ = weight - 10 (kg), WHZ = weight - 10 when a height is given."""
    if weight is None or oedema:
        return None, None, None
    z = round(weight - 10.0, 2)
    return z, None, z if height is not None else None


def test_bgm_and_severe_wasting_by_the_prevalence_rules() -> None:
    kids = [person(f"18720145062500{i:02d}", "M", "2025-01-01") for i in range(10, 16)]
    c = run(weigh("2026-09-01", 6.99, kids[0]),  # WAZ -3.01: BGM
            weigh("2026-09-01", 7.0, kids[1]),  # -3.00: not below
            weigh("2026-09-01", 3.9, kids[2]),  # -6.10: implausible: in D, not BGM
            weigh("2026-09-01", 6.5, kids[3], height_cm=70.0),  # WHZ -3.5: gizi buruk
            weigh("2026-09-01", 7.0, kids[4], height_cm=70.0),  # WHZ -3.0: measured, not severe
            weigh("2026-09-01", 8.0, kids[5], oedema=True),  # oedema: gizi buruk, z not computed
            zscores=z_by_weight)
    sep = c["2026-09"][A]
    assert sep["bgm"] == (2, 6)  # kids 0 and 3 (WAZ -3.5 too)
    assert sep["severe_wasting"] == (2, 3)
    assert "bgm" not in run(weigh("2026-09-01", 6.0))["2026-09"][A]  # without z-scores: left out


def girl(born: str, sex: str = "F") -> dict:
    return person("1872015506120007" if sex == "F" else "1872010506120007", sex, born)


def test_ttd_for_girls_from_10_to_under_18_not_pregnant() -> None:
    on = "2026-09-10"
    # 10 x 365.25 days: the tenth birthday (3,652 days here) is not yet, the day after is
    assert run(visit(on, girl("2016-09-09"), {"ttd_tablets": 4}))["2026-09"][A]["ttd_adolescent_girls"] == (1, 25)
    assert run(visit(on, girl("2016-09-10"), {"ttd_tablets": 4}))["2026-09"][A]["ttd_adolescent_girls"] == (0, 25)
    assert run(visit(on, girl("2008-09-11"), {"ttd_tablets": 4}))["2026-09"][A]["ttd_adolescent_girls"] == (1, 25)
    assert run(visit(on, girl("2008-09-09"), {"ttd_tablets": 4}))["2026-09"][A]["ttd_adolescent_girls"] == (0, 25)
    assert run(visit(on, girl("2012-01-01"), {"ttd_tablets": 0}))["2026-09"][A]["ttd_adolescent_girls"] == (0, 25)
    assert run(visit(on, girl("2012-01-01", "M"), {"ttd_tablets": 4}))["2026-09"][A]["ttd_adolescent_girls"] == (0, 25)
    pregnant = visit(on, girl("2009-01-01"), {"ttd_tablets": 30}, pregnancy={"gestational_weeks": 20})
    assert run(pregnant)["2026-09"][A]["ttd_adolescent_girls"] == (0, 25)


ADULT = person("1872010202860004", "M", "1986-02-02")
TCM = {"method": "tcm", "result": "negative"}


def test_tb_examined_among_the_presumptive() -> None:
    c = run(visit("2026-09-01", ADULT, {"cough_weeks": 3, "tb_test": TCM}, "pustu"),
            visit("2026-10-01", ADULT, {"cough_weeks": 3}, "pustu"))  # 30 days after the test: answered
    assert c["2026-09"][A]["tb_examined"] == (1, 1) and c["2026-10"][A]["tb_examined"] == (1, 1)
    c = run(visit("2026-09-01", ADULT, {"cough_weeks": 3, "tb_test": TCM}, "pustu"),
            visit("2026-10-02", ADULT, {"cough_weeks": 3}, "pustu"))  # 31 days: presumptive, not examined
    assert c["2026-10"][A]["tb_examined"] == (0, 1) and c["2026-10"][A]["tb_presumptive"] == (1, None)
    c = run(visit("2026-09-01", ADULT, {"cough_weeks": 1}, "pustu"),  # not presumptive, no test: no verdict
            visit("2026-09-03", person("1872010303860005", "M", "1986-03-03"), {"tb_test": TCM}, "puskesmas"))
    assert c["2026-09"][A]["tb_examined"] == (1, 1)  # a test recorded without a symptom answer counts


FULL = {"weight_kg": 60.0, "height_cm": 160.0, "waist_cm": 80.0, "systolic_mmhg": 120, "diastolic_mmhg": 80,
        "glucose_mg_dl": 100}
ELDER = person("1872010101500008", "F", "1966-09-10")  # 60 on 2026-09-10


def test_spm_productive_and_elderly_screens_need_every_component() -> None:
    assert run(visit("2026-09-10", ADULT, FULL))["2026-09"][A]["spm_productive_screened"] == (1, 300)
    no_waist = {k: v for k, v in FULL.items() if k != "waist_cm"}
    assert run(visit("2026-09-10", ADULT, no_waist))["2026-09"][A]["spm_productive_screened"] == (0, 300)
    elder = {**FULL, "cholesterol_total_mg_dl": 210, "adl_barthel": 20, "skilas_positive_domains": []}
    c = run(visit("2026-09-10", ELDER, elder))["2026-09"][A]
    assert c["spm_elderly_screened"] == (1, 60) and c["spm_productive_screened"] == (0, 300)  # 60 today: lansia
    c = run(visit("2026-09-09", ELDER, elder))["2026-09"][A]  # a day before: still usia produktif
    assert c["spm_elderly_screened"] == (0, 60) and c["spm_productive_screened"] == (1, 300)
    height_by_muac = {k: v for k, v in elder.items() if k != "height_cm"} | {"muac_cm": 25.0}
    assert run(visit("2026-09-10", ELDER, height_by_muac))["2026-09"][A]["spm_elderly_screened"] == (1, 60)
    amt_only = {k: v for k, v in elder.items() if k != "skilas_positive_domains"} | {"amt_score": 8}
    assert run(visit("2026-09-10", ELDER, amt_only))["2026-09"][A]["spm_elderly_screened"] == (0, 60)
    assert run(visit("2026-09-10", ELDER, amt_only | {"gds4_score": 1}))["2026-09"][A]["spm_elderly_screened"] == (1, 60)
    assert run(visit("2026-09-10", ELDER, {**elder, "adl_barthel": None}))["2026-09"][A]["spm_elderly_screened"] == (0, 60)


def test_spm_hypertension_and_diabetes_care_at_a_health_facility() -> None:
    high = {"systolic_mmhg": 140, "diastolic_mmhg": 80, "glucose_mg_dl": 126, "glucose_fasting": True}
    c = run(visit("2026-09-10", ADULT, high, "pustu"))["2026-09"][A]
    assert c["spm_hypertension_care"] == (1, 50) and c["spm_diabetes_care"] == (1, 20)
    c = run(visit("2026-09-10", ADULT, high, "posyandu"))["2026-09"][A]  # not a health facility
    assert c["spm_hypertension_care"] == (0, 50) and c["spm_diabetes_care"] == (0, 20)
    normal = {"systolic_mmhg": 139, "diastolic_mmhg": 89, "glucose_mg_dl": 199}
    c = run(visit("2026-09-10", ADULT, normal, "puskesmas"))["2026-09"][A]
    assert c["spm_hypertension_care"] == (0, 50) and c["spm_diabetes_care"] == (0, 20)
    c = run(visit("2026-09-10", ADULT, normal, "puskesmas", diagnoses=["I10", "E11.9"]))["2026-09"][A]
    assert c["spm_hypertension_care"] == (1, 50) and c["spm_diabetes_care"] == (1, 20)  # a coded sufferer
    c = run(visit("2026-09-10", ADULT, {}, "puskesmas", diagnoses=["I10"]))["2026-09"][A]
    assert c["spm_hypertension_care"] == (0, 50)  # coded but not measured
    teen = person("1872010303120005", "M", "2011-09-11")  # 15 on 2026-09-11
    assert run(visit("2026-09-10", teen, high, "pustu"))["2026-09"][A]["spm_hypertension_care"] == (0, 50)
    assert run(visit("2026-09-11", teen, high, "pustu"))["2026-09"][A]["spm_hypertension_care"] == (1, 50)
