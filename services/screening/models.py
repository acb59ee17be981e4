"""Screening's tables: each person's own history, plus outbox/inbox.

Every history row is keyed by the visit that produced it (``visit_id``, with the antigen or the service
kind), so a redelivered visit inserts nothing new (insert-or-ignore on the natural key).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, Float, Index, Integer, String, Table

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

# Every pregnancy visit (a standard ANC contact when anc_by is set; contract Extensions).
anc_contacts = Table(
    "anc_contacts",
    metadata,
    Column("visit_id", String(36), primary_key=True),
    Column("person_id", String(40), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("conception_on", Date, nullable=False),
    Column("gestational_weeks", Integer, nullable=False),
    Column("visit_order", Float, nullable=True),  # UTC timestamp of the visit: orders same-day visits
    # midwife | doctor | nurse; null: not a standard contact; unknown: a contact recorded before contacts were
    # told apart (migration 0003)
    Column("anc_by", String(10), nullable=True),
    Column("ultrasound", Boolean, nullable=True),
    Column("anc_visit_number", Integer, nullable=True),
    Column("pregnancy_id", String(36), nullable=True),
    Column("milestones", String(40), nullable=True),  # "k1,k1_murni,k4,k6" reached at this visit
)
Index("ix_anc_contacts_person", anc_contacts.c.person_id, anc_contacts.c.conception_on)

immunization_doses = Table(
    "immunization_doses",
    metadata,
    Column("visit_id", String(36), primary_key=True),
    Column("antigen", String(16), primary_key=True),
    Column("person_id", String(40), nullable=False),
    Column("occurred_on", Date, nullable=False),
)
Index("ix_immunization_doses_person", immunization_doses.c.person_id)

# Services and tests the programme rules track: vitamin_a, deworming, ttd, hb, kpsp, kn, kf, hiv, syphilis, hbsag,
# tb_test (a TB examination, value method:result), delivery (value: the place).
person_services = Table(
    "person_services",
    metadata,
    Column("visit_id", String(36), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("person_id", String(40), nullable=False),
    Column("occurred_on", Date, nullable=False),
    Column("value", String(40), nullable=False),
)
Index("ix_person_services_person", person_services.c.person_id, person_services.c.kind)

outbox, processed_events = messaging_tables(metadata)
