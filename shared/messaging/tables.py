"""The two tables every service's database holds for reliable messaging."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

# SQLite only auto-increments INTEGER PRIMARY KEY columns.
_BIGINT = BigInteger().with_variant(Integer(), "sqlite")


def messaging_tables(metadata: MetaData) -> tuple[Table, Table]:
    """Declare ``outbox`` and ``processed_events`` on a service's MetaData."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", _BIGINT, primary_key=True, autoincrement=True),
        Column("event_id", String(64), nullable=False),
        Column("topic", String(255), nullable=False),
        Column("key", LargeBinary, nullable=True),
        Column("value", LargeBinary, nullable=False),
        Column("headers", Text, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("sent_at", DateTime(timezone=True), nullable=True),
    )
    Index("ix_outbox_created_at", outbox.c.created_at)
    Index(
        "ix_outbox_unsent",
        outbox.c.id,
        postgresql_where=outbox.c.sent_at.is_(None),
        sqlite_where=outbox.c.sent_at.is_(None),
    )
    processed = Table(
        "processed_events",
        metadata,
        Column("event_id", String(128), primary_key=True),
        Column("event_type", String(128), primary_key=True, server_default=""),
        Column("topic", String(255), nullable=False),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )
    Index("ix_processed_events_processed_at", processed.c.processed_at)
    return outbox, processed
