"""Referral's tables: its own copy of the facility network, tokens, referrals, plus outbox/inbox."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, String, Table, Text

from shared.db import new_metadata
from shared.service import Service

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

tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("facility_id", String(64), nullable=False),
    Column("revoked", Boolean, nullable=False),
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
)
Index("ix_referrals_open", referrals.c.person_id, referrals.c.risk_code, referrals.c.status)
Index("ix_referrals_due", referrals.c.status, referrals.c.due_at)

outbox, processed_events = Service.messaging_tables(metadata)
