"""Initial schema of the registration service, as the releases of 2026-11 created it.

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
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('parent_id', sa.String(length=64), nullable=True),
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('capabilities', sa.Text(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('facility_id', name=op.f('pk_facilities'))
    )
    op.create_table('persons',
    sa.Column('person_id', sa.String(length=40), nullable=False),
    sa.Column('nik', sa.String(length=16), nullable=True),
    sa.Column('mother_nik', sa.String(length=16), nullable=True),
    sa.Column('name', sa.String(length=200), nullable=True),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('linked_to', sa.String(length=40), nullable=True),
    sa.Column('last_visit_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('person_id', name=op.f('pk_persons')),
    sa.UniqueConstraint('nik', name=op.f('uq_persons_nik'))
    )
    op.create_table('targets',
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('target', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('village_code', 'year', 'target', name=op.f('pk_targets'))
    )
    op.create_table('tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('facility_id', sa.String(length=64), nullable=True),
    sa.Column('region', sa.String(length=13), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_tokens'))
    )
    op.create_table('visits',
    sa.Column('visit_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=40), nullable=False),
    sa.Column('facility_id', sa.String(length=64), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('data_quality', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('visit_id', name=op.f('pk_visits'))
    )
    op.create_index('ix_visits_person', 'visits', ['person_id'], unique=False)
    create_messaging_tables_v1()


def downgrade() -> None:
    raise NotImplementedError("the initial schema is not downgraded")
