"""Newborn rules (bayi baru lahir, 0-28 days, cluster 2): low birth weight, SHK, neonatal visits KN1-KN3."""

from __future__ import annotations

from . import tables
from .registry import UNDER_FIVE, Ctx, Finding, rule

GROUP = "Newborns (bayi baru lahir)"


def window_number(windows: tuple[tuple[int, int, int], ...], day: int) -> int | None:
    """The visit number whose (number, first day, last day) window holds ``day``."""
    for number, first, last in windows:
        if first <= day <= last:
            return number
    return None


def kn_number(c: Ctx) -> int | None:
    """KN number of a newborn visit: ``newborn.neonatal_visit``, else the age window; None without a newborn block."""
    nb = c.visit.newborn
    if nb is None:
        return None
    return nb.neonatal_visit or window_number(c.config.kn_windows, c.age_days)


def birth_weight_class(grams: int) -> str | None:
    """[ILP-T 03-bblr] BBLR category of a birth weight, or None from 2,500 g."""
    for below, name in tables.BIRTH_WEIGHT_CLASSES:
        if grams < below:
            return name
    return None


@rule(
    "LOW_BIRTH_WEIGHT", title="Low birth weight (BBLR)", stages=UNDER_FIVE, cluster=2, group=GROUP,
    criteria="birth weight < 2,500 g (BBLR 1500-2499, BBLSR 1000-1499, BBLASR < 1000)",
    severity="moderate; high under 2,000 g", level="puskesmas (PONED, stable BBLR above 2,000 g); rs under 2,000 g",
    source="[ILP-T 03-bblr]", confidence="C", inputs=("newborn.birth_weight_g",),
    notes="Pustu monitors a discharged BBLR until 2,500 g; Buku KIA Khusus Bayi Kecil.",
)
def low_birth_weight(c: Ctx) -> Finding | None:
    nb = c.visit.newborn
    if nb is None or nb.birth_weight_g is None or nb.birth_weight_g >= tables.LBW_G:
        return None
    grams = nb.birth_weight_g
    ev = {"birth_weight_g": grams, "category": birth_weight_class(grams), "threshold_g": tables.LBW_G}
    if grams < tables.LBW_REFER_G:
        return "high", "rs", ev
    return "moderate", "puskesmas", ev


@rule(
    "SHK_HIGH_TSH", title="Congenital hypothyroidism screen positive (SHK, TSH tinggi)", stages=UNDER_FIVE,
    cluster=2, group=GROUP, criteria="SHK result high TSH", severity="high", level="rs",
    source="[ILP-T 04-shk]; PMK 78/2014 (Skrining Hipotiroid Kongenital): confirmation test and Sp.A",
    confidence="S", inputs=("newborn.shk",), notes="Confirm with serum TSH and FT4; treat before 1 month of age.",
)
def shk_high_tsh(c: Ctx) -> Finding | None:
    nb = c.visit.newborn
    if nb is None or nb.shk != "high_tsh":
        return None
    return "high", "rs", {"shk": "high_tsh", "age_days": c.age_days}


@rule(
    "SHK_NOT_DONE", title="SHK sample not taken", stages=UNDER_FIVE, cluster=2, group=GROUP,
    criteria="SHK result not done", severity="low", level="puskesmas", source="[ILP-T 04-shk]", confidence="C",
    inputs=("newborn.shk",), notes="Ideal sample at 48-72 hours; Puskesmas takes and sends it.",
)
def shk_not_done(c: Ctx) -> Finding | None:
    nb = c.visit.newborn
    if nb is None or nb.shk != "not_done":
        return None
    return "low", "puskesmas", {"shk": "not_done", "age_days": c.age_days}


def missed_visits(windows: tuple[tuple[int, int, int], ...], day: int, seen: set[int], current: int | None) -> list:
    """Visit numbers whose window ended before ``day`` without a visit."""
    return [n for n, _first, last in windows if last < day and n not in seen and n != current]


@rule(
    "NEONATAL_VISIT_MISSED", title="Neonatal visit missed (KN)", stages=UNDER_FIVE, cluster=2, group=GROUP,
    criteria="at a newborn visit, an earlier KN window (KN1 0-2 days, KN2 3-7, KN3 8-28) passed without a visit",
    severity="low", level="pustu", source="[ILP-T 01-neonatal]; windows [UNCONFIRMED]", confidence="UNCONFIRMED",
    inputs=("newborn", "newborn.neonatal_visit", "history.services"), notes="KN lengkap = 3 visits; kader sweeping.",
)
def neonatal_visit_missed(c: Ctx) -> Finding | None:
    current = kn_number(c)
    if current is None:
        return None
    seen = {int(r.value) for r in c.history.services if r.kind == "kn" and r.value.isdigit()}
    missed = missed_visits(c.config.kn_windows, c.age_days, seen, current)
    if not missed:
        return None
    return "low", "pustu", {"missed": [f"KN{n}" for n in missed], "age_days": c.age_days, "this_visit": f"KN{current}"}
