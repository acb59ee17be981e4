"""How far ``jejaring rebuild dashboard`` has re-read each partition (``rebuild_progress``), and the
person links kept (``person_links``: a provisional id's measurements consumed after its link belong to
the id it became).

Revision ID: 0005

Written out, not created from the models; ``tests/integration/test_migrations.py`` checks that
the migrated schema is what ``services/dashboard/models.py`` declares.
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rebuild_progress",
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("generation", sa.Integer, nullable=False),
        sa.Column("next_offset", sa.BigInteger, nullable=False),
        sa.Column("end_offset", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("topic", "partition", name="pk_rebuild_progress"),
    )
    op.create_table(
        "person_links",
        sa.Column("previous_person_id", sa.String(64), nullable=False),
        sa.Column("person_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("previous_person_id", name="pk_person_links"),
    )


def downgrade() -> None:
    op.drop_table("person_links")
    op.drop_table("rebuild_progress")
