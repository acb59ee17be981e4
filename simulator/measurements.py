"""What is measured at a visit: a child's growth, a pregnant woman's ANC measurements, and the
general screening of school-age children, adults and elderly, each consistent with the latent
traits of :mod:`simulator.prevalence` (see there how a binary condition becomes a measurement).

:class:`Measurements` is part of :class:`simulator.visits.Simulation`; it draws from its ``rng``
and ``_random``.
"""

from __future__ import annotations

import random as _random_module
from datetime import timedelta
from math import sqrt
from typing import TYPE_CHECKING

from shared.lifecycle import age_months as completed_months
from simulator import growth
from simulator.population import (
    ELDERLY,
    MAX_AGE,
    NORMAL_TABLE,
    NORMAL_TABLE_SIZE,
    SCHOOL,
    normal_quantile,
)
from simulator.prevalence import (
    ADOLESCENT_ANAEMIA_T,
    ADULT_HEIGHT,
    ANAEMIA_T,
    BIRTH_WEIGHT_MEAN_G,
    BIRTH_WEIGHT_RECORDED,
    BIRTH_WEIGHT_SD_G,
    BMI_MEAN,
    BMI_SD,
    CHOLESTEROL_MEAN,
    CHOLESTEROL_SD,
    DM_T,
    HT_T,
    KEK_T,
    KPSP_AT_SCHEDULE,
    KPSP_RESULTS,
    KPSP_SCHEDULE_MONTHS,
    MU_H,
    MU_W,
    NEWBORN_RECORD_DAYS,
    NOISE_BP,
    NOISE_DM,
    NOISE_HB,
    NOISE_MUAC,
    R_HW,
    RHO_H,
    RHO_W,
    SCALE_BP,
    SCALE_DM,
    SCALE_HB,
    SCALE_MUAC,
    SIGMA_H,
    SIGMA_W,
    SPM_DIABETES_CODED,
    SPM_ELDERLY,
    SPM_HYPERTENSION_CODED,
    SPM_PRODUCTIVE,
    TB_EXAMINED,
    TB_PRESUMPTIVE_ADULT,
    TB_PRESUMPTIVE_CHILD,
    TB_TEST_METHODS,
    TB_TEST_POSITIVE,
    TRIPLE_ALL_AT_K1,
    TRIPLE_REACTIVE,
    TRIPLE_TWO_AT_K1,
    TTD_NOT_GIVEN,
    TTD_RECORDED,
    TTD_TABLETS,
    VITAMIN_A_COVERAGE,
    VITAMIN_A_MONTHS,
)

if TYPE_CHECKING:
    import random

    from simulator.visits import _Day


class Measurements:
    """The measurement generators of a :class:`simulator.visits.Simulation`."""

    rng: random.Random
    services_rng: random.Random  # programme inputs (newborn, KPSP, vitamin A): their own stream
    vitamin_a_given: set  # (child key, year, month) of the round visits already decided

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

    def _tb_test(self, m: dict, point: str) -> None:
        """A TB examination for a presumptive person (cough >= 2 weeks) seen at a Pustu or Puskesmas."""
        if (m.get("cough_weeks") or 0) < 2 or point not in ("pustu", "puskesmas"):
            return
        r = self.services_rng.random
        if r() < TB_EXAMINED:
            m["tb_test"] = {"method": _choose(TB_TEST_METHODS, r()),
                            "result": "positive" if r() < TB_TEST_POSITIVE else "negative"}

    def _chronic_codes(self, person, age: int, m: dict, point: str) -> list[str] | None:  # noqa: ANN001
        """ICD-10 codes of a known hypertensive (I10) or diabetic (E11) seen at a Pustu or Puskesmas with the
        measurement (latent trait above the threshold without the visit noise)."""
        if point not in ("pustu", "puskesmas") or age < 15:
            return None
        r = self.services_rng.random
        codes = []
        if m.get("systolic_mmhg") is not None and person.u_bp * SCALE_BP >= HT_T[min(age, MAX_AGE)] \
                and r() < SPM_HYPERTENSION_CODED:
            codes.append("I10")
        if m.get("glucose_mg_dl") is not None and person.u_dm * SCALE_DM >= DM_T[min(age, MAX_AGE)] \
                and r() < SPM_DIABETES_CODED:
            codes.append("E11")
        return codes or None

    def _child_services(self, ctx: _Day, child, age_days: int, m: dict) -> dict | None:
        """The programme inputs of an under-five's visit (a separate random stream, ``services_rng``):
        the newborn block with the birth weight (first 26 days), a KPSP result in a month of the KPSP
        schedule, and ``measurements.vitamin_a_given`` at the first visit of a February/August round month.
        Returns the extra top-level fields of the visit (or None); ``vitamin_a_given`` is set in ``m``."""
        r = self.services_rng.random
        extra: dict = {}
        if age_days <= NEWBORN_RECORD_DAYS and r() < BIRTH_WEIGHT_RECORDED:
            extra["newborn"] = {"birth_weight_g": birth_weight_g(child.key)}
        day = ctx.day
        # months of age on both sides of the birth date +-3 days (a data-quality warning shifts it by 1-2 days)
        lo = completed_months(child.birth + timedelta(days=3), day)
        hi = completed_months(child.birth - timedelta(days=3), day)
        if lo == hi and lo in KPSP_SCHEDULE_MONTHS and r() < KPSP_AT_SCHEDULE:
            u, result = r(), KPSP_RESULTS[-1][0]
            for name, share in KPSP_RESULTS:
                if u < share:
                    result = name
                    break
                u -= share
            extra["development"] = {"kpsp": result}
        if day.month in VITAMIN_A_MONTHS and 6 <= lo and hi <= 59:
            given = self.vitamin_a_given
            round_key = (child.key, day.year, day.month)
            if round_key not in given:
                given.add(round_key)
                if r() < VITAMIN_A_COVERAGE:
                    m["vitamin_a_given"] = True
        return extra or None

    def _pregnant(self, ctx: _Day, woman, ga: int, *, lab: bool, hb_p: float, point: str,
                  contact=None) -> tuple[dict, dict]:  # noqa: ANN001
        """``contact``: the :class:`simulator.anc.Contact` this visit is (a standard ANC contact with its
        K-number), or None (a kader's Posyandu visit or a sick visit: no ``anc``, no K-number)."""
        rng = self.rng
        gauss = self._gauss
        woman.anc += 1
        preg: dict = {"gestational_weeks": ga}
        if contact is not None:  # a standard ANC contact by a health worker (contracts.md, pregnancy.anc)
            preg["anc_visit_number"] = contact.number
            preg["anc"] = {"by": contact.by, "ultrasound": contact.by == "doctor"}
            if contact.number == 1:  # triple elimination at the first contact
                r = self.services_rng.random
                u = r()
                tests = TRIPLE_REACTIVE if u < TRIPLE_ALL_AT_K1 else (
                    ("hiv", "hbsag") if u < TRIPLE_ALL_AT_K1 + TRIPLE_TWO_AT_K1 else ())
                if tests:
                    preg["labs"] = {t: "reactive" if r() < TRIPLE_REACTIVE[t] else "non_reactive" for t in tests}
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
            self._tb_test(m, point)
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
                self._tb_test(m, point)
            if sex == "F" and 10 <= age < 18 and point != "home_visit":
                r = self.services_rng.random
                if r() < TTD_RECORDED:  # tablet tambah darah for remaja putri
                    m["ttd_tablets"] = 0 if r() < TTD_NOT_GIVEN else TTD_TABLETS
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
            self._tb_test(m, point)
        if lab and point != "home_visit":
            self._spm_screen(person, age, group, m, height, bmi)
        if group == ELDERLY and rng.random() < 0.35:
            u = rng.random()
            m["adl_barthel"] = 20 if u < 0.8 else (12 + int(rng.random() * 8) if u < 0.95 else int(rng.random() * 12))
            if rng.random() < 0.3:
                m["skilas_positive_domains"] = rng.sample(("cognition", "mobility", "malnutrition", "vision",
                                                           "hearing", "depression"), 1 + (rng.random() < 0.3))
        if m.get("_spm_elderly"):
            del m["_spm_elderly"]
            m.setdefault("adl_barthel", 20)
            m.setdefault("skilas_positive_domains", [])
        if point != "home_visit" and age >= 40 and rng.random() < 0.1:
            m["puma_score"] = min(8, int(rng.expovariate(0.45)) + (1 if sex == "M" else 0))
        if point != "home_visit" and rng.random() < 0.08:
            m["srq20_score"] = min(20, int(rng.expovariate(0.4)))
        return m

    def _spm_screen(self, person, age: int, group: int, m: dict, height: float, bmi: float) -> None:  # noqa: ANN001
        """The full SPM screen at some visits with a lab (Permenkes 4/2019 [PMK4-2019]): usia produktif —
        weight, height, waist, blood pressure, glucose; lansia — also total cholesterol, ADL and SKILAS."""
        r = self.services_rng.random
        if group == ELDERLY:
            if r() >= SPM_ELDERLY:
                return
            m["_spm_elderly"] = True
            if "cholesterol_total_mg_dl" not in m:
                m["cholesterol_total_mg_dl"] = round(max(90.0, self._gauss(CHOLESTEROL_MEAN, CHOLESTEROL_SD)))
        elif r() >= SPM_PRODUCTIVE:
            return
        if "weight_kg" not in m:
            m["weight_kg"] = round(bmi * (height / 100) ** 2 + self._gauss(0, 0.4), 1)
            m["height_cm"] = round(height, 1)
        if "waist_cm" not in m:
            m["waist_cm"] = round(2.6 * bmi + (20.0 if person.sex == "M" else 18.0) + 5.0 * person.waist, 1)
        if "systolic_mmhg" not in m:
            m["systolic_mmhg"], m["diastolic_mmhg"], _ = self._bp(person, age)
        if "glucose_mg_dl" not in m:
            m["glucose_mg_dl"], m["glucose_fasting"] = self._glucose(person, age)

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


def birth_weight_g(key: int) -> int:
    """A child's birth weight (g), fixed by its identity: N(BIRTH_WEIGHT_MEAN_G, BIRTH_WEIGHT_SD_G) in 300-6,000."""
    u = _random_module.Random(f"birth-weight:{key}").random()
    z = normal_quantile(min(max(u, 1e-9), 1 - 1e-9))
    return int(min(6000, max(300, round(BIRTH_WEIGHT_MEAN_G + BIRTH_WEIGHT_SD_G * z))))


def _choose(shares: tuple[tuple[str, float], ...], u: float) -> str:
    """The name whose cumulative share first exceeds ``u`` (the last one otherwise)."""
    for name, share in shares:
        if u < share:
            return name
        u -= share
    return shares[-1][0]
