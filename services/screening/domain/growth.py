"""Growth monitoring of under-fives (SKDN): N or T against last month's weighing, 2T, first weighing.

[KIA2023] Buku KIA 2023: N when the weight gain is at least the KBM (or the curve follows the growth line),
T when it is below (flat or falling included); kader refer T, below the red line (BGM) and above the orange
line. 2T (two consecutive T) -> Puskesmas [UNCONFIRMED wording]. Each calendar month counts with its last
weighing; this visit stands for its own month; no weighing in the previous calendar month: no N/T ("O").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from .model import completed_months
from .registry import UNSET, Ctx
from .zscores import MAX_AGE_DAYS, TABLES, z_restricted


@dataclass(slots=True)
class Trend:
    """N or T at this weighing, with 2T when the previous monthly step was T too."""

    status: str  # "N" or "T"
    two_t: bool
    gain_g: int
    kbm_g: int
    age_months: int
    used: list  # the weighings compared, oldest first
    steps: list  # (is_T, gain_g, kbm_g, age_months) per step, oldest first
    rule: str

    @property
    def evidence(self) -> dict:
        return {
            "weighings": [[d.isoformat(), kg] for d, kg in self.used],
            "gains_g": [s[1] for s in self.steps],
            "kbm_g": [s[2] for s in self.steps],
            "age_months": self.age_months,
            "rule": self.rule,
        }


def _waz(c: Ctx, on: date, kg: float) -> float | None:
    days = (on - c.birth).days
    if days < 0 or days > MAX_AGE_DAYS:
        return None
    return z_restricted(kg, TABLES["wfa"][c.sex][days])


def _step(c: Ctx, prev: tuple[date, float], cur: tuple[date, float], cur_waz: float | None, age: int):
    """(is_T, gain_g, kbm_g, age_months) of one monthly step, or None under the first month of age."""
    gain = round((cur[1] - prev[1]) * 1000)
    kbm = c.config.kbm(age)
    if kbm is None:
        return None
    is_t = gain < kbm
    if is_t and c.config.growth_n_rule == "kbm_or_curve":
        before, after = _waz(c, prev[0], prev[1]), cur_waz if cur_waz is not None else _waz(c, cur[0], cur[1])
        if before is not None and after is not None and after >= before:
            is_t = False  # the curve follows (or rises above) the growth line
    return is_t, gain, kbm, age


def _monthly_trend(c: Ctx) -> Trend | None:
    weight = c.m.weight_kg
    weighings = c.history.weighings
    if weight is None or not weighings or c.m.oedema:
        return None
    on = c.visit.occurred_on
    month = on.year * 12 + on.month
    w1: tuple[date, float] | None = None
    w2: tuple[date, float] | None = None
    for w in weighings:
        d = w[0]
        if d >= on:
            continue
        back = month - (d.year * 12 + d.month)
        if back == 1:
            if w1 is None or d > w1[0]:
                w1 = w
        elif back == 2 and (w2 is None or d > w2[0]):
            w2 = w
    if w1 is None:
        return None
    w0 = (on, weight)
    now = _step(c, w1, w0, c.wfa, c.age_months)
    if now is None:
        return None
    is_t, gain, kbm, age = now
    if is_t and w2 is not None:
        before = _step(c, w2, w1, None, completed_months(c.birth, w1[0]))
        if before is not None and before[0]:
            return Trend("T", True, gain, kbm, age, [w2, w1, w0], [before, now], c.config.growth_n_rule)
    return Trend("T" if is_t else "N", False, gain, kbm, age, [w1, w0], [now], c.config.growth_n_rule)


def monthly_trend(c: Ctx) -> Trend | None:
    """N or T of this weighing (memoised), or None without a weighing last calendar month."""
    trend = c.trend
    if trend is UNSET:
        trend = c.trend = _monthly_trend(c)
    return trend


def first_weighing(c: Ctx) -> bool:
    """No weighing of this child is known before this visit's date (B, baru)."""
    weighings = c.history.weighings
    return not weighings or min(weighings)[0] >= c.visit.occurred_on
