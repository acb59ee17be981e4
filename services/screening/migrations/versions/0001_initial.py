"""Initial schema of the screening service, as the releases of 2026-11 created it.

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
    op.create_table('anc_contacts',
    sa.Column('visit_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=40), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('conception_on', sa.Date(), nullable=False),
    sa.Column('gestational_weeks', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('visit_id', name=op.f('pk_anc_contacts'))
    )
    op.create_index('ix_anc_contacts_person', 'anc_contacts', ['person_id', 'conception_on'], unique=False)
    op.create_table('weighings',
    sa.Column('visit_id', sa.String(length=36), nullable=False),
    sa.Column('person_id', sa.String(length=40), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('weight_kg', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('visit_id', name=op.f('pk_weighings'))
    )
    op.create_index('ix_weighings_person', 'weighings', ['person_id', 'occurred_on'], unique=False)
    create_messaging_tables_v1()


def downgrade() -> None:
    raise NotImplementedError("the initial schema is not downgraded")
