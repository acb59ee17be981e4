"""The inbox is keyed by event type and id.

Revision ID: 0002
"""

from shared.migrations import key_inbox_by_event_type

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    key_inbox_by_event_type()


def downgrade() -> None:
    raise NotImplementedError("not downgraded")
