"""Visit schedules and measurements: who comes where, when, and what is measured.

Pure generation, no I/O. Prevalence parameters, with their sources (tags of
``/work/shared/ilp-domain.md`` §7; [UNCONFIRMED] = assumption or unverified secondary figure):

* stunting (HAZ < -2), under-fives: 21.5 %; by age 0-5 mo 13.7, 6-11 13.1, 12-23 22.7, 24-35 25.8,
  36-47 23.6 %; 48-59 mo 22.0 % derived so that the five-year mean is 21.5 — SKI 2023 [SKI-FAQ]
  [SKI-DATABOKS].
* wasting (WHZ < -2): 8.5 % — SKI 2023 [SKI-FIANJAYA].
* underweight (WAZ < -2): 15.9 % — SKI 2023 [SKI-FIANJAYA]; not set directly: it emerges from HAZ and
  WHZ, and with independent HAZ and WHZ comes out at 15.8 % by the real WHO z-scores.
* hypertension (>= 140/90), >= 18 y: 30.8 % — SKI 2023 [SKI-GRID]; 18-24 y 10.7 %, 25-34 y 17.4 %
  (SKI 2023); older bands shaped on Riskesdas 2018 (35-44 31.6, 45-54 45.3, 55-64 55.2, 65-74 63.2,
  75+ 65.5 %) and scaled so that the >= 18 mean is 30.8 %; 15-17 y 5 % [assumption]. Age figures via
  health.tribunnews.com (2021-05-22, Riskesdas 2018) and a Tribun reprint of SKI 2023 [S].
* diabetes (GDS >= 200 / GDP >= 126), >= 15 y: 11.7 % by blood glucose — SKI 2023 [SKI-GRID], databoks
  2024-07-26 [S]; age shape 15-24 2, 25-34 4.5, 35-44 9, 45-54 16, 55-64 22, 65-74 24, 75+ 21 % scaled
  to 11.7 % [shape UNCONFIRMED].
* anaemia in pregnancy (Hb < 11): 48.9 % — Riskesdas 2018 [RISK18-SUARA].
* KEK in pregnancy (MUAC < 23.5): 17.3 % — Riskesdas 2018 [RISK18-SUARA].
* TB presumptive (cough >= 2 weeks): 3 % of people >= 15 y and 1 % of children per screening visit
  [derived, UNCONFIRMED]. With about half of all visits screened for cough this gives ~2.9 k presumptive
  people a month in Lampung Selatan, close to the ~3.4 k a month implied by ~10 presumptive per expected
  case (programme positivity ~10 % among those tested [UNCONFIRMED]) at the WHO estimate of 1,060,000
  cases (385 / 100 k) for Indonesia (Global TB Report 2023, as quoted by Kemenkes).
* anaemia, adolescent girls 12-17 (Hb < 12): 15.6 % — SKI 2023 [IPOL].
* adult obesity (BMI > 27): 23.4 % -> BMI ~ N(23.8, 4.2) — SKI 2023 [IPOL].
* central obesity: ~50 % of women (waist > 80 cm), ~25 % of men (> 90 cm) — CKG 2025 [CKG-INIBPN].

How a binary condition is made measurement-consistent: each person has a latent standard normal
``u``; at each visit a noise ``v ~ N(0, s)`` is added and ``w = (u + v) / sqrt(1 + s^2)`` (again
standard normal) is compared with ``t = Phi^-1(1 - p(age))``. The measured value is then drawn on the
correct side of the clinical threshold (e.g. systolic >= 140 or diastolic >= 90 when ``w >= t``), so the
share of *measurements* that classify as positive is exactly ``p(age)`` in expectation, and a person
keeps a stable but not frozen status across visits.

Children: length/height-for-age z = mu_h(age) + 1.15 e_h and weight-for-length/height z =
-0.56 + 1.05 e_w with e_h, e_w independent AR(1) processes month to month (rho 0.97 and 0.80), so
each child follows its own z-score trajectory; mu_h(age) interpolates the SKI 2023 age bands;
cm and kg come from the approximate WHO curves in :mod:`growth`.

Visit volumes (per day, [assumption], giving ~ 250 k visits a month for Lampung Selatan):
Posyandu hari buka once a month each: under-fives by their own propensity (mean D/S ~ 0.76; SKDN
target D/S 80 % [SKDN-SCRIBD]), pregnant women 55 %, elderly 25 %, adults 15-59 4 %, school-age 1 %;
Pustu 2.5 and Puskesmas 2.0 visits per 1,000 people per working day (Mon-Sat); home visits 0.3
per 1,000 per day; 40 % of those visits are by the 10 % of people who come often (chronic patients).
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta, timezone
from math import exp, sqrt

from simulator import growth
from simulator.faults import Emission, FaultConfig, Faults
from simulator.network import Facility, Network, build_network
from simulator.population import (
    ADULT,
    CHILD,
    ELDERLY,
    MAX_AGE,
    NORMAL_TABLE,
    NORMAL_TABLE_SIZE,
    PREGNANT,
    SCHOOL,
    UNDER_FIVE_DAYS,
    Population,
    normal_quantile,
    share_between,
    unit_scale,
)
from simulator.syndromes import Outbreak, OutbreakInjector, Syndromes

# ---------------------------------------------------------------------------------------------------
# Prevalence targets (see the table above)
STUNTING_PCT = 21.5
STUNTING_BY_AGE_MONTHS = ((3.0, 13.7), (9.0, 13.1), (18.0, 22.7), (30.0, 25.8), (42.0, 23.6), (54.0, 22.0))
WASTING_PCT = 8.5
UNDERWEIGHT_PCT = 15.9
HYPERTENSION_PCT = 30.8  # >= 18 y
HYPERTENSION_FIXED = ((15, 17, 5.0), (18, 24, 10.7), (25, 34, 17.4))
HYPERTENSION_SHAPE = ((35, 44, 31.6), (45, 54, 45.3), (55, 64, 55.2), (65, 74, 63.2), (75, MAX_AGE, 65.5))
DIABETES_PCT = 11.7  # >= 15 y
DIABETES_SHAPE = ((15, 24, 2.0), (25, 34, 4.5), (35, 44, 9.0), (45, 54, 16.0), (55, 64, 22.0), (65, 74, 24.0),
                  (75, MAX_AGE, 21.0))
ANAEMIA_PREGNANCY_PCT = 48.9
KEK_PREGNANCY_PCT = 17.3
ANAEMIA_ADOLESCENT_GIRLS_PCT = 15.6
TB_PRESUMPTIVE_ADULT, TB_PRESUMPTIVE_CHILD = 0.03, 0.01
BMI_MEAN, BMI_SD = 23.8, 4.2
ADULT_HEIGHT = {"M": (164.0, 6.5), "F": (153.0, 6.0)}  # NCD-RisC 2016, approximate [UNCONFIRMED]

# Child z-score model (calibrated so that the real WHO z-scores give the three SKI figures).
SIGMA_H, RHO_H = 1.15, 0.97
SIGMA_W, RHO_W = 1.05, 0.80
R_HW = 0.0  # HAZ-WHZ correlation; 0 gives underweight 15.8 % against the real WHO z-scores (target 15.9 %)
MU_W = -2.0 - SIGMA_W * normal_quantile(WASTING_PCT / 100)

# Visit noise of the latent traits (in SD units of the latent).
NOISE_BP, NOISE_DM, NOISE_HB, NOISE_MUAC = 0.35, 0.40, 0.25, 0.10


def _scaled_bands(fixed, shape, target_pct: float, lo_age: int) -> list[float]:
    """Prevalence (fraction) per single year of age: ``fixed`` bands as given, ``shape`` bands scaled so that
    the pyramid-weighted mean over ages >= ``lo_age`` equals ``target_pct``."""
    weight = {a: share_between(a, a) for a in range(MAX_AGE + 1)}
    fixed_sum = sum(p * weight[a] for lo, hi, p in fixed for a in range(max(lo, lo_age), hi + 1))
    shape_sum = sum(p * weight[a] for lo, hi, p in shape for a in range(max(lo, lo_age), hi + 1))
    total = sum(weight[a] for a in range(lo_age, MAX_AGE + 1))
    k = (target_pct * total - fixed_sum) / shape_sum
    out = [0.0] * (MAX_AGE + 1)
    for lo, hi, p in fixed:
        for a in range(lo, hi + 1):
            out[a] = p / 100
    for lo, hi, p in shape:
        for a in range(lo, hi + 1):
            out[a] = min(0.95, p * k / 100)
    return out


HT_BY_AGE = _scaled_bands(HYPERTENSION_FIXED, HYPERTENSION_SHAPE, HYPERTENSION_PCT, 18)
DM_BY_AGE = _scaled_bands((), DIABETES_SHAPE, DIABETES_PCT, 15)


def _threshold(p: float) -> float:
    return normal_quantile(1.0 - p) if 0.0 < p < 1.0 else (99.0 if p <= 0 else -99.0)


HT_T = [_threshold(p) for p in HT_BY_AGE]
DM_T = [_threshold(p) for p in DM_BY_AGE]
ANAEMIA_T = _threshold(ANAEMIA_PREGNANCY_PCT / 100)
KEK_T = _threshold(KEK_PREGNANCY_PCT / 100)
ADOLESCENT_ANAEMIA_T = _threshold(ANAEMIA_ADOLESCENT_GIRLS_PCT / 100)
SCALE_BP, SCALE_DM, SCALE_HB, SCALE_MUAC = (unit_scale(s) for s in (NOISE_BP, NOISE_DM, NOISE_HB, NOISE_MUAC))


def _mu_h_table() -> list[float]:
    """mu_h per completed month 0..60, interpolated between the SKI band midpoints."""
    pts = [(m, -2.0 - SIGMA_H * normal_quantile(p / 100)) for m, p in STUNTING_BY_AGE_MONTHS]
    out = []
    for month in range(61):
        x = month + 0.5
        if x <= pts[0][0]:
            out.append(pts[0][1])
        elif x >= pts[-1][0]:
            out.append(pts[-1][1])
        else:
            i = next(i for i in range(len(pts) - 1) if pts[i][0] <= x <= pts[i + 1][0])
            (x0, y0), (x1, y1) = pts[i], pts[i + 1]
            out.append(y0 + (x - x0) / (x1 - x0) * (y1 - y0))
    return out


MU_H = _mu_h_table()

# ---------------------------------------------------------------------------------------------------
# Visit volumes and mix (assumptions, see module docstring)


@dataclass(frozen=True)
class Params:
    """Behavioural parameters of the visit model (rates are per day unless stated)."""

    posyandu_pregnant: float = 0.55
    posyandu_elderly: float = 0.25
    posyandu_adult: float = 0.04
    posyandu_school: float = 0.01
    pustu_per_1000: float = 2.5
    puskesmas_per_1000: float = 2.0
    home_per_1000: float = 0.3
    # visit mix (child, school, adult, elderly, pregnant)
    pustu_mix: tuple[float, ...] = (0.18, 0.10, 0.40, 0.20, 0.12)
    puskesmas_mix: tuple[float, ...] = (0.15, 0.10, 0.45, 0.20, 0.10)
    home_mix: tuple[float, ...] = (0.25, 0.0, 0.10, 0.40, 0.25)


GROUP_ORDER = (CHILD, SCHOOL, ADULT, ELDERLY, PREGNANT)
FREQUENT_VISITS, FREQUENT_SHARE = 0.4, 0.1  # share of Pustu/Puskesmas/home visits by the frequent 10 % [assumption]
TIMEZONES = {"WIB": 7, "WITA": 8, "WIT": 9}


def utc_offset_hours(district_code: str) -> int:
    """WIB (+07), WITA (+08) or WIT (+09) from the province code (ilp-domain §4.3 geography)."""
    prov = int(district_code[:2])
    if prov in (51, 52, 53, 63, 64, 65) or 71 <= prov <= 76:
        return 8
    if prov >= 81:
        return 9
    return 7


def poisson(rng: random.Random, lam: float) -> int:
    """Poisson variate (Knuth below 30, rounded normal above)."""
    if lam <= 0:
        return 0
    if lam < 30:
        limit, k, prod = exp(-lam), 0, rng.random()
        while prod > limit:
            k += 1
            prod *= rng.random()
        return k
    return max(0, round(rng.gauss(lam, sqrt(lam))))


def binomial(rng: random.Random, n: int, p: float) -> int:
    """Binomial variate (exact below 40 trials, normal approximation above)."""
    if n <= 0 or p <= 0:
        return 0
    if n < 40:
        r = rng.random
        return sum(1 for _ in range(n) if r() < p)
    mean = n * p
    return min(n, max(0, round(rng.gauss(mean, sqrt(mean * (1 - p))))))


def _months_since(born: date, on: date) -> int:
    months = (on.year - born.year) * 12 + on.month - born.month
    return months - 1 if on.day < born.day else months


# ---------------------------------------------------------------------------------------------------


class Simulation:
    """Generates the visits of a district day by day and hands each to :class:`Faults`."""

    def __init__(self, network: Network, population: Population, faults: Faults, *, start: date, days: int,
                 seed: int, params: Params | None = None, syndromes: Syndromes | None = None,
                 outbreaks: OutbreakInjector | None = None) -> None:
        self.syndromes = syndromes  # seasonal syndromes of clinic visits (simulator.syndromes)
        self.outbreaks = outbreaks  # injected clusters
        self.net = network
        self.pop = population
        self.faults = faults
        self.start = start
        self.days = days
        self.params = params or Params()
        self.rng = random.Random(f"visits:{seed}")
        self._random = self.rng.random
        self.offset_h = utc_offset_hours(network.district.code)
        sign = "+" if self.offset_h >= 0 else "-"
        self.tz = f"{sign}{abs(self.offset_h):02d}:00"
        self.tzinfo = timezone(timedelta(hours=self.offset_h))
        self.vindex = {v.code: i for i, v in enumerate(network.villages)}
        self._posyandu_days: dict[tuple[int, int], dict[date, list[Facility]]] = {}
        self._pending: list[tuple[float, int, Emission]] = []
        self._seq = 0
        self._today: list[tuple[float, int, Emission]] | None = None
        # Puskesmas catchment: cumulative population of its villages, for picking a village.
        self._pkm_villages: dict[str, tuple[list[int], list[int]]] = {}
        for pkm in network.puskesmas:
            idx = [self.vindex[c] for c in pkm.villages]
            cum, total = [], 0
            for i in idx:
                total += network.populations[i]
                cum.append(total)
            self._pkm_villages[pkm.facility_id] = (idx, cum)
        self.generated = 0
        self._skew = {f.facility_id: faults.skew(f.facility_id) for f in network.facilities()}

    # ------------------------------------------------------------------ schedule
    def posyandu_open_on(self, day: date) -> list[Facility]:
        """Posyandu whose monthly hari buka falls on ``day``."""
        key = (day.year, day.month)
        table = self._posyandu_days.get(key)
        if table is None:
            table = {}
            first = day.replace(day=1)
            for v in self.net.villages:
                for pos in self.net.posyandu[v.code]:
                    offset = (pos.open_weekday - first.weekday()) % 7 + 7 * pos.open_week
                    table.setdefault(first + timedelta(days=offset), []).append(pos)
            self._posyandu_days[key] = table
        return table.get(day, [])

    def emissions(self) -> Iterator[Emission]:
        """Every emission of the run in sending order (offline and re-sent records come later)."""
        pending = self._pending  # heap of messages due after the current day
        for n in range(self.days):
            day = self.start + timedelta(days=n)
            today = self._today = []
            self.generate_day(day)
            horizon = self._epoch(day + timedelta(days=1), 0)
            ready = []
            for item in today:
                if item[0] < horizon:
                    ready.append(item)
                else:
                    heapq.heappush(pending, item)
            while pending and pending[0][0] < horizon:
                ready.append(heapq.heappop(pending))
            ready.sort()
            for item in ready:
                yield item[2]
        self._today = None
        while pending:
            yield heapq.heappop(pending)[2]

    def generate_day(self, day: date) -> None:
        """Generate one day's visits (Sunday: none)."""
        if day.weekday() == 6:
            return
        ctx = _Day(self, day)
        for pos in self.posyandu_open_on(day):
            self._posyandu(ctx, pos)
        rng = self.rng
        p = self.params
        for vi, v in enumerate(self.net.villages):
            pop = self.net.populations[vi]
            pustu = self.net.pustu[v.code]
            for _ in range(poisson(rng, pop * p.pustu_per_1000 / 1000)):
                self._facility_visit(ctx, pustu, "pustu", vi, p.pustu_mix, 8 * 3600, 14 * 3600)
            for _ in range(poisson(rng, pop * p.home_per_1000 / 1000)):
                self._facility_visit(ctx, pustu, "home_visit", vi, p.home_mix, 9 * 3600, 16 * 3600)
        close = 11 * 3600 if day.weekday() == 4 else 14 * 3600  # Friday prayers
        for pkm in self.net.puskesmas:
            idx, cum = self._pkm_villages[pkm.facility_id]
            for _ in range(poisson(rng, cum[-1] * p.puskesmas_per_1000 / 1000)):
                u = rng.random() * cum[-1]
                vi = idx[_bisect(cum, u)]
                self._facility_visit(ctx, pkm, "puskesmas", vi, p.puskesmas_mix, 7 * 3600 + 1800, close)
        if self.outbreaks is not None:
            self.outbreaks.day(self, ctx)

    # ------------------------------------------------------------------ service points
    def _posyandu(self, ctx: _Day, pos: Facility) -> None:
        rng = self.rng
        vi = self.vindex[pos.village_code]
        day = ctx.day
        pustu = self.net.pustu[pos.village_code]
        lab = pustu.has("hb_test")
        batch = self.faults.posyandu_batch(pos, day)
        open_s, span = 8 * 3600, 4 * 3600
        slot, of = pos.slot, pos.of
        for child in self.pop.catchment(vi, CHILD, slot, of):
            age = (day - child.birth).days
            if age < 0 or age >= UNDER_FIVE_DAYS or rng.random() >= child.attend:
                continue
            m = self._child(ctx, child, age, weigh=True, height_p=0.85)
            self._emit(ctx, pos, "posyandu", child, open_s + int(rng.random() * span), m, None, batch)
        for woman in self.pop.catchment(vi, PREGNANT, slot, of):
            ga = (day - woman.lmp).days // 7
            if not 4 <= ga <= woman.due_weeks or rng.random() >= self.params.posyandu_pregnant:
                continue
            m, preg = self._pregnant(ctx, woman, ga, lab=lab, hb_p=0.4, point="posyandu")
            self._emit(ctx, pos, "posyandu", woman, open_s + int(rng.random() * span), m, preg, batch)
        for group, share in ((ELDERLY, self.params.posyandu_elderly), (ADULT, self.params.posyandu_adult),
                             (SCHOOL, self.params.posyandu_school)):
            size = self.pop.size(vi, group)
            catchment = range(slot, size, of)
            k = binomial(rng, len(catchment), share)
            for idx in rng.sample(catchment, k) if k else ():
                person = self.pop.person(vi, group, idx)
                m = self._general(ctx, person, group, lab=lab, point="posyandu")
                self._emit(ctx, pos, "posyandu", person, open_s + int(rng.random() * span), m, None, batch)

    def _facility_visit(self, ctx: _Day, fac: Facility, point: str, vi: int, mix: tuple[float, ...],
                        open_s: int, close_s: int) -> None:
        rng = self.rng
        u, group = rng.random(), ADULT
        for g, share in zip(GROUP_ORDER, mix):
            if u < share:
                group = g
                break
            u -= share
        day = ctx.day
        lab = fac.has("hb_test")
        secs = open_s + int(rng.random() * (close_s - open_s))
        if group == CHILD or group == PREGNANT:
            active = self.pop.active_range(vi, group, ctx.ordinal)
            for _ in range(4 if active else 0):
                person = self.pop.person(vi, group, active[int(rng.random() * len(active))])
                if group == CHILD:
                    age = (day - person.birth).days
                    if 0 <= age < UNDER_FIVE_DAYS:
                        m = self._child(ctx, person, age, weigh=rng.random() < (0.9 if point != "home_visit" else 0.6),
                                        height_p=0.3)
                        self._emit(ctx, fac, point, person, secs, m, None, None)
                        return
                else:
                    ga = (day - person.lmp).days // 7
                    if 4 <= ga <= person.due_weeks:
                        m, preg = self._pregnant(ctx, person, ga, lab=lab, hb_p=0.75 if point == "puskesmas" else 0.5,
                                                 point=point)
                        self._emit(ctx, fac, point, person, secs, m, preg, None)
                        return
            group = ADULT
        size = self.pop.size(vi, group)
        if size <= 0:
            return
        # 40 % of these visits come from the 10 % of people who come often (chronic patients) [assumption]
        idx = int(rng.random() * size * FREQUENT_SHARE) if rng.random() < FREQUENT_VISITS else int(rng.random() * size)
        person = self.pop.person(vi, group, idx)
        m = self._general(ctx, person, group, lab=lab, point=point)
        self._emit(ctx, fac, point, person, secs, m, None, None)

    # ------------------------------------------------------------------ measurements
    def _gauss(self, mu: float, sd: float) -> float:
        """Normal variate by table lookup (see population.NORMAL_TABLE): ~4x cheaper than random.gauss."""
        return mu + sd * NORMAL_TABLE[int(self._random() * NORMAL_TABLE_SIZE)]

    def _child(self, ctx: _Day, child, age_days: int, *, weigh: bool, height_p: float) -> dict:
        rng = self.rng
        gauss = self._gauss
        month = ctx.month_index
        if child.z_month < 0:
            child.z_month = month
        elif month > child.z_month:
            for _ in range(min(60, month - child.z_month)):
                child.e_h = RHO_H * child.e_h + sqrt(1 - RHO_H * RHO_H) * gauss(0.0, 1.0)
                child.e_w = RHO_W * child.e_w + sqrt(1 - RHO_W * RHO_W) * gauss(0.0, 1.0)
            child.z_month = month
        age_months = min(60, int(age_days / 30.4375))
        haz = MU_H[age_months] + SIGMA_H * child.e_h
        whz = MU_W + SIGMA_W * (R_HW * child.e_h + sqrt(1 - R_HW * R_HW) * child.e_w)
        sex = child.sex
        true_len = growth.lenhei_cm(sex, age_days, haz)
        m: dict = {}
        if weigh:
            m["weight_kg"] = round(max(0.8, growth.weight_kg(sex, age_days, true_len, whz) + gauss(0.0, 0.05)), 1)
        if rng.random() < height_p:
            lying = age_days < growth.STANDING_SWITCH_DAYS
            measured = true_len
            if rng.random() < 0.03:  # wrong position: standing under 2 y is 0.7 cm shorter, lying over 2 y longer
                measured += -0.7 if lying else 0.7
                lying = not lying
            m["height_cm"] = round(max(30.0, measured + gauss(0.0, 0.3)), 1)
            m["measured_lying"] = lying
        if age_days >= 183 and rng.random() < 0.3:
            m["muac_cm"] = round(growth.muac_child_cm(sex, age_days, 0.6 * whz + gauss(-0.2, 0.6)), 1)
        if rng.random() < 0.2:
            m["cough_weeks"] = self._cough(TB_PRESUMPTIVE_CHILD)
        return m

    def _pregnant(self, ctx: _Day, woman, ga: int, *, lab: bool, hb_p: float, point: str) -> tuple[dict, dict]:
        rng = self.rng
        gauss = self._gauss
        woman.anc += 1
        preg: dict = {"gestational_weeks": ga, "anc_visit_number": woman.anc}
        if woman.anc == 1:
            preg["gravida"] = woman.gravida
            preg["living_children"] = woman.living
            if woman.since_last is not None:
                preg["months_since_last_birth"] = woman.since_last
        age = ctx.age_years(woman.birth)
        h_mean, h_sd = ADULT_HEIGHT["F"]
        height = h_mean + h_sd * woman.height
        bmi_pre = max(15.0, BMI_MEAN - 1.0 + BMI_SD * 0.9 * woman.bmi)
        gain = 0.0 if ga <= 12 else 0.42 * (ga - 12)
        m: dict = {"weight_kg": round(bmi_pre * (height / 100) ** 2 + gain + gauss(0, 0.3), 1)}
        if woman.anc == 1 or rng.random() < 0.2:
            m["height_cm"] = round(height, 1)
        if rng.random() < 0.9:
            m["muac_cm"] = self._muac_pregnant(woman)
        if rng.random() < 0.95:
            sbp, dbp, positive = self._bp(woman, age)
            m["systolic_mmhg"], m["diastolic_mmhg"] = sbp, dbp
            if positive and ga > 20 and point == "puskesmas" and rng.random() < 0.5:
                preg["proteinuria"] = 1 + int(rng.random() * 2.2)
        if lab and rng.random() < hb_p:
            m["hb_g_dl"] = self._hb_pregnant(woman)
        if rng.random() < 0.7:  # TB symptom screening at ANC (ilp-domain §2.1)
            m["cough_weeks"] = self._cough(TB_PRESUMPTIVE_ADULT)
        return m, preg

    def _general(self, ctx: _Day, person, group: int, *, lab: bool, point: str) -> dict:
        """School-age children, adults and elderly."""
        rng = self.rng
        gauss = self._gauss
        age = ctx.age_years(person.birth)
        sex = person.sex
        m: dict = {}
        if group == SCHOOL or age < 18:
            h = growth.school_height_cm(sex, age + 0.5, -0.8 + 1.1 * person.height)
            bmi = growth.bmi07(sex, (age + 0.5) * 12, -0.3 + 1.1 * person.bmi)
            if rng.random() < 0.8:
                m["weight_kg"] = round(bmi * (h / 100) ** 2 + gauss(0, 0.2), 1)
                m["height_cm"] = round(h, 1)
            if sex == "F" and age >= 12 and lab and rng.random() < 0.3:
                w = (person.u_hb + gauss(0.0, NOISE_HB)) * SCALE_HB - ADOLESCENT_ANAEMIA_T
                m["hb_g_dl"] = min(11.9, round(11.9 - 1.1 * w, 1)) if w >= 0 else max(12.0, round(12.0 - 1.1 * w, 1))
            if age >= 15 and rng.random() < 0.5:
                m["systolic_mmhg"], m["diastolic_mmhg"], _ = self._bp(person, age)
            if rng.random() < 0.3:
                m["cough_weeks"] = self._cough(TB_PRESUMPTIVE_ADULT if age >= 15 else TB_PRESUMPTIVE_CHILD)
            return m
        h_mean, h_sd = ADULT_HEIGHT[sex]
        height = h_mean + h_sd * person.height - (0.08 * (age - 50) if age > 50 else 0.0)
        bmi = min(50.0, max(14.0, BMI_MEAN + BMI_SD * person.bmi))
        if rng.random() < 0.85:
            m["weight_kg"] = round(bmi * (height / 100) ** 2 + gauss(0, 0.4), 1)
            m["height_cm"] = round(height, 1)
            if rng.random() < 0.7:
                m["waist_cm"] = round(2.6 * bmi + (20.0 if sex == "M" else 18.0) + 5.0 * person.waist, 1)
        if rng.random() < 0.93:
            m["systolic_mmhg"], m["diastolic_mmhg"], _ = self._bp(person, age)
        glucose_p = (0.45 if age >= 40 else 0.15) if lab else 0.0
        if rng.random() < glucose_p:
            m["glucose_mg_dl"], m["glucose_fasting"] = self._glucose(person, age)
        if rng.random() < 0.55:
            m["cough_weeks"] = self._cough(TB_PRESUMPTIVE_ADULT)
        if group == ELDERLY and rng.random() < 0.35:
            u = rng.random()
            m["adl_barthel"] = 20 if u < 0.8 else (12 + int(rng.random() * 8) if u < 0.95 else int(rng.random() * 12))
            if rng.random() < 0.3:
                m["skilas_positive_domains"] = rng.sample(("cognition", "mobility", "malnutrition", "vision",
                                                           "hearing", "depression"), 1 + (rng.random() < 0.3))
        if point != "home_visit" and age >= 40 and rng.random() < 0.1:
            m["puma_score"] = min(8, int(rng.expovariate(0.45)) + (1 if sex == "M" else 0))
        if point != "home_visit" and rng.random() < 0.08:
            m["srq20_score"] = min(20, int(rng.expovariate(0.4)))
        return m

    # ------------------------------------------------------------------ measurement-consistent traits
    def _bp(self, person, age: int) -> tuple[int, int, bool]:
        rng = self.rng
        w = (person.u_bp + self._gauss(0.0, NOISE_BP)) * SCALE_BP - HT_T[min(age, MAX_AGE)]
        r = rng.random()
        if w >= 0:
            if r < 0.8:
                sbp = min(260, 140 + int(16 * w + 6 * rng.random()))
                dbp = min(sbp - 10, max(55, int(0.55 * sbp + self._gauss(8.0, 6.0))))
            else:  # isolated diastolic hypertension
                dbp = min(130, 90 + int(8 * w + 3 * rng.random()))
                sbp = min(139, max(dbp + 15, 115 + int(20 * rng.random())))
                if sbp <= dbp:
                    sbp = dbp + 15
            return sbp, dbp, True
        sbp = max(88, 139 - int(14 * -w + 4 * r))
        dbp = max(45, min(89, sbp - 15, int(0.6 * sbp + self._gauss(2.0, 5.0))))
        return sbp, dbp, False

    def _glucose(self, person, age: int) -> tuple[int, bool]:
        rng = self.rng
        fasting = rng.random() < 0.25
        w = (person.u_dm + self._gauss(0.0, NOISE_DM)) * SCALE_DM - DM_T[min(age, MAX_AGE)]
        if w >= 0:
            value = 126 + int(45 * w + 5 * rng.random()) if fasting else 200 + int(70 * w + 10 * rng.random())
            return min(600, value), fasting
        value = 125 - int(15 * -w + 3 * rng.random()) if fasting else 199 - int(45 * -w + 5 * rng.random())
        return max(65, value), fasting

    def _hb_pregnant(self, woman) -> float:
        w = (woman.u_hb + self._gauss(0.0, NOISE_HB)) * SCALE_HB - ANAEMIA_T
        if w >= 0:
            return max(5.0, min(10.9, round(10.9 - 1.1 * w - 0.1 * self.rng.random(), 1)))
        return min(15.5, max(11.0, round(11.0 + 1.0 * -w + 0.1 * self.rng.random(), 1)))

    def _muac_pregnant(self, woman) -> float:
        w = (woman.u_muac + self._gauss(0.0, NOISE_MUAC)) * SCALE_MUAC - KEK_T
        if w >= 0:
            return max(17.0, min(23.4, round(23.4 - 1.2 * w, 1)))
        return min(40.0, max(23.5, round(23.5 + 2.8 * -w, 1)))

    def _cough(self, p: float) -> int:
        rng = self.rng
        if rng.random() < p:
            return (2, 2, 3, 3, 4, 6, 8)[int(rng.random() * 7)]
        return 1 if rng.random() < 0.15 else 0

    # ------------------------------------------------------------------ records
    def _epoch(self, day: date, secs: int) -> float:
        return (day.toordinal() - 719163) * 86400.0 + secs - self.offset_h * 3600

    def visit_body(self, ctx: _Day, fac: Facility, point: str, person, secs: int, m: dict,  # noqa: ANN001
                   rng: random.Random | None = None) -> dict:
        """The intake JSON of one visit at ``secs`` after local midnight (device skew applied)."""
        TWO = TWO_DIGITS
        local = secs + self._skew[fac.facility_id]
        self.generated += 1
        return {
            "visit_id": uuid4_text(rng or self.rng),
            "facility_id": fac.facility_id,
            "occurred_at": f"{ctx.iso}T{TWO[local // 3600]}:{TWO[local // 60 % 60]}:{TWO[local % 60]}{self.tz}",
            "service_point": point,
            "person": person.json or self.pop.identify(person),
            "measurements": m,
        }

    def push(self, e: Emission) -> None:
        """Queue one message in sending order."""
        self._seq += 1
        if self._today is not None:
            self._today.append((e.send_at, self._seq, e))
        else:  # generate_day called directly (tests, tools)
            heapq.heappush(self._pending, (e.send_at, self._seq, e))

    def _emit(self, ctx: _Day, fac: Facility, point: str, person, secs: int, m: dict, preg: dict | None,
              batch: float | None) -> None:
        rng = self.rng
        body = self.visit_body(ctx, fac, point, person, secs, m)
        if preg is not None:
            body["pregnancy"] = preg
        if self.syndromes is not None and point != "posyandu":
            self.syndromes.tag(body, ctx.day)
        occurred = ctx.epoch0 + secs
        send = batch + secs / 1000.0 if batch is not None else occurred + 5 + int(rng.random() * 240)
        for e in self.faults.emit(fac, body, occurred, send, batch is not None):
            self.push(e)


class _Day:
    """Per-day constants shared by the generators."""

    __slots__ = ("day", "iso", "epoch0", "month_index", "ordinal")

    def __init__(self, sim: Simulation, day: date) -> None:
        self.day = day
        self.ordinal = day.toordinal()
        self.iso = day.isoformat()
        self.epoch0 = sim._epoch(day, 0)
        self.month_index = day.year * 12 + day.month

    def age_years(self, born: date) -> int:
        d = self.day
        years = d.year - born.year
        return years - 1 if (d.month, d.day) < (born.month, born.day) else years


_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}
TWO_DIGITS = tuple(f"{i:02d}" for i in range(100))


def uuid4_text(rng: random.Random) -> str:
    """A random version-4 UUID string drawn from ``rng`` (deterministic by seed)."""
    h = rng.randbytes(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"


def _bisect(cum: list[int], u: float) -> int:
    lo, hi = 0, len(cum) - 1
    while lo < hi:
        mid = (lo + hi) // 2
        if cum[mid] > u:
            hi = mid
        else:
            lo = mid + 1
    return lo


def build_simulation(regions, district: str, *, seed: int = 1, start: date, days: int,  # noqa: ANN001
                     population_scale: float = 1.0, faults: FaultConfig | None = None,
                     params: Params | None = None, puskesmas_count: int | None = None, seasonal: bool = True,
                     syndrome_scale: float = 1.0, outbreaks: tuple[Outbreak, ...] | list[Outbreak] = (),
                     today: date | None = None) -> Simulation:
    """Network, population, faults and visit model of one district, ready to iterate.

    ``seasonal``: clinic visits carry the seasonal syndromes (``syndrome_scale`` thins them, for the
    demo); ``outbreaks``: clusters to inject (a week ``now`` is the ISO week of ``today``).
    """
    net = build_network(regions, district, seed=seed, population_scale=population_scale,
                        puskesmas_count=puskesmas_count)
    pop = Population(net.villages, net.populations, seed, start, days, regions, district)
    posyandu_ids = [p.facility_id for ps in net.posyandu.values() for p in ps]
    flt = Faults(faults or FaultConfig(), seed=seed, offset_hours=utc_offset_hours(district), posyandu_ids=posyandu_ids,
                 province=district[:2], regions=regions)
    p = params or Params()
    clinic_per_year = (p.pustu_per_1000 + p.puskesmas_per_1000 + p.home_per_1000) / 1000 * 6 * 365.25 / 7
    syndromes = Syndromes(seed, visits_per_person_year=clinic_per_year, scale=syndrome_scale) if seasonal else None
    injector = OutbreakInjector(list(outbreaks), seed=seed, villages={v.code for v in net.villages}, start=start,
                                days=days, today=today or start) if outbreaks else None
    return Simulation(net, pop, flt, start=start, days=days, seed=seed, params=params, syndromes=syndromes,
                      outbreaks=injector)
