"""The explicit initial migration creates exactly what the models declare (autogenerate finds nothing)."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from services.surveillance import models
from services.surveillance.app import MIGRATIONS
from shared.db import Database

VERSION_TABLE = "alembic_version_surveillance"


async def test_the_migrated_schema_is_the_models(tmp_path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}")
    await db.migrate(MIGRATIONS, version_table=VERSION_TABLE)
    async with db.engine.connect() as conn:
        diff = await conn.run_sync(lambda c: compare_metadata(
            MigrationContext.configure(c, opts={"compare_type": True, "version_table": VERSION_TABLE}),
            models.metadata))
    assert diff == []
    await db.migrate(MIGRATIONS, version_table=VERSION_TABLE)  # at head: a second start changes nothing
    await db.dispose()


def test_the_migration_does_not_create_tables_from_the_models() -> None:
    text = (MIGRATIONS / "versions" / "0001_initial.py").read_text()
    assert "create_all" not in text and "services.surveillance.models" not in text
