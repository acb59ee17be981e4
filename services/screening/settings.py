"""Screening settings: the common ones plus the rule set's configurable values (``ScreeningConfig``)."""

from __future__ import annotations

import json
from typing import Literal

from pydantic import Field, field_validator

from services.screening.domain.config import DEFAULT, ScreeningConfig
from shared.settings import ServiceSettings


class ScreeningSettings(ServiceSettings):
    """Screening's settings on top of the common ones (environment ``JEJARING_SCREENING_*``)."""

    service: str = "screening"
    screening_anaemia_reference: Literal["who2011", "who2024"] = DEFAULT.anaemia_reference
    screening_hb_adjustments: bool = DEFAULT.hb_adjustments
    screening_growth_n_rule: Literal["kbm", "kbm_or_curve"] = DEFAULT.growth_n_rule
    # JSON objects/lists, e.g. JEJARING_SCREENING_KBM_G='{"1": 800, "2": 900, ..., "11": 200}'
    screening_kbm_g: dict[int, int] = Field(default_factory=lambda: dict(DEFAULT.kbm_g))
    screening_anc_deadlines: list[tuple[int, int]] = Field(default_factory=lambda: list(DEFAULT.anc_deadlines))
    screening_anc_doctor_t3_by_week: int = Field(default=DEFAULT.anc_doctor_t3_by_week, ge=25, le=42)
    screening_immunization_grace_months: int = Field(default=DEFAULT.immunization_grace_months, ge=0, le=12)
    screening_ttd_interval_days: int = Field(default=DEFAULT.ttd_interval_days, ge=7, le=365)
    screening_glucose_crisis_mg_dl: float = Field(default=DEFAULT.glucose_crisis_mg_dl, ge=200, le=600)

    @field_validator("screening_kbm_g", "screening_anc_deadlines", mode="before")
    @classmethod
    def _json(cls, value: object) -> object:
        return json.loads(value) if isinstance(value, str) else value

    def screening_config(self) -> ScreeningConfig:
        """The rule set's configuration from these settings (defaults: ``config.DEFAULT``)."""
        return ScreeningConfig(
            anaemia_reference=self.screening_anaemia_reference,
            hb_adjustments=self.screening_hb_adjustments,
            growth_n_rule=self.screening_growth_n_rule,
            kbm_g=tuple(sorted(self.screening_kbm_g.items())),
            anc_deadlines=tuple(tuple(d) for d in self.screening_anc_deadlines),  # type: ignore[misc]
            anc_doctor_t3_by_week=self.screening_anc_doctor_t3_by_week,
            immunization_grace_months=self.screening_immunization_grace_months,
            ttd_interval_days=self.screening_ttd_interval_days,
            glucose_crisis_mg_dl=self.screening_glucose_crisis_mg_dl,
        )
