"""What a published number may show: small-count suppression and village freshness."""

from __future__ import annotations

from datetime import datetime

SMALL = "<5"


def suppress(count: int | None, enabled: bool) -> int | str | None:
    """A count of 1–4 becomes ``"<5"`` when suppression is on (0 and ≥ 5 are published)."""
    if enabled and count is not None and 1 <= count <= 4:
        return SMALL
    return count


def freshness_status(last: datetime | None, now: datetime, fresh_days: float, silent_days: float) -> str:
    """``"baru"`` (≤ fresh_days), ``"lama"`` (≤ silent_days) or ``"senyap"`` (older or never)."""
    if last is None:
        return "senyap"
    age = (now - last).total_seconds() / 86400
    if age <= fresh_days:
        return "baru"
    return "lama" if age <= silent_days else "senyap"
