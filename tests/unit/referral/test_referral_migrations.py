"""Migrations: a fresh database and one created by the thin first version both reach the current schema."""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    String,
    Table,
    Text,
    inspect,
    select,
    text,
)

from services.referral import models
from services.referral.app import MIGRATIONS
from shared.db import Database, new_metadata
from shared.messaging.tables import messaging_tables


def thin_schema():  # noqa: ANN201 - the referral tables as the first version created them
    metadata = new_metadata()
    Table("facilities", metadata, Column("facility_id", String(64), primary_key=True), Column("type", String(16)),
          Column("parent_id", String(64)), Column("village_code", String(13)), Column("capabilities", Text),
          Column("active", Boolean), Column("revision", Integer))
    Table("tokens", metadata, Column("token_hash", String(64), primary_key=True), Column("facility_id", String(64)),
          Column("revoked", Boolean))
    Table("referrals", metadata, *[Column(n, String(64)) for n in (
        "person_id", "risk_code", "risk_id", "village_code", "origin_facility_id", "destination_facility_id",
        "destination_level", "urgency", "status")], Column("referral_id", String(36), primary_key=True),
        Column("made_at", DateTime(timezone=True)), Column("due_at", DateTime(timezone=True)),
        Column("updated_at", DateTime(timezone=True)), Column("overdue", Boolean), Column("detections", Integer),
        Column("feedback", Text))
    outbox, _inbox = messaging_tables(metadata)
    metadata.remove(metadata.tables["processed_events"])
    Table("processed_events", metadata, Column("event_id", String(128), primary_key=True),  # keyed by id alone
          Column("topic", String(255), nullable=False), Column("processed_at", DateTime(timezone=True), nullable=False))
    return metadata


async def columns(db: Database) -> dict[str, set[str]]:
    async with db.engine.connect() as conn:
        return await conn.run_sync(lambda c: {t: {col["name"] for col in inspect(c).get_columns(t)}
                                              for t in inspect(c).get_table_names()})


async def test_fresh_database(tmp_path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    await db.migrate(MIGRATIONS, version_table="alembic_version_referral")
    have = await columns(db)
    for table in models.metadata.tables.values():
        assert {c.name for c in table.columns} <= have[table.name]
    await db.dispose()


async def test_upgrade_from_the_thin_schema(tmp_path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'thin.db'}")
    now = datetime(2026, 11, 1, tzinfo=timezone.utc)
    async with db.engine.begin() as conn:
        await conn.run_sync(thin_schema().create_all)
        await conn.execute(text("CREATE TABLE alembic_version_referral (version_num VARCHAR(32) PRIMARY KEY)"))
        await conn.execute(text("INSERT INTO alembic_version_referral VALUES ('0001')"))
        for rid, status in (("a", "made"), ("b", "completed"), ("c", "received")):
            await conn.execute(thin_schema().tables["referrals"].insert().values(
                referral_id=rid, person_id="p" if rid != "c" else "q", risk_code="HT", risk_id=rid, village_code="v",
                origin_facility_id="o", destination_level="puskesmas", urgency="moderate", status=status,
                made_at=now, due_at=now, updated_at=now, overdue=False, detections=1))
    await db.migrate(MIGRATIONS, version_table="alembic_version_referral")
    have = await columns(db)
    assert {"open_key", "offset_minutes", "overdue_cleared"} <= have["referrals"]
    assert {"referral_steps", "referral_detections"} <= set(have)
    async with db.session() as session:
        t = models.referrals
        keys = dict((await session.execute(select(t.c.referral_id, t.c.open_key))).all())
    assert keys == {"a": "p:HT", "b": None, "c": "q:HT"}
    await db.dispose()
