"""Screening's tables: each person's own history (weighings, ANC contacts), plus outbox/inbox."""

from __future__ import annotations

from sqlalchemy import Column, Date, Float, Index, Integer, String, Table

from shared.db import new_metadata
from shared.messaging.tables import messaging_tables

metadata = new_metadata()

weighings = Table(
    "weighings",
    metadata,
    Column("visit_id", String(36), primary_key=True),
    Column("person_id", String(40), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("weight_kg", Float, nullable=False),
)
Index("ix_weighings_person", weighings.c.person_id, weighings.c.occurred_on)

anc_contacts = Table(
    "anc_contacts",
    metadata,
    Column("visit_id", String(36), primary_key=True),
    Column("person_id", String(40), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("conception_on", Date, nullable=False),
    Column("gestational_weeks", Integer, nullable=False),
)
Index("ix_anc_contacts_person", anc_contacts.c.person_id, anc_contacts.c.conception_on)

outbox, processed_events = messaging_tables(metadata)
