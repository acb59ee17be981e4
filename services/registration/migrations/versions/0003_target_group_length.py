"""Target groups up to 32 characters: ``hypertension_estimated`` and ``diabetes_estimated`` (the extension groups of
the Targets CSV) did not fit the 16 characters of ``targets.target`` on PostgreSQL.

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
    with op.batch_alter_table("targets") as batch:
        batch.alter_column("target", existing_type=sa.String(16), type_=sa.String(32), existing_nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("targets") as batch:
        batch.alter_column("target", existing_type=sa.String(32), type_=sa.String(16), existing_nullable=False)
