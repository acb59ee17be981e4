"""Migration steps every service's schema shares, frozen as revisions: never edit a function here,
add a new one (a migration must do tomorrow what it did the day it was written).

- :func:`create_messaging_tables_v1`: the outbox and inbox as the first release created them;
- :func:`key_inbox_by_event_type`: the inbox keyed by event type and id (2026-12), existing rows
  given the type of the event their topic carries.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The event type each topic carried when the inbox was keyed by id alone (all v1 topics).
V1_TYPES_BY_TOPIC = {
    "ilp.visit.recorded.v1": "id.jejaring.visit.recorded.v1",
    "ilp.visit.screened.v1": "id.jejaring.visit.screened.v1",
    "ilp.risk.detected.v1": "id.jejaring.risk.detected.v1",
    "ilp.referral.made.v1": "id.jejaring.referral.made.v1",
    "ilp.referral.updated.v1": "id.jejaring.referral.updated.v1",
    "ilp.facility.registered.v1": "id.jejaring.facility.registered.v1",
    "ilp.target.set.v1": "id.jejaring.target.set.v1",
    "ilp.person.linked.v1": "id.jejaring.person.linked.v1",
    "ilp.facility.token.v1": "id.jejaring.facility.token.v1",
}


def create_messaging_tables_v1() -> None:
    """``outbox`` and ``processed_events`` (inbox keyed by event id), as first released."""
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=255), nullable=False),
        sa.Column("key", sa.LargeBinary(), nullable=True),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index("ix_outbox_created_at", "outbox", ["created_at"], unique=False)
    op.create_index("ix_outbox_unsent", "outbox", ["id"], unique=False, postgresql_where=sa.text("sent_at IS NULL"),
                    sqlite_where=sa.text("sent_at IS NULL"))
    op.create_table(
        "processed_events",
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("topic", sa.String(length=255), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_processed_events")),
    )
    op.create_index("ix_processed_events_processed_at", "processed_events", ["processed_at"], unique=False)


def key_inbox_by_event_type() -> None:
    """``processed_events`` keyed by ``(event_id, event_type)``; existing rows typed by their topic."""
    with op.batch_alter_table("processed_events") as batch:
        batch.add_column(sa.Column("event_type", sa.String(length=128), nullable=False, server_default=""))
    inbox = sa.table("processed_events", sa.column("topic", sa.String), sa.column("event_type", sa.String))
    for topic, event_type in V1_TYPES_BY_TOPIC.items():
        op.execute(inbox.update().where(inbox.c.topic == topic).values(event_type=event_type))
    with op.batch_alter_table("processed_events", recreate="always") as batch:
        batch.drop_constraint("pk_processed_events", type_="primary")
        batch.create_primary_key("pk_processed_events", ["event_id", "event_type"])
