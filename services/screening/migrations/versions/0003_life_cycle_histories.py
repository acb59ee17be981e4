"""Histories for every life-cycle package: pregnancy visits keep their contact, K-number, pregnancy and
milestones; immunisation doses and programme services get tables of their own.

Revision ID: 0003

``anc_contacts`` gains nullable columns; its existing rows were written when every pregnancy visit
counted as an ANC contact (the releases before the contract's ``pregnancy.anc``). They keep that
meaning: ``anc_by`` becomes ``'unknown'`` (a standard contact, provider unknown: not a doctor's),
``ultrasound`` and ``anc_visit_number`` stay unknown (NULL), ``visit_order`` NULL (first on its
day). Counting them as not-contacts instead would make every pregnancy in progress start again at
K1, behind the 1-2-3 schedule. ``pregnancy_id`` and ``milestones`` are filled as the screening of
the day computes them, with its default grouping (conceptions within 45 days: one pregnancy):
pregnancy id the UUIDv5 of the person and the first visit's estimated conception, K1 (and K1 murni
up to 13 weeks) at the first contact, K4 at the contact that completes 1-1-2 by trimester (1 <= 13
weeks, 2 = 14-27, 3 = 28+); K6 needs two doctor contacts, never known here. The computation is
written out below, frozen with this revision.
"""

from collections import defaultdict
from datetime import date
from uuid import UUID, uuid5

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LEGACY_PROVIDER = "unknown"
SAME_PREGNANCY_DAYS = 45
PREGNANCY_NAMESPACE = UUID("351b8f15-503e-566d-be32-ed029203f1f8")  # uuid5(NAMESPACE_URL, "jejaring:screening:pregnancy")
CHUNK = 500


def upgrade() -> None:
    with op.batch_alter_table("anc_contacts") as batch:
        batch.add_column(sa.Column("visit_order", sa.Float(), nullable=True))
        batch.add_column(sa.Column("anc_by", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("ultrasound", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("anc_visit_number", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("pregnancy_id", sa.String(length=36), nullable=True))
        batch.add_column(sa.Column("milestones", sa.String(length=40), nullable=True))
    op.create_table(
        "immunization_doses",
        sa.Column("visit_id", sa.String(length=36), nullable=False),
        sa.Column("antigen", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("visit_id", "antigen", name=op.f("pk_immunization_doses")),
    )
    op.create_index("ix_immunization_doses_person", "immunization_doses", ["person_id"], unique=False)
    op.create_table(
        "person_services",
        sa.Column("visit_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("person_id", sa.String(length=40), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("value", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("visit_id", "kind", name=op.f("pk_person_services")),
    )
    op.create_index("ix_person_services_person", "person_services", ["person_id", "kind"], unique=False)
    _existing_pregnancy_visits()


def _trimester(weeks: int) -> int:
    return 1 if weeks <= 13 else 2 if weeks <= 27 else 3


def _person(person_id: str, rows: list[tuple[str, date, date, int]]) -> list[dict]:
    """pregnancy_id and milestones of one person's visits (``rows``: visit, date, conception, weeks)."""
    out: list[dict] = []
    done: list[tuple[date, date, int, str, set[str], bool]] = []  # on, conception, weeks, pid, milestones, contact
    for visit_id, on, conception, weeks in sorted(rows, key=lambda r: (r[1], r[0])):
        same = [d for d in done if abs((d[1] - conception).days) <= SAME_PREGNANCY_DAYS]
        pid = same[0][3] if same else str(uuid5(PREGNANCY_NAMESPACE, f"{person_id}/{conception.isoformat()}"))
        before = set().union(*(d[4] for d in same)) if same else set()
        contact = not any(d[0] == on and d[5] for d in same)  # a second visit on one day is not a new contact
        reached: set[str] = set()
        if contact:
            contacts = [d for d in same if d[5]] + [(on, conception, weeks, pid, reached, True)]
            number = len({d[0] for d in contacts})
            if number == 1 and "k1" not in before:
                reached.add("k1")
                if weeks <= 13:
                    reached.add("k1_murni")
            by_trimester = [sum(1 for d in contacts if _trimester(d[2]) == t) for t in (1, 2, 3)]
            if "k4" not in before and len(contacts) >= 4 and by_trimester[0] >= 1 and by_trimester[1] >= 1 \
                    and by_trimester[2] >= 2:
                reached.add("k4")
        done.append((on, conception, weeks, pid, reached, contact))
        out.append({"v": visit_id, "pid": pid, "reached": ",".join(k for k in ("k1", "k1_murni", "k4") if k in reached)})
    return out


def _existing_pregnancy_visits() -> None:
    anc = sa.table("anc_contacts", sa.column("visit_id", sa.String), sa.column("person_id", sa.String),
                   sa.column("occurred_on", sa.Date), sa.column("conception_on", sa.Date),
                   sa.column("gestational_weeks", sa.Integer), sa.column("anc_by", sa.String),
                   sa.column("pregnancy_id", sa.String), sa.column("milestones", sa.String))
    bind = op.get_bind()
    people: dict[str, list[tuple[str, date, date, int]]] = defaultdict(list)
    for visit_id, person_id, on, conception, weeks in bind.execute(sa.select(
            anc.c.visit_id, anc.c.person_id, anc.c.occurred_on, anc.c.conception_on, anc.c.gestational_weeks)):
        people[person_id].append((visit_id, on, conception, weeks))
    updates = [row for person_id in sorted(people) for row in _person(person_id, people[person_id])]
    stmt = anc.update().where(anc.c.visit_id == sa.bindparam("v")).values(
        anc_by=LEGACY_PROVIDER, pregnancy_id=sa.bindparam("pid"), milestones=sa.bindparam("reached"))
    for start in range(0, len(updates), CHUNK):
        bind.execute(stmt, updates[start:start + CHUNK])


def downgrade() -> None:
    raise NotImplementedError("not downgraded")
