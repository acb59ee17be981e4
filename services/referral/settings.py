"""Referral settings: deadlines per urgency, the sync grace and the checker interval are configurable."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, field_validator

from services.referral.domain.lifecycle import DEFAULT_DEADLINE_DAYS, SEVERITY_ORDER
from shared.settings import ServiceSettings


class ReferralSettings(ServiceSettings):
    """Referral's settings on top of the common ones (environment prefix ``JEJARING_``)."""

    service: str = "referral"
    overdue_days: dict[str, float] = Field(
        default_factory=lambda: dict(DEFAULT_DEADLINE_DAYS),
        description="days from the risk's event time to attend a referral, per urgency; JSON in "
                    "JEJARING_OVERDUE_DAYS; defaults emergency 1, high 3, moderate 7, low 30",
    )
    overdue_grace_hours: float = Field(
        default=24.0, ge=0,
        description="the alarm waits this long past due_at for late-synced attended/cancelled updates",
    )
    overdue_check_seconds: float = Field(default=30.0, gt=0, description="how often the overdue checker runs")
    overdue_batch: int = Field(default=500, ge=1, description="referrals flagged per checker transaction")

    @field_validator("overdue_days")
    @classmethod
    def _every_urgency(cls, value: dict[str, float]) -> dict[str, float]:
        merged = {**DEFAULT_DEADLINE_DAYS, **value}
        unknown = set(merged) - set(SEVERITY_ORDER)
        if unknown:
            raise ValueError(f"unknown urgencies {sorted(unknown)}")
        if any(days <= 0 for days in merged.values()):
            raise ValueError("deadlines must be positive")
        return merged

    @property
    def overdue_grace(self) -> timedelta:
        return timedelta(hours=self.overdue_grace_hours)
