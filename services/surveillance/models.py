"""Surveillance's tables: its copy of the network and catchments, cases, weekly counts, signals and their steps.

Datetimes are stored in UTC (SQLite keeps no offset); ``offset_minutes`` keeps a case's UTC
offset so evidence carries the local time it was given in. ``cases`` has one row per person,
disease and ISO week (SKDR counts new cases: a repeat visit in the same week is not another
case), which also makes a redelivered or replayed visit change nothing. ``weekly_counts`` holds
the counts per area, disease and week; every new case increments its rows with an UPSERT, whose
row lock serialises concurrent writers of one area and week (so two replicas cannot both miss a
threshold). ``signals`` holds one row per area, disease and week at most (unique ``area_key``).
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
    Column("active", Boolean, nullable=False),
    Column("revision", Integer, nullable=False),
)

catchment = Table(
    "catchment",
    metadata,
    Column("village_code", String(13), primary_key=True),
    Column("puskesmas_id", String(64), nullable=False),
)
Index("ix_catchment_puskesmas_id", catchment.c.puskesmas_id)

cases = Table(
    "cases",
    metadata,
    Column("disease", String(48), nullable=False),
    Column("week", String(8), nullable=False),
    Column("person_id", String(64), nullable=False),
    Column("visit_id", String(36), nullable=False),
    Column("village_code", String(13), nullable=False),
    Column("facility_id", String(64), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("offset_minutes", Integer, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    PrimaryKeyConstraint("disease", "week", "person_id"),
)
Index("ix_cases_village_code", cases.c.village_code, cases.c.disease, cases.c.week)

weekly_counts = Table(
    "weekly_counts",
    metadata,
    Column("area_kind", String(16), nullable=False),
    Column("area_code", String(64), nullable=False),
    Column("disease", String(48), nullable=False),
    Column("week", String(8), nullable=False),
    Column("count", Integer, nullable=False),
    PrimaryKeyConstraint("area_kind", "area_code", "disease", "week"),
)

signals = Table(
    "signals",
    metadata,
    Column("signal_id", String(36), primary_key=True),
    Column("area_key", String(160), nullable=False),
    Column("area_kind", String(16), nullable=False),
    Column("area_code", String(64), nullable=False),
    Column("village_code", String(13), nullable=False),
    Column("village_codes", Text, nullable=False),
    Column("district_code", String(5), nullable=False),
    Column("disease", String(48), nullable=False),
    Column("week", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("outcome", String(16), nullable=True),
    Column("note", Text, nullable=True),
    Column("actor_token_id", String(64), nullable=True),
    Column("rule", Text, nullable=False),
    Column("counts", Text, nullable=False),
    Column("evidence", Text, nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("escalate_at", DateTime(timezone=True), nullable=False),
    Column("changed_at", DateTime(timezone=True), nullable=False),
    Column("revision", Integer, nullable=False),
)
Index("uq_signals_area_key", signals.c.area_key, unique=True)
Index("ix_signals_due", signals.c.status, signals.c.escalate_at)
Index("ix_signals_village_code", signals.c.village_code)
Index("ix_signals_raised_at", signals.c.raised_at)

steps = Table(
    "signal_steps",
    metadata,
    Column("signal_id", String(36), nullable=False),
    Column("status", String(16), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("outcome", String(16), nullable=True),
    Column("note", Text, nullable=True),
    Column("actor_token_id", String(64), nullable=True),
    Column("actor_region", String(13), nullable=True),
    Column("request_id", String(64), nullable=True),
    PrimaryKeyConstraint("signal_id", "status"),
)

outbox, processed_events = messaging_tables(metadata)
