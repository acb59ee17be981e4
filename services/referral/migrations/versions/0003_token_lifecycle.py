"""Facility tokens keep their public id and expiry; the inbox is keyed by event type and id.

Revision ID: 0003

Tokens learned before expiry existed have none until registration republishes them.
"""

import sqlalchemy as sa
from alembic import op

from shared.migrations import key_inbox_by_event_type

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("token_id", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    key_inbox_by_event_type()


def downgrade() -> None:
    raise NotImplementedError("not downgraded")
