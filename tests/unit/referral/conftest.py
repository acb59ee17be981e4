"""Fixtures of the referral tests: a migrated SQLite service (not started) and helpers on its outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.referral import usecases
from services.referral.app import MIGRATIONS, build_service
from services.referral.settings import ReferralSettings
from tests.unit.referral.factories import Harness, registered, standard


@pytest.fixture
async def harness(tmp_path) -> AsyncIterator[Harness]:
    settings = ReferralSettings(database_url=f"sqlite:///{tmp_path / 'referral.db'}", var_dir=tmp_path)
    service = build_service(settings)
    await service.db.migrate(MIGRATIONS, version_table="alembic_version_referral")
    async with service.transaction() as unit:
        for f in standard().values():
            await usecases.upsert_facility(unit, registered(f))
    yield Harness(service, settings)
    await service.db.dispose()
