"""Initial schema of the referral service, as its first release created it (explicit).

Revision ID: 0001
"""

import sqlalchemy as sa
from alembic import op

from shared.migrations import create_messaging_tables_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('facilities',
    sa.Column('facility_id', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('parent_id', sa.String(length=64), nullable=True),
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('capabilities', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('facility_id', name=op.f('pk_facilities'))
    )
    op.create_table('tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('facility_id', sa.String(length=64), nullable=False),
    sa.Column('revoked', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_tokens'))
    )
    op.create_table('referrals',
    sa.Column('referral_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=40), nullable=False),
    sa.Column('risk_code', sa.String(length=64), nullable=False),
    sa.Column('risk_id', sa.String(length=36), nullable=False),
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('origin_facility_id', sa.String(length=64), nullable=False),
    sa.Column('destination_facility_id', sa.String(length=64), nullable=True),
    sa.Column('destination_level', sa.String(length=16), nullable=False),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('overdue', sa.Boolean(), nullable=False),
    sa.Column('detections', sa.Integer(), nullable=False),
    sa.Column('feedback', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('referral_id', name=op.f('pk_referrals'))
    )
    create_messaging_tables_v1()


def downgrade() -> None:
    raise NotImplementedError("the initial schema is not downgraded")
