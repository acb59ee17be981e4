"""Dashboard's read model: per (village, period, indicator) counts, person-level statuses,
targets, freshness and viewer tokens, plus outbox/inbox."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, String, Table

from shared.db import new_metadata
from shared.service import Service

metadata = new_metadata()

counts = Table(
    "counts",
    metadata,
    Column("village_code", String(13), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("indicator", String(40), primary_key=True),
    Column("value", Integer, nullable=False),
)

person_status = Table(
    "person_status",
    metadata,
    Column("indicator", String(40), primary_key=True),
    Column("person_id", String(40), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("village_code", String(13), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("numerator", Boolean, nullable=False),
)
Index("ix_person_status_area", person_status.c.period, person_status.c.indicator, person_status.c.village_code)

targets = Table(
    "targets",
    metadata,
    Column("village_code", String(13), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("target", String(16), primary_key=True),
    Column("count", Integer, nullable=False),
)

freshness = Table(
    "freshness",
    metadata,
    Column("village_code", String(13), primary_key=True),
    Column("last_event_at", DateTime(timezone=True), nullable=False),
)

viewer_tokens = Table(
    "viewer_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("region", String(13), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

outbox, processed_events = Service.messaging_tables(metadata)
