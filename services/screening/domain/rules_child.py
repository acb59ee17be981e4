"""Rules for under-fives (balita, cluster 2): PMK 2/2020 z-score bands, head circumference, MUAC, oedema, T/2T.

Z-scores are WHO 2006 (see ``zscores``), rounded to 2 decimals before classification, as WHO anthro does.
A z-score flagged as biologically implausible never produces a risk. [ILP-T 08-balita-masalah-gizi]: every
gizi buruk under 6 months, or from 6 months with a weight under 4 kg, goes to the hospital.
"""

from __future__ import annotations

from collections.abc import Callable

from .growth import monthly_trend
from .registry import UNDER_FIVE, Ctx, Finding, family, member, rule

GROUP = "Under-fives (balita)"
# (code, indicator, test, band text, severity, level, Indonesian category, source) -- [PMK2] [ILP-T 08]
Band = tuple[str, str, Callable[[float], bool], str, str, str, str, str]
_PMK2 = "[PMK2]"
_PMK2_ILP = "[PMK2] [ILP-T 08-balita-masalah-gizi]"
Z_BANDS: tuple[Band, ...] = (
    # BB/U weight-for-age [PMK2]
    ("SEVERELY_UNDERWEIGHT", "wfa", lambda z: z < -3, "< -3 SD", "high", "puskesmas", "berat badan sangat kurang",
     _PMK2),
    ("UNDERWEIGHT", "wfa", lambda z: -3 <= z < -2, "-3 SD to < -2 SD", "moderate", "pustu", "berat badan kurang", _PMK2),
    ("RISK_OVERWEIGHT_WFA", "wfa", lambda z: z > 1, "> +1 SD", "low", "posyandu", "risiko berat badan lebih", _PMK2),
    # PB/U or TB/U length/height-for-age [PMK2]; Puskesmas refers balita stunting to RS (Sp.A) [ILP-T 08]
    ("SEVERELY_STUNTED", "lhfa", lambda z: z < -3, "< -3 SD", "high", "puskesmas", "sangat pendek", _PMK2_ILP),
    ("STUNTED", "lhfa", lambda z: -3 <= z < -2, "-3 SD to < -2 SD", "moderate", "puskesmas", "pendek", _PMK2_ILP),
    ("TALL_FOR_AGE", "lhfa", lambda z: z > 3, "> +3 SD", "low", "puskesmas", "tinggi", _PMK2),
    # BB/PB or BB/TB weight-for-length/height [PMK2]
    ("SEVERELY_WASTED", "wflh", lambda z: z < -3, "< -3 SD", "high", "puskesmas", "gizi buruk", _PMK2_ILP),
    ("WASTED", "wflh", lambda z: -3 <= z < -2, "-3 SD to < -2 SD", "moderate", "puskesmas", "gizi kurang", _PMK2_ILP),
    ("RISK_OF_OVERWEIGHT", "wflh", lambda z: 1 < z <= 2, "> +1 SD to +2 SD", "low", "posyandu",
     "berisiko gizi lebih", _PMK2),
    ("OVERWEIGHT", "wflh", lambda z: 2 < z <= 3, "> +2 SD to +3 SD", "moderate", "pustu", "gizi lebih", _PMK2),
    ("OBESE", "wflh", lambda z: z > 3, "> +3 SD", "moderate", "puskesmas", "obesitas", _PMK2),
    # Head circumference-for-age, WHO 2006; SDIDTK: outside -2 to +2 SD -> refer (Kemenkes, Pedoman SDIDTK 2016) [S]
    ("MICROCEPHALY", "hcfa", lambda z: z < -2, "< -2 SD (< -3 SD: rs)", "moderate", "puskesmas", "mikrosefali",
     "[WHO 2006 HCFA] [SDIDTK 2016]"),
    ("MACROCEPHALY", "hcfa", lambda z: z > 2, "> +2 SD (> +3 SD: rs)", "moderate", "puskesmas", "makrosefali",
     "[WHO 2006 HCFA] [SDIDTK 2016]"),
)
_INDICATOR_NAMES = {"wfa": "BB/U", "lhfa": "PB/U or TB/U", "wflh": "BB/PB or BB/TB", "hcfa": "LK/U"}
_INPUTS = {
    "wfa": ("measurements.weight_kg",),
    "lhfa": ("measurements.height_cm", "measurements.measured_lying"),
    "wflh": ("measurements.weight_kg", "measurements.height_cm", "measurements.measured_lying"),
    "hcfa": ("measurements.head_circumference_cm",),
}
_NOTES = {
    "RISK_OVERWEIGHT_WFA": "PMK 2/2020: a child above +1 SD may have a growth problem; confirm with BB/PB or BB/TB.",
    "TALL_FOR_AGE": "PMK 2/2020: very tall children are rarely a problem unless an endocrine disorder is suspected.",
    "SEVERELY_WASTED": "[ILP-T 08] rs under 6 months or under 4 kg.",
}
CONFIRMED = {"MICROCEPHALY": "S", "MACROCEPHALY": "S"}


def refer_rs(c: Ctx) -> str | None:
    """[ILP-T 08-balita-masalah-gizi] why a gizi buruk child goes to the hospital, or None."""
    if c.age_months < 6:
        return "age < 6 months"
    if c.m.weight_kg is not None and c.m.weight_kg < 4.0:
        return "weight < 4 kg"
    return None


def _z_evidence(c: Ctx, indicator: str, z: float, band: str, category: str) -> dict:
    ev: dict = {"indicator": indicator, "z": z, "band": band, "category": category, "age_days": c.age_days}
    m = c.m
    if indicator == "hcfa":
        ev["head_circumference_cm"] = m.head_circumference_cm
        return ev
    if m.weight_kg is not None:
        ev["weight_kg"] = m.weight_kg
    if m.height_cm is not None:
        ev["height_cm"] = m.height_cm
        ev["lenhei_cm"] = round(c.clenhei, 2) if c.clenhei is not None else None
    return ev


_BY_INDICATOR: dict[str, list[Band]] = {}
for _b in Z_BANDS:
    _BY_INDICATOR.setdefault(_b[1], []).append(_b)
_BIV = {indicator: f"BIV_{indicator.upper()}" for indicator in _BY_INDICATOR}
_BAND = {b[0]: b for b in Z_BANDS}
# the band of a z-score per indicator, by direct comparison (the same cut-offs as Z_BANDS; the tests check both)
_CLASSIFY: dict[str, Callable[[float], str | None]] = {
    "wfa": lambda z: "SEVERELY_UNDERWEIGHT" if z < -3 else "UNDERWEIGHT" if z < -2 else
    "RISK_OVERWEIGHT_WFA" if z > 1 else None,
    "lhfa": lambda z: "SEVERELY_STUNTED" if z < -3 else "STUNTED" if z < -2 else "TALL_FOR_AGE" if z > 3 else None,
    "wflh": lambda z: "SEVERELY_WASTED" if z < -3 else "WASTED" if z < -2 else None if z <= 1 else
    "RISK_OF_OVERWEIGHT" if z <= 2 else "OVERWEIGHT" if z <= 3 else "OBESE",
    "hcfa": lambda z: "MICROCEPHALY" if z < -2 else "MACROCEPHALY" if z > 2 else None,
}


@family("z_bands")
def z_bands(c: Ctx) -> list[tuple[str, Finding]]:
    """The PMK 2/2020 band (at most one) of each under-five z-score, with its finding."""
    out: list[tuple[str, Finding]] = []
    wfa, lhfa, wflh, hcfa = c.wfa, c.lhfa, c.wflh, c.hcfa
    # quick reject: only z-scores outside every band's normal range are classified
    zs = []
    if wfa is not None and not -2 <= wfa <= 1:
        zs.append(("wfa", wfa))
    if lhfa is not None and not -2 <= lhfa <= 3:
        zs.append(("lhfa", lhfa))
    if wflh is not None and not -2 <= wflh <= 1:
        zs.append(("wflh", wflh))
    if hcfa is not None and not -2 <= hcfa <= 2:
        zs.append(("hcfa", hcfa))
    for indicator, z in zs:
        code = _CLASSIFY[indicator](z)
        if code is None or _BIV[indicator] in c.flags:
            continue
        _code, _ind, _test, band, severity, level, category, _src = _BAND[code]
        ev = _z_evidence(c, indicator, z, band, category)
        if code == "SEVERELY_WASTED" and (why := refer_rs(c)):
            ev["refer_rs"] = why
            level = "rs"
        elif indicator == "hcfa" and abs(z) > 3:
            severity, level = "high", "rs"
        out.append((code, (severity, level, ev)))
    return out


for _code, _ind, _test, _band, _sev, _lvl, _cat, _src in Z_BANDS:
    member(
        _code, family="z_bands",
        title=f"{_code.replace('_', ' ').capitalize()} ({_cat})",
        stages=UNDER_FIVE, cluster=2, group=GROUP,
        criteria=f"{_INDICATOR_NAMES[_ind]} ({_ind}) z {_band}, WHO 2006, not flagged implausible",
        severity=_sev + ("; high beyond 3 SD" if _ind == "hcfa" else ""),
        level=_lvl + ("; rs if age < 6 months or weight < 4 kg" if _code == "SEVERELY_WASTED" else "")
        + ("; rs beyond 3 SD" if _ind == "hcfa" else ""),
        source=_src, confidence=CONFIRMED.get(_code, "C"), notes=_NOTES.get(_code, ""), inputs=_INPUTS[_ind],
    )


@rule(
    "SAM_MUAC", title="Severe acute malnutrition by MUAC (LiLA < 11.5 cm)", stages=UNDER_FIVE, cluster=2,
    group=GROUP, criteria="MUAC < 11.5 cm at 6-59 months", severity="high",
    level="puskesmas; rs when weight < 4 kg", inputs=("measurements.muac_cm", "measurements.weight_kg"),
    triggers=("measurements.muac_cm",),
    source="[WHO-UNICEF 2009] (WHO child growth standards and the identification of severe acute malnutrition), "
    "not seen in a Kemenkes text; [ILP-T 08-balita-masalah-gizi] for the rs step", confidence="UNCONFIRMED",
)
def sam_muac(c: Ctx) -> Finding | None:
    muac = c.m.muac_cm
    if muac is None or muac >= 11.5 or not 6 <= c.age_months < 60:
        return None
    ev = {"muac_cm": muac, "threshold_cm": 11.5, "age_months": c.age_months, "acfa_z": c.acfa}
    why = refer_rs(c)
    if why:
        ev["refer_rs"] = why
        return "high", "rs", ev
    return "high", "puskesmas", ev


@rule(
    "MAM_MUAC", title="Moderate acute malnutrition by MUAC (LiLA 11.5 to < 12.5 cm, gizi kurang)",
    stages=UNDER_FIVE, cluster=2, group=GROUP, criteria="MUAC 11.5 to < 12.5 cm at 6-59 months",
    severity="moderate", level="puskesmas", inputs=("measurements.muac_cm",),
    source="[WHO-UNICEF 2009]; Kemenkes Pedoman Pencegahan dan Tata Laksana Gizi Buruk pada Balita 2020 (LiLA "
    "11.5-12.5 cm = gizi kurang), neither text seen here", confidence="UNCONFIRMED",
)
def mam_muac(c: Ctx) -> Finding | None:
    muac = c.m.muac_cm
    if muac is None or not 11.5 <= muac < 12.5 or not 6 <= c.age_months < 60:
        return None
    return "moderate", "puskesmas", {"muac_cm": muac, "range_cm": [11.5, 12.5], "age_months": c.age_months,
                                     "acfa_z": c.acfa}


@rule(
    "SAM_OEDEMA", title="Bilateral pitting oedema (gizi buruk)", stages=UNDER_FIVE, cluster=2, group=GROUP,
    criteria="oedema recorded in a child under five (weight-based z-scores are then not computed)",
    severity="high", level="puskesmas; rs under 6 months or weight < 4 kg", inputs=("measurements.oedema",),
    source="[WHO-UNICEF 2009] (oedema = SAM), not seen in a Kemenkes text; WHO anthro counts it < -3 SD; "
    "[ILP-T 08-balita-masalah-gizi] for the rs step", confidence="UNCONFIRMED",
)
def sam_oedema(c: Ctx) -> Finding | None:
    if not c.m.oedema:
        return None
    ev = {"oedema": True, "age_days": c.age_days}
    why = refer_rs(c)
    if why:
        ev["refer_rs"] = why
        return "high", "rs", ev
    return "high", "puskesmas", ev


@family("growth_trend")
def growth_trend(c: Ctx) -> list[tuple[str, Finding]]:
    """T or 2T at this weighing (at most one of the two)."""
    trend = monthly_trend(c)
    if trend is None or trend.status != "T":
        return []
    if trend.two_t:
        return [("GROWTH_FALTERING_2T", ("moderate", "puskesmas", trend.evidence))]
    return [("WEIGHT_NOT_GAINED", ("low", "pustu", trend.evidence))]


member(
    "WEIGHT_NOT_GAINED", family="growth_trend", title="Weight not gained (T, tidak naik)", stages=UNDER_FIVE,
    cluster=2, group=GROUP,
    criteria="gain since last month's weighing below the KBM for age (flat or falling included), not 2T",
    severity="low", level="pustu", source="[KIA2023]; KBM table [UNCONFIRMED]", confidence="UNCONFIRMED",
    inputs=("measurements.weight_kg", "history.weighings"),
    notes="Kader refer a T child to a health worker. Needs a weighing in the previous calendar month.",
)
member(
    "GROWTH_FALTERING_2T", family="growth_trend", title="Growth faltering (2T, two consecutive T)",
    stages=UNDER_FIVE, cluster=2, group=GROUP, criteria="T at this and at the previous monthly weighing",
    severity="moderate", level="puskesmas", source="[KIA2023]; 2T rule and KBM table [UNCONFIRMED]",
    confidence="UNCONFIRMED", inputs=("measurements.weight_kg", "history.weighings"),
    notes="Needs weighings in each of the two previous calendar months.",
)
