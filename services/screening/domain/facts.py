"""The per-visit facts the PWS dashboard counts (``VisitScreened.facts``), as a JSON-ready dict.

Over 300 lines on purpose: every verdict the dashboard counts is computed here once, so the definitions
sit side by side with their sources.

One copy of each threshold: the v1 PWS verdicts keep the contract's fixed definitions (contracts.md), which
differ on purpose from screening's clinical rules:

* ``hypertension``: >= 15 years (15 x 365.25 days, as the dashboard and simulator count), 140/90, pregnant
  women included; the clinical rules use the adolescent table at 13-17, ``HT`` from 18 and the pregnancy rules.
* ``diabetes``: >= 15 years, random >= 200 or fasting >= 126 mg/dL, pregnant women included; in pregnancy the
  clinical rules also flag GDM (WHO 2013).
* ``anemia_pregnancy``: Hb < 11 g/dL unadjusted, whatever ``anaemia_reference`` (WHO 2024: 10.5 in trimester 2)
  and the elevation/smoking adjustment.
* ``kek_pregnancy``: MUAC < 23.5 cm (same as ``KEK``).
* ``tb_presumptive``: screening's own TB criteria (contract correction), ``None`` without a TB input.
* ``underweight`` / ``stunting`` / ``wasting``: WHO prevalence rules (implausible z-scores not counted; oedema
  counts < -3 SD in the weight-based two), under-five stage only.

The SPM verdicts (Permenkes 4/2019, Standar Pelayanan Minimal bidang kesehatan; docs/dashboard.md, "SPM"):

* ``spm_productive_screened``: 15 to 59 years (15 x 365.25 <= age < 60 x 365.25 days); True when the screening
  components the SPM usia produktif lists that an intake field records were measured: weight, height and waist
  (deteksi obesitas), both pressures, blood glucose. False: in the age range, a component missing.
* ``spm_elderly_screened``: >= 60 years; True when the SPM lansia components were recorded: weight, waist and
  height (or MUAC where height cannot be measured, ILP juknis), both pressures, glucose, total cholesterol, ADL
  (kemandirian), and the mental and cognitive screen: SKILAS (its cognition and depression domains), else AMT or
  Mini-Cog together with GDS-4. False: a component missing.
* ``spm_hypertension_care`` / ``spm_diabetes_care``: >= 15 years, BP (glucose) measured at a health facility
  (Pustu, Puskesmas, RS; the SPM counts the measurement "di fasilitas pelayanan kesehatan"); True when the reading
  is in the v1 range (140/90; random 200 / fasting 126 mg/dL) or the visit codes the disease (ICD-10 I10-I15;
  E10-E14), i.e. a sufferer whose standard monitoring took place. A proxy: no intake field records education or
  therapy.
* ``tb_examined``: True when the visit records a TB examination (``measurements.tb_test``), or screening finds the
  person presumptive and an examination was recorded in the 30 days before (the sputum sent at the first visit
  answers a follow-up visit's cough; 30 days is a design choice); False when presumptive without one; None
  otherwise (SPM orang terduga TBC).
* ``services.delivery_facility``: a delivery (``measurements.delivery``) first reported at this visit (no delivery
  recorded on or in the 42 days before, the nifas period: a KF2 repeating the KF1's answer is the same delivery); True
  when its place is a health facility (RS, Puskesmas, Pustu, klinik, praktik mandiri bidan), False at home or
  elsewhere (SPM ibu bersalin: persalinan di fasilitas pelayanan kesehatan).
* ``services.ttd_adolescent_girl``: a girl of 10 to 17 years (10 x 365.25 <= age < 18 x 365.25 days, remaja, ILP
  juknis), not pregnant, with ``ttd_tablets`` recorded: True when > 0.
* ``severe_wasting`` (gizi buruk): weight-for-length/height < -3 SD or oedema, same prevalence rules.

Milestones the dashboard counts "in the period reached" are ``True`` only at the visit that reaches them, judged
against the person's history of earlier dates (``kn_complete``, ``kf_complete``, ``triple_elimination_complete``;
the ANC K-milestones and ``idl_complete`` likewise).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.contracts.intake import FACILITY_DELIVERY_PLACES

from . import anc
from .growth import first_weighing, monthly_trend
from .registry import UNSET, Ctx
from .rules_anc import TRIPLE, anc_state, triple_tested
from .rules_child_services import imm_status
from .rules_newborn import kn_number
from .rules_postpartum import kf_number
from .rules_tb import tb_status

# The v1 PWS definitions (contracts.md, Dashboard; fixed whatever screening's configuration, Corrections to v1).
ADULT_DAYS = 15 * 365.25  # "people >= 15 y": age in days at the visit [ILP-T 02-skrining-hipertensi]
HYPERTENSION_MMHG = (140, 90)  # systolic or diastolic at or above [ILP-T 02-skrining-hipertensi]
DIABETES_MG_DL = (126.0, 200.0)  # fasting, random: at or above [ILP-T 03-skrining-dm]
ANAEMIA_PREGNANCY_HB = 11.0  # g/dL, below [WHO-HB] (WHO 2011)
KEK_MUAC_CM = 23.5  # below [ILP-T 03-pmt-ibu-hamil-kek]
Z_BELOW = -2.0  # underweight, stunting, wasting: z below [PMK2-FLIP]
Z_SEVERE = -3.0  # gizi buruk (severe wasting): weight-for-length/height z below [PMK2-FLIP]
KN_LENGKAP = frozenset({1, 2, 3})  # KN lengkap: KN1, KN2, KN3 [ILP-T 01-neonatal]
KF_LENGKAP = frozenset({1, 2, 3, 4})  # KF lengkap: KF1-KF4 [ILP-T 05-pelayanan-nifas], Permenkes 21/2021
NIFAS_DAYS = 42  # the postpartum period (KF4 29-42 days) [ILP-T 05-pelayanan-nifas]
VITAMIN_A_MONTHS = (6, 59)  # completed months, both included [ILP-T 07-vitamin-a]

# The SPM definitions (Permenkes 4/2019 [PMK4-2019]; ILP juknis [ILP-T]).
PRODUCTIVE_DAYS = (15 * 365.25, 60 * 365.25)  # usia produktif 15-59 y: from 15, below 60 [PMK4-2019]
ELDERLY_DAYS = 60 * 365.25  # lansia: 60 y and older [PMK4-2019; ILP-T 03-klaster-3/index]
ADOLESCENT_DAYS = (10 * 365.25, 18 * 365.25)  # remaja 10 to < 18 y [ILP-T 03-anak-sekolah-remaja/index]
HEALTH_FACILITY = frozenset({"pustu", "puskesmas", "rs"})  # "di fasilitas pelayanan kesehatan" [PMK4-2019]
HYPERTENSION_ICD10 = frozenset({"I10", "I11", "I12", "I13", "I15"})  # hypertensive diseases (ICD-10 I10-I15)
DIABETES_ICD10 = frozenset({"E10", "E11", "E12", "E13", "E14"})  # diabetes mellitus (ICD-10 E10-E14)
NIFAS_DAYS = 42  # postpartum period: a delivery reported again within it is the same delivery [ILP-T 01-ibu-hamil-nifas]
TB_TEST_ANSWERS_DAYS = 30  # an earlier TB examination this recent answers a presumptive visit [design choice]


def _coded(c: Ctx, categories: frozenset[str]) -> bool:
    return any(code[:3] in categories for code in c.visit.diagnoses)


def _examined_before(c: Ctx) -> bool:
    on = c.visit.occurred_on
    return any(r.kind == "tb_test" and 0 <= (on - r.occurred_on).days <= TB_TEST_ANSWERS_DAYS
               for r in c.history.services)


def spm(c: Ctx, hypertensive: bool | None, diabetic: bool | None, tb_presumptive: bool | None) -> dict[str, Any]:
    """The SPM verdicts of this visit (module docstring); ``None`` where the visit does not count."""
    m, age = c.m, c.age_days
    bp = m.systolic_mmhg is not None and m.diastolic_mmhg is not None
    glucose = m.glucose_mg_dl is not None
    productive = elderly = hypertension_care = diabetes_care = None
    if PRODUCTIVE_DAYS[0] <= age < PRODUCTIVE_DAYS[1]:
        productive = bp and glucose and m.weight_kg is not None and m.height_cm is not None and m.waist_cm is not None
    elif age >= ELDERLY_DAYS:
        skilas = m.skilas_positive_domains is not None or m.skilas is not None
        mental = skilas or ((m.amt_score is not None or m.mini_cog_score is not None) and m.gds4_score is not None)
        anthropometry = m.weight_kg is not None and m.waist_cm is not None and (
            m.height_cm is not None or m.muac_cm is not None)
        elderly = (bp and glucose and anthropometry and m.cholesterol_total_mg_dl is not None
                   and m.adl_barthel is not None and mental)
    if age >= ADULT_DAYS and c.visit.service_point in HEALTH_FACILITY:
        if bp:
            hypertension_care = bool(hypertensive) or _coded(c, HYPERTENSION_ICD10)
        if glucose:
            diabetes_care = bool(diabetic) or _coded(c, DIABETES_ICD10)
    examined = True if m.tb_test is not None else (_examined_before(c) if tb_presumptive else None)
    return {"spm_productive_screened": productive, "spm_elderly_screened": elderly,
            "spm_hypertension_care": hypertension_care, "spm_diabetes_care": diabetes_care, "tb_examined": examined}


def pws(c: Ctx) -> dict[str, Any]:
    """The v1 PWS verdicts of this visit."""
    m = c.m
    sbp, dbp, glucose = m.systolic_mmhg, m.diastolic_mmhg, m.glucose_mg_dl
    adult = c.age_days >= ADULT_DAYS
    tb = c.tb
    if tb is UNSET:
        tb = tb_status(c)
    if c.preg is None:
        anemia = kek = None
    else:
        hb, muac = m.hb_g_dl, m.muac_cm
        anemia = hb < ANAEMIA_PREGNANCY_HB if hb is not None else None
        kek = muac < KEK_MUAC_CM if muac is not None else None
    underweight = stunting = wasting = severe = None
    if c.visit.stage == "under_five":
        flags = c.flags
        if m.oedema:
            underweight = wasting = severe = True
        else:
            wfa, wflh = c.wfa, c.wflh
            if wfa is not None and "BIV_WFA" not in flags:
                underweight = wfa < Z_BELOW
            if wflh is not None and "BIV_WFLH" not in flags:
                wasting = wflh < Z_BELOW
                severe = wflh < Z_SEVERE
        lhfa = c.lhfa
        if lhfa is not None and "BIV_LHFA" not in flags:
            stunting = lhfa < Z_BELOW
    hypertension = (sbp >= HYPERTENSION_MMHG[0] or dbp >= HYPERTENSION_MMHG[1]) \
        if adult and sbp is not None and dbp is not None else None
    diabetes = glucose >= DIABETES_MG_DL[0 if m.glucose_fasting else 1] if adult and glucose is not None else None
    presumptive = tb.presumptive if tb.screened else None
    return {
        "hypertension": hypertension, "diabetes": diabetes,
        "anemia_pregnancy": anemia, "kek_pregnancy": kek,
        "tb_presumptive": presumptive,
        "tb_close_contact": tb.close_contact if m.tb_contact is not None else None,
        "underweight": underweight, "stunting": stunting, "wasting": wasting, "severe_wasting": severe,
        **spm(c, hypertension, diabetes, presumptive),
    }


def growth(c: Ctx) -> dict[str, Any] | None:
    """SKDN of an under-five weighing, or None when the child was not weighed."""
    if c.m.weight_kg is None or c.visit.stage != "under_five":
        return None
    trend = c.trend
    if trend is UNSET:
        trend = monthly_trend(c)
    wfa = c.wfa
    if trend is None:
        status = gain = kbm = None
        two_t = False
    else:
        status, two_t, gain, kbm = trend.status, trend.two_t, trend.gain_g, trend.kbm_g
    return {
        "weighed": True, "first_weighing": first_weighing(c), "trend": status, "two_t": two_t,
        "bgm": wfa < -3 if wfa is not None and "BIV_WFA" not in c.flags else None, "gain_g": gain, "kbm_g": kbm,
    }


def antenatal(c: Ctx) -> dict[str, Any] | None:
    s = anc_state(c)
    if s is None:
        return None
    weeks = c.preg.gestational_weeks  # type: ignore[union-attr]
    a = c.preg.anc if s.contact else None  # type: ignore[union-attr]
    t1, t2, t3, doctors = s.tally
    reached = s.milestones
    return {
        "pregnancy_id": s.pregnancy_id, "gestational_weeks": weeks, "trimester": anc.contract_trimester(weeks),
        "contact": s.contact, "contact_number": s.number, "by": a.by if a is not None else None,
        "ultrasound": bool(a is not None and a.ultrasound), "contacts": len(s.contacts),
        "contacts_by_trimester": [t1, t2, t3], "doctor_contacts": doctors,
        "k1": "k1" in reached, "k1_murni": "k1_murni" in reached, "k4": "k4" in reached, "k6": "k6" in reached,
    }


def newborn(c: Ctx) -> dict[str, Any] | None:
    nb = c.visit.newborn
    if nb is None:
        return None
    bw = nb.birth_weight_g
    kn = kn_number(c)
    return {"birth_weight_g": bw, "low_birth_weight": (bw < 2500) if bw is not None else None,
            "neonatal_visit": kn, "shk": nb.shk,
            "kn_complete": _reached(c, "kn", {kn} if kn is not None else set(), KN_LENGKAP, None)}


def _reached(c: Ctx, kind: str, now: set, needed: frozenset, since) -> bool:  # noqa: ANN001
    """Whether this visit completes ``needed``: the values of ``kind`` recorded from ``since`` (a date, or None for
    the whole history) up to this visit's date, this visit's ``now`` included, hold them all, and those of earlier
    dates did not."""
    on = c.visit.occurred_on
    before: set = set()
    upto: set = set(now)
    for r in c.history.services:
        if r.kind != kind or (since is not None and r.occurred_on < since) or r.occurred_on > on:
            continue
        value = int(r.value) if r.value.isdigit() else r.value
        upto.add(value)
        if r.occurred_on < on:
            before.add(value)
    return bool(now) and upto >= needed and not before >= needed


def _triple_complete(c: Ctx, tested: list[str]) -> bool:
    """The third triple elimination test of this pregnancy has its result now (history since conception)."""
    if not tested:
        return False
    s = anc_state(c)
    if s is None:
        return False
    on = c.visit.occurred_on
    before = {r.kind for r in c.history.services
              if r.kind in TRIPLE and s.conception_on <= r.occurred_on < on}
    upto = before | set(tested) | {r.kind for r in c.history.services
                                    if r.kind in TRIPLE and r.occurred_on == on}
    return upto >= set(TRIPLE) and not before >= set(TRIPLE)


def _kf_complete(c: Ctx) -> bool:
    """KF lengkap reached now: KF1-KF4 recorded since this delivery (``postpartum_days`` before the visit, else
    the 42 days of the nifas period), the last now."""
    kf = kf_number(c)
    if kf is None:
        return False
    days = c.m.postpartum_days
    since = c.visit.occurred_on - timedelta(days=days if days is not None else NIFAS_DAYS)
    return _reached(c, "kf", {kf}, KF_LENGKAP, since)


def immunization(c: Ctx) -> dict[str, Any] | None:
    if c.visit.stage != "under_five":
        return None
    s = imm_status(c)
    if s is None:
        return None
    return {"given": list(s.given_now), "idl_complete": s.idl_complete, "idl_complete_late": s.idl_complete_late,
            "due": list(s.due), "overdue": list(s.overdue), "drop_out": bool(s.drop_out),
            "next_due": list(s.next_due), "next_due_on": s.next_due_on.isoformat() if s.next_due_on else None}


def delivery_facility(c: Ctx) -> bool | None:
    """A delivery first reported at this visit: at a health facility? (module docstring)."""
    delivery = c.m.delivery
    if delivery is None or c.visit.sex != "F":
        return None
    on = c.visit.occurred_on
    if any(r.kind == "delivery" and 0 <= (on - r.occurred_on).days <= NIFAS_DAYS for r in c.history.services):
        return None
    return delivery.place in FACILITY_DELIVERY_PLACES


def ttd_adolescent_girl(c: Ctx) -> bool | None:
    """Remaja putri given iron-folic acid tablets (module docstring); None unless a girl 10-17 y, not pregnant,
    with ``ttd_tablets`` recorded."""
    tablets = c.m.ttd_tablets
    if tablets is None or c.visit.sex != "F" or c.preg is not None or c.visit.stage == "pregnancy":
        return None
    return tablets > 0 if ADOLESCENT_DAYS[0] <= c.age_days < ADOLESCENT_DAYS[1] else None


def services(c: Ctx) -> dict[str, Any]:
    m, visit = c.m, c.visit
    dev, preg = visit.development, visit.pregnancy
    tested = triple_tested(c) if preg is not None and preg.labs is not None else []
    low, high = VITAMIN_A_MONTHS
    in_band = visit.stage == "under_five" and low <= c.age_months <= high
    return {
        "vitamin_a": m.vitamin_a_given, "deworming": m.deworming_given, "kpsp": dev.kpsp if dev is not None else None,
        "ttd_tablets": m.ttd_tablets, "ttd_adolescent_girl": ttd_adolescent_girl(c), "hb_tested": m.hb_g_dl is not None,
        "triple_elimination_tested": tested,
        "td_given": "td" in visit.immunizations if visit.immunizations else False,
        "delivery_facility": delivery_facility(c),
        "postpartum_visit": kf_number(c) if m.postpartum_days is not None or m.postpartum_visit is not None else None,
        "triple_elimination_complete": _triple_complete(c, tested),
        "kf_complete": _kf_complete(c) if m.postpartum_days is not None or m.postpartum_visit is not None else False,
        "vitamin_a_6_59": m.vitamin_a_given if in_band else None,
    }


def build(c: Ctx) -> dict[str, Any]:
    """Every fact of the visit (the ``VisitFacts`` schema of shared.contracts.events); blocks by stage."""
    stage = c.visit.stage
    if stage == "under_five":
        return {"pws": pws(c), "growth": growth(c) if c.m.weight_kg is not None else None, "anc": None,
                "newborn": newborn(c) if c.visit.newborn is not None else None,
                "immunization": immunization(c), "services": services(c)}
    if stage == "pregnancy":
        return {"pws": pws(c), "growth": None, "anc": antenatal(c), "newborn": None, "immunization": None,
                "services": services(c)}
    return {"pws": pws(c), "growth": None, "anc": None, "newborn": None, "immunization": None,
            "services": services(c)}
