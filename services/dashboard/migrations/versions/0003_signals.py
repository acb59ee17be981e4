"""The read model of outbreak signals (ilp.outbreak.signal.v1): one row per signal, its latest revision.

Revision ID: 0003

Written out, not created from the models; ``tests/integration/test_migrations.py`` checks that
the migrated schema is what ``services/dashboard/models.py`` declares.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "signals",
        sa.Column("signal_id", sa.String(36), nullable=False),
        sa.Column("area_kind", sa.String(16), nullable=False),
        sa.Column("area_code", sa.String(64), nullable=False),
        sa.Column("village_code", sa.String(13), nullable=False),
        sa.Column("village_codes", sa.Text, nullable=False),
        sa.Column("disease", sa.String(48), nullable=False),
        sa.Column("week", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("raised_at", UTC, nullable=False),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("signal_id", name="pk_signals"),
    )
    op.create_index("ix_signals_raised_at", "signals", ["raised_at"])
    op.create_index("ix_signals_received_at", "signals", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_signals_received_at", table_name="signals")
    op.drop_index("ix_signals_raised_at", table_name="signals")
    op.drop_table("signals")
