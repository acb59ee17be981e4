"""Women of reproductive age, brides-to-be and couples (WUS, catin, PUS; cluster 3 or 2 by stage): KEK, the
pre-pregnancy ("layak hamil") criteria and the tetanus (Td) status."""

from __future__ import annotations

from . import anaemia
from .registry import PREGNANCY, WOMEN_15_49, Ctx, Finding, rule

GROUP = "Adults and elderly (usia dewasa & lansia)"


def _wus(c: Ctx) -> bool:
    return c.sex == "F" and 15 <= c.age_years <= 49 and c.preg is None


@rule(
    "KEK_WUS", title="Chronic energy deficiency risk, woman of reproductive age (risiko KEK WUS / catin)",
    stages=WOMEN_15_49, cluster=None, group=GROUP, criteria="non-pregnant woman 15-49 y: MUAC (LiLA) < 23.5 cm",
    severity="low; moderate for a catin or PUS", level="puskesmas", inputs=("measurements.muac_cm",),
    source="[ILP-T 01-catin; 02-skrining-layak-hamil] (LiLA of catin; ALKI: LiLA < 23.5 cm)", confidence="C",
    notes="Nutrition counselling before pregnancy.",
)
def kek_wus(c: Ctx) -> Finding | None:
    muac = c.m.muac_cm
    if muac is None or muac >= 23.5 or not _wus(c):
        return None
    pre = c.m.pre_pregnancy
    return ("moderate" if pre is not None else "low"), "puskesmas", {
        "muac_cm": muac, "threshold_cm": 23.5, "status": pre.status if pre is not None else None}


@rule(
    "PREPREGNANCY_RISK", title="Pre-pregnancy screen: not ready or pregnancy under supervision (layak hamil)",
    stages=WOMEN_15_49, cluster=None, group=GROUP,
    criteria="a catin or PUS woman: tidak layak hamil when 4T (age < 20 or > 35, >= 3 children, < 24 months since "
    "the last birth) or ALKI (anaemia, LiLA < 23.5 cm, chronic disease, STI); dapat hamil dengan pengawasan when "
    "BMI outside 18.5-24.9 or a past complicated pregnancy",
    severity="tidak layak hamil moderate, dengan pengawasan low", level="puskesmas",
    inputs=("measurements.pre_pregnancy", "measurements.hb_g_dl", "measurements.muac_cm", "measurements.weight_kg",
            "measurements.height_cm"),
    triggers=("measurements.pre_pregnancy",),  # only a catin / PUS woman is screened
    source="[ILP-T 02-skrining-layak-hamil; 01-catin]", confidence="C",
    notes="Counselling, treatment and contraception (not ready); referral to Puskesmas for supervised planning.",
)
def prepregnancy_risk(c: Ctx) -> Finding | None:
    pre = c.m.pre_pregnancy
    if pre is None or c.sex != "F" or c.preg is not None:
        return None
    m = c.m
    four_t, alki, watch = [], [], []
    if c.age_years < 20:
        four_t.append("terlalu_muda")
    elif c.age_years > 35:
        four_t.append("terlalu_tua")
    if pre.living_children is not None and pre.living_children >= 3:
        four_t.append("terlalu_banyak")
    if pre.months_since_last_birth is not None and pre.months_since_last_birth < 24:
        four_t.append("terlalu_dekat")
    if m.hb_g_dl is not None:
        group = anaemia.group("who2011", "F", c.age_months, c.age_years, None)
        if group is not None and m.hb_g_dl < anaemia.WHO2011[group][0]:
            alki.append("anaemia")
    if m.muac_cm is not None and m.muac_cm < 23.5:
        alki.append("lila_below_23_5")
    if pre.chronic_disease:
        alki.append("chronic_disease")
    if pre.sti:
        alki.append("sti")
    if m.weight_kg is not None and m.height_cm is not None:
        bmi = m.weight_kg / (m.height_cm / 100.0) ** 2
        if not 18.5 <= bmi < 25.0:
            watch.append(f"bmi_{round(bmi, 1)}")
    if pre.previous_complication:
        watch.append("previous_complication")
    ev = {"status": pre.status, "4t": four_t, "alki": alki, "supervision": watch}
    if four_t or alki:
        return "moderate", "puskesmas", {**ev, "class": "tidak layak hamil"}
    if watch:
        return "low", "puskesmas", {**ev, "class": "dapat hamil dengan pengawasan"}
    return None


@rule(
    "TD_INCOMPLETE", title="Tetanus immunisation status below T5 (status T)", stages=PREGNANCY + WOMEN_15_49,
    cluster=None, group=GROUP, criteria="pregnant woman, or woman 15-49 y: Td status T0-T4",
    severity="low", level="puskesmas", inputs=("measurements.td_status",),
    source="[ILP-T 01-anc-terpadu; 03-skrining-tetanus] (every WUS and pregnant woman to reach T5; intervals "
    "[S16]: T2 >= 4 weeks after T1, T3 6 months after T2, T4 and T5 a year apart)", confidence="C",
)
def td_incomplete(c: Ctx) -> Finding | None:
    status = c.m.td_status
    if status is None or status >= 5 or c.sex != "F" or (c.preg is None and not 15 <= c.age_years <= 49):
        return None
    return "low", "puskesmas", {"td_status": f"T{status}", "target": "T5"}
