"""Ground truth: the indicator values the dashboard should show, computed from the generated records.

Over 300 lines on purpose: every indicator's ground truth in one place, next to the others it must agree with.

Independent of the services: it reads only what was sent (the intake JSON of each emission) and the
simulator's own bookkeeping of which messages were invalid. It follows the contract's definitions
(contracts.md, Dashboard): ``visits`` counts accepted visits per (village, month of ``occurred_at`` in
its own offset); the other indicators are person-level — a person counts once per period, by their
latest qualifying measurement in that period. Persons are identified like registration does: by NIK,
or for a child without one by (mother's NIK, birth date, sex). "People >= 15 y" is age in days
>= 15 x 365.25 at the visit date; "under-five" is the life-cycle stage of ``shared.lifecycle``.

Measurement-based indicators (always): visits, children_weighed (denominator: the village's
under-five target of that year), hypertension (pregnant women included), diabetes, anemia_pregnancy,
kek_pregnancy, tb_presumptive (a count of persons: the juknis criteria as the contract's correction
states them — cough >= 2 weeks at any age; under 6 years also fever >= 2 weeks, weight loss or no gain
(2T over the child's monthly weighings sent before the visit), lethargy, enlarged lymph nodes; from 6
years a shorter cough with another TB symptom), and the two coverage indicators the dashboard adds —
pregnant_served (pregnant women with a standard ANC contact — ``pregnancy.anc`` present; a kader's
visit is none — / pregnant target) and bp_screened (people >= 15 y with BP measured
/ adult_15_59 + elderly targets); low_birth_weight (under-fives whose visit carries ``newborn.birth_weight_g``:
< 2,500 g / those with one), development_screened (under-fives with a ``development.kpsp`` result / under-five
target) and vitamin_a (under-fives 6-59 completed months with ``measurements.vitamin_a_given`` true /
under-five target) — each person once a month, the monthly cell only; anc_k1, anc_k1_murni, anc_k4 and
anc_k6 (pregnant women whose standard contact numbered 1 — murni: at <= 13 weeks —, resp. the contact
completing K4 — ``anc_visit_number`` 4 or 1-1-2 over the contacts sent — or K6 — ``anc_visit_number`` 6 or
1-2-3 with two doctor contacts — falls in the month / pregnant target; a woman's pregnancy is all her visits
of a run) and triple_elimination_tested (pregnant women whose HIV, syphilis and HBsAg results are all sent
by this visit's day and were not all by an earlier day / pregnant target).

Extension indicators (docs/simulator.md, "Ground truth"): kn_complete, kf_complete, delivery_facility,
immunization_complete and the SPM services count a person in the month the milestone or service happens
(true only; never a "false" that could replace it); tb_examined and SKDN N/D, T/D, 2T/D, BGM/D are judged
among those measured (D: every weighed under-five); skdn_k_s is cumulative (under-fives seen since January:
the monthly cell is the year to date, as the dashboard shows it) and skdn_d_k divides the month's D by it.
Whatever reads a person's history (KN, KF, delivery, TB test, weighings, doses) reads the visits sent before,
as screening received them. Stunting, wasting, underweight, severe_wasting and bgm need WHO z-scores: computed here with
``pygrowup``'s own code under WHO's prevalence rules (:mod:`simulator.anthropometry`), never with the
screening service's; ``zscores=None`` leaves them out (``"zscore_source": null``).

Nothing here imports a service: the thresholds are the contract's, restated as the independent check
of what the services compute; the published reference tables come from their one copy (the WHO tables
in ``pygrowup``, the KBM in ``shared.kms``).

Invalid messages are excluded and counted by reason; a repeated ``visit_id`` counts once (the first
occurrence), the rest are counted as duplicates.

``signals`` lists the outbreak signals surveillance's default rules should raise for the accepted
visits' syndromes and diagnoses (:mod:`simulator.skdr`).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from shared.lifecycle import age_months, stage_for
from simulator import anthropometry
from simulator.faults import SCHEMA_DEFECTS, SEMANTIC_DEFECTS, Emission
from simulator.population import village_targets
from simulator.skdr import ExpectedSignals

ADULT_AGE_DAYS = 15 * 365.25
INDICATORS = ("visits", "children_weighed", "underweight", "stunting", "wasting", "anemia_pregnancy",
              "kek_pregnancy", "hypertension", "diabetes", "tb_presumptive", "pregnant_served", "bp_screened",
              "low_birth_weight", "vitamin_a", "development_screened", "anc_k1", "anc_k4", "anc_k1_murni", "anc_k6",
              "triple_elimination_tested", "kf_complete", "kn_complete", "immunization_complete", "skdn_k_s",
              "skdn_d_k", "skdn_n_d", "skdn_t", "skdn_2t", "bgm", "severe_wasting", "ttd_adolescent_girls",
              "delivery_facility", "tb_examined", "spm_productive_screened", "spm_elderly_screened",
              "spm_hypertension_care", "spm_diabetes_care")
MEASURED = ("underweight", "stunting", "wasting", "anemia_pregnancy", "kek_pregnancy", "hypertension", "diabetes",
            "low_birth_weight", "skdn_n_d", "skdn_t", "skdn_2t", "bgm", "severe_wasting", "tb_examined")
# K (SKDN): cumulative by definition — the monthly cell is January up to the month; D/K divides by it
CUMULATIVE = ("skdn_k_s",)
OF_CUMULATIVE = {"skdn_d_k": ("children_weighed", "skdn_k_s")}  # indicator -> (its numerator's, its denominator's)
# indicator -> target groups whose sum is its denominator (sasaran)
TARGET_BASE = {"children_weighed": ("under_five",), "pregnant_served": ("pregnant",),
               "bp_screened": ("adult_15_59", "elderly"), "vitamin_a": ("under_five",),
               "development_screened": ("under_five",), "anc_k1": ("pregnant",), "anc_k4": ("pregnant",),
               "anc_k1_murni": ("pregnant",), "anc_k6": ("pregnant",), "triple_elimination_tested": ("pregnant",),
               "kf_complete": ("maternal",), "kn_complete": ("newborn",), "immunization_complete": ("infant",),
               "skdn_k_s": ("under_five",), "ttd_adolescent_girls": ("adolescent_girl",),
               "delivery_facility": ("maternal",), "spm_productive_screened": ("adult_15_59",),
               "spm_elderly_screened": ("elderly",), "spm_hypertension_care": ("hypertension_estimated",),
               "spm_diabetes_care": ("diabetes_estimated",)}
TRIPLE = frozenset(("hiv", "syphilis", "hbsag"))
LOW_BIRTH_WEIGHT_G = 2500  # BBLR: birth weight < 2,500 g [ILP-T 03-bblr]
VITAMIN_A_BAND = (6, 59)  # completed months, both included [ILP-T 07-vitamin-a]
# KN1 0-2 days of age, KN2 3-7, KN3 8-28 [ILP-T 01-neonatal]; KF1 0-2 days after delivery, KF2 3-7, KF3 8-28,
# KF4 29-42 [ILP-T 05-pelayanan-nifas]: (number, first day, last day)
KN_WINDOWS = ((1, 0, 2), (2, 3, 7), (3, 8, 28))
KF_WINDOWS = ((1, 0, 2), (2, 3, 7), (3, 8, 28), (4, 29, 42))
NIFAS_DAYS = 42  # the postpartum period [ILP-T 05-pelayanan-nifas]
# IDL: HB0, BCG, OPV1-4, DPT-HB-Hib1-3, IPV1, MR1, before the first birthday (contracts.md; ilp-domain §9.2 [S21])
IDL = frozenset(("hb0", "bcg", "opv1", "opv2", "opv3", "opv4", "dpt_hb_hib1", "dpt_hb_hib2", "dpt_hb_hib3", "ipv1",
                 "mr1"))
FACILITY_PLACES = frozenset(("hospital", "puskesmas", "pustu", "clinic", "midwife_practice"))  # fasyankes [PMK4-2019]
HEALTH_FACILITY_POINTS = frozenset(("pustu", "puskesmas", "rs"))  # "di fasilitas pelayanan kesehatan" [PMK4-2019]
HYPERTENSION_ICD10 = frozenset(("I10", "I11", "I12", "I13", "I15"))  # hypertensive diseases
DIABETES_ICD10 = frozenset(("E10", "E11", "E12", "E13", "E14"))  # diabetes mellitus
PRODUCTIVE_AGE_DAYS = (15 * 365.25, 60 * 365.25)  # usia produktif 15-59 y [PMK4-2019]
ELDERLY_AGE_DAYS = 60 * 365.25  # lansia >= 60 y [PMK4-2019]
ADOLESCENT_AGE_DAYS = (10 * 365.25, 18 * 365.25)  # remaja 10 to < 18 y [ILP-T 03-anak-sekolah-remaja]
TB_TEST_DAYS = 30  # a TB examination this recent answers a presumptive visit (docs/dashboard.md, SPM)
SEVERE_Z = -3.0  # gizi buruk: weight-for-length/height below -3 SD [PMK2-FLIP]; BGM: weight-for-age below -3 SD


def window_number(windows: tuple[tuple[int, int, int], ...], day: int | None) -> int | None:
    """The visit number whose window holds ``day`` (days of age, or since delivery)."""
    if day is None:
        return None
    for number, first, last in windows:
        if first <= day <= last:
            return number
    return None


def completes(records: Iterable[tuple[date, Any]], on: date, now: set, needed: frozenset,
              since: date | None = None) -> bool:
    """Whether a visit on ``on`` with the values ``now`` completes ``needed``: the values recorded (sent before)
    from ``since`` up to ``on`` together with ``now`` hold them all, those of earlier days did not."""
    before: set = set()
    upto: set = set(now)
    for day, value in records:
        if day > on or (since is not None and day < since):
            continue
        upto.add(value)
        if day < on:
            before.add(value)
    return bool(now) and upto >= needed and not before >= needed


def contract_trimester(weeks: int) -> int:
    """The contract's trimesters for the K milestones: 1 up to 13 weeks, 2 = 14-27, 3 = 28 and later."""
    return 1 if weeks <= 13 else 2 if weeks <= 27 else 3


def k4_rule(weeks: Iterable[int]) -> bool:
    """K4 (1-1-2): >= 4 contacts with >= 1 in trimester 1, >= 1 in trimester 2 and >= 2 in trimester 3."""
    t = Counter(contract_trimester(w) for w in weeks)
    return sum(t.values()) >= 4 and t[1] >= 1 and t[2] >= 1 and t[3] >= 2


def k6_rule(contacts: Iterable[tuple[int, str]]) -> bool:
    """K6: >= 6 contacts with >= 1, 2 and 3 in trimesters 1, 2 and 3 and >= 2 by a doctor ((weeks, by) pairs)."""
    contacts = list(contacts)
    t = Counter(contract_trimester(w) for w, _ in contacts)
    doctors = sum(1 for _, by in contacts if by == "doctor")
    return len(contacts) >= 6 and t[1] >= 1 and t[2] >= 2 and t[3] >= 3 and doctors >= 2
ZSCORE_INDICATORS = {"underweight": 0, "stunting": 1, "wasting": 2}  # index in the z-score function's result
NEEDS_Z = frozenset(ZSCORE_INDICATORS) | {"severe_wasting", "bgm"}  # left out without a z-score function
CHILD_TB_STAGES = ("under_five", "preschool")  # under 6 years: the children's TB criteria [ILP-T 10-skrining-tb]
CHILD_TB_SYMPTOMS = {"weight_loss", "fever", "malaise", "lymph_node"}
# [ILP-T remaja 02-skrining-tb; dewasa 10-skrining-tb] from 6 years: a cough with one of these is presumptive too
TB_COMPANIONS = {"weight_loss", "appetite_loss", "fever", "malaise", "night_sweats", "dyspnoea", "lymph_node",
                 "haemoptysis"}


def default_zscore_function() -> tuple[Callable | None, str | None]:
    """WHO 2006 z-scores by pygrowup (the simulator's own, not the screening service's)."""
    try:
        import pygrowup  # noqa: F401
    except ImportError:
        return None, None
    return anthropometry.who2006, anthropometry.ZSCORE_SOURCE


def tb_verdict(m: dict, stage: Callable[[], str], two_t: Callable[[], bool]) -> bool | None:
    """Presumptive TB at one visit (None: no TB screening input and no 2T); ``stage`` and ``two_t`` on demand."""
    cough, fever, symptoms, contact = (m.get(k) for k in ("cough_weeks", "fever_weeks", "tb_symptoms", "tb_contact"))
    given = cough is not None or fever is not None or symptoms is not None or contact is not None
    if cough is not None and cough >= 2:
        return True
    if symptoms or fever:
        if stage() in CHILD_TB_STAGES:
            if (fever is not None and fever >= 2) or set(symptoms or ()) & CHILD_TB_SYMPTOMS:
                return True
        elif cough and (set(symptoms or ()) & TB_COMPANIONS or fever):
            return True
    if two_t():
        return True
    return False if given else None


def percentage(numerator: int, denominator: int | None) -> float | None:
    if not denominator:
        return None
    return round(100.0 * numerator / denominator, 1)


class Truth:
    """Accumulates emissions (in any order) and reports the expected indicators."""

    def __init__(self, targets: dict[tuple[str, int], dict[str, int]] | None = None, *,
                 zscores: Callable | None | str = "auto", catchment: dict[str, str] | None = None) -> None:
        """``targets``: sasaran by (village, year) -> {group: count}; ``zscores``: who2006-like function, None,
        or "auto"; ``catchment``: village -> Puskesmas facility id (for the Puskesmas-area signals)."""
        self.targets = targets or {}
        self.signals = ExpectedSignals(catchment)
        if zscores == "auto":
            self.z, self.z_source = default_zscore_function()
        else:
            self.z, self.z_source = zscores, (getattr(zscores, "__module__", "custom") if zscores else None)
        self.seen: set[str] = set()
        self.weighings: dict[tuple, list[tuple[date, float]]] = {}  # child -> weighings sent so far
        # pregnant woman -> (contact day -> gestational weeks, milestones reached); one pregnancy per woman a run
        self.pregnancies: dict[tuple, tuple[dict[date, tuple[int, str]], set[str]]] = {}
        self.triple: dict[tuple, dict[date, set[str]]] = {}  # pregnant woman -> day -> triple tests with a result
        # person -> kind ("kn", "kf", "delivery", "tb_test", "dose") -> [(day, value)] of the visits sent so far
        self.records: dict[tuple, dict[str, list[tuple[date, Any]]]] = {}
        self.known: dict[tuple[str, int], dict[tuple, str]] = {}  # K: (village, year) -> under-five -> first month
        self.counts: Counter[str] = Counter()
        self.invalid: Counter[str] = Counter()
        self.warnings: Counter[str] = Counter()
        self.visits: Counter[tuple[str, str]] = Counter()
        self.by_point: Counter[str] = Counter()
        # indicator -> (village, period) -> person -> (occurred timestamp, positive)
        self.latest: dict[str, dict[tuple[str, str], dict[tuple, tuple[float, bool]]]] = {i: {} for i in INDICATORS[1:]}

    @classmethod
    def for_network(cls, network, years: Iterable[int], **kwargs: Any) -> "Truth":  # noqa: ANN001
        targets = {}
        for v, pop in zip(network.villages, network.populations):
            for year in years:
                targets[(v.code, year)] = village_targets(pop).as_dict()
        catchment = {village: p.facility_id for p in network.puskesmas for village in p.villages}
        return cls(targets, catchment=catchment, **kwargs)

    # ------------------------------------------------------------------ input
    def add(self, e: Emission) -> None:
        self.counts["messages"] += 1
        if e.kind == "invalid":
            self.counts["invalid"] += 1
            self.invalid[e.reason or "unknown"] += 1
            return
        body = e.body
        assert isinstance(body, dict)
        vid = body["visit_id"]
        if vid in self.seen:
            self.counts["duplicates"] += 1
            return
        self.seen.add(vid)
        self.counts["accepted"] += 1
        if e.reason:
            self.warnings[e.reason] += 1
        self.add_visit(body)

    def add_visit(self, v: dict) -> None:
        """Count one accepted visit (the intake JSON)."""
        occurred = v["occurred_at"]
        period = occurred[:7]
        person = v["person"]
        village = person["village_code"]
        cell = (village, period)
        self.visits[cell] += 1
        self.by_point[v["service_point"]] += 1
        ts = datetime.fromisoformat(occurred).timestamp()
        on = date.fromisoformat(occurred[:10])
        born = date.fromisoformat(person["birth_date"])
        age_days = (on - born).days
        pregnant = v.get("pregnancy") is not None
        if pregnant:
            stage = "pregnancy"
        elif age_days < 1800:  # surely under 60 completed months; near the boundary ask shared.lifecycle
            stage = "under_five"
        elif age_days > 1900:
            stage = "older"
        else:
            stage = stage_for(born, on, pregnant)
        key = ("n", person["nik"]) if person.get("nik") else ("c", person.get("mother_nik"), person["birth_date"],
                                                               person["sex"])
        self.signals.add(v, key)
        m = v.get("measurements") or {}
        judged: list[tuple[str, bool]] = []
        weight = m.get("weight_kg")
        if stage == "under_five" and weight is not None:
            judged.append(("children_weighed", True))
        if stage == "under_five":
            bw = (v.get("newborn") or {}).get("birth_weight_g")
            if bw is not None:
                judged.append(("low_birth_weight", bw < LOW_BIRTH_WEIGHT_G))
            if (v.get("development") or {}).get("kpsp") is not None:
                judged.append(("development_screened", True))
            if m.get("vitamin_a_given") and VITAMIN_A_BAND[0] <= age_months(born, on) <= VITAMIN_A_BAND[1]:
                judged.append(("vitamin_a", True))
        labs = (v.get("pregnancy") or {}).get("labs") or {}
        tested = {t for t in TRIPLE if labs.get(t) is not None}
        if pregnant and tested:  # complete when this day's tests make all three, earlier days' did not
            days = self.triple.setdefault(key, {})
            before = set().union(*(ts for d, ts in days.items() if d < on))
            days.setdefault(on, set()).update(tested)
            upto = before | days[on]
            if upto >= TRIPLE and not before >= TRIPLE:
                judged.append(("triple_elimination_tested", True))
        if pregnant and (v.get("pregnancy") or {}).get("anc") is not None:  # a standard ANC contact only
            judged.append(("pregnant_served", True))
            judged.extend(self._anc_milestones(key, on, v["pregnancy"]))
        if age_days >= ADULT_AGE_DAYS:
            if m.get("systolic_mmhg") is not None and m.get("diastolic_mmhg") is not None:
                judged.append(("hypertension", m["systolic_mmhg"] >= 140 or m["diastolic_mmhg"] >= 90))
                judged.append(("bp_screened", True))
            if m.get("glucose_mg_dl") is not None:
                judged.append(("diabetes", m["glucose_mg_dl"] >= (126 if m.get("glucose_fasting") else 200)))
        if pregnant:
            if m.get("hb_g_dl") is not None:
                judged.append(("anemia_pregnancy", m["hb_g_dl"] < 11.0))
            if m.get("muac_cm") is not None:
                judged.append(("kek_pregnancy", m["muac_cm"] < 23.5))
        earlier = self.weighings.get(key, ()) if stage == "under_five" else ()
        tb = tb_verdict(m, lambda: stage_for(born, on, pregnant),
                        lambda: bool(earlier) and weight is not None and not m.get("oedema")
                        and anthropometry.two_t(born, on, weight, earlier))
        if tb is not None:
            judged.append(("tb_presumptive", tb))
        if stage == "under_five" and weight is not None:
            self.weighings.setdefault(key, []).append((on, weight))
        records = self.records.setdefault(key, {})
        if stage == "under_five":
            judged.extend(self._under_five(v, key, cell, on, born, age_days, weight, earlier, records))
        judged.extend(self._services(v, stage, on, age_days, tb, records))
        if self.z is not None and stage == "under_five":
            z = self.z(person["sex"], age_days, weight, m.get("height_cm"), m.get("measured_lying"), m.get("muac_cm"),
                       m.get("oedema"))
            judged.extend(anthropometry.prevalence_verdicts(z[:3], m.get("oedema")).items())
            wflh = z[2]
            if m.get("oedema"):
                judged.append(("severe_wasting", True))
            elif wflh is not None and anthropometry.PLAUSIBLE["wflh"][0] <= wflh <= anthropometry.PLAUSIBLE["wflh"][1]:
                judged.append(("severe_wasting", wflh < SEVERE_Z))
            if weight is not None:  # BGM/D: every weighed child is in D; below the red line when WAZ < -3 (plausible)
                wfa = z[0]
                low, high = anthropometry.PLAUSIBLE["wfa"]
                judged.append(("bgm", wfa is not None and low <= wfa <= high and wfa < SEVERE_Z))
        for name, positive in judged:
            people = self.latest[name].setdefault(cell, {})
            old = people.get(key)
            if old is None or ts >= old[0]:
                people[key] = (ts, positive)

    def _under_five(self, v: dict, key: tuple, cell: tuple[str, str], on: date, born: date, age_days: int,
                    weight: float | None, earlier: Iterable[tuple[date, float]],
                    records: dict[str, list]) -> list[tuple[str, bool]]:
        """KN lengkap, IDL, K (SKDN) and N/T/2T of an under-five's visit."""
        out: list[tuple[str, bool]] = []
        m = v.get("measurements") or {}
        known = self.known.setdefault((cell[0], on.year), {})
        if key not in known or cell[1] < known[key]:
            known[key] = cell[1]
        newborn = v.get("newborn")
        if newborn is not None:
            kn = newborn.get("neonatal_visit") or window_number(KN_WINDOWS, age_days)
            if kn is not None:
                if completes(records.get("kn", ()), on, {kn}, frozenset((1, 2, 3))):
                    out.append(("kn_complete", True))
                records.setdefault("kn", []).append((on, kn))
        doses = set(v.get("immunizations") or ())
        if doses:  # IDL complete: a dose now completes the set, before the first birthday
            given = {a for d, a in records.get("dose", ()) if d <= on}
            if (given | doses) >= IDL and not given >= IDL and age_months(born, on) < 12:
                out.append(("immunization_complete", True))
            records.setdefault("dose", []).extend((on, a) for a in doses)
        if weight is not None:  # D: N, T (and 2T) against the last weighing of the previous calendar month
            trend = None if m.get("oedema") else anthropometry.trend(born, on, weight, list(earlier))
            out.append(("skdn_n_d", trend is not None and trend[0] == "N"))
            out.append(("skdn_t", trend is not None and trend[0] == "T"))
            out.append(("skdn_2t", trend is not None and trend[1]))
        return out

    @staticmethod
    def _services(v: dict, stage: str, on: date, age_days: int, tb: bool | None,
                  records: dict[str, list]) -> list[tuple[str, bool]]:
        """KF lengkap, delivery at a facility, TTD for adolescent girls, TB examined and the SPM services."""
        out: list[tuple[str, bool]] = []
        m = v.get("measurements") or {}
        female = v["person"]["sex"] == "F"
        pp_days, pp_visit = m.get("postpartum_days"), m.get("postpartum_visit")
        if female and (pp_days is not None or pp_visit is not None):
            kf = pp_visit or window_number(KF_WINDOWS, pp_days)
            if kf is not None:
                since = on - timedelta(days=pp_days if pp_days is not None else NIFAS_DAYS)
                if completes(records.get("kf", ()), on, {kf}, frozenset((1, 2, 3, 4)), since):
                    out.append(("kf_complete", True))
                records.setdefault("kf", []).append((on, kf))
        delivery = m.get("delivery")
        if female and delivery is not None:
            first = not any(0 <= (on - d).days <= NIFAS_DAYS for d, _ in records.get("delivery", ()))
            if first and delivery["place"] in FACILITY_PLACES:
                out.append(("delivery_facility", True))
            records.setdefault("delivery", []).append((on, delivery["place"]))
        tablets = m.get("ttd_tablets")
        if female and tablets and stage != "pregnancy" and v.get("pregnancy") is None \
                and ADOLESCENT_AGE_DAYS[0] <= age_days < ADOLESCENT_AGE_DAYS[1]:
            out.append(("ttd_adolescent_girls", True))
        tested = m.get("tb_test") is not None
        if tested or tb:
            out.append(("tb_examined", tested or any(0 <= (on - d).days <= TB_TEST_DAYS
                                                     for d, _ in records.get("tb_test", ()))))
        if tested:
            records.setdefault("tb_test", []).append((on, m["tb_test"]["method"]))
        bp = m.get("systolic_mmhg") is not None and m.get("diastolic_mmhg") is not None
        glucose = m.get("glucose_mg_dl") is not None
        has = m.get
        if PRODUCTIVE_AGE_DAYS[0] <= age_days < PRODUCTIVE_AGE_DAYS[1]:
            if bp and glucose and all(has(f) is not None for f in ("weight_kg", "height_cm", "waist_cm")):
                out.append(("spm_productive_screened", True))
        elif age_days >= ELDERLY_AGE_DAYS:
            mental = has("skilas_positive_domains") is not None or has("skilas") is not None or (
                (has("amt_score") is not None or has("mini_cog_score") is not None) and has("gds4_score") is not None)
            body = has("weight_kg") is not None and has("waist_cm") is not None and (
                has("height_cm") is not None or has("muac_cm") is not None)
            if bp and glucose and body and mental and has("cholesterol_total_mg_dl") is not None \
                    and has("adl_barthel") is not None:
                out.append(("spm_elderly_screened", True))
        if age_days >= ADULT_AGE_DAYS and v["service_point"] in HEALTH_FACILITY_POINTS:
            coded = {c[:3] for c in v.get("diagnoses") or ()}
            if bp and (m["systolic_mmhg"] >= 140 or m["diastolic_mmhg"] >= 90 or coded & HYPERTENSION_ICD10):
                out.append(("spm_hypertension_care", True))
            if glucose and (m["glucose_mg_dl"] >= (126 if m.get("glucose_fasting") else 200)
                            or coded & DIABETES_ICD10):
                out.append(("spm_diabetes_care", True))
        return out

    def _anc_milestones(self, key: tuple, on: date, preg: dict) -> list[tuple[str, bool]]:
        """K1 (and K1 murni), K4 and K6 reached at this standard contact (the contract's rules): the contact's
        K-number is the facility's ``anc_visit_number``, else its place among the pregnancy's contact days; K1
        at K-number 1 (murni when at <= 13 weeks); K4 at ``anc_visit_number`` 4 or when the contacts known so
        far meet 1-1-2; K6 at ``anc_visit_number`` 6 or when they meet 1-2-3 with >= 2 by a doctor; each once
        per pregnancy. A second contact on one day is none (the simulator sends none)."""
        days, reached = self.pregnancies.setdefault(key, ({}, set()))
        if on in days:
            return []
        weeks = preg["gestational_weeks"]
        days[on] = (weeks, preg["anc"]["by"])
        stated = preg.get("anc_visit_number")
        number = stated or sorted(days).index(on) + 1
        out = []
        if number == 1 and "k1" not in reached:
            reached.add("k1")
            out.append(("anc_k1", True))
            if weeks <= 13:
                out.append(("anc_k1_murni", True))
        if "k4" not in reached and (stated == 4 or k4_rule(w for w, _ in days.values())):
            reached.add("k4")
            out.append(("anc_k4", True))
        if "k6" not in reached and (stated == 6 or k6_rule(days.values())):
            reached.add("k6")
            out.append(("anc_k6", True))
        return out

    # ------------------------------------------------------------------ output
    def cells(self) -> dict[str, dict[str, dict[str, dict]]]:
        """period -> village -> indicator -> {"numerator", "denominator", "value"}."""
        raw: dict[str, dict[str, dict[str, list[int | None]]]] = {}
        cells = set(self.visits)
        for per_cell in self.latest.values():
            cells.update(per_cell)
        cells.update((village, first) for (village, _), known in self.known.items() for first in known.values())
        periods = {p for _, p in cells}
        cells.update((village, p) for (village, year) in self.targets for p in periods if int(p[:4]) == year)
        for village, period in cells:
            row = raw.setdefault(period, {}).setdefault(village, {})
            row["visits"] = [self.visits.get((village, period), 0), None]
            known = self.known.get((village, int(period[:4])), {})
            k = sum(1 for first in known.values() if first <= period)  # K: known since January
            for name in INDICATORS[1:]:
                if name in NEEDS_Z and self.z is None:
                    continue
                if name in CUMULATIVE:
                    row[name] = [k, self._target(village, int(period[:4]), name)]
                    continue
                if name in OF_CUMULATIVE:
                    weighed = self.latest[OF_CUMULATIVE[name][0]].get((village, period), {})
                    row[name] = [sum(1 for _, pos in weighed.values() if pos), k]
                    continue
                people = self.latest[name].get((village, period), {})
                positives = sum(1 for _, pos in people.values() if pos)
                if name in TARGET_BASE:
                    row[name] = [positives, self._target(village, int(period[:4]), name)]
                elif name in MEASURED:
                    row[name] = [positives, len(people)]
                else:
                    row[name] = [positives, None]
        return {p: {v: {k: _cell(n, d) for k, (n, d) in row.items()} for v, row in sorted(vs.items())}
                for p, vs in sorted(raw.items())}

    def _target(self, village: str, year: int, indicator: str) -> int | None:
        groups = self.targets.get((village, year))
        if groups is None:
            return None
        return sum(groups.get(g, 0) for g in TARGET_BASE[indicator])

    def result(self, meta: dict | None = None) -> dict:
        periods = {}
        for period, villages in self.cells().items():
            kec: dict[str, dict[str, list]] = {}
            total: dict[str, list] = {}
            for village, row in villages.items():
                for target in (kec.setdefault(village[:8], {}), total):
                    for name, c in row.items():
                        acc = target.setdefault(name, [0, None if c["denominator"] is None else 0])
                        acc[0] += c["numerator"]
                        if c["denominator"] is not None:
                            acc[1] = (acc[1] or 0) + c["denominator"]
            year = int(period[:4])
            if self.targets:  # target denominators of an area: the sum over all its villages
                for name in TARGET_BASE:
                    for code, row in kec.items():
                        if name in row:
                            row[name][1] = sum(self._target(v, y, name) or 0 for (v, y) in self.targets
                                               if y == year and v.startswith(code + "."))
                    if name in total:
                        total[name][1] = sum(self._target(v, y, name) or 0 for (v, y) in self.targets if y == year)
            periods[period] = {
                "total": {k: _cell(n, d) for k, (n, d) in total.items()},
                "kecamatan": {code: {k: _cell(n, d) for k, (n, d) in row.items()} for code, row in sorted(kec.items())},
                "villages": villages,
            }
        schema = sum(n for r, n in self.invalid.items() if r in SCHEMA_DEFECTS)
        semantic = sum(n for r, n in self.invalid.items() if r in SEMANTIC_DEFECTS)
        return {
            "meta": {**(meta or {}), "zscore_source": self.z_source,
                     "indicators": [i for i in INDICATORS if self.z is not None or i not in NEEDS_Z]},
            "counts": {
                "messages": self.counts["messages"],
                "accepted": self.counts["accepted"],
                "duplicates": self.counts["duplicates"],
                "invalid": self.counts["invalid"],
                "invalid_schema": schema,
                "invalid_semantic": semantic,
                "invalid_by_reason": dict(sorted(self.invalid.items())),
                "warnings": dict(sorted(self.warnings.items())),
                "by_service_point": dict(sorted(self.by_point.items())),
            },
            "periods": periods,
            "signals": self.signals.result(),
        }

    def write(self, path: str | Path, meta: dict | None = None) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(self.result(meta), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def _cell(numerator: int, denominator: int | None) -> dict:
    if denominator is None:
        return {"numerator": numerator, "denominator": None, "value": numerator}
    return {"numerator": numerator, "denominator": denominator, "value": percentage(numerator, denominator)}
