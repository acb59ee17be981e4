"""Referral's tables: its copy of the facility network, tokens, referrals and their steps, outbox/inbox.

Datetimes are stored in UTC (SQLite keeps no offset); ``offset_minutes`` keeps the UTC offset of
the risk's event time so emitted events carry the local time (the dashboard's period is the local
month). ``open_key`` is ``person_id:risk_code`` while a referral is open and NULL afterwards; its
unique index makes "one open referral per person and risk" hold under concurrent writers.
``referral_detections`` remembers every risk attached to a referral, so a redelivered risk is
recognised even after the inbox forgot its event id.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    false,
)

from shared.db import new_metadata
from shared.messaging.tables import messaging_tables

metadata = new_metadata()

facilities = Table(
    "facilities",
    metadata,
    Column("facility_id", String(64), primary_key=True),
    Column("type", String(16), nullable=False),
    Column("parent_id", String(64), nullable=True),
    Column("village_code", String(13), nullable=False),
    Column("capabilities", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("revision", Integer, nullable=False),
)
Index("ix_facilities_parent_id", facilities.c.parent_id)

tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("facility_id", String(64), nullable=False),
    Column("revoked", Boolean, nullable=False),
    Column("token_id", String(24), nullable=True),
    Column("expires_at", DateTime(timezone=True), nullable=True),  # None: issued before tokens expired
)

referrals = Table(
    "referrals",
    metadata,
    Column("referral_id", String(36), primary_key=True),
    Column("person_id", String(40), nullable=False),
    Column("risk_code", String(64), nullable=False),
    Column("risk_id", String(36), nullable=False),
    Column("village_code", String(13), nullable=False),
    Column("origin_facility_id", String(64), nullable=False),
    Column("destination_facility_id", String(64), nullable=True),
    Column("destination_level", String(16), nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("made_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("overdue", Boolean, nullable=False, default=False),
    Column("detections", Integer, nullable=False, default=1),
    Column("feedback", Text, nullable=True),
    Column("open_key", String(120), nullable=True),
    Column("offset_minutes", Integer, nullable=False, default=0, server_default="0"),
    Column("reason", Text, nullable=True),
    Column("overdue_cleared", Boolean, nullable=False, default=False, server_default=false()),
    Column("last_detected_at", DateTime(timezone=True), nullable=True),
)
Index("ix_referrals_open", referrals.c.person_id, referrals.c.risk_code, referrals.c.status)
Index("ix_referrals_due", referrals.c.status, referrals.c.due_at)
Index("uq_referrals_open_key", referrals.c.open_key, unique=True)
Index("ix_referrals_origin", referrals.c.origin_facility_id, referrals.c.updated_at)
Index("ix_referrals_destination", referrals.c.destination_facility_id, referrals.c.updated_at)

steps = Table(
    "referral_steps",
    metadata,
    Column("referral_id", String(36), nullable=False),
    Column("status", String(16), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("offset_minutes", Integer, nullable=False),
    Column("note", Text, nullable=True),
    Column("feedback", Text, nullable=True),
    Column("facility_id", String(64), nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("referral_id", "status"),
)

detections = Table(
    "referral_detections",
    metadata,
    Column("risk_id", String(36), primary_key=True),
    Column("referral_id", String(36), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
)
Index("ix_referral_detections_referral_id", detections.c.referral_id)

# Every risk screening found, as it was detected (pseudonymous: no NIK or name exists here), for
# ``GET /fhir/RiskAssessment`` of the facilities whose visits found them.
risks = Table(
    "risks",
    metadata,
    Column("risk_id", String(36), primary_key=True),
    Column("facility_id", String(64), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("event", Text, nullable=False),  # the RiskDetected event data, JSON
)
Index("ix_risks_facility_occurred", risks.c.facility_id, risks.c.occurred_at, risks.c.risk_id)

outbox, processed_events = messaging_tables(metadata)
