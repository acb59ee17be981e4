"""Referral settings: deadlines per urgency are configurable."""

from __future__ import annotations

from pydantic import Field

from shared.settings import ServiceSettings


class ReferralSettings(ServiceSettings):
    """Referral's settings on top of the common ones."""

    service: str = "referral"
    overdue_days: dict[str, float] = Field(
        default_factory=lambda: {"emergency": 1, "high": 3, "moderate": 7, "low": 30},
        description="days to attend a referral, per urgency (documented defaults)",
    )
    overdue_check_seconds: float = 30.0
