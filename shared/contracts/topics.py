"""The topic catalogue: every topic, its partitions, its configs, who produces and consumes it."""

from __future__ import annotations

from dataclasses import dataclass, field

INTAKE_VISIT = "ilp.intake.visit.v1"
INTAKE_FHIR = "ilp.intake.fhir.v1"
VISIT_RECORDED = "ilp.visit.recorded.v1"
VISIT_SCREENED = "ilp.visit.screened.v1"
FACILITY_REGISTERED = "ilp.facility.registered.v1"
TARGET_SET = "ilp.target.set.v1"
PERSON_LINKED = "ilp.person.linked.v1"
FACILITY_TOKEN = "ilp.facility.token.v1"
RISK_DETECTED = "ilp.risk.detected.v1"
REFERRAL_MADE = "ilp.referral.made.v1"
REFERRAL_UPDATED = "ilp.referral.updated.v1"
OUTBREAK_SIGNAL = "ilp.outbreak.signal.v1"

DEFAULT_PARTITIONS = 6


@dataclass(frozen=True)
class Topic:
    """One topic of the bus."""

    name: str
    producers: tuple[str, ...]
    consumers: tuple[str, ...]
    partitions: int = DEFAULT_PARTITIONS
    config: dict[str, str] = field(default_factory=dict)
    key: str = "person_id"


CATALOGUE: tuple[Topic, ...] = (
    Topic(INTAKE_VISIT, ("facility systems",), ("registration",)),
    Topic(INTAKE_FHIR, ("facility systems",), ("registration",), key="facility or Encounter"),
    Topic(VISIT_RECORDED, ("registration",), ("screening", "dashboard", "surveillance")),
    Topic(
        FACILITY_REGISTERED,
        ("registration",),
        ("referral", "dashboard", "surveillance"),
        partitions=1,
        config={"cleanup.policy": "compact"},
        key="facility_id",
    ),
    Topic(
        TARGET_SET,
        ("registration",),
        ("dashboard",),
        partitions=1,
        config={"cleanup.policy": "compact"},
        key="village_code",
    ),
    Topic(
        FACILITY_TOKEN,
        ("registration",),
        ("referral", "dashboard"),
        partitions=1,
        config={"cleanup.policy": "compact"},
        key="token_hash",
    ),
    Topic(PERSON_LINKED, ("registration",), ("screening", "referral", "dashboard")),
    Topic(VISIT_SCREENED, ("screening",), ("dashboard",)),
    Topic(RISK_DETECTED, ("screening",), ("referral",)),
    Topic(REFERRAL_MADE, ("referral",), ("dashboard",)),
    Topic(REFERRAL_UPDATED, ("referral",), ("dashboard",)),
    # Keyed by the area a signal concerns: the village code, or the Puskesmas facility id.
    Topic(OUTBREAK_SIGNAL, ("surveillance",), ("dashboard",), key="area_code"),
)

BY_NAME: dict[str, Topic] = {t.name: t for t in CATALOGUE}


def dlq_topic(topic: str, service: str) -> str:
    """The dead-letter topic of ``service``'s consumer of ``topic``."""
    return f"{topic}.{service}.dlq"


def consumed_by(service: str) -> list[Topic]:
    """The topics one service consumes."""
    return [t for t in CATALOGUE if service in t.consumers]
