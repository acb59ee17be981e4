"""Throughput benchmark of the pure engine (``make bench``): visits evaluated per second on one core.

The pool is a Posyandu/Puskesmas mix with every package on: newborns, under-fives with weighing,
immunisation and service histories, pregnancies with earlier ANC contacts, postpartum mothers, school
children, adults with NCD, cancer and pre-pregnancy screens, and elderly people with SKILAS and its
follow-up instruments. Facts are computed for every visit, as the service does. Values are drawn around
Indonesian survey figures (SKI 2023: stunting ~21 %, underweight ~16 %, hypertension ~30 %, diabetes ~12 %),
so a visit finds one or two risks, as a Posyandu day does; each package is present at the rate a visit
records it.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date, timedelta
from uuid import UUID

from services.screening.domain.engine import evaluate
from services.screening.domain.immunization import SCHEDULE
from services.screening.domain.model import (
    History,
    PregnancyRecord,
    ScreeningVisit,
    ServiceRecord,
    add_months,
)
from services.screening.domain.zscores import measurement_at_z
from shared.contracts.intake import Development, Measurements, Newborn, Pregnancy

_ON = date(2026, 11, 20)
_KINDS = ["newborn", "child", "pregnant", "postpartum", "school", "adult", "elderly"]
_WEIGHTS = [5, 40, 10, 2, 10, 23, 10]


def _some(rng: random.Random, p: float) -> bool:
    return rng.random() < p


def _child(rng: random.Random, sex: str, age: int) -> tuple[Measurements, History, tuple[str, ...], Development | None]:
    months = age / 30.4375
    lying = age < 731
    waz, haz = rng.gauss(-0.9, 1.0), rng.gauss(-1.2, 1.1)
    weight = round(measurement_at_z("wfa", sex, age, waz), 1)
    height = round(measurement_at_z("lhfa", sex, age, haz) - (0.7 if not lying else 0.0), 1)
    m = Measurements(
        weight_kg=max(1.0, weight), height_cm=max(45.0, height), measured_lying=lying if _some(rng, 0.9) else not lying,
        muac_cm=round(rng.gauss(14.5, 1.2), 1) if age >= 180 and _some(rng, 0.5) else None,
        head_circumference_cm=round(measurement_at_z("hcfa", sex, age, rng.gauss(0, 1)), 1) if _some(rng, 0.4) else None,
        hb_g_dl=round(rng.gauss(11.4, 1.1), 1) if _some(rng, 0.1) else None, oedema=_some(rng, 0.002),
        vitamin_a_given=_some(rng, 0.8) if age >= 180 and _some(rng, 0.6) else None,
        deworming_given=_some(rng, 0.7) if age >= 365 and _some(rng, 0.4) else None,
        cough_weeks=0 if _some(rng, 0.97) else rng.choice([1, 3]), fever_weeks=0 if _some(rng, 0.98) else 3,
        tb_symptoms=[] if _some(rng, 0.98) else ["weight_loss"], tb_contact=_some(rng, 0.01),
    )
    birth = _ON - timedelta(days=age)
    gain = 0.35 if months < 6 else 0.2
    weighings = tuple((_ON - timedelta(days=30 * k + rng.randint(-3, 3)), round(weight - gain * k + rng.gauss(0, 0.1), 2))
                      for k in range(1, rng.randint(1, 6)))
    stop = 99 if _some(rng, 0.92) else rng.choice([2, 3, 4, 9])  # about 8 % drop out of the schedule
    doses = tuple((a, add_months(birth, months_due)) for a, (months_due, _, _) in SCHEDULE.items()
                  if months_due < stop and add_months(birth, months_due) < _ON and _some(rng, 0.98))
    services = (ServiceRecord("vitamin_a", _ON - timedelta(days=rng.randint(20, 200))),
                ServiceRecord("kpsp", _ON - timedelta(days=rng.randint(10, 90)), "appropriate"))
    now = tuple(a for a, (months_due, _, _) in SCHEDULE.items() if int(months) == months_due)[:3]
    dev = Development(kpsp=rng.choices(["appropriate", "doubtful", "deviant"], [90, 7, 3])[0]) if _some(rng, 0.2) \
        else None
    return m, History(weighings=weighings, doses=doses, services=services), now, dev


def _pregnant(rng: random.Random, vid: UUID) -> tuple[Pregnancy, Measurements, History]:
    gw = rng.randint(4, 41)
    sbp = round(rng.gauss(112, 12))
    preg = Pregnancy(
        gestational_weeks=gw, living_children=rng.choice([0, 0, 1, 1, 2, 3]), parity=rng.choice([0, 1, 1, 2, 3]),
        months_since_last_birth=rng.choice([None, rng.randint(12, 120)]), proteinuria=rng.choice([None, 0, 0, 0, 1]),
        anc={"by": rng.choice(["midwife", "midwife", "doctor"]), "ultrasound": _some(rng, 0.3)} if _some(rng, 0.8)
        else None,
        labs={"hiv": "non_reactive", "syphilis": "reactive" if _some(rng, 0.01) else "non_reactive",
              "hbsag": "non_reactive"} if _some(rng, 0.3) else None,
        danger_signs=["fever"] if _some(rng, 0.02) else None,
        obstetric_history=["previous_caesarean"] if _some(rng, 0.1) else None,
    )
    m = Measurements(weight_kg=round(rng.gauss(58, 9), 1), height_cm=round(rng.gauss(152, 6), 1),
                     muac_cm=round(rng.gauss(25.5, 2.5), 1), hb_g_dl=round(rng.gauss(11.6, 1.2), 1),
                     systolic_mmhg=sbp, diastolic_mmhg=min(sbp - 20, round(rng.gauss(72, 9))),
                     glucose_mg_dl=float(round(rng.gauss(95, 18))) if _some(rng, 0.3) else None,
                     glucose_fasting=_some(rng, 0.3), td_status=5 if _some(rng, 0.7) else rng.randint(0, 4),
                     cough_weeks=0 if _some(rng, 0.98) else 3)
    conception = _ON - timedelta(weeks=gw)
    records = tuple(
        PregnancyRecord(visit_id=f"{vid}-{k}", occurred_on=conception + timedelta(weeks=w), order=float(k),
                        conception_on=conception + timedelta(days=rng.randint(-5, 5)), gestational_weeks=w,
                        anc_by=rng.choice(["midwife", "doctor", None]), pregnancy_id="351b8f15-503e-566d-be32-ed029203f1f8",
                        milestones="k1" if k == 0 else "")
        for k, w in enumerate(range(8, gw, 5))
    )
    return preg, m, History(pregnancy=records, services=(ServiceRecord("hiv", conception + timedelta(weeks=9)),))


def _adult(rng: random.Random, kind: str, sex: str) -> Measurements:
    """An adult or elderly visit: the NCD screen every time, other packages at the rate a visit records them."""
    elderly = kind == "elderly"
    woman = sex == "F"
    height = round(rng.gauss(152 if woman else 163, 6), 1)
    sbp = round(rng.gauss(135 if elderly else 124, 18))
    fasting = _some(rng, 0.3)
    return Measurements(
        weight_kg=round((height / 100) ** 2 * rng.gauss(24, 4.5), 1), height_cm=height,
        waist_cm=round(rng.gauss(84 if woman else 82, 11), 1), systolic_mmhg=sbp,
        diastolic_mmhg=min(sbp - 20, round(rng.gauss(80, 11))),
        glucose_mg_dl=float(max(50, round(rng.gauss(96 if fasting else 118, 30)))) if _some(rng, 0.6) else None,
        glucose_fasting=fasting, cough_weeks=rng.choice([None, 0, 0, 0, 1]) if _some(rng, 0.97) else 3,
        tb_symptoms=[] if _some(rng, 0.97) else ["night_sweats"],
        puma_score=rng.choice([0, 1, 1, 2, 2, 3, 4, 6]) if _some(rng, 0.3) else None,
        srq20_score=rng.choice([0, 0, 1, 1, 2, 3, 4, 7]) if _some(rng, 0.3) else None,
        srq20_item17=_some(rng, 0.01) if _some(rng, 0.3) else None,
        adl_barthel=rng.choice([20, 20, 20, 20, 19, 15, 10]) if elderly else None,
        skilas_positive_domains=rng.sample(["cognition", "mobility", "vision"], rng.choice([0, 0, 0, 1]))
        if elderly else None,
        hb_g_dl=round(rng.gauss(12.8 if woman else 14.2, 1.3), 1) if _some(rng, 0.3) else None,
        cholesterol_total_mg_dl=round(rng.gauss(190, 35)) if _some(rng, 0.2) else None,
        cvd_risk_percent=rng.choices([2.0, 7.0, 15.0, 25.0], [60, 25, 10, 5])[0] if _some(rng, 0.1) else None,
        smoker=_some(rng, 0.6 if sex == "M" else 0.03) if _some(rng, 0.5) else None,
        visual_acuity=rng.choices(["6/6", "6/9", "6/12", "6/18", "6/60"], [70, 15, 8, 5, 2])[0] if _some(rng, 0.25)
        else None,
        whisper_test_passed=_some(rng, 0.97) if _some(rng, 0.15) else None,
        iva_result=rng.choices(["negative", "positive"], [97, 3])[0] if woman and _some(rng, 0.05) else None,
        sadanis_result="normal" if woman and _some(rng, 0.05) else None,
        muac_cm=round(rng.gauss(27, 3), 1) if woman and not elderly and _some(rng, 0.2) else None,
        pre_pregnancy={"status": "catin", "living_children": 0} if woman and not elderly and _some(rng, 0.05)
        else None,
        skilas={"recall_words": 3 if _some(rng, 0.85) else 2, "orientation_correct": _some(rng, 0.95),
                "chair_rise_seconds": round(rng.gauss(11, 2.5), 1), "weight_loss_3kg": _some(rng, 0.05),
                "appetite_loss": _some(rng, 0.05), "sad_or_hopeless": _some(rng, 0.05)}
        if elderly and _some(rng, 0.5) else None,
        amt_score=rng.choices([10, 9, 8, 6, 3], [50, 25, 12, 10, 3])[0] if elderly and _some(rng, 0.3) else None,
        gds4_score=rng.choices([0, 1, 2], [80, 12, 8])[0] if elderly and _some(rng, 0.3) else None,
        mna_sf_score=rng.choices([14, 13, 12, 10, 6], [40, 25, 15, 15, 5])[0] if elderly and _some(rng, 0.3) else None,
    )


def _school(rng: random.Random, sex: str, age: int) -> tuple[Measurements, History]:
    years = age / 365.25
    height = round(110 + (years - 6) * 5.5 + rng.gauss(0, 6), 1)
    sbp = round(rng.gauss(104 + (years - 6) * 1.2, 10))
    m = Measurements(weight_kg=round(max(12.0, (height / 100) ** 2 * rng.gauss(17.5, 3)), 1), height_cm=height,
                     hb_g_dl=round(rng.gauss(12.8, 1.2), 1) if _some(rng, 0.4) else None,
                     systolic_mmhg=sbp, diastolic_mmhg=min(sbp - 20, round(rng.gauss(66, 8))),
                     school_grade=min(12, max(1, int(years) - 5)),
                     ttd_tablets=(1 if _some(rng, 0.7) else 0) if sex == "F" and years >= 12 else None,
                     sdq_score=max(0, round(rng.gauss(9, 5))) if _some(rng, 0.3) else None,
                     visual_acuity=rng.choices(["6/6", "6/9", "6/12", "6/18"], [80, 10, 6, 4])[0] if _some(rng, 0.5)
                     else None,
                     whisper_test_passed=_some(rng, 0.98) if _some(rng, 0.5) else None,
                     smoker=_some(rng, 0.07) if years >= 10 and _some(rng, 0.5) else None)
    return m, History(services=(ServiceRecord("ttd", _ON - timedelta(days=rng.randint(1, 60)), "1"),))


def _visit(rng: random.Random, i: int) -> tuple[ScreeningVisit, History]:
    """One plausible visit of a realistic Posyandu/Puskesmas mix (mostly under-fives)."""
    kind = rng.choices(_KINDS, weights=_WEIGHTS)[0]
    sex = rng.choice("MF")
    vid = UUID(int=rng.getrandbits(128))
    history, preg, newborn, now, dev = History(), None, None, (), None
    if kind in ("newborn", "child"):
        age = rng.randint(0, 28) if kind == "newborn" else rng.randint(29, 1825)
        m, history, now, dev = _child(rng, sex, age)
        if kind == "newborn":
            newborn = Newborn(birth_weight_g=round(rng.gauss(3100, 450)), shk=rng.choice([None, "normal", "not_done"]))
            now = ("hb0",) if age < 2 else ()
        stage = "under_five"
    elif kind == "pregnant":
        age, sex, stage = rng.randint(16 * 365, 44 * 365), "F", "pregnancy"
        preg, m, history = _pregnant(rng, vid)
    elif kind == "postpartum":
        age, sex, stage = rng.randint(18 * 365 + 5, 40 * 365), "F", "adult"
        m = Measurements(postpartum_days=rng.randint(0, 42), hb_g_dl=round(rng.gauss(11.8, 1.3), 1),
                         systolic_mmhg=round(rng.gauss(115, 12)), diastolic_mmhg=round(rng.gauss(74, 8)),
                         postpartum_danger_signs=["fever"] if _some(rng, 0.02) else None)
        history = History(services=(ServiceRecord("kf", _ON - timedelta(days=rng.randint(1, 20)), "1"),))
    elif kind == "school":
        age, stage = rng.randint(6 * 365, 17 * 365), "school_age"
        m, history = _school(rng, sex, age)
    else:
        age = rng.randint(60 * 365 + 15, 90 * 365) if kind == "elderly" else rng.randint(18 * 365 + 5, 59 * 365)
        stage = kind
        m = _adult(rng, kind, sex)
    visit = ScreeningVisit(visit_id=vid, occurred_on=_ON, sex=sex, age_days=age, stage=stage, pregnancy=preg,
                           measurements=m, newborn=newborn, immunizations=now, development=dev,
                           person_id=f"p{i}", order=float(i))
    return visit, history


def make_visits(count: int = 2000, seed: int = 20261120) -> list[tuple[ScreeningVisit, History]]:
    """A deterministic pool of plausible visits with their histories."""
    rng = random.Random(seed)
    return [_visit(rng, i) for i in range(count)]


def bench_evaluate(n: int) -> float:
    """Evaluate ``n`` visits (cycling a prebuilt pool) and return visits per second; pure evaluation, no I/O.

    The ``n`` evaluations run in 5 timed chunks and the median chunk rate is returned, so a burst of other
    load on a shared machine does not decide the figure. Time is this process's CPU time (``process_time``):
    visits per second of one core, not counting moments the process waits for a core other programs hold.
    """
    pool = make_visits(min(max(n, 1), 2000))
    size = len(pool)
    for visit, history in pool:  # warm up: one pass fills the plan cache, as a running service has
        evaluate(visit, history)
    chunks = max(1, min(5, n))
    rates = []
    done = 0
    for k in range(chunks):
        count = (n - done) // (chunks - k)
        start = time.process_time()
        for i in range(done, done + count):
            visit, history = pool[i % size]
            evaluate(visit, history)
        elapsed = time.process_time() - start
        done += count
        rates.append(count / elapsed if elapsed > 0 else float("inf"))
    return statistics.median(rates)


if __name__ == "__main__":
    print(f"{bench_evaluate(100_000):,.0f} visits/s")
