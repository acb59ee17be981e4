"""Surveillance settings: the rules as configuration, the escalation clock, the internal API's token."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from pydantic import Field, SecretStr, field_validator, model_validator

from services.surveillance.domain import catalogue
from services.surveillance.domain.catalogue import Disease
from services.surveillance.domain.lifecycle import ESCALATION_HOURS
from shared.settings import ServiceSettings


class SurveillanceSettings(ServiceSettings):
    """Surveillance's settings on top of the common ones (environment prefix ``JEJARING_``)."""

    service: str = "surveillance"
    surveillance_rules: dict[str, dict[str, dict[str, Any] | None]] = Field(
        default_factory=dict,
        description="changes to the default SKDR rules, JSON in JEJARING_SURVEILLANCE_RULES: "
                    '{"suspected_dengue": {"village": {"method": "mean_sd", "weeks": 8, "k": 2, "min_cases": 3}}}; '
                    "null for a level stops watching the disease there (docs/surveillance.md)",
    )
    escalation_hours: float = Field(default=ESCALATION_HOURS, gt=0,
                                    description="an unverified signal is escalated this long after it was raised")
    escalation_check_seconds: float = Field(default=30.0, gt=0, description="how often the escalation checker runs")
    escalation_batch: int = Field(default=500, ge=1, description="signals escalated per checker transaction")
    signal_max_age_weeks: int = Field(
        default=12, ge=0,
        description="cases of a week older than this (against the current week) are counted but raise no signal",
    )
    evidence_limit: int = Field(default=100, ge=1, le=1000, description="cases listed in a signal's evidence")
    internal_token: SecretStr | None = Field(
        default=None,
        description="shared secret the dashboard sends in X-Jejaring-Internal-Token on /internal/v1 "
                    "(JEJARING_INTERNAL_TOKEN); required in production",
    )

    @field_validator("surveillance_rules")
    @classmethod
    def _rules_are_valid(cls, value: dict) -> dict:
        catalogue.configured(value)  # raises ValueError with the reason
        return value

    @model_validator(mode="after")
    def _token_in_production(self) -> "SurveillanceSettings":
        if self.environment == "production" and not (self.internal_token and self.internal_token.get_secret_value()):
            raise ValueError("JEJARING_INTERNAL_TOKEN is required in production")
        return self

    @cached_property
    def diseases(self) -> dict[str, Disease]:
        """The catalogue with the configured changes."""
        return catalogue.configured(self.surveillance_rules)
