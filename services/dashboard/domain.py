"""Dashboard's pure domain: the indicator registry and the PWS arithmetic.

Each indicator names its Indonesian label, what counts in its numerator and denominator, and its
source (contracts.md minimum set; thresholds per ilp-domain.md). Two kinds:
- ``count``: events counted per (village, month of event time);
- ``person``: each person counts once per period, by their latest qualifying measurement.
Adding an indicator is one entry here plus its tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from shared.contracts.events import EventData, ReferralMade, ReferralUpdated, RiskDetected, VisitRecorded, VisitScreened

ADULT_DAYS = 15 * 365.25  # NCD screens start at 15 years [ILP-T 02-skrining-hipertensi]


@dataclass(frozen=True)
class Indicator:
    """One PWS indicator."""

    id: str
    label: str
    kind: str  # "count" | "person"
    event: type[EventData]
    unit: str  # "%" or "orang"/"kunjungan"/"rujukan"
    source: str
    # person: event -> None (does not qualify) or whether it is in the numerator
    # count: event -> whether it counts
    judge: Callable[[EventData], bool | None]
    denominator: str | None = None  # None | "measured" | "target:<group>"
    target_pct: float | None = None


def _m(e: VisitRecorded):
    return e.measurements


def _hypertension(e: VisitRecorded) -> bool | None:
    m = _m(e)
    if e.age_days < ADULT_DAYS or m.systolic_mmhg is None or m.diastolic_mmhg is None:
        return None
    return m.systolic_mmhg >= 140 or m.diastolic_mmhg >= 90


def _diabetes(e: VisitRecorded) -> bool | None:
    m = _m(e)
    if e.age_days < ADULT_DAYS or m.glucose_mg_dl is None:
        return None
    return m.glucose_mg_dl >= (126 if m.glucose_fasting else 200)


def _anaemia_pregnancy(e: VisitRecorded) -> bool | None:
    if e.pregnancy is None or _m(e).hb_g_dl is None:
        return None
    return _m(e).hb_g_dl < 11.0


def _kek(e: VisitRecorded) -> bool | None:
    if e.pregnancy is None or _m(e).muac_cm is None:
        return None
    return _m(e).muac_cm < 23.5


def _tb(e: VisitRecorded) -> bool | None:
    cough = _m(e).cough_weeks
    return True if cough is not None and cough >= 2 else None


def _weighed(e: VisitRecorded) -> bool | None:
    return True if e.stage == "under_five" and _m(e).weight_kg is not None else None


def _z_below(name: str) -> Callable[[VisitScreened], bool | None]:
    def judge(e: VisitScreened) -> bool | None:
        if e.stage != "under_five":
            return None
        z = getattr(e.zscores, name)
        return None if z is None else z < -2

    return judge


def _status(status: str) -> Callable[[ReferralUpdated], bool]:
    return lambda e: e.status == status


REGISTRY: tuple[Indicator, ...] = (
    Indicator("visits", "Kunjungan", "count", VisitRecorded, "kunjungan", "contracts.md", lambda e: True),
    Indicator("children_weighed", "Balita ditimbang (D/S)", "person", VisitRecorded, "%", "SKDN D/S [SKDN-SCRIBD]",
              _weighed, denominator="target:under_five", target_pct=80),
    Indicator("underweight", "Balita berat badan kurang (BB/U < -2 SD)", "person", VisitScreened, "%", "PMK 2/2020",
              _z_below("wfa"), denominator="measured"),
    Indicator("stunting", "Balita pendek/stunting (TB/U < -2 SD)", "person", VisitScreened, "%", "PMK 2/2020",
              _z_below("lhfa"), denominator="measured"),
    Indicator("wasting", "Balita gizi kurang/wasting (BB/TB < -2 SD)", "person", VisitScreened, "%", "PMK 2/2020",
              _z_below("wflh"), denominator="measured"),
    Indicator("anemia_pregnancy", "Ibu hamil anemia (Hb < 11 g/dL)", "person", VisitRecorded, "%", "[WHO-HB]",
              _anaemia_pregnancy, denominator="measured"),
    Indicator("kek_pregnancy", "Ibu hamil KEK (LiLA < 23,5 cm)", "person", VisitRecorded, "%", "[ILP-T 03-pmt-ibu-hamil-kek]",
              _kek, denominator="measured"),
    Indicator("hypertension", "Hipertensi usia >= 15 th (>= 140/90)", "person", VisitRecorded, "%",
              "[ILP-T 02-skrining-hipertensi]", _hypertension, denominator="measured"),
    Indicator("diabetes", "Diabetes (GDS >= 200 / GDP >= 126)", "person", VisitRecorded, "%",
              "[ILP-T 03-skrining-dm]", _diabetes, denominator="measured"),
    Indicator("tb_presumptive", "Terduga TBC (batuk >= 2 minggu)", "person", VisitRecorded, "orang",
              "[ILP-T 10-skrining-tb]", _tb),
    Indicator("risks_detected", "Risiko terdeteksi", "count", RiskDetected, "risiko", "screening rules", lambda e: True),
    Indicator("referrals_made", "Rujukan dibuat", "count", ReferralMade, "rujukan", "contracts.md", lambda e: True),
    Indicator("referrals_completed", "Rujukan selesai (rujuk balik)", "count", ReferralUpdated, "rujukan", "contracts.md",
              _status("completed")),
    Indicator("referrals_overdue", "Rujukan terlambat", "count", ReferralUpdated, "rujukan", "contracts.md",
              _status("overdue")),
)
BY_ID = {i.id: i for i in REGISTRY}


def percentage(numerator: int, denominator: int | None) -> float | None:
    """``numerator / denominator`` in percent, one decimal; None without a denominator."""
    if not denominator:
        return None
    return round(100.0 * numerator / denominator, 1)


def cell(indicator: Indicator, numerator: int, measured: int, target: int | None) -> dict:
    """The contract's ``{"numerator", "denominator", "value"}`` for one area."""
    if indicator.denominator is None:
        return {"numerator": numerator, "denominator": None, "value": numerator}
    denominator = target if indicator.denominator.startswith("target:") else measured
    return {"numerator": numerator, "denominator": denominator, "value": percentage(numerator, denominator)}


def level_of(code: str) -> str:
    """Administrative level by the shape of a Kemendagri code."""
    return {2: "province", 5: "kabupaten", 8: "kecamatan", 13: "desa"}.get(len(code), "unknown")
