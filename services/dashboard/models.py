"""Dashboard's read model and access tables, plus outbox/inbox.

The PWS numbers live pre-aggregated in ``cells`` (one row per village, month and indicator) and in
``area_cells`` (the same per kecamatan, kabupaten and province), so a query reads a few thousand rows
whatever the number of persons or villages. ``person_status`` keeps the one state per person,
indicator and month that makes person-level indicators count each person once; the consumer turns
its changes into additive deltas on ``cells`` and ``area_cells``.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Index,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
)

from shared.db import new_metadata
from shared.messaging.tables import messaging_tables

metadata = new_metadata()

def _sums(name: str, key: str) -> Table:
    """A table of PWS sums per (``key``, month, indicator): monthly numerator and measured count, and
    the year-to-date *deltas* (sum them from January to month M for the year-to-date value; see
    domain.contributions)."""
    return Table(
        name,
        metadata,
        Column(key, String(13), primary_key=True),
        Column("period", String(7), primary_key=True),
        Column("indicator", String(40), primary_key=True),
        *(Column(column, Integer, nullable=False, default=0)
          for column in ("numerator", "measured", "ytd_numerator", "ytd_measured")),
    )


# Per village.
cells = _sums("cells", "village_code")
# The same sums per region above the village (province, kabupaten, kecamatan: ``area_code`` is the
# region's code), written with every village delta, so a large area's view reads its own rows and its
# children's instead of every village's.
area_cells = _sums("area_cells", "area_code")

# The latest measurement of one person for one person-level indicator in one month.
person_status = Table(
    "person_status",
    metadata,
    Column("person_id", String(64), primary_key=True),
    Column("indicator", String(40), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("village_code", String(13), nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False),
    Column("numerator", Boolean, nullable=False),
)

# Which id a provisional person id became (``person.linked``): a measurement of a provisional id
# consumed after its link — redelivered, or re-read by a rebuild — belongs to the id it became.
person_links = Table(
    "person_links",
    metadata,
    Column("previous_person_id", String(64), primary_key=True),
    Column("person_id", String(64), nullable=False),
)

targets = Table(
    "targets",
    metadata,
    Column("village_code", String(13), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("target", String(40), primary_key=True),
    Column("count", Integer, nullable=False),
)

# The targets summed per region above the village (``area_code``), kept with every change of a village's.
area_targets = Table(
    "area_targets",
    metadata,
    Column("area_code", String(13), primary_key=True),
    Column("year", Integer, primary_key=True),
    Column("target", String(40), primary_key=True),
    Column("count", Integer, nullable=False),
)

# Per village: event time of the latest event (capped at its arrival) and when it arrived.
freshness = Table(
    "freshness",
    metadata,
    Column("village_code", String(13), primary_key=True),
    Column("last_event_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)
Index("ix_freshness_received_at", freshness.c.received_at)

facilities = Table(
    "facilities",
    metadata,
    Column("facility_id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("type", String(16), nullable=False),
    Column("parent_id", String(64), nullable=True),
    Column("village_code", String(13), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("revision", Integer, nullable=False),
)

# One row per referral, aggregated for the follow-up panel (no person id, no names).
referrals = Table(
    "referrals",
    metadata,
    Column("referral_id", String(36), primary_key=True),
    Column("village_code", String(13), nullable=False),
    Column("period", String(7), nullable=False),
    Column("made_at", DateTime(timezone=True), nullable=False),
    Column("due_at", DateTime(timezone=True), nullable=True),
    Column("urgency", String(16), nullable=True),
    Column("destination_level", String(16), nullable=True),
    Column("status", String(16), nullable=False),
    Column("status_rank", SmallInteger, nullable=False),
    Column("status_at", DateTime(timezone=True), nullable=False),
    Column("feedback", Boolean, nullable=False, default=False),
)
# Covers the follow-up sums of an area's villages (village range, then months): read from the index alone.
Index("ix_referrals_rollup", referrals.c.village_code, referrals.c.period, referrals.c.status, referrals.c.feedback)

# Referrals counted per region above the village (``area_code``), month made and current status, kept
# with every change of a referral's status, so a large area's follow-up panel reads its own rows.
area_referrals = Table(
    "area_referrals",
    metadata,
    Column("area_code", String(13), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("status", String(16), primary_key=True),
    Column("count", Integer, nullable=False, default=0),
    Column("feedback", Integer, nullable=False, default=0),
)

# Outbreak signals as surveillance last described them (the highest ``revision`` of each
# ``signal_id`` consumed from ilp.outbreak.signal.v1, or returned by its internal API). ``body`` is
# the event's JSON; the other columns serve scoping (villages), filters and order.
signals = Table(
    "signals",
    metadata,
    Column("signal_id", String(36), primary_key=True),
    Column("area_kind", String(16), nullable=False),
    Column("area_code", String(64), nullable=False),
    Column("village_code", String(13), nullable=False),
    Column("village_codes", Text, nullable=False),  # ";"-joined, with leading and trailing ";"
    Column("disease", String(48), nullable=False),
    Column("week", String(8), nullable=False),
    Column("status", String(16), nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("body", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)
Index("ix_signals_raised_at", signals.c.raised_at)
Index("ix_signals_received_at", signals.c.received_at)

# Tokens that sign in here: viewer tokens issued by the dashboard, admin tokens learned from
# registration's token topic. Only hashes, with their public id, kind, scope and expiry.
viewer_tokens = Table(
    "viewer_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("region", String(64), nullable=False),  # a region code prefix or a Puskesmas facility id
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("token_id", String(24), nullable=True),
    Column("kind", String(16), nullable=False, server_default="viewer"),  # viewer | admin
    Column("expires_at", DateTime(timezone=True), nullable=True),
)
Index("uq_viewer_tokens_token_id", viewer_tokens.c.token_id, unique=True)

# Events already counted by the count indicators, by their natural key: a visit counts once per
# visit_id, a referral once per referral_id, a status change once per update id, whatever the
# inbox remembers (redelivery after its pruning, re-reads with infinite topic retention).
counted = Table(
    "counted_events",
    metadata,
    Column("event_type", String(64), primary_key=True),
    Column("natural_id", String(64), primary_key=True),
)

# Browser sessions: the cookie holds a random id; only its SHA-256 is stored.
sessions = Table(
    "sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("token_hash", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
)
Index("ix_sessions_expires_at", sessions.c.expires_at)

# Rebuild bookkeeping: the current rebuild generation, and per partition the generation it was
# rewound for (see usecases.rebuild and live.Rewinder).
state = Table(
    "dashboard_state",
    metadata,
    Column("key", String(40), primary_key=True),
    Column("value", Integer, nullable=False),
)
rewound = Table(
    "rewound_partitions",
    metadata,
    Column("topic", String(255), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("generation", Integer, nullable=False),
)

# ``jejaring rebuild dashboard`` re-reading the topics itself: per partition, the generation it
# re-reads for, the next offset to apply (written with the effects of the offsets before it) and
# the log end captured when the rebuild started. A rebuild stopped half-way resumes from here.
progress = Table(
    "rebuild_progress",
    metadata,
    Column("topic", String(255), primary_key=True),
    Column("partition", Integer, primary_key=True),
    Column("generation", Integer, nullable=False),
    Column("next_offset", BigInteger, nullable=False),
    Column("end_offset", BigInteger, nullable=False),
)

outbox, processed_events = messaging_tables(metadata)

# Read-model tables emptied by a rebuild (tokens, sessions and the rebuild bookkeeping survive).
READ_MODEL = (cells, area_cells, person_status, person_links, targets, area_targets, freshness, facilities, referrals,
              area_referrals, counted, signals)
