"""TB screening at any age (cluster 4): terduga TBC and kontak erat, by the juknis criteria of each age.

[ILP-T 10-skrining-tb] children under 6 (balita and prasekolah): at least one of cough >= 2 weeks not improving;
fever > 2 weeks and/or recurrent; weight loss or no gain in the previous 2 months, or failure to thrive;
lethargy (lesu, less active) -- and extrapulmonary signs such as enlarged lymph nodes.
[ILP-T remaja 02-skrining-tb; dewasa 10-skrining-tb] from 6 years: cough > 2 weeks, or any cough with another
TB symptom (weight loss / no gain / appetite loss, unexplained fever, lethargy, night sweats, dyspnoea,
enlarged lymph nodes). A close contact without symptoms is kontak erat: Puskesmas for TST/IGRA and TPT.
"""

from __future__ import annotations

from dataclasses import dataclass

from .growth import monthly_trend
from .registry import ANY_STAGE, UNSET, Ctx, Finding, family, member

GROUP = "Any age"
CHILD_STAGES = ("under_five", "preschool")
_CHILD_SYMPTOMS = {"weight_loss": "weight loss or no gain", "fever": "fever (TB checklist)",
                   "malaise": "lethargy (lesu)", "lymph_node": "enlarged lymph nodes"}
_COMPANIONS = {"weight_loss", "appetite_loss", "fever", "malaise", "night_sweats", "dyspnoea", "lymph_node",
               "haemoptysis"}


@dataclass(slots=True)
class TbStatus:
    """The TB screening outcome of one visit."""

    screened: bool  # the visit carries a TB screening input (or a 2T trend for a child)
    presumptive: bool
    close_contact: bool
    criteria: tuple[str, ...]


_NOT_SCREENED = TbStatus(False, False, False, ())
_NEGATIVE = TbStatus(True, False, False, ())


def _child_symptoms(symptoms) -> list[str]:  # noqa: ANN001
    return [text for code, text in _CHILD_SYMPTOMS.items() if code in symptoms]


def _status(c: Ctx) -> TbStatus:
    m = c.m
    cough, fever, symptoms, contact = m.cough_weeks, m.fever_weeks, m.tb_symptoms, m.tb_contact
    if not (cough or fever or symptoms or contact):  # the common case: nothing positive recorded
        if c.visit.stage == "under_five" and c.history.weighings:
            trend = monthly_trend(c)
            two_t = trend is not None and trend.two_t
        else:
            two_t = False
        if not two_t:
            given = cough is not None or fever is not None or symptoms is not None or contact is not None
            return _NEGATIVE if given else _NOT_SCREENED
    symptoms, contact = symptoms or (), bool(contact)
    if cough is None and fever is None and m.tb_symptoms is None and m.tb_contact is None and (
            not c.history.weighings or c.visit.stage != "under_five"):
        return _NOT_SCREENED
    criteria: list[str] = []
    stage = c.visit.stage
    if stage in CHILD_STAGES:
        long_cough = cough is not None and cough >= 2
        long_fever = fever is not None and fever >= c.config.tb_child_fever_weeks
        if long_cough or long_fever or symptoms:
            if long_cough:
                criteria.append("cough >= 2 weeks")
            if long_fever:
                criteria.append("fever >= 2 weeks" if c.config.tb_child_fever_weeks == 2.0
                                else f"fever >= {c.config.tb_child_fever_weeks:g} weeks")
            if symptoms:
                criteria += _child_symptoms(symptoms)
        if c.history.weighings and stage == "under_five" and "weight_loss" not in symptoms:
            trend = monthly_trend(c)
            if trend is not None and trend.two_t:
                criteria.append("no weight gain in the previous 2 months (2T)")
        if not criteria:
            given = cough is not None or fever is not None or m.tb_symptoms is not None or m.tb_contact is not None
            return TbStatus(given, False, contact, ())
    else:
        if cough is not None and cough >= 2:
            criteria.append("cough >= 2 weeks")
        elif cough:
            with_cough = sorted(set(symptoms) & _COMPANIONS)
            if fever is not None and fever > 0 and "fever" not in with_cough:
                with_cough.append("fever")
            if with_cough:
                criteria.append("cough with " + ", ".join(with_cough))
    screened = bool(criteria) or cough is not None or fever is not None or m.tb_symptoms is not None \
        or m.tb_contact is not None
    presumptive = bool(criteria)
    return TbStatus(screened, presumptive, contact and not presumptive, tuple(criteria))


def tb_status(c: Ctx) -> TbStatus:
    """The TB screening outcome (memoised); the PWS fact ``tb_presumptive`` reads it too."""
    found = c.tb
    if found is UNSET:
        found = c.tb = _status(c)
    return found


_TB_INPUTS = ("measurements.cough_weeks", "measurements.fever_weeks", "measurements.tb_symptoms",
              "measurements.tb_contact", "measurements.weight_kg", "history.weighings")


@family("tb")
def tb_findings(c: Ctx) -> list[tuple[str, Finding]]:
    """Terduga TBC, or kontak erat without symptoms."""
    status = tb_status(c)
    m = c.m
    if status.presumptive:
        return [("TB_PRESUMPTIVE", ("moderate", "pustu", {
            "criteria": list(status.criteria), "cough_weeks": m.cough_weeks, "fever_weeks": m.fever_weeks,
            "symptoms": sorted(set(m.tb_symptoms or ())), "close_contact": bool(m.tb_contact)}))]
    if status.close_contact:
        return [("TB_CLOSE_CONTACT", ("low", "puskesmas", {"tb_contact": True}))]
    return []


member(
    "TB_PRESUMPTIVE", family="tb", title="Presumptive TB (terduga TBC)", stages=ANY_STAGE, cluster=4, group=GROUP,
    criteria="under 6 years: any one of cough >= 2 weeks, fever >= 2 weeks (or fever on the TB checklist), weight "
    "loss or no gain (or 2T), lethargy, enlarged lymph nodes; from 6 years: cough >= 2 weeks, or cough with another "
    "TB symptom",
    severity="moderate", level="pustu", source="[ILP-T 10-skrining-tb; remaja 02-skrining-tb]", confidence="C",
    inputs=_TB_INPUTS, notes="Two sputum specimens collected at Pustu, TCM at Puskesmas; no sputum: scoring system.",
)
member(
    "TB_CLOSE_CONTACT", family="tb", title="TB close contact without symptoms (kontak erat)", stages=ANY_STAGE,
    cluster=4, group=GROUP, criteria="close or household contact of a TB case, not presumptive", severity="low",
    level="puskesmas", source="[ILP-T 10-skrining-tb; remaja 02-skrining-tb]", confidence="C",
    inputs=("measurements.tb_contact",), notes="Puskesmas observes, tests TB infection (TST/IGRA) and decides on TPT.",
)
