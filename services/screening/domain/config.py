"""The rule set's configurable values: every choice the sources leave open, with its default and source.

``ScreeningConfig`` is a frozen value; the service builds it from its settings
(``ScreeningSettings.screening_config()``), tests and the CLI use ``DEFAULT`` or their own.
Values marked [UNCONFIRMED] in ``docs/screening-rules.md`` are assumptions kept here on purpose.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from shared.kms import KBM_G

# [KIA2023] KBM (kenaikan berat badan minimal), grams per month by age in completed months: the published
# table, kept once in shared.kms ([UNCONFIRMED] legacy KMS mapping; 11 months and over: 200 g).
DEFAULT_KBM_G: tuple[tuple[int, int], ...] = KBM_G
# [ILP-T 01-anc-terpadu] 1-2-3 schedule: cumulative contacts due by gestational week. The juknis gives the
# trimester totals (1 by 12, 3 by 24, 6 by delivery); the intermediate third-trimester deadlines (4 by 30,
# 5 by 36) spread its three contacts evenly [UNCONFIRMED].
DEFAULT_ANC_DEADLINES: tuple[tuple[int, int], ...] = ((12, 1), (24, 3), (30, 4), (36, 5), (40, 6))
# Neonatal visit windows in days of age: (KN number, first day, last day). [UNCONFIRMED] standard SPM
# windows (KN1 6-48 h, KN2 3-7 d, KN3 8-28 d), ilp-domain.md section 2.1.
DEFAULT_KN_WINDOWS: tuple[tuple[int, int, int], ...] = ((1, 0, 2), (2, 3, 7), (3, 8, 28))
# [ILP-T 05-pelayanan-nifas] postpartum visits in days after delivery: KF1 6 h-2 d, KF2 3-7, KF3 8-28, KF4 29-42.
DEFAULT_KF_WINDOWS: tuple[tuple[int, int, int], ...] = ((1, 0, 2), (2, 3, 7), (3, 8, 28), (4, 29, 42))


@dataclass(frozen=True)
class ScreeningConfig:
    """Configurable values of the rule set (defaults: the sources' values or the documented assumption)."""

    # Haemoglobin: "who2011" (WHO 2011, as reproduced by Kemenkes 2016 [WHO-HB]) or "who2024" (WHO 2024
    # guideline). Only screening's risks use it; the v1 PWS facts keep the contract's Hb < 11 g/dL.
    anaemia_reference: str = "who2011"
    # Adjust Hb for the elevation of residence and smoking when those inputs are given (WHO 2011 tables).
    hb_adjustments: bool = True
    # Growth monitoring: "kbm" (T = gain below the KBM) or "kbm_or_curve" (N also when the
    # weight-for-age z did not fall since last month's weighing: the curve follows the growth line) [KIA2023].
    growth_n_rule: str = "kbm"
    kbm_g: tuple[tuple[int, int], ...] = DEFAULT_KBM_G
    anc_deadlines: tuple[tuple[int, int], ...] = DEFAULT_ANC_DEADLINES
    # K5 (doctor contact with ultrasound in trimester 3) expected by this gestational week [UNCONFIRMED].
    anc_doctor_t3_by_week: int = 36
    # Visits whose estimated conceptions lie within this many days belong to one pregnancy.
    same_pregnancy_days: int = 45
    # Child TB: fever for at least this many weeks (juknis "> 2 minggu dan/atau berulang"; issue: >= 2).
    tb_child_fever_weeks: float = 2.0
    # Immunisation: a dose is overdue this many months after it became due [UNCONFIRMED].
    immunization_grace_months: int = 1
    # HB0 can be given up to this age in days (after that it is no longer due) [UNCONFIRMED].
    hb0_max_days: int = 7
    # BCG catch-up up to this age in months [UNCONFIRMED].
    bcg_max_months: int = 12
    # Vitamin A rounds (months of the year) [ILP-T 07-vitamin-a] and deworming [ILP-T 07-vitamin-a].
    vitamin_a_months: tuple[int, ...] = (2, 8)
    deworming_from_months: int = 12  # [UNCONFIRMED] PMK 15/2017 gives 1-12 years for balita deworming
    deworming_interval_days: int = 365
    # Adolescent girls' TTD: a tablet a week [ILP-T 02-pemberian-tdd]; none for this many days: not received.
    ttd_interval_days: int = 35  # [UNCONFIRMED] one week of slack on the weekly regimen
    # Adolescent girls' Hb screening at grades 7 and 10 [ILP-T 01-skrining-anemia]; a test in this many days counts.
    hb_screen_lookback_days: int = 365
    # SDQ total difficulties (borderline from, abnormal from): parent/teacher UK bands 14 / 17 seen in secondary
    # copies of sdqinfo.org [S]; self-report 16 / 20 [UNCONFIRMED]; national norms may differ.
    sdq_parent_cutoffs: tuple[int, int] = (14, 17)
    sdq_self_cutoffs: tuple[int, int] = (16, 20)
    # Glucose at or above this (mg/dL) gets a same-day doctor check for a hyperglycaemic crisis [UNCONFIRMED].
    glucose_crisis_mg_dl: float = 300.0
    kn_windows: tuple[tuple[int, int, int], ...] = DEFAULT_KN_WINDOWS
    kf_windows: tuple[tuple[int, int, int], ...] = DEFAULT_KF_WINDOWS

    def __post_init__(self) -> None:
        if self.anaemia_reference not in ("who2011", "who2024"):
            raise ValueError(f"anaemia_reference must be who2011 or who2024, not {self.anaemia_reference!r}")
        if self.growth_n_rule not in ("kbm", "kbm_or_curve"):
            raise ValueError(f"growth_n_rule must be kbm or kbm_or_curve, not {self.growth_n_rule!r}")
        if not self.kbm_g or any(m < 1 or g < 0 for m, g in self.kbm_g):
            raise ValueError("kbm_g needs (month >= 1, grams >= 0) pairs")
        weeks = [w for w, _ in self.anc_deadlines]
        if weeks != sorted(weeks):
            raise ValueError("anc_deadlines must be in increasing weeks")

    @cached_property
    def _kbm_by_month(self) -> tuple[int | None, ...]:
        last = self.kbm_g[-1][0]
        table: list[int | None] = [None] * (last + 1)
        for month in range(last + 1):
            for m, g in self.kbm_g:
                if m <= month:
                    table[month] = g
        return tuple(table)

    @cached_property
    def vitamin_a_max_gap_months(self) -> int:
        """The longest wait, in months, from one vitamin A round month to the next (cyclic)."""
        months = sorted(set(self.vitamin_a_months))
        return max((b - a) % 12 or 12 for a, b in zip(months, months[1:] + months[:1]))

    def kbm(self, age_months: int) -> int | None:
        """Minimum monthly weight gain (g) at an age in completed months; ``None`` under the first month."""
        table = self._kbm_by_month
        return table[min(age_months, len(table) - 1)] if age_months >= 0 else None


DEFAULT = ScreeningConfig()
