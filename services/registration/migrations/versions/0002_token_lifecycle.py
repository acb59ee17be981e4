"""Tokens get a public id and an expiry; facilities a SATUSEHAT Organization id; the inbox is keyed
by event type and id.

Revision ID: 0002

Tokens issued before expiry existed expire 365 days after their creation (the default lifetime).
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
    with op.batch_alter_table("tokens") as batch:
        batch.add_column(sa.Column("token_id", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    tokens = sa.table("tokens", sa.column("token_hash", sa.String), sa.column("token_id", sa.String),
                      sa.column("created_at", sa.DateTime(timezone=True)),
                      sa.column("expires_at", sa.DateTime(timezone=True)))
    bind = op.get_bind()
    for token_hash, created_at in bind.execute(sa.select(tokens.c.token_hash, tokens.c.created_at)).all():
        bind.execute(tokens.update().where(tokens.c.token_hash == token_hash).values(
            token_id="tok_" + secrets.token_hex(8), expires_at=created_at + timedelta(days=365)))
    with op.batch_alter_table("tokens") as batch:
        batch.alter_column("token_id", existing_type=sa.String(length=24), nullable=False)
        batch.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.create_index("uq_tokens_token_id", ["token_id"], unique=True)
    with op.batch_alter_table("facilities") as batch:
        batch.add_column(sa.Column("satusehat_org_id", sa.String(length=64), nullable=True))
        batch.create_index("uq_facilities_satusehat_org_id", ["satusehat_org_id"], unique=True)
    key_inbox_by_event_type()


def downgrade() -> None:
    raise NotImplementedError("not downgraded")
