"""The validated body of ``POST /v1/referrals/{id}/events`` and its *rujuk balik* feedback."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

ICD10 = r"^[A-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$"


class Feedback(BaseModel):
    """*Rujuk balik*: what the destination tells the origin when it completes a referral."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    diagnosis: str = Field(min_length=1, max_length=500, description="diagnosis in words")
    icd10: str | None = Field(default=None, pattern=ICD10, description="ICD-10 code, e.g. I10")
    instructions: str = Field(min_length=1, max_length=4000, description="care to continue at the first level")
    follow_up_date: date = Field(description="when the origin should see the person again (kontrol)")
    follow_up_facility_id: str | None = Field(default=None, max_length=64, description="default: the origin")


class StatusChange(BaseModel):
    """A facility's status update; ``feedback`` is required with ``completed`` and only there."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Literal["received", "attended", "completed", "cancelled"]
    at: AwareDatetime
    note: str | None = Field(default=None, max_length=2000)
    feedback: Feedback | None = None

    @model_validator(mode="after")
    def _feedback_with_completed(self) -> StatusChange:
        if self.status == "completed" and self.feedback is None:
            raise ValueError("feedback (rujuk balik) is required with completed")
        if self.status != "completed" and self.feedback is not None:
            raise ValueError("feedback is only sent with completed")
        if self.feedback is not None and self.feedback.follow_up_date < self.at.date():
            raise ValueError("feedback.follow_up_date is before the completion")
        return self

    def feedback_json(self) -> dict | None:
        """The feedback as stored and emitted (dates as ISO strings, no nulls)."""
        return self.feedback.model_dump(mode="json", exclude_none=True) if self.feedback else None
