"""Event data models, version 1. The CloudEvents envelope is in ``shared.envelope``.

Every event class names its CloudEvents ``type``, its topic and which field is the Kafka key.
Consumers ignore unknown fields (``extra="ignore"``), so adding an optional field is compatible.
No event carries a NIK or a name: persons appear only as pseudonymous ``person_id``.

Over 300 lines on purpose: every event contract lives once, here, so a reader sees them side by side.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from shared.contracts import topics
from shared.contracts.intake import (
    Antigen,
    Development,
    Icd10,
    Measurements,
    Newborn,
    Pregnancy,
    ServicePoint,
    Sex,
    Syndrome,
)

Stage = Literal["pregnancy", "under_five", "preschool", "school_age", "adult", "elderly"]
FacilityType = Literal["posyandu", "pustu", "puskesmas", "rs"]
Severity = Literal["low", "moderate", "high", "emergency"]  # ascending: consumers rank by position
ReferralStatus = Literal["made", "received", "attended", "completed", "cancelled", "overdue"]
# ``maternal``: ibu bersalin/nifas (1.05 x CBR x population), ``newborn``: bayi baru lahir (live births, CBR x
# population) [PWS-SCRIBD-1] [PWS-SCRIBD-2] (ilp-domain §3.2): the denominators of KF and KN lengkap.
TargetGroup = Literal["pregnant", "under_five", "adolescent", "adult_15_59", "elderly", "infant", "maternal",
                      "newborn", "adolescent_girl", "hypertension_estimated", "diabetes_estimated"]
TokenKind = Literal["facility", "viewer", "admin"]
SignalStatus = Literal["signalled", "escalated", "verified", "closed"]
SignalOutcome = Literal["outbreak", "false_alarm"]
AreaKind = Literal["village", "puskesmas"]
ISO_WEEK_RE = r"^[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])$"


class EventData(BaseModel):
    """Base of every event body: the class knows its type, topic and key field."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    ce_type: ClassVar[str]
    topic: ClassVar[str]
    key_field: ClassVar[str] = "person_id"

    def key(self) -> str:
        """The Kafka message key (keeps one person's or facility's events in order)."""
        return str(getattr(self, self.key_field))

    def subject(self) -> str:
        """The CloudEvents ``subject``."""
        return self.key()

    def event_time(self) -> datetime | None:
        """The CloudEvents ``time``: when the thing happened, not when it was sent."""
        return None


class VisitRecorded(EventData):
    """A validated, pseudonymised visit (registration)."""

    ce_type: ClassVar[str] = "id.jejaring.visit.recorded.v1"
    topic: ClassVar[str] = topics.VISIT_RECORDED

    visit_id: UUID
    person_id: str
    facility_id: str
    facility_type: FacilityType | None = None
    service_point: ServicePoint
    village_code: str
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    sex: Sex
    age_days: int = Field(ge=0)
    stage: Stage
    pregnancy: Pregnancy | None = None
    measurements: Measurements
    newborn: Newborn | None = None
    immunizations: list[Antigen] | None = None
    development: Development | None = None
    diagnoses: list[Icd10] | None = None
    syndromes: list[Syndrome] | None = None
    data_quality: list[str] = Field(default_factory=list)

    def event_time(self) -> datetime:
        return self.occurred_at


class ZScores(BaseModel):
    """WHO z-scores of one visit; ``None`` where not computable."""

    model_config = ConfigDict(frozen=True)

    wfa: float | None = None
    lhfa: float | None = None
    wflh: float | None = None
    bmifa: float | None = None
    acfa: float | None = None
    hcfa: float | None = None  # head circumference-for-age (WHO 2006), an addition


class _Facts(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class PwsFacts(_Facts):
    """The v1 PWS verdicts with the contract's fixed definitions; ``None`` = this visit does not count.

    ``hypertension``: age >= 15 x 365.25 days, pregnant women included, systolic >= 140 or diastolic >= 90;
    ``None`` unless both pressures were measured. ``diabetes``: same age, random >= 200 or fasting >= 126
    mg/dL (unstated = random); ``None`` without glucose. ``anemia_pregnancy``: pregnant, Hb < 11 g/dL.
    ``kek_pregnancy``: pregnant, MUAC < 23.5 cm. ``tb_presumptive``: screening's full TB criteria (terduga
    TBC); ``None`` when the visit carries no TB screening input. ``tb_close_contact``: a close contact
    who is not presumptive. ``underweight`` / ``stunting`` / ``wasting``: under-five stage, WHO prevalence
    rules: z < -2; a z-score flagged implausible is ``None``; oedema counts as < -3 SD for the weight-based
    two (``True`` even without a weight).
    """

    hypertension: bool | None = None
    diabetes: bool | None = None
    anemia_pregnancy: bool | None = None
    kek_pregnancy: bool | None = None
    tb_presumptive: bool | None = None
    tb_close_contact: bool | None = None
    underweight: bool | None = None
    stunting: bool | None = None
    wasting: bool | None = None
    # SPM verdicts (Permenkes 4/2019, docs/dashboard.md "SPM"): additions, None = the visit does not count.
    spm_productive_screened: bool | None = None  # 15-59 y: True = BP, glucose, weight, height and waist measured
    spm_elderly_screened: bool | None = None  # >= 60 y: True = the lansia screening components recorded
    spm_hypertension_care: bool | None = None  # >= 15 y, BP measured at a health facility: hypertensive or I10-I15
    spm_diabetes_care: bool | None = None  # >= 15 y, glucose measured at a health facility: DM range or E10-E14
    tb_examined: bool | None = None  # True: a TB test recorded; False: presumptive without a test; None: neither
    # gizi buruk: weight-for-length/height < -3 SD or bilateral oedema, under-five stage [PMK2-FLIP] (BB/PB, BB/TB
    # "gizi buruk" < -3 SD; oedema as the WHO prevalence rules); None without a usable z and without oedema.
    # An addition (older events: None).
    severe_wasting: bool | None = None


class GrowthMonitoringFacts(_Facts):
    """SKDN of an under-five weighing: D (weighed), N/T against last calendar month's weighing, 2T, BGM, B."""

    weighed: bool
    first_weighing: bool  # no earlier weighing known (B, baru)
    trend: Literal["N", "T"] | None = None  # None: not weighed in the previous calendar month (O)
    two_t: bool = False  # T at this and at the previous monthly weighing
    bgm: bool | None = None  # below the red line: weight-for-age < -3 SD; None without a usable weight z
    gain_g: int | None = None
    kbm_g: int | None = None


class AncFacts(_Facts):
    """Antenatal care at a pregnancy visit. Trimesters as the contract: 1 <= 13 weeks, 2 = 14-27, 3 = 28+."""

    pregnancy_id: UUID  # UUIDv5 of the person and the pregnancy's first estimated conception
    gestational_weeks: int
    trimester: int = Field(ge=1, le=3)
    contact: bool  # a standard ANC contact (pregnancy.anc present), not a same-day repeat
    contact_number: int | None = None  # K-number: pregnancy.anc_visit_number when given, else counted
    by: Literal["midwife", "doctor", "nurse"] | None = None
    ultrasound: bool = False
    contacts: int = 0  # standard contacts of this pregnancy known so far, this one included
    contacts_by_trimester: list[int] = Field(default_factory=lambda: [0, 0, 0])
    doctor_contacts: int = 0
    k1: bool = False  # K1 (akses) reached at this visit
    k1_murni: bool = False  # K1 reached at this visit, in trimester 1
    k4: bool = False  # K4 reached at this visit (1-1-2 rule or anc_visit_number 4)
    k6: bool = False  # K6 reached at this visit (1-2-3 rule with 2 doctor contacts, or anc_visit_number 6)


class NewbornFacts(_Facts):
    """A newborn visit (0-28 days)."""

    birth_weight_g: int | None = None
    low_birth_weight: bool | None = None  # < 2,500 g; None without a birth weight
    neonatal_visit: int | None = None  # KN number: newborn.neonatal_visit, else from the age window
    shk: Literal["normal", "high_tsh", "not_done"] | None = None
    # KN lengkap reached at this visit: KN1, KN2 and KN3 all recorded for the baby, the last of them now
    # [ILP-T 01-neonatal] (KN lengkap = 3 visits). An addition (older events: False).
    kn_complete: bool = False


class ImmunizationFacts(_Facts):
    """Immunisation at this visit against the national schedule (history: earlier visits of the child)."""

    given: list[Antigen] = Field(default_factory=list)
    idl_complete: bool = False  # basic immunisation completed at this visit, before the first birthday
    idl_complete_late: bool = False  # completed at this visit, on or after the first birthday
    due: list[Antigen] = Field(default_factory=list)  # age reached, not yet given
    overdue: list[Antigen] = Field(default_factory=list)  # past the age plus the grace period
    drop_out: bool = False  # a started series (DPT-HB-Hib, OPV, PCV, RV, MR) has an overdue dose
    next_due: list[Antigen] = Field(default_factory=list)  # the next doses not yet due, and when
    next_due_on: date | None = None


class ServiceFacts(_Facts):
    """Services recorded at this visit, for coverage indicators; ``None`` = not recorded."""

    vitamin_a: bool | None = None
    deworming: bool | None = None
    kpsp: Literal["appropriate", "doubtful", "deviant"] | None = None
    ttd_tablets: int | None = None
    ttd_adolescent_girl: bool | None = None  # girl 10-17 y (remaja putri), not pregnant: TTD given (> 0)?
    hb_tested: bool = False
    triple_elimination_tested: list[Literal["hiv", "syphilis", "hbsag"]] = Field(default_factory=list)
    td_given: bool = False
    postpartum_visit: int | None = None  # KF number: measurements.postpartum_visit, else from the day window
    delivery_facility: bool | None = None  # a delivery first reported here: at a health facility? None: no delivery
    # Additions (older events: the defaults).
    # The third of the triple elimination tests (HIV, syphilis, HBsAg) of this pregnancy has its result at this
    # visit [ILP-T 01-anc-terpadu] (Permenkes 52/2017, eliminasi penularan HIV, sifilis, hepatitis B).
    triple_elimination_complete: bool = False
    # KF lengkap reached at this visit: KF1, KF2, KF3 and KF4 all recorded since this delivery, the last of them now
    # [ILP-T 05-pelayanan-nifas] (Permenkes 21/2021: at least 4 postpartum visits, KF1-KF4).
    kf_complete: bool = False
    # Vitamin A given to a child of 6-59 completed months (the programme's age band, [ILP-T 07-vitamin-a]);
    # None when the child is outside the band or vitamin A was not recorded.
    vitamin_a_6_59: bool | None = None


class VisitFacts(_Facts):
    """Per-visit facts the dashboard counts, each threshold computed once by screening (docs/screening-rules.md)."""

    pws: PwsFacts = Field(default_factory=PwsFacts)
    growth: GrowthMonitoringFacts | None = None
    anc: AncFacts | None = None
    newborn: NewbornFacts | None = None
    immunization: ImmunizationFacts | None = None
    services: ServiceFacts = Field(default_factory=ServiceFacts)


class VisitScreened(EventData):
    """The screening outcome of one visit: z-scores, flags and the risk codes that fired."""

    ce_type: ClassVar[str] = "id.jejaring.visit.screened.v1"
    topic: ClassVar[str] = topics.VISIT_SCREENED

    visit_id: UUID
    person_id: str
    facility_id: str
    village_code: str
    occurred_at: AwareDatetime
    stage: Stage
    sex: Sex
    age_days: int
    zscores: ZScores = Field(default_factory=ZScores)
    flags: list[str] = Field(default_factory=list)
    risk_codes: list[str] = Field(default_factory=list)
    ruleset_version: str
    facts: VisitFacts | None = None  # an addition: what the PWS indicators count

    def event_time(self) -> datetime:
        return self.occurred_at


class RiskDetected(EventData):
    """One risk found at one visit (screening). ``risk_id`` is a UUIDv5 of the visit and rule."""

    ce_type: ClassVar[str] = "id.jejaring.risk.detected.v1"
    topic: ClassVar[str] = topics.RISK_DETECTED

    risk_id: UUID
    visit_id: UUID
    person_id: str
    facility_id: str
    village_code: str
    occurred_at: AwareDatetime
    stage: Stage
    code: str
    cluster: int = Field(ge=1, le=5)
    severity: Severity
    evidence: dict[str, Any] = Field(default_factory=dict)
    recommended_level: FacilityType
    ruleset_version: str

    def event_time(self) -> datetime:
        return self.occurred_at


class ReferralEvent(EventData):
    """What every referral event carries: the referral, its person and village, and both ends."""

    referral_id: UUID
    person_id: str
    village_code: str
    origin_facility_id: str
    destination_facility_id: str | None


class ReferralMade(ReferralEvent):
    """A new referral (referral service)."""

    ce_type: ClassVar[str] = "id.jejaring.referral.made.v1"
    topic: ClassVar[str] = topics.REFERRAL_MADE

    risk_id: UUID
    risk_code: str
    destination_level: FacilityType
    reason: str
    urgency: Severity
    made_at: AwareDatetime
    due_at: AwareDatetime

    def event_time(self) -> datetime:
        return self.made_at


class ReferralUpdated(ReferralEvent):
    """A referral's status change, with *rujuk balik* feedback when completed."""

    ce_type: ClassVar[str] = "id.jejaring.referral.updated.v1"
    topic: ClassVar[str] = topics.REFERRAL_UPDATED

    update_id: UUID
    status: ReferralStatus
    previous_status: ReferralStatus
    at: AwareDatetime
    made_at: AwareDatetime
    note: str | None = None
    feedback: dict[str, Any] | None = None

    def event_time(self) -> datetime:
        return self.at


class FacilityRegistered(EventData):
    """A facility registry entry; the topic is compacted by ``facility_id``."""

    ce_type: ClassVar[str] = "id.jejaring.facility.registered.v1"
    topic: ClassVar[str] = topics.FACILITY_REGISTERED
    key_field: ClassVar[str] = "facility_id"

    facility_id: str
    name: str
    type: FacilityType
    parent_id: str | None = None
    village_code: str
    capabilities: list[str] = Field(default_factory=list)
    active: bool = True
    revision: int = 1


class TargetSet(EventData):
    """An annual target population (sasaran) of one village and group."""

    ce_type: ClassVar[str] = "id.jejaring.target.set.v1"
    topic: ClassVar[str] = topics.TARGET_SET
    key_field: ClassVar[str] = "village_code"

    village_code: str
    year: int = Field(ge=2000, le=2100)
    target: TargetGroup
    count: int = Field(ge=0)


class PersonLinked(EventData):
    """A child's provisional id (from the mother's NIK) now belongs to the child's own NIK id."""

    ce_type: ClassVar[str] = "id.jejaring.person.linked.v1"
    topic: ClassVar[str] = topics.PERSON_LINKED

    person_id: str
    previous_person_id: str
    linked_at: AwareDatetime
    birth_date: date | None = None


class FacilityTokenChanged(EventData):
    """A facility or admin token was issued or revoked; only its SHA-256 hash travels, with its
    public id, scope (the facility, or the admin's region) and expiry."""

    ce_type: ClassVar[str] = "id.jejaring.facility.token.v1"
    topic: ClassVar[str] = topics.FACILITY_TOKEN
    key_field: ClassVar[str] = "token_hash"

    token_hash: str
    facility_id: str | None = None
    revoked: bool = False
    token_id: str | None = None
    kind: TokenKind = "facility"
    region: str | None = None
    expires_at: AwareDatetime | None = None

    @model_validator(mode="after")
    def _scoped(self) -> "FacilityTokenChanged":
        if self.kind == "facility" and not self.facility_id:
            raise ValueError("a facility token needs facility_id")
        if self.kind == "admin" and not self.region:
            raise ValueError("an admin token needs region")
        return self


class BaselineWeek(BaseModel):
    """One week a signal's count was compared with."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    week: str = Field(pattern=ISO_WEEK_RE)
    count: int = Field(ge=0)


class SignalCounts(BaseModel):
    """The numbers behind a signal: this week's cases, the weeks compared, the threshold reached."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    this_week: int = Field(ge=0, description="cases of the signal's week when it was raised")
    threshold: int = Field(ge=1, description="the smallest count that raises the signal")
    baseline: list[BaselineWeek] = Field(default_factory=list, description="previous weeks, oldest first")
    baseline_mean: float | None = None
    baseline_sd: float | None = None


class SignalRule(BaseModel):
    """The rule that raised a signal: method, its parameters and where they come from."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    method: Literal["single", "fixed", "doubling", "mean_sd"]
    params: dict[str, int | float] = Field(default_factory=dict)
    source: str = ""
    confidence: Literal["C", "S", "UNCONFIRMED"] = "UNCONFIRMED"


class SignalCase(BaseModel):
    """One case counted for a signal: pseudonymous ids only (never a NIK or a name)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    visit_id: UUID
    person_id: str
    village_code: str
    facility_id: str
    occurred_at: AwareDatetime


class SignalEvidence(BaseModel):
    """The cases of the signal's week when it was raised (at most a configured number)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    tipping_visit_id: UUID | None = Field(default=None, description="the visit that made the count reach the threshold")
    cases: list[SignalCase] = Field(default_factory=list)
    truncated: bool = False


class OutbreakSignal(EventData):
    """A suspected outbreak (KLB) signal raised or changed (surveillance); each event is the whole signal.

    Keyed by the area: the village code, or the Puskesmas facility id of a Puskesmas-area signal.
    ``revision`` grows by one with every change, so a reader keeps the highest.
    """

    ce_type: ClassVar[str] = "id.jejaring.outbreak.signal.v1"
    topic: ClassVar[str] = topics.OUTBREAK_SIGNAL
    key_field: ClassVar[str] = "area_code"

    signal_id: UUID
    area_kind: AreaKind
    area_code: str = Field(description="village code, or Puskesmas facility id")
    village_code: str = Field(description="the village; for a Puskesmas area, the Puskesmas's own village")
    village_codes: list[str] = Field(default_factory=list, description="villages of the area (Puskesmas catchment)")
    district_code: str = Field(description="PP.KK, for scoping")
    disease: Syndrome
    skdr_code: str | None = Field(default=None, description="SKDR letter code where known")
    rule: SignalRule
    week: str = Field(pattern=ISO_WEEK_RE, description="ISO week of the cases' event time, e.g. 2026-W49")
    week_start: date
    counts: SignalCounts
    evidence: SignalEvidence
    status: SignalStatus
    previous_status: SignalStatus | None = None
    outcome: SignalOutcome | None = None
    raised_at: AwareDatetime
    escalate_at: AwareDatetime = Field(description="24 h after raised_at: unverified by then, it is escalated")
    changed_at: AwareDatetime
    note: str | None = None
    actor_token_id: str | None = Field(default=None, description="public id of the admin token that acted")
    revision: int = Field(ge=1)

    @model_validator(mode="after")
    def _outcome_only_when_closed(self) -> "OutbreakSignal":
        if (self.status == "closed") != (self.outcome is not None):
            raise ValueError("outcome is given with closed and only there")
        return self

    def event_time(self) -> datetime:
        return self.changed_at


EVENT_TYPES: dict[str, type[EventData]] = {
    cls.ce_type: cls
    for cls in (
        VisitRecorded,
        VisitScreened,
        RiskDetected,
        ReferralMade,
        ReferralUpdated,
        FacilityRegistered,
        TargetSet,
        PersonLinked,
        FacilityTokenChanged,
        OutbreakSignal,
    )
}
