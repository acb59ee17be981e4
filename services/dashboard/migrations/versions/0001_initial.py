"""Initial schema of the dashboard service, as the releases of 2026-11 created it.

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
    op.create_table('cells',
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('indicator', sa.String(length=40), nullable=False),
    sa.Column('numerator', sa.Integer(), nullable=False),
    sa.Column('measured', sa.Integer(), nullable=False),
    sa.Column('ytd_numerator', sa.Integer(), nullable=False),
    sa.Column('ytd_measured', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('village_code', 'period', 'indicator', name=op.f('pk_cells'))
    )
    op.create_table('dashboard_state',
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_dashboard_state'))
    )
    op.create_table('facilities',
    sa.Column('facility_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('parent_id', sa.String(length=64), nullable=True),
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('facility_id', name=op.f('pk_facilities'))
    )
    op.create_table('freshness',
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('last_event_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('village_code', name=op.f('pk_freshness'))
    )
    op.create_index('ix_freshness_received_at', 'freshness', ['received_at'], unique=False)
    op.create_table('person_status',
    sa.Column('person_id', sa.String(length=64), nullable=False),
    sa.Column('indicator', sa.String(length=40), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('numerator', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('person_id', 'indicator', 'period', name=op.f('pk_person_status'))
    )
    op.create_table('referrals',
    sa.Column('referral_id', sa.String(length=36), nullable=False),
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('urgency', sa.String(length=16), nullable=True),
    sa.Column('destination_level', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('status_rank', sa.SmallInteger(), nullable=False),
    sa.Column('status_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('feedback', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('referral_id', name=op.f('pk_referrals'))
    )
    op.create_index('ix_referrals_period_village', 'referrals', ['period', 'village_code'], unique=False)
    op.create_table('rewound_partitions',
    sa.Column('topic', sa.String(length=255), nullable=False),
    sa.Column('partition', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('topic', 'partition', name=op.f('pk_rewound_partitions'))
    )
    op.create_table('sessions',
    sa.Column('id_hash', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id_hash', name=op.f('pk_sessions'))
    )
    op.create_index('ix_sessions_expires_at', 'sessions', ['expires_at'], unique=False)
    op.create_table('targets',
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('village_code', 'year', 'target', name=op.f('pk_targets'))
    )
    op.create_table('viewer_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('region', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_viewer_tokens'))
    )
    create_messaging_tables_v1()


def downgrade() -> None:
    raise NotImplementedError("the initial schema is not downgraded")
