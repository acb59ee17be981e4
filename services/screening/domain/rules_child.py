"""Rules for under-fives (balita, cluster 2): PMK 2/2020 z-score bands, MUAC, oedema, anaemia, T/2T.

Z-scores are WHO 2006 (see ``zscores``), rounded to 2 decimals before classification, as WHO anthro does.
A z-score flagged as biologically implausible never produces a risk.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from . import tables
from .model import completed_months
from .registry import UNDER_FIVE, Ctx, Finding, rule

# (code, indicator, test, band text, severity, level, Indonesian category) -- [PMK2] [ILP-T 08-balita-masalah-gizi]
Band = tuple[str, str, Callable[[float], bool], str, str, str, str]
Z_BANDS: tuple[Band, ...] = (
    # BB/U weight-for-age [PMK2]
    ("SEVERELY_UNDERWEIGHT", "wfa", lambda z: z < -3, "< -3 SD", "high", "puskesmas", "berat badan sangat kurang"),
    ("UNDERWEIGHT", "wfa", lambda z: -3 <= z < -2, "-3 SD to < -2 SD", "moderate", "pustu", "berat badan kurang"),
    # PB/U or TB/U length/height-for-age [PMK2]; Puskesmas refers balita stunting to RS (Sp.A) [ILP-T 08]
    ("SEVERELY_STUNTED", "lhfa", lambda z: z < -3, "< -3 SD", "high", "puskesmas", "sangat pendek"),
    ("STUNTED", "lhfa", lambda z: -3 <= z < -2, "-3 SD to < -2 SD", "moderate", "puskesmas", "pendek"),
    # BB/PB or BB/TB weight-for-length/height [PMK2]
    ("SEVERELY_WASTED", "wflh", lambda z: z < -3, "< -3 SD", "high", "puskesmas", "gizi buruk"),
    ("WASTED", "wflh", lambda z: -3 <= z < -2, "-3 SD to < -2 SD", "moderate", "puskesmas", "gizi kurang"),
    ("RISK_OF_OVERWEIGHT", "wflh", lambda z: 1 < z <= 2, "> +1 SD to +2 SD", "low", "posyandu", "berisiko gizi lebih"),
    ("OVERWEIGHT", "wflh", lambda z: 2 < z <= 3, "> +2 SD to +3 SD", "moderate", "pustu", "gizi lebih"),
    ("OBESE", "wflh", lambda z: z > 3, "> +3 SD", "moderate", "puskesmas", "obesitas"),
)
_INDICATOR_NAMES = {"wfa": "BB/U", "lhfa": "PB/U or TB/U", "wflh": "BB/PB or BB/TB"}


def _z_evidence(c: Ctx, indicator: str, z: float, band: str, category: str) -> dict:
    ev: dict = {"indicator": indicator, "z": z, "band": band, "category": category, "age_days": c.age_days}
    m = c.m
    if m.weight_kg is not None:
        ev["weight_kg"] = m.weight_kg
    if m.height_cm is not None:
        ev["height_cm"] = m.height_cm
        ev["lenhei_cm"] = round(c.clenhei, 2) if c.clenhei is not None else None
    return ev


def _make_band_check(code: str, indicator: str, test, band: str, severity: str, level: str, category: str):
    biv = f"BIV_{indicator.upper()}"

    def check(c: Ctx) -> Finding | None:
        z = getattr(c, indicator)
        if z is None or not test(z) or biv in c.flags:
            return None
        ev = _z_evidence(c, indicator, z, band, category)
        if code == "SEVERELY_WASTED" and (c.age_months < 6 or (c.m.weight_kg or 99.0) < 4.0):
            # [ILP-T 08-balita-masalah-gizi] gizi buruk under 6 months, or 6 months+ under 4 kg -> RS
            ev["refer_rs"] = "age < 6 months" if c.age_months < 6 else "weight < 4 kg"
            return severity, "rs", ev
        return severity, level, ev

    check.__name__ = f"check_{code.lower()}"
    return check


for _code, _ind, _test, _band, _sev, _lvl, _cat in Z_BANDS:
    rule(
        _code,
        title=f"{_code.replace('_', ' ').capitalize()} ({_cat})",
        stages=UNDER_FIVE, cluster=2, group="Under-fives (balita)",
        criteria=f"{_INDICATOR_NAMES[_ind]} ({_ind}) z {_band}, WHO 2006, not flagged implausible",
        severity=_sev,
        level=_lvl + ("; rs if age < 6 months or weight < 4 kg" if _code == "SEVERELY_WASTED" else ""),
        source="[PMK2] [ILP-T 08-balita-masalah-gizi]" if _ind != "wfa" else "[PMK2]",
        confidence="C",
    )(_make_band_check(_code, _ind, _test, _band, _sev, _lvl, _cat))


@rule(
    "SAM_MUAC", title="Severe acute malnutrition by MUAC (LiLA)", stages=UNDER_FIVE, cluster=2,
    group="Under-fives (balita)", criteria="MUAC < 11.5 cm at 6-59 months", severity="high", level="puskesmas",
    source="issue requirement (WHO/UNICEF 2009 SAM criterion); not in ilp-domain.md", confidence="UNCONFIRMED",
)
def sam_muac(c: Ctx) -> Finding | None:
    muac = c.m.muac_cm
    if muac is None or muac >= 11.5 or not 6 <= c.age_months < 60:
        return None
    return "high", "puskesmas", {"muac_cm": muac, "threshold_cm": 11.5, "age_months": c.age_months, "acfa_z": c.acfa}


@rule(
    "SAM_OEDEMA", title="Bilateral oedema (gizi buruk)", stages=UNDER_FIVE, cluster=2, group="Under-fives (balita)",
    criteria="oedema recorded in a child under five (weight-based z-scores are then not computed)",
    severity="high", level="puskesmas",
    source="WHO anthro treats oedema as < -3 SD; not in ilp-domain.md", confidence="UNCONFIRMED",
)
def sam_oedema(c: Ctx) -> Finding | None:
    if not c.m.oedema:
        return None
    return "high", "puskesmas", {"oedema": True, "age_days": c.age_days}


@rule(
    "ANEMIA_CHILD", title="Anaemia, child 6-59 months", stages=UNDER_FIVE, cluster=2, group="Under-fives (balita)",
    criteria="Hb < 11.0 g/dL at 6-59 months; mild 10.0-10.9, moderate 7.0-9.9, severe < 7.0",
    severity="mild low, moderate moderate, severe high", level="mild pustu, moderate puskesmas, severe rs (assumed)",
    source="[WHO-HB] [ILP-T 11-skrining-thalassemia]", confidence="C",
    notes="The levels are a product assumption: the sources give thresholds only.",
)
def anemia_child(c: Ctx) -> Finding | None:
    hb = c.m.hb_g_dl
    if hb is None or not 6 <= c.age_months < 60:
        return None
    grade = tables.anaemia_grade(hb, "children 6-59 months")
    if grade is None:
        return None
    severity, level = tables.ANAEMIA_ACTION[grade]
    return severity, level, {"hb_g_dl": hb, "threshold_g_dl": 11.0, "grade": grade, "age_months": c.age_months}


def _previous(key: tuple[int, int]) -> tuple[int, int]:
    return (key[0] - 1, 12) if key[1] == 1 else (key[0], key[1] - 1)


def _trend(prev: tuple[date, float], cur: tuple[date, float], birth: date) -> tuple[bool, int, int, int] | None:
    """(is_T, gain_g, kbm_g, age_months) of one monthly step, or None under 1 month of age."""
    gain = round((cur[1] - prev[1]) * 1000)
    age = completed_months(birth, cur[0])
    kbm = tables.kbm_g(age)
    if kbm is None:
        return None
    return gain < kbm, gain, kbm, age


def growth_trend(c: Ctx) -> tuple[str, dict] | None:
    """'T' or '2T' with evidence when the child did not gain the KBM at this (and the last) monthly weighing.

    Each calendar month counts with its last weighing; this visit stands for its own month. No weighing
    in the previous calendar month: no N/T ("O").
    """
    if "trend" not in c.memo:
        c.memo["trend"] = _growth_trend(c)
    return c.memo["trend"]


def _growth_trend(c: Ctx) -> tuple[str, dict] | None:
    weight = c.m.weight_kg
    if weight is None or not c.history.weighings:
        return None
    on = c.visit.occurred_on
    k1 = _previous((on.year, on.month))
    k2 = _previous(k1)
    w1: tuple[date, float] | None = None
    w2: tuple[date, float] | None = None
    for d, kg in c.history.weighings:
        if d >= on:
            continue
        key = (d.year, d.month)
        if key == k1:
            if w1 is None or d > w1[0]:
                w1 = (d, kg)
        elif key == k2 and (w2 is None or d > w2[0]):
            w2 = (d, kg)
    if w1 is None:
        return None
    birth = c.birth
    w0 = (on, weight)
    now = _trend(w1, w0, birth)
    if now is None or not now[0]:
        return None
    steps, used = [now], [w1, w0]
    if w2 is not None:
        before = _trend(w2, w1, birth)
        if before is not None and before[0]:
            steps.insert(0, before)
            used.insert(0, w2)
    ev = {
        "weighings": [[d.isoformat(), kg] for d, kg in used],
        "gains_g": [s[1] for s in steps],
        "kbm_g": [s[2] for s in steps],
        "age_months": now[3],
    }
    return ("2T" if len(steps) == 2 else "T"), ev


@rule(
    "WEIGHT_NOT_GAINED", title="Weight not gained (T, tidak naik)", stages=UNDER_FIVE, cluster=2,
    group="Under-fives (balita)",
    criteria="gain since last month's weighing below the KBM for age (flat or falling included), not 2T",
    severity="low", level="pustu", source="[KIA2023]; KBM table [UNCONFIRMED]", confidence="UNCONFIRMED",
    notes="Kader refer a T child to a health worker. Needs a weighing in the previous calendar month.",
)
def weight_not_gained(c: Ctx) -> Finding | None:
    trend = growth_trend(c)
    if trend is None or trend[0] != "T":
        return None
    return "low", "pustu", trend[1]


@rule(
    "GROWTH_FALTERING_2T", title="Growth faltering (2T, two consecutive T)", stages=UNDER_FIVE, cluster=2,
    group="Under-fives (balita)", criteria="T at this and at the previous monthly weighing",
    severity="moderate", level="puskesmas", source="[KIA2023]; 2T rule and KBM table [UNCONFIRMED]",
    confidence="UNCONFIRMED", notes="Needs weighings in each of the two previous calendar months.",
)
def growth_faltering(c: Ctx) -> Finding | None:
    trend = growth_trend(c)
    if trend is None or trend[0] != "2T":
        return None
    return "moderate", "puskesmas", trend[1]
