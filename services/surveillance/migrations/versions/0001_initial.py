"""Initial schema of the surveillance service, written out (not created from the models).

Revision ID: 0001

``tests/unit/surveillance/test_surveillance_migrations.py`` checks that this schema is what the
models declare (Alembic's autogenerate comparison finds nothing).
"""

import sqlalchemy as sa
from alembic import op

from shared.migrations import create_messaging_tables_v1, key_inbox_by_event_type

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "facilities",
        sa.Column("facility_id", sa.String(64), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("parent_id", sa.String(64), nullable=True),
        sa.Column("village_code", sa.String(13), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("facility_id", name="pk_facilities"),
    )
    op.create_table(
        "catchment",
        sa.Column("village_code", sa.String(13), nullable=False),
        sa.Column("puskesmas_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("village_code", name="pk_catchment"),
    )
    op.create_index("ix_catchment_puskesmas_id", "catchment", ["puskesmas_id"])
    op.create_table(
        "cases",
        sa.Column("disease", sa.String(48), nullable=False),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.Column("visit_id", sa.String(36), nullable=False),
        sa.Column("village_code", sa.String(13), nullable=False),
        sa.Column("facility_id", sa.String(64), nullable=False),
        sa.Column("occurred_at", UTC, nullable=False),
        sa.Column("offset_minutes", sa.Integer, nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("disease", "week", "person_id", name="pk_cases"),
    )
    op.create_index("ix_cases_village_code", "cases", ["village_code", "disease", "week"])
    op.create_table(
        "weekly_counts",
        sa.Column("area_kind", sa.String(16), nullable=False),
        sa.Column("area_code", sa.String(64), nullable=False),
        sa.Column("disease", sa.String(48), nullable=False),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("area_kind", "area_code", "disease", "week", name="pk_weekly_counts"),
    )
    op.create_table(
        "signals",
        sa.Column("signal_id", sa.String(36), nullable=False),
        sa.Column("area_key", sa.String(160), nullable=False),
        sa.Column("area_kind", sa.String(16), nullable=False),
        sa.Column("area_code", sa.String(64), nullable=False),
        sa.Column("village_code", sa.String(13), nullable=False),
        sa.Column("village_codes", sa.Text, nullable=False),
        sa.Column("district_code", sa.String(5), nullable=False),
        sa.Column("disease", sa.String(48), nullable=False),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("actor_token_id", sa.String(64), nullable=True),
        sa.Column("rule", sa.Text, nullable=False),
        sa.Column("counts", sa.Text, nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("raised_at", UTC, nullable=False),
        sa.Column("escalate_at", UTC, nullable=False),
        sa.Column("changed_at", UTC, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("signal_id", name="pk_signals"),
    )
    op.create_index("uq_signals_area_key", "signals", ["area_key"], unique=True)
    op.create_index("ix_signals_due", "signals", ["status", "escalate_at"])
    op.create_index("ix_signals_village_code", "signals", ["village_code"])
    op.create_index("ix_signals_raised_at", "signals", ["raised_at"])
    op.create_table(
        "signal_steps",
        sa.Column("signal_id", sa.String(36), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("actor_token_id", sa.String(64), nullable=True),
        sa.Column("actor_region", sa.String(13), nullable=True),
        sa.Column("request_id", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("signal_id", "status", name="pk_signal_steps"),
    )
    create_messaging_tables_v1()
    key_inbox_by_event_type()


def downgrade() -> None:
    for table in ("processed_events", "outbox", "signal_steps", "signals", "weekly_counts", "cases", "catchment",
                  "facilities"):
        op.drop_table(table)
