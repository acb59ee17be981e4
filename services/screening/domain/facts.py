"""The per-visit facts the PWS dashboard counts (``VisitScreened.facts``), as a JSON-ready dict.

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
"""

from __future__ import annotations

from typing import Any

from . import anc
from .growth import first_weighing, monthly_trend
from .registry import Ctx
from .rules_anc import anc_state, triple_tested
from .rules_child_services import imm_status
from .rules_newborn import kn_number
from .rules_postpartum import kf_number
from .rules_tb import tb_status

ADULT_DAYS = 15 * 365.25


def _prevalence(c: Ctx, z: float | None, flag: str, weight_based: bool) -> bool | None:
    if weight_based and c.m.oedema:
        return True
    if z is None or flag in c.flags:
        return None
    return z < -2


def pws(c: Ctx) -> dict[str, Any]:
    """The v1 PWS verdicts of this visit."""
    m = c.m
    sbp, dbp, glucose, hb, muac = m.systolic_mmhg, m.diastolic_mmhg, m.glucose_mg_dl, m.hb_g_dl, m.muac_cm
    adult = c.age_days >= ADULT_DAYS
    pregnant = c.preg is not None
    tb = tb_status(c)
    under_five = c.visit.stage == "under_five"
    return {
        "hypertension": (sbp >= 140 or dbp >= 90) if adult and sbp is not None and dbp is not None else None,
        "diabetes": glucose >= (126 if m.glucose_fasting else 200) if adult and glucose is not None else None,
        "anemia_pregnancy": hb < 11.0 if pregnant and hb is not None else None,
        "kek_pregnancy": muac < 23.5 if pregnant and muac is not None else None,
        "tb_presumptive": tb.presumptive if tb.screened else None,
        "tb_close_contact": tb.close_contact if m.tb_contact is not None else None,
        "underweight": _prevalence(c, c.wfa, "BIV_WFA", True) if under_five else None,
        "stunting": _prevalence(c, c.lhfa, "BIV_LHFA", False) if under_five else None,
        "wasting": _prevalence(c, c.wflh, "BIV_WFLH", True) if under_five else None,
    }


def growth(c: Ctx) -> dict[str, Any] | None:
    """SKDN of an under-five weighing, or None when the child was not weighed."""
    if c.visit.stage != "under_five" or c.m.weight_kg is None:
        return None
    trend = monthly_trend(c)
    usable = c.wfa is not None and "BIV_WFA" not in c.flags
    return {
        "weighed": True, "first_weighing": first_weighing(c),
        "trend": trend.status if trend is not None else None, "two_t": bool(trend and trend.two_t),
        "bgm": (c.wfa < -3) if usable else None,  # type: ignore[operator]
        "gain_g": trend.gain_g if trend is not None else None, "kbm_g": trend.kbm_g if trend is not None else None,
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
    return {"birth_weight_g": bw, "low_birth_weight": (bw < 2500) if bw is not None else None,
            "neonatal_visit": kn_number(c), "shk": nb.shk}


def immunization(c: Ctx) -> dict[str, Any] | None:
    if c.visit.stage != "under_five":
        return None
    s = imm_status(c)
    if s is None:
        return None
    return {"given": list(s.given_now), "idl_complete": s.idl_complete, "idl_complete_late": s.idl_complete_late,
            "due": list(s.due), "overdue": list(s.overdue), "drop_out": bool(s.drop_out),
            "next_due": list(s.next_due), "next_due_on": s.next_due_on.isoformat() if s.next_due_on else None}


def services(c: Ctx) -> dict[str, Any]:
    m, dev = c.m, c.visit.development
    return {
        "vitamin_a": m.vitamin_a_given, "deworming": m.deworming_given, "kpsp": dev.kpsp if dev is not None else None,
        "ttd_tablets": m.ttd_tablets, "hb_tested": m.hb_g_dl is not None, "triple_elimination_tested": triple_tested(c),
        "td_given": "td" in c.visit.immunizations, "postpartum_visit": kf_number(c),
    }


def build(c: Ctx) -> dict[str, Any]:
    """Every fact of the visit (the ``VisitFacts`` schema of shared.contracts.events)."""
    return {"pws": pws(c), "growth": growth(c), "anc": antenatal(c), "newborn": newborn(c),
            "immunization": immunization(c), "services": services(c)}
