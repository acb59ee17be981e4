"""The PWS sums, referral counts and targets per region above the village (``area_cells``,
``area_referrals``, ``area_targets``), filled from ``cells``, ``referrals`` and ``targets``; the referral
index covers the follow-up sums; a target group's name takes up to 40 characters (``hypertension_estimated``
did not fit in 16 on PostgreSQL).

Revision ID: 0004

Written out, not created from the models; ``tests/integration/test_migrations.py`` checks that
the migrated schema is what ``services/dashboard/models.py`` declares. The upgrade sums the existing
village cells into their kecamatan (code length 8), kabupaten (5) and province (2), so a read model
migrated with data answers as one rebuilt from the events.
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

SUMS = ("numerator", "measured", "ytd_numerator", "ytd_measured")


def upgrade() -> None:
    with op.batch_alter_table("targets") as batch:  # SQLite: the table is copied
        batch.alter_column("target", type_=sa.String(40), existing_type=sa.String(16), existing_nullable=False)
    op.create_table(
        "area_cells",
        sa.Column("area_code", sa.String(13), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("indicator", sa.String(40), nullable=False),
        *(sa.Column(name, sa.Integer, nullable=False) for name in SUMS),
        sa.PrimaryKeyConstraint("area_code", "period", "indicator", name="pk_area_cells"),
    )
    columns = ", ".join(SUMS)
    sums = ", ".join(f"sum({name})" for name in SUMS)
    for length in (2, 5, 8):  # province, kabupaten, kecamatan of a desa code PP.KK.CC.DDDD
        op.execute(f"INSERT INTO area_cells (area_code, period, indicator, {columns}) "
                   f"SELECT substr(village_code, 1, {length}), period, indicator, {sums} FROM cells "
                   f"WHERE length(village_code) = 13 GROUP BY substr(village_code, 1, {length}), period, indicator")
    op.create_table(
        "area_referrals",
        sa.Column("area_code", sa.String(13), nullable=False),
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("feedback", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("area_code", "period", "status", name="pk_area_referrals"),
    )
    for length in (2, 5, 8):
        op.execute("INSERT INTO area_referrals (area_code, period, status, count, feedback) "
                   f"SELECT substr(village_code, 1, {length}), period, status, count(*), "
                   "sum(CASE WHEN feedback THEN 1 ELSE 0 END) FROM referrals WHERE length(village_code) = 13 "
                   f"GROUP BY substr(village_code, 1, {length}), period, status")
    op.create_table(
        "area_targets",
        sa.Column("area_code", sa.String(13), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("target", sa.String(40), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("area_code", "year", "target", name="pk_area_targets"),
    )
    for length in (2, 5, 8):
        op.execute("INSERT INTO area_targets (area_code, year, target, count) "
                   f"SELECT substr(village_code, 1, {length}), year, target, sum(count) FROM targets "
                   f"WHERE length(village_code) = 13 GROUP BY substr(village_code, 1, {length}), year, target")
    op.drop_index("ix_referrals_period_village", table_name="referrals")
    op.create_index("ix_referrals_rollup", "referrals", ["village_code", "period", "status", "feedback"])


def downgrade() -> None:
    op.drop_index("ix_referrals_rollup", table_name="referrals")
    op.create_index("ix_referrals_period_village", "referrals", ["period", "village_code"])
    op.drop_table("area_targets")
    op.drop_table("area_referrals")
    op.drop_table("area_cells")
    with op.batch_alter_table("targets") as batch:
        batch.alter_column("target", type_=sa.String(16), existing_type=sa.String(40), existing_nullable=False)
