"""The visit intake contract (``POST /v1/visits`` and topic ``ilp.intake.visit.v1``), version 1.

One pydantic model validates both intakes, so a field-level error reads the same over HTTP and
Kafka. Plausible ranges are deliberately wide (they catch typing errors and unit mix-ups, not
clinical extremes); the clinical thresholds live in the screening rules.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

VILLAGE_CODE_RE = re.compile(r"^\d{2}\.\d{2}\.\d{2}\.\d{4}$")
NIK_RE = re.compile(r"^\d{16}$")

ServicePoint = Literal["posyandu", "pustu", "puskesmas", "home_visit", "rs"]
Sex = Literal["M", "F"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class Person(_Strict):
    """Who was seen. NIK and name stay inside the registration service."""

    nik: str | None = Field(default=None, description="16-digit NIK; optional only for a child with mother_nik")
    mother_nik: str | None = Field(default=None, description="Mother's NIK, for a child without one")
    name: str | None = Field(default=None, max_length=200)
    sex: Sex
    birth_date: date
    village_code: str = Field(description="Kemendagri desa/kelurahan code of residence, PP.KK.CC.DDDD")

    @field_validator("nik", "mother_nik")
    @classmethod
    def _nik_shape(cls, value: str | None) -> str | None:
        if value is not None and not NIK_RE.match(value):
            raise ValueError("NIK must be exactly 16 digits")
        return value

    @field_validator("village_code")
    @classmethod
    def _village_shape(cls, value: str) -> str:
        if not VILLAGE_CODE_RE.match(value):
            raise ValueError("village_code must look like PP.KK.CC.DDDD")
        return value

    @model_validator(mode="after")
    def _identified(self) -> "Person":
        if self.nik is None and self.mother_nik is None:
            raise ValueError("nik is required unless mother_nik identifies a child without one")
        return self


class Pregnancy(_Strict):
    """Present when the person is pregnant at this visit; the 4T fields are optional."""

    gestational_weeks: int = Field(ge=1, le=45)
    gravida: int | None = Field(default=None, ge=1, le=25, description="number of pregnancies incl. this one")
    living_children: int | None = Field(default=None, ge=0, le=25)
    months_since_last_birth: int | None = Field(default=None, ge=0, le=600)
    anc_visit_number: int | None = Field(default=None, ge=1, le=30, description="K-number of this contact, if known")
    proteinuria: int | None = Field(default=None, ge=0, le=4, description="dipstick result: 0 negative, 1..4 for +1..+4")


TbSymptom = Literal[
    "weight_loss", "appetite_loss", "fever", "malaise", "night_sweats", "dyspnoea", "lymph_node", "haemoptysis"
]
SkilasDomain = Literal["cognition", "mobility", "malnutrition", "vision", "hearing", "depression"]


class Measurements(_Strict):
    """Everything measured at the visit; every field optional, every range plausible-not-clinical."""

    weight_kg: float | None = Field(default=None, ge=0.5, le=250)
    height_cm: float | None = Field(default=None, ge=30, le=230)
    measured_lying: bool | None = Field(default=None, description="true: recumbent length; false: standing height")
    muac_cm: float | None = Field(default=None, ge=5, le=60)
    head_circumference_cm: float | None = Field(default=None, ge=20, le=70)
    hb_g_dl: float | None = Field(default=None, ge=2, le=25)
    systolic_mmhg: int | None = Field(default=None, ge=50, le=300)
    diastolic_mmhg: int | None = Field(default=None, ge=20, le=200)
    glucose_mg_dl: float | None = Field(default=None, ge=20, le=1000)
    glucose_fasting: bool | None = None
    waist_cm: float | None = Field(default=None, ge=30, le=250)
    cough_weeks: float | None = Field(default=None, ge=0, le=104)
    tb_symptoms: list[TbSymptom] | None = None
    oedema: bool | None = None
    puma_score: int | None = Field(default=None, ge=0, le=8)
    srq20_score: int | None = Field(default=None, ge=0, le=20)
    srq20_item17: bool | None = None
    adl_barthel: int | None = Field(default=None, ge=0, le=20)
    skilas_positive_domains: list[SkilasDomain] | None = None

    @model_validator(mode="after")
    def _pressure_order(self) -> "Measurements":
        if (
            self.systolic_mmhg is not None
            and self.diastolic_mmhg is not None
            and self.diastolic_mmhg >= self.systolic_mmhg
        ):
            raise ValueError("diastolic_mmhg must be lower than systolic_mmhg")
        return self


class IntakeVisit(_Strict):
    """One visit as a facility system sends it."""

    visit_id: UUID
    facility_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
    occurred_at: AwareDatetime
    service_point: ServicePoint
    person: Person
    pregnancy: Pregnancy | None = None
    measurements: Measurements = Field(default_factory=Measurements)

    @model_validator(mode="after")
    def _pregnancy_plausible(self) -> "IntakeVisit":
        if self.pregnancy is not None and self.person.sex != "F":
            raise ValueError("pregnancy is only possible for sex F")
        if self.person.birth_date > self.occurred_at.date():
            raise ValueError("person.birth_date is after occurred_at")
        return self


class IntakeBatch(_Strict):
    """``{"visits": [...]}``: up to 500 visits, answered one by one."""

    visits: list[dict] = Field(min_length=1, max_length=500)


def local_period(moment: datetime) -> str:
    """The PWS period of an event: the calendar month of ``moment`` in its own UTC offset."""
    return f"{moment.year:04d}-{moment.month:02d}"
