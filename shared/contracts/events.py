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
TargetGroup = Literal["pregnant", "under_five", "adolescent", "adult_15_59", "elderly", "infant"]
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
