"""Lifecycle: open-key uniqueness, event-time offsets, steps and detections tables, overdue clearing.

Revision ID: 0002

Every open referral (made, received, attended) gets ``open_key = person_id:risk_code``; where a
person had two open referrals for one risk, the oldest keeps the key.
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("referrals") as batch:
        batch.add_column(sa.Column("open_key", sa.String(length=120), nullable=True))
        batch.add_column(sa.Column("offset_minutes", sa.Integer(), server_default="0", nullable=False))
        batch.add_column(sa.Column("reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("overdue_cleared", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("last_detected_at", sa.DateTime(timezone=True), nullable=True))
    referrals = sa.table("referrals", sa.column("referral_id", sa.String), sa.column("person_id", sa.String),
                         sa.column("risk_code", sa.String), sa.column("status", sa.String),
                         sa.column("made_at", sa.DateTime), sa.column("open_key", sa.String))
    bind = op.get_bind()
    rows = bind.execute(sa.select(referrals.c.referral_id, referrals.c.person_id, referrals.c.risk_code)
                        .where(referrals.c.status.in_(("made", "received", "attended")))
                        .order_by(referrals.c.made_at)).all()
    seen: set[str] = set()
    for referral_id, person_id, code in rows:
        key = f"{person_id}:{code}"
        if key not in seen:
            seen.add(key)
            bind.execute(referrals.update().where(referrals.c.referral_id == referral_id).values(open_key=key))
    op.create_index("ix_facilities_parent_id", "facilities", ["parent_id"], unique=False)
    op.create_index("ix_referrals_destination", "referrals", ["destination_facility_id", "updated_at"], unique=False)
    op.create_index("ix_referrals_due", "referrals", ["status", "due_at"], unique=False)
    op.create_index("ix_referrals_open", "referrals", ["person_id", "risk_code", "status"], unique=False)
    op.create_index("ix_referrals_origin", "referrals", ["origin_facility_id", "updated_at"], unique=False)
    op.create_index("uq_referrals_open_key", "referrals", ["open_key"], unique=True)
    op.create_table(
        "referral_detections",
        sa.Column("risk_id", sa.String(length=36), nullable=False),
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("risk_id", name=op.f("pk_referral_detections")),
    )
    op.create_index("ix_referral_detections_referral_id", "referral_detections", ["referral_id"], unique=False)
    op.create_table(
        "referral_steps",
        sa.Column("referral_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("offset_minutes", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("facility_id", sa.String(length=64), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("referral_id", "status", name=op.f("pk_referral_steps")),
    )


def downgrade() -> None:
    raise NotImplementedError("not downgraded")
