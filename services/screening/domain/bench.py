"""Throughput benchmark of the pure engine (``make bench``): visits evaluated per second on one core.

The pool is a Posyandu/Puskesmas mix with every package on: newborns, under-fives with weighing,
immunisation and service histories, pregnancies with earlier ANC contacts, postpartum mothers, school
children, adults with NCD, cancer and pre-pregnancy screens, and elderly people with SKILAS and its
follow-up instruments. Facts are computed for every visit, as the service does. The measurements of the
first benchmark keep their distributions (comparable figures); the inputs added since then are drawn at
plausible rates (most results normal, a few percent abnormal), as a Posyandu day sees them.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import date, timedelta
from uuid import UUID

from shared.contracts.intake import Development, Measurements, Newborn, Pregnancy

from .engine import evaluate
from .immunization import SCHEDULE
from .model import History, PregnancyRecord, ScreeningVisit, ServiceRecord, add_months

_ON = date(2026, 11, 20)
_SYMPTOMS = ["weight_loss", "fever", "night_sweats", "appetite_loss", "malaise"]
_KINDS = ["newborn", "child", "pregnant", "postpartum", "school", "adult", "elderly"]
_WEIGHTS = [5, 40, 10, 2, 10, 23, 10]


def _child(rng: random.Random, sex: str, age: int) -> tuple[Measurements, History, tuple[str, ...], Development | None]:
    months = age / 30.4375
    weight = max(1.0, round(3.3 + months * 0.22 - (months / 60) * 3 + rng.gauss(0, 1.2), 1))
    height = max(45.0, round(50 + months * 1.6 - (months / 60) ** 2 * 25 + rng.gauss(0, 3.5), 1))
    m = Measurements(
        weight_kg=weight, height_cm=height, measured_lying=age < 731 if rng.random() > 0.1 else age >= 731,
        muac_cm=round(rng.uniform(10.5, 17.5), 1) if age >= 180 and rng.random() < 0.5 else None,
        head_circumference_cm=round(rng.uniform(38, 52), 1) if rng.random() < 0.4 else None,
        hb_g_dl=round(rng.uniform(8, 13), 1) if rng.random() < 0.1 else None, oedema=rng.random() < 0.01,
        vitamin_a_given=rng.random() < 0.8 if age >= 180 else None,
        deworming_given=rng.random() < 0.7 if age >= 365 else None,
        cough_weeks=0 if rng.random() < 0.95 else rng.choice([1, 3]), fever_weeks=0 if rng.random() < 0.97 else 3,
        tb_symptoms=[] if rng.random() < 0.97 else ["weight_loss"], tb_contact=rng.random() < 0.01,
    )
    birth = _ON - timedelta(days=age)
    weighings = tuple((_ON - timedelta(days=30 * k + rng.randint(-3, 3)), round(weight - 0.15 * k + rng.gauss(0, 0.15), 1))
                      for k in range(1, rng.randint(1, 6)))
    stop = 99 if rng.random() < 0.9 else rng.choice([2, 3, 4, 9])  # about 10 % drop out of the schedule
    doses = tuple((a, add_months(birth, months_due + (rng.random() < 0.2))) for a, (months_due, _, _) in SCHEDULE.items()
                  if months_due < stop and add_months(birth, months_due + 1) < _ON and rng.random() < 0.98)
    services = (ServiceRecord("vitamin_a", _ON - timedelta(days=rng.randint(20, 200))),
                ServiceRecord("kpsp", _ON - timedelta(days=rng.randint(10, 90)), "appropriate"))
    now = tuple(a for a, (months_due, _, _) in SCHEDULE.items() if int(months) == months_due)[:3]
    dev = Development(kpsp=rng.choices(["appropriate", "doubtful", "deviant"], [90, 7, 3])[0]) \
        if rng.random() < 0.2 else None
    return m, History(weighings=weighings, doses=doses, services=services), now, dev


def _pregnant(rng: random.Random, vid: UUID) -> tuple[Pregnancy, Measurements, History]:
    gw = rng.randint(4, 41)
    preg = Pregnancy(
        gestational_weeks=gw, living_children=rng.randint(0, 5), parity=rng.randint(0, 5),
        months_since_last_birth=rng.choice([None, rng.randint(6, 120)]), proteinuria=rng.choice([None, 0, 0, 1]),
        anc={"by": rng.choice(["midwife", "midwife", "doctor"]), "ultrasound": rng.random() < 0.3}
        if rng.random() < 0.8 else None,
        labs={"hiv": "non_reactive", "syphilis": "reactive" if rng.random() < 0.01 else "non_reactive",
              "hbsag": "non_reactive"} if rng.random() < 0.3 else None,
        danger_signs=["fever"] if rng.random() < 0.03 else None,
        obstetric_history=["previous_caesarean"] if rng.random() < 0.1 else None,
    )
    m = Measurements(weight_kg=round(rng.uniform(40, 90), 1), height_cm=round(rng.uniform(140, 170), 1),
                     muac_cm=round(rng.uniform(20, 30), 1), hb_g_dl=round(rng.uniform(7, 14), 1),
                     systolic_mmhg=rng.randint(95, 170), diastolic_mmhg=rng.randint(55, 89),
                     glucose_mg_dl=float(rng.randint(70, 220)), glucose_fasting=rng.random() < 0.3,
                     td_status=5 if rng.random() < 0.7 else rng.randint(0, 4),
                     cough_weeks=0 if rng.random() < 0.97 else 3)
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
    """The first benchmark's adult measurements, plus each added package at the rate a Posyandu day sees it."""
    height = round(rng.uniform(145, 180), 1)
    elderly = kind == "elderly"
    woman = sex == "F"

    def some(p: float) -> bool:
        return rng.random() < p

    return Measurements(
        weight_kg=round((height / 100) ** 2 * rng.uniform(16, 35), 1), height_cm=height,
        waist_cm=round(rng.uniform(65, 110), 1), systolic_mmhg=rng.randint(100, 200),
        diastolic_mmhg=rng.randint(60, 99), glucose_mg_dl=float(rng.randint(70, 320)),
        glucose_fasting=rng.random() < 0.3, cough_weeks=rng.choice([None, 0, 1, 3]),
        tb_symptoms=rng.sample(_SYMPTOMS[:4], rng.randint(0, 2)), puma_score=rng.randint(0, 9),
        srq20_score=rng.randint(0, 12), srq20_item17=rng.random() < 0.03,
        adl_barthel=rng.randint(8, 20) if elderly else None,
        skilas_positive_domains=rng.sample(["cognition", "mobility", "vision"], rng.randint(0, 2)) if elderly else None,
        hb_g_dl=round(rng.gauss(13, 1.5), 1) if some(0.3) else None,
        cholesterol_total_mg_dl=round(rng.gauss(190, 35)) if some(0.2) else None,
        cvd_risk_percent=rng.choices([2.0, 7.0, 15.0, 25.0], [60, 25, 10, 5])[0] if some(0.1) else None,
        smoker=rng.random() < (0.6 if sex == "M" else 0.03) if some(0.5) else None,
        visual_acuity=rng.choices(["6/6", "6/9", "6/12", "6/18", "6/60"], [70, 15, 8, 5, 2])[0] if some(0.25) else None,
        whisper_test_passed=rng.random() > 0.03 if some(0.15) else None,
        iva_result=rng.choices(["negative", "positive"], [97, 3])[0] if woman and some(0.05) else None,
        sadanis_result="normal" if woman and some(0.05) else None,
        muac_cm=round(rng.uniform(21, 30), 1) if woman and not elderly and some(0.2) else None,
        pre_pregnancy={"status": "catin", "living_children": 0} if woman and not elderly and some(0.05) else None,
        skilas={"recall_words": 3 if rng.random() < 0.85 else 2, "orientation_correct": rng.random() < 0.95,
                "chair_rise_seconds": round(rng.gauss(11, 2.5), 1), "weight_loss_3kg": rng.random() < 0.05,
                "appetite_loss": rng.random() < 0.05, "sad_or_hopeless": rng.random() < 0.05}
        if elderly and some(0.5) else None,
        amt_score=rng.choices([10, 9, 8, 6, 3], [50, 25, 12, 10, 3])[0] if elderly and some(0.3) else None,
        gds4_score=rng.choices([0, 1, 2], [80, 12, 8])[0] if elderly and some(0.3) else None,
        mna_sf_score=rng.choices([14, 13, 12, 10, 6], [40, 25, 15, 15, 5])[0] if elderly and some(0.3) else None,
    )


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
            newborn = Newborn(birth_weight_g=rng.randint(1800, 4200), shk=rng.choice([None, "normal", "not_done"]))
            now = ("hb0",) if age < 2 else ()
        stage = "under_five"
    elif kind == "pregnant":
        age, sex, stage = rng.randint(16 * 365, 44 * 365), "F", "pregnancy"
        preg, m, history = _pregnant(rng, vid)
    elif kind == "postpartum":
        age, sex, stage = rng.randint(18 * 365 + 5, 40 * 365), "F", "adult"
        m = Measurements(postpartum_days=rng.randint(0, 42), hb_g_dl=round(rng.uniform(9, 14), 1),
                         systolic_mmhg=rng.randint(100, 150), diastolic_mmhg=rng.randint(60, 95),
                         postpartum_danger_signs=["fever"] if rng.random() < 0.02 else None)
        history = History(services=(ServiceRecord("kf", _ON - timedelta(days=rng.randint(1, 20)), "1"),))
    elif kind == "school":
        age, stage = rng.randint(6 * 365, 17 * 365), "school_age"
        years = age / 365.25
        height = round(110 + (years - 6) * 5.5 + rng.gauss(0, 6), 1)
        m = Measurements(weight_kg=round(max(12.0, (height / 100) ** 2 * rng.uniform(13, 27)), 1),
                         height_cm=height, hb_g_dl=round(rng.uniform(9, 15), 1) if rng.random() < 0.5 else None,
                         systolic_mmhg=rng.randint(90, 145), diastolic_mmhg=rng.randint(50, 89),
                         school_grade=min(12, max(1, int(years) - 5)), ttd_tablets=1 if rng.random() < 0.7 else 0,
                         sdq_score=max(0, round(rng.gauss(9, 5))),
                         visual_acuity=rng.choices(["6/6", "6/9", "6/12", "6/18"], [80, 10, 6, 4])[0],
                         whisper_test_passed=rng.random() > 0.02, smoker=rng.random() < 0.07)
        history = History(services=(ServiceRecord("ttd", _ON - timedelta(days=rng.randint(1, 60)), "1"),))
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
    load on a shared machine does not decide the figure.
    """
    pool = make_visits(min(max(n, 1), 2000))
    size = len(pool)
    for visit, history in pool[:200]:  # warm up
        evaluate(visit, history)
    chunks = max(1, min(5, n))
    rates = []
    done = 0
    for k in range(chunks):
        count = (n - done) // (chunks - k)
        start = time.perf_counter()
        for i in range(done, done + count):
            visit, history = pool[i % size]
            evaluate(visit, history)
        elapsed = time.perf_counter() - start
        done += count
        rates.append(count / elapsed if elapsed > 0 else float("inf"))
    return statistics.median(rates)


if __name__ == "__main__":
    print(f"{bench_evaluate(100_000):,.0f} visits/s")
