"""Every risk screening found is kept, for the RiskAssessment API.

Revision ID: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "risks",
        sa.Column("risk_id", sa.String(length=36), nullable=False),
        sa.Column("facility_id", sa.String(length=64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("risk_id", name=op.f("pk_risks")),
    )
    op.create_index("ix_risks_facility_occurred", "risks", ["facility_id", "occurred_at", "risk_id"], unique=False)


def downgrade() -> None:
    raise NotImplementedError("not downgraded")
