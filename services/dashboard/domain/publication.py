"""What a published number may show: small-count suppression and village freshness."""

from __future__ import annotations

from datetime import datetime, timedelta

SMALL = "<5"


def suppress(count: int | None, enabled: bool) -> int | str | None:
    """A count of 1–4 becomes ``"<5"`` when suppression is on (0 and ≥ 5 are published)."""
    if enabled and count is not None and 1 <= count <= 4:
        return SMALL
    return count


def freshness_cutoffs(now: datetime, fresh_days: float, silent_days: float) -> tuple[datetime, datetime]:
    """The event times from which a village is ``baru`` and from which it is at least ``lama``."""
    return now - timedelta(days=fresh_days), now - timedelta(days=silent_days)


def freshness_status(last: datetime | None, now: datetime, fresh_days: float, silent_days: float) -> str:
    """``"baru"`` (≤ fresh_days), ``"lama"`` (≤ silent_days) or ``"senyap"`` (older or never)."""
    if last is None:
        return "senyap"
    fresh_since, silent_since = freshness_cutoffs(now, fresh_days, silent_days)
    if last >= fresh_since:
        return "baru"
    return "lama" if last >= silent_since else "senyap"
