"""The visit intake contract (``POST /v1/visits`` and topic ``ilp.intake.visit.v1``), version 1.

Over 300 lines on purpose: the whole intake contract is one schema, read top to bottom.

One pydantic model validates both intakes, so a field-level error reads the same over HTTP and
Kafka. Plausible ranges are deliberately wide (they catch typing errors and unit mix-ups, not
clinical extremes); the clinical thresholds live in the screening rules.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

# ASCII digits only: ``\d`` would also take Arabic-Indic or Devanagari digits, and one person's NIK
# written in two scripts would become two persons.
VILLAGE_CODE_RE = re.compile(r"^[0-9]{2}\.[0-9]{2}\.[0-9]{2}\.[0-9]{4}$")
NIK_RE = re.compile(r"^[0-9]{16}$")
# The oldest event time and birth date accepted (documented in docs/intake.md): far enough back
# for any record a facility system still holds, near enough that every consumer's arithmetic
# (ages, ISO weeks, periods) stays in range.
EARLIEST_OCCURRED_AT = datetime(2000, 1, 1, tzinfo=timezone.utc)
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
MAX_AGE_YEARS = 125

ServicePoint = Literal["posyandu", "pustu", "puskesmas", "home_visit", "rs"]
Sex = Literal["M", "F"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class Person(_Strict):
    """Who was seen. NIK and name stay inside the registration service."""

    nik: str | None = Field(default=None, description="16-digit NIK; optional only for a child with mother_nik")
    mother_nik: str | None = Field(default=None, description="Mother's NIK, for a child without one")
    name: str | None = Field(default=None, max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$",
                             description="no control characters (a NUL cannot be stored)")
    sex: Sex
    birth_date: date
    village_code: str = Field(description="Kemendagri desa/kelurahan code of residence, PP.KK.CC.DDDD")

    @field_validator("nik", "mother_nik")
    @classmethod
    def _nik_shape(cls, value: str | None) -> str | None:
        if value is not None and not NIK_RE.match(value):
            raise ValueError("NIK must be exactly 16 digits (ASCII 0-9)")
        return value

    @field_validator("birth_date")
    @classmethod
    def _born_in_range(cls, value: date) -> date:
        if value < EARLIEST_BIRTH_DATE:
            raise ValueError(f"birth_date must be on or after {EARLIEST_BIRTH_DATE.isoformat()}")
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


LabResult = Literal["reactive", "non_reactive"]


class AncContact(_Strict):
    """Present when this visit is a standard antenatal contact by a health worker (K1, K2 ...)."""

    by: Literal["midwife", "doctor", "nurse"]
    ultrasound: bool = False


class PregnancyLabs(_Strict):
    """Triple elimination (HIV, syphilis, hepatitis B) results of this visit."""

    hiv: LabResult | None = None
    syphilis: LabResult | None = None
    hbsag: LabResult | None = None


ObstetricHistory = Literal[
    "previous_caesarean", "stillbirth", "recurrent_miscarriage", "preterm_birth", "postpartum_haemorrhage",
    "pre_eclampsia", "low_birth_weight_baby", "obstructed_labour",
]
PregnancyDangerSign = Literal[
    "bleeding", "seizures", "fever", "reduced_fetal_movement", "ruptured_membranes", "persistent_vomiting",
    "severe_headache", "blurred_vision", "swelling",
]


class Pregnancy(_Strict):
    """Present when the person is pregnant at this visit; the 4T fields are optional."""

    gestational_weeks: int = Field(ge=1, le=45)
    anc: AncContact | None = Field(default=None, description="a standard ANC contact; absent: not an ANC contact")
    labs: PregnancyLabs | None = None
    gravida: int | None = Field(default=None, ge=1, le=25, description="number of pregnancies incl. this one")
    living_children: int | None = Field(default=None, ge=0, le=25)
    months_since_last_birth: int | None = Field(default=None, ge=0, le=600)
    anc_visit_number: int | None = Field(default=None, ge=1, le=30, description="K-number of this contact, if known")
    proteinuria: int | None = Field(default=None, ge=0, le=4, description="dipstick result: 0 negative, 1..4 for +1..+4")
    parity: int | None = Field(default=None, ge=0, le=25, description="previous births (live or still), for 4T")
    obstetric_history: list[ObstetricHistory] | None = Field(default=None, max_length=8)
    danger_signs: list[PregnancyDangerSign] | None = Field(default=None, max_length=9)


TbSymptom = Literal[
    "weight_loss", "appetite_loss", "fever", "malaise", "night_sweats", "dyspnoea", "lymph_node", "haemoptysis"
]
SkilasDomain = Literal["cognition", "mobility", "malnutrition", "vision", "hearing", "depression"]
PostpartumDangerSign = Literal["bleeding", "seizures", "fever", "foul_discharge", "severe_headache", "breathlessness",
                               "breast_swelling", "sadness"]
SNELLEN_RE = r"^[1-6]/[1-9][0-9]{0,2}$"


class SkilasItems(_Strict):
    """SKILAS raw items (ILP juknis form 05); vision and hearing use ``finger_count_passed`` and
    ``whisper_test_passed``, malnutrition also ``muac_cm``."""

    recall_words: int | None = Field(default=None, ge=0, le=3, description="words repeated of the three")
    orientation_correct: bool | None = Field(default=None, description="both date and place answered correctly")
    chair_rise_seconds: float | None = Field(default=None, ge=0, le=300, description="time for 5 chair rises")
    chair_rise_unable: bool | None = None
    weight_loss_3kg: bool | None = Field(default=None, description="lost > 3 kg in 3 months, or looser clothes")
    appetite_loss: bool | None = Field(default=None, description="appetite loss or feeding difficulty")
    eye_problem: bool | None = Field(default=None, description="reports difficulty seeing, eye disease or treatment")
    sad_or_hopeless: bool | None = Field(default=None, description="past 2 weeks: sad, depressed or hopeless")
    anhedonia: bool | None = Field(default=None, description="past 2 weeks: little interest or pleasure")


class PrePregnancy(_Strict):
    """Pre-pregnancy screening of a bride/groom-to-be (catin) or a couple of reproductive age (PUS)."""

    status: Literal["catin", "pus"]
    living_children: int | None = Field(default=None, ge=0, le=25)
    months_since_last_birth: int | None = Field(default=None, ge=0, le=600)
    previous_complication: bool | None = Field(default=None, description="a past pregnancy with complications")
    chronic_disease: bool | None = Field(default=None, description="uncontrolled or chronic disease")
    sti: bool | None = Field(default=None, description="a sexually transmitted infection")


class TbTest(_Strict):
    """A TB examination of this visit's person (pemeriksaan TBC): the method and its result."""

    method: Literal["tcm", "microscopy", "xray"] = Field(
        description="tcm: rapid molecular test (TCM, Xpert MTB/RIF); microscopy: sputum smear (BTA); xray: chest X-ray")
    result: Literal["positive", "negative"] = Field(
        description="positive: MTB detected / BTA positive / X-ray suggestive of TB; negative: not")


DeliveryPlace = Literal["hospital", "puskesmas", "pustu", "clinic", "midwife_practice", "home", "other"]
# Health facilities (fasilitas pelayanan kesehatan) among the places of delivery: RS, Puskesmas and its Pustu,
# klinik, praktik mandiri bidan (docs/intake.md).
FACILITY_DELIVERY_PLACES = frozenset({"hospital", "puskesmas", "pustu", "clinic", "midwife_practice"})


class Delivery(_Strict):
    """The delivery (persalinan) a mother reports at a postpartum visit: where, and who attended it."""

    place: DeliveryPlace = Field(description="hospital, puskesmas, pustu, clinic, midwife_practice (praktik mandiri "
                                             "bidan), home or other")
    attendant: Literal["doctor", "midwife", "nurse", "traditional", "family", "none"] | None = Field(
        default=None, description="doctor, midwife, nurse; traditional birth attendant (dukun), family, none")


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
    puma_score: int | None = Field(default=None, ge=0, le=9)
    srq20_score: int | None = Field(default=None, ge=0, le=20)
    srq20_item17: bool | None = None
    adl_barthel: int | None = Field(default=None, ge=0, le=20)
    skilas_positive_domains: list[SkilasDomain] | None = None
    # Screening inputs added by the project (docs/intake.md); all optional.
    glucose_ogtt_2h_mg_dl: float | None = Field(default=None, ge=20, le=1000, description="2-h 75 g OGTT")
    cholesterol_total_mg_dl: float | None = Field(default=None, ge=50, le=1000)
    cvd_risk_percent: float | None = Field(default=None, ge=0, le=100, description="10-year risk, juknis chart")
    fever_weeks: float | None = Field(default=None, ge=0, le=104)
    tb_contact: bool | None = Field(default=None, description="close or household contact of a TB case")
    smoker: bool | None = Field(default=None, description="current tobacco smoker")
    cigarettes_per_day: int | None = Field(default=None, ge=0, le=100)
    elevation_m: int | None = Field(default=None, ge=-100, le=5000, description="elevation of residence")
    school_grade: int | None = Field(default=None, ge=1, le=12)
    ttd_tablets: int | None = Field(default=None, ge=0, le=200, description="iron-folic acid tablets given")
    vitamin_a_given: bool | None = None
    deworming_given: bool | None = None
    sdq_score: int | None = Field(default=None, ge=0, le=40, description="SDQ total difficulties")
    visual_acuity: str | None = Field(default=None, pattern=SNELLEN_RE, description="presenting, better eye, 6/x")
    finger_count_passed: bool | None = None
    colour_vision_passed: bool | None = None
    whisper_test_passed: bool | None = None
    iva_result: Literal["negative", "positive", "suspect_cancer"] | None = None
    sadanis_result: Literal["normal", "abnormal"] | None = None
    td_status: int | None = Field(default=None, ge=0, le=5, description="tetanus immunisation status T0-T5")
    pre_pregnancy: PrePregnancy | None = None
    postpartum_days: int | None = Field(default=None, ge=0, le=42, description="days since delivery (nifas)")
    postpartum_visit: int | None = Field(default=None, ge=1, le=4, description="KF number, if known")
    postpartum_danger_signs: list[PostpartumDangerSign] | None = Field(default=None, max_length=8)
    skilas: SkilasItems | None = None
    amt_score: int | None = Field(default=None, ge=0, le=10, description="Abbreviated Mental Test")
    mini_cog_score: int | None = Field(default=None, ge=0, le=5)
    gds4_score: int | None = Field(default=None, ge=0, le=4, description="Geriatric Depression Scale, 4 items")
    mna_sf_score: int | None = Field(default=None, ge=0, le=14, description="Mini Nutritional Assessment, short form")
    tb_test: TbTest | None = Field(default=None, description="a TB examination (TCM, sputum smear or chest X-ray)")
    delivery: Delivery | None = Field(default=None, description="the delivery, reported at the mother's postpartum visit")

    @model_validator(mode="after")
    def _pressure_order(self) -> "Measurements":
        if (
            self.systolic_mmhg is not None
            and self.diastolic_mmhg is not None
            and self.diastolic_mmhg >= self.systolic_mmhg
        ):
            raise ValueError("diastolic_mmhg must be lower than systolic_mmhg")
        return self


class Newborn(_Strict):
    """A baby of at most 28 days: birth weight, neonatal visit number (KN1-KN3), SHK result."""

    birth_weight_g: int | None = Field(default=None, ge=300, le=7000)
    neonatal_visit: Literal[1, 2, 3] | None = None
    shk: Literal["normal", "high_tsh", "not_done"] | None = None


class Development(_Strict):
    """Developmental screening: the KPSP result (sesuai / meragukan / penyimpangan)."""

    kpsp: Literal["appropriate", "doubtful", "deviant"] | None = None


# Antigens of the national immunisation schedule (ilp-domain.md §9.2).
Antigen = Literal[
    "hb0", "bcg", "opv1", "opv2", "opv3", "opv4", "dpt_hb_hib1", "dpt_hb_hib2", "dpt_hb_hib3", "dpt_hb_hib4",
    "ipv1", "ipv2", "pcv1", "pcv2", "pcv3", "rv1", "rv2", "rv3", "mr1", "mr2", "je", "td",
]
# Syndromes of the early-warning system (SKDR), ilp-domain.md §9.1.2; documented in docs/intake.md.
Syndrome = Literal[
    "acute_diarrhoea", "bloody_diarrhoea", "suspected_typhoid", "suspected_dengue", "malaria_confirmed",
    "malaria_clinical", "ili", "pneumonia", "suspected_measles", "suspected_diphtheria", "afp",
    "suspected_pertussis", "rabies_bite", "suspected_leptospirosis", "suspected_anthrax", "acute_jaundice",
    "suspected_chikungunya", "suspected_cholera", "suspected_hfmd", "suspected_avian_influenza",
    "suspected_meningitis_encephalitis", "unusual_cluster",
]
ICD10_RE = r"^[A-TV-Z][0-9]{2}(\.[0-9A-Z]{1,4})?$"
Icd10 = Annotated[str, Field(pattern=ICD10_RE, max_length=8)]


class IntakeVisit(_Strict):
    """One visit as a facility system sends it."""

    visit_id: UUID
    facility_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
    occurred_at: AwareDatetime
    service_point: ServicePoint
    person: Person
    pregnancy: Pregnancy | None = None
    measurements: Measurements = Field(default_factory=Measurements)
    newborn: Newborn | None = None
    immunizations: list[Antigen] | None = Field(default=None, max_length=22)
    development: Development | None = None
    diagnoses: list[Icd10] | None = Field(default=None, max_length=20, description="ICD-10 codes")
    syndromes: list[Syndrome] | None = Field(default=None, max_length=22, description="early-warning syndromes")

    @field_validator("occurred_at")
    @classmethod
    def _occurred_in_range(cls, value: datetime) -> datetime:
        if value < EARLIEST_OCCURRED_AT:
            raise ValueError(f"occurred_at must be on or after {EARLIEST_OCCURRED_AT.date().isoformat()}")
        return value

    @model_validator(mode="after")
    def _pregnancy_plausible(self) -> "IntakeVisit":
        if self.pregnancy is not None and self.person.sex != "F":
            raise ValueError("pregnancy is only possible for sex F")
        if self.measurements.delivery is not None and self.person.sex != "F":
            raise ValueError("measurements.delivery is only possible for sex F")
        on = self.occurred_at.date()
        if self.person.birth_date > on:
            raise ValueError("person.birth_date is after occurred_at")
        if on.year - self.person.birth_date.year > MAX_AGE_YEARS:
            raise ValueError(f"person is older than {MAX_AGE_YEARS} years at occurred_at")
        if self.newborn is not None and (on - self.person.birth_date).days > 28:
            raise ValueError("newborn is only for a baby of at most 28 days")
        return self


class IntakeBatch(_Strict):
    """``{"visits": [...]}``: up to 500 visits, answered one by one."""

    visits: list[dict] = Field(min_length=1, max_length=500)

