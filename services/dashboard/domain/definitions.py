"""What the page shows when a person taps an indicator's label: its definition in Bahasa Indonesia,
read from the registry entry (numerator, denominator, target and how it applies, source), with the
target's monthly path from :func:`arithmetic.target_for` — no second copy of the target rule."""

from __future__ import annotations

from services.dashboard.domain import arithmetic
from services.dashboard.domain.registry import Indicator


def _pct(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") + " %"


def counting(indicator: Indicator) -> str:
    """How the numerator counts, in Bahasa Indonesia."""
    if indicator.kind == "person":
        return ("Per orang: setiap orang dihitung sekali per periode, menurut pengukuran terakhirnya pada periode "
                "itu; kumulatif menghitung setiap orang sekali dari Januari s.d. bulan yang dipilih.")
    return "Jumlah kejadian: setiap kejadian dihitung pada bulan terjadinya (waktu kejadian, bukan waktu kirim)."


def denominator_text(indicator: Indicator) -> str:
    if indicator.base is None:
        return "Tidak ada penyebut: angka yang ditampilkan adalah jumlah."
    if indicator.target_groups:
        return f"{indicator.denominator} — sasaran tahunan yang diimpor (target penduduk tahun itu)"
    return f"{indicator.denominator} — orang yang diperiksa pada periode itu"


def target_text(indicator: Indicator) -> str:
    if indicator.target is None:
        return "Tidak ada target (tanpa warna)."
    better = "lebih tinggi lebih baik" if indicator.direction == "up" else "lebih rendah lebih baik"
    return f"{_pct(indicator.target)} ({better})"


def applies(indicator: Indicator) -> str:
    """How the target applies to the monthly and the year-to-date value."""
    if indicator.target is None:
        return "Bulanan dan kumulatif (Januari s.d. bulan ini) ditampilkan tanpa garis target."
    if indicator.ytd == "prorata":
        jan = arithmetic.target_for(indicator, "2000-01", cumulative=True)
        jun = arithmetic.target_for(indicator, "2000-06", cumulative=True)
        return (f"Kumulatif dengan garis target per bulan: target tahunan {_pct(indicator.target)} dibagi rata — "
                f"s.d. Januari {_pct(jan)}, s.d. Juni {_pct(jun)}, s.d. Desember {_pct(indicator.target)}; "
                f"nilai bulanan dibandingkan dengan {_pct(jan)} (target/12).")
    return (f"Bulanan: setiap bulan dibandingkan dengan target yang sama ({_pct(indicator.target)}); "
            "nilai kumulatif s.d. bulan ini juga dengan target itu (garis target datar).")


def definition(indicator: Indicator) -> dict:
    """The fields ``/v1/indicators`` adds to each registry entry for the definition panel."""
    return {
        "counting": counting(indicator),
        "denominator_text": denominator_text(indicator),
        "target_text": target_text(indicator),
        "applies": applies(indicator),
        "monthly_target": arithmetic.target_for(indicator, "2000-01", cumulative=False),
        "target_path": [arithmetic.target_for(indicator, f"2000-{m:02d}", cumulative=True) for m in range(1, 13)],
    }
