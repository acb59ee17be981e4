"""Tokens that sign in get a public id, a kind (viewer, or admin learned from registration) and an
expiry; count indicators remember what they counted by natural key; the inbox is keyed by event
type and id.

Revision ID: 0002

Viewer tokens issued before expiry existed expire 365 days after their creation (the default).
Events counted before this revision are not in ``counted_events``: a redelivery of one of them
would be counted again, as it was before; a rebuild (``jejaring rebuild dashboard``) recounts all.
"""

import secrets
from datetime import timedelta

import sqlalchemy as sa
from alembic import op

from shared.migrations import key_inbox_by_event_type

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("viewer_tokens") as batch:
        batch.add_column(sa.Column("token_id", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="viewer"))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    tokens = sa.table("viewer_tokens", sa.column("token_hash", sa.String), sa.column("token_id", sa.String),
                      sa.column("created_at", sa.DateTime(timezone=True)),
                      sa.column("expires_at", sa.DateTime(timezone=True)))
    bind = op.get_bind()
    for token_hash, created_at in bind.execute(sa.select(tokens.c.token_hash, tokens.c.created_at)).all():
        bind.execute(tokens.update().where(tokens.c.token_hash == token_hash).values(
            token_id="tok_" + secrets.token_hex(8), expires_at=created_at + timedelta(days=365)))
    op.create_index("uq_viewer_tokens_token_id", "viewer_tokens", ["token_id"], unique=True)
    op.create_table(
        "counted_events",
        sa.Column("event_type", sa.String(length=64), nullable=False),
        sa.Column("natural_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("event_type", "natural_id", name=op.f("pk_counted_events")),
    )
    key_inbox_by_event_type()


def downgrade() -> None:
    raise NotImplementedError("not downgraded")
