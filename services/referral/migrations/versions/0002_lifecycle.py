"""Lifecycle: open-key uniqueness, event-time offsets, steps and detections tables, overdue clearing.

Revision ID: 0002

``0001`` creates the schema from the current models, so on a fresh database this revision finds
everything in place; on a database created by the thin ``0001`` it adds what is missing.
"""

import sqlalchemy as sa
from alembic import op

from services.referral import models

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _new_columns() -> list[sa.Column]:
    return [
        sa.Column("open_key", sa.String(120), nullable=True),
        sa.Column("offset_minutes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("overdue_cleared", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("last_detected_at", sa.DateTime(timezone=True), nullable=True),
    ]


def upgrade() -> None:
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    have = {c["name"] for c in inspector.get_columns("referrals")}
    missing = [column for column in _new_columns() if column.name not in have]
    if missing:
        with op.batch_alter_table("referrals") as batch:
            for column in missing:
                batch.add_column(column)
        open_states = ("made", "received", "attended")
        t = models.referrals
        rows = bind.execute(sa.select(t.c.referral_id, t.c.person_id, t.c.risk_code)
                            .where(t.c.status.in_(open_states)).order_by(t.c.made_at)).all()
        seen: set[str] = set()
        for referral_id, person_id, code in rows:
            key = f"{person_id}:{code}"
            if key not in seen:
                seen.add(key)
                bind.execute(sa.update(t).where(t.c.referral_id == referral_id).values(open_key=key))
    inspector = sa.inspect(bind)  # fresh: the batch above may have rebuilt the table
    indexes = {i["name"] for name in ("referrals", "facilities") for i in inspector.get_indexes(name)}
    for index in [*models.referrals.indexes, *models.facilities.indexes]:
        if index.name not in indexes:
            index.create(bind)
    for table in (models.steps, models.detections):
        if not inspector.has_table(table.name):
            table.create(bind)


def downgrade() -> None:
    pass
