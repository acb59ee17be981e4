"""A target group's name takes up to 40 characters (``hypertension_estimated`` did not fit in 16 on PostgreSQL).

Revision ID: 0003

Written out, not created from the models; ``tests/integration/test_migrations.py`` checks that
the migrated schema is what ``services/registration/models.py`` declares.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("targets") as batch:  # SQLite: the table is copied
        batch.alter_column("target", type_=sa.String(40), existing_type=sa.String(16), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("targets") as batch:
        batch.alter_column("target", type_=sa.String(16), existing_type=sa.String(40), existing_nullable=False)
