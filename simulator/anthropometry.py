"""The ground truth's own judgement of a child's measurements, independent of the screening service.

* **WHO z-scores** by ``pygrowup`` (the ``pygrowup2==1.0.0`` wheel): its ``Observation`` computes the WHO
  Child Growth Standards 2006 z-scores itself, in ``Decimal`` (screening reads the same published LMS
  tables with code of its own, in floats). Around it, WHO's procedure as the WHO anthro software applies
  it (WHO Child Growth Standards: Methods and development, 2006, chapter 7; WHO anthro's ``c9mo`` rule):
  length below 731 days, height from 731 days (0.7 cm added to a standing length, subtracted from a lying
  height; a standing measurement before 9 months is not corrected), weight-for-length 45-110 cm below 731
  days, weight-for-height 65-120 cm from 731 days; z-scores rounded to 2 decimals; with bilateral oedema
  no weight-based z-score.
* **WHO prevalence rules** (contracts.md, Corrections to v1): a z-score WHO flags as biologically
  implausible (weight-for-age < -6 or > 5, length/height-for-age < -6 or > 6, weight-for-length/height
  < -5 or > 5) counts in neither numerator nor denominator; oedema counts below -3 SD for the
  weight-based indicators.
* **Weighing trend** (SKDN N/T, Buku KIA 2023): T when the gain since the last weighing of the previous
  calendar month is below the KBM of the child's age in completed months (``shared.kms``, the published
  table), 2T when the step before it was T too. The juknis counts a child under 6 years with weight loss
  or no gain in the previous two months as presumptive TB [ILP-T 10-skrining-tb].
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal

from shared.kms import KBM_G
from shared.lifecycle import age_months

ZSCORE_SOURCE = "pygrowup2==1.0.0 (pygrowup.Observation)"
STANDING_FROM_DAYS = 731
STANDING_CORRECTED_FROM_MONTHS = 9  # WHO anthro: a standing measurement before 9 months is not corrected
DAYS_PER_MONTH = 30.4375
WFL_CM, WFH_CM = (45.0, 110.0), (65.0, 120.0)
# WHO flags of biologically implausible z-scores: (lowest plausible, highest plausible).
PLAUSIBLE = {"wfa": (-6.0, 5.0), "lhfa": (-6.0, 6.0), "wflh": (-5.0, 5.0)}

ZScores = tuple[float | None, float | None, float | None]  # wfa, lhfa, wflh


def _z(compute: Callable[[], Decimal]) -> float | None:
    try:
        return float(compute()) + 0.0  # pygrowup quantizes to 0.01; no -0.0
    except Exception:  # noqa: BLE001 - out of its tables or ranges: not computable
        return None


def who2006(sex: str, age_days: int, weight: float | None, height: float | None, lying: bool | None,
            muac: float | None = None, oedema: bool | None = None) -> ZScores:  # noqa: ARG001 - MUAC not judged
    """(weight-for-age, length/height-for-age, weight-for-length/height) z-scores under 60 months."""
    from pygrowup import Observation

    if age_days < 0:
        return None, None, None
    child = Observation(Observation.MALE if sex == "M" else Observation.FEMALE, age_in_days=max(age_days, 1))
    child.t = age_days  # pygrowup takes a falsy age (day 0) as none given
    weight = None if oedema else weight
    wfa = _z(lambda: child.wfa(weight)) if weight is not None else None
    lhfa = wflh = None
    if height is not None:
        length = height
        if lying is not None:
            if age_days < STANDING_FROM_DAYS and not lying \
                    and age_days / DAYS_PER_MONTH >= STANDING_CORRECTED_FROM_MONTHS:
                length = height + 0.7
            elif age_days >= STANDING_FROM_DAYS and lying:
                length = height - 0.7
        lhfa = _z(lambda: child.lhfa(length, auto_adjust=False))
        if weight is not None:
            by_length = age_days < STANDING_FROM_DAYS
            low, high = WFL_CM if by_length else WFH_CM
            if low <= length <= high:
                wflh = _z(lambda: child.wfl(weight, length) if by_length else child.wfh(weight, length))
    return wfa, lhfa, wflh


def prevalence_verdicts(z: Sequence[float | None], oedema: bool | None) -> dict[str, bool]:
    """underweight / stunting / wasting of one under-five visit by WHO's prevalence rules (absent: not counted)."""
    out: dict[str, bool] = {}
    for name, key, value in (("underweight", "wfa", z[0]), ("stunting", "lhfa", z[1]), ("wasting", "wflh", z[2])):
        low, high = PLAUSIBLE[key]
        if value is not None and low <= value <= high:
            out[name] = value < -2
    if oedema:
        out["underweight"] = out["wasting"] = True
    return out


def kbm_g(months: int) -> int | None:
    """The KBM at an age in completed months; none under the first month."""
    found = None
    for start, grams in KBM_G:
        if months >= start:
            found = grams
    return found


def _step(birth: date, before: tuple[date, float], after: tuple[date, float]) -> bool | None:
    """Whether the monthly step ``before`` -> ``after`` is T (None: no KBM at that age)."""
    kbm = kbm_g(age_months(birth, after[0]))
    if kbm is None:
        return None
    return round((after[1] - before[1]) * 1000) < kbm


def trend(birth: date, on: date, weight: float, earlier: Sequence[tuple[date, float]]) -> tuple[str, bool] | None:
    """("N" or "T", 2T) of this weighing against the last weighing of the previous calendar month (None: no such
    weighing, or no KBM at the child's age); 2T when T now and the step before it (from the month before) was T."""
    month = on.year * 12 + on.month

    def last_of(back: int) -> tuple[date, float] | None:
        found = [w for w in earlier if w[0] < on and month - (w[0].year * 12 + w[0].month) == back]
        return max(found) if found else None

    previous = last_of(1)
    if previous is None:
        return None
    now = _step(birth, previous, (on, weight))
    if now is None:
        return None
    before = last_of(2)
    return ("T" if now else "N"), bool(now and before is not None and _step(birth, before, previous))


def two_t(birth: date, on: date, weight: float, earlier: Sequence[tuple[date, float]]) -> bool:
    """T at this weighing and at the previous monthly one; ``earlier``: the child's weighings known before."""
    month = on.year * 12 + on.month

    def last_of(back: int) -> tuple[date, float] | None:
        found = [w for w in earlier if w[0] < on and month - (w[0].year * 12 + w[0].month) == back]
        return max(found) if found else None  # the latest (the heavier of two on one day)

    previous, before = last_of(1), last_of(2)
    if previous is None or before is None or not _step(birth, previous, (on, weight)):
        return False
    return bool(_step(birth, before, previous))
