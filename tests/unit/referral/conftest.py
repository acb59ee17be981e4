"""Fixtures of the referral tests: a migrated SQLite service (not started) and helpers on its outbox."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.unit.referral.factories import Harness, migrated


@pytest.fixture
async def harness(tmp_path) -> AsyncIterator[Harness]:
    built = await migrated(tmp_path)
    yield built
    await built.service.db.dispose()
