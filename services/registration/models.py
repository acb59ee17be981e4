"""Registration's tables: facilities, persons (the only place NIK and names are stored), visits,
tokens and targets, plus the outbox and inbox every service has.

The schema evolves by explicit Alembic revisions (``migrations/versions``); a test checks that the
migrated schema equals these tables on SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
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
    Column("name", String(200), nullable=False),
    Column("type", String(16), nullable=False),
    Column("parent_id", String(64), nullable=True),
    Column("village_code", String(13), nullable=False),
    Column("capabilities", Text, nullable=False, default=""),
    Column("active", Boolean, nullable=False, default=True),
    Column("revision", Integer, nullable=False, default=1),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("satusehat_org_id", String(64), nullable=True),  # the facility's Organization id in SATUSEHAT
)
Index("uq_facilities_satusehat_org_id", facilities.c.satusehat_org_id, unique=True)

persons = Table(
    "persons",
    metadata,
    Column("person_id", String(40), primary_key=True),
    Column("nik", String(16), nullable=True, unique=True),
    Column("mother_nik", String(16), nullable=True),
    Column("name", String(200), nullable=True),
    Column("sex", String(1), nullable=False),
    Column("birth_date", Date, nullable=False),
    Column("village_code", String(13), nullable=False),
    Column("linked_to", String(40), nullable=True),
    Column("last_visit_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

visits = Table(
    "visits",
    metadata,
    Column("visit_id", String(36), primary_key=True),
    Column("person_id", String(40), nullable=False),
    Column("facility_id", String(64), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("stage", String(16), nullable=False),
    Column("data_quality", Text, nullable=False, default=""),
)
Index("ix_visits_person", visits.c.person_id)

# Facility and admin tokens (viewer tokens are the dashboard's): only hashes, with a public id.
tokens = Table(
    "tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("token_id", String(24), nullable=False),
    Column("role", String(16), nullable=False, default="facility"),  # facility | admin
    Column("facility_id", String(64), nullable=True),
    Column("region", String(13), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)
Index("uq_tokens_token_id", tokens.c.token_id, unique=True)

targets = Table(
    "targets",
    metadata,
    Column("village_code", String(13), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("target", String(32), primary_key=True),  # the longest target group is 22 characters
    Column("count", Integer, nullable=False),
)

outbox, processed_events = messaging_tables(metadata)
