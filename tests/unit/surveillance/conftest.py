"""Fixtures of the surveillance tests: a migrated SQLite service (not started) with the test network."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.unit.surveillance.factories import Harness, migrated


@pytest.fixture
async def harness(tmp_path) -> AsyncIterator[Harness]:
    built = await migrated(tmp_path)
    yield built
    await built.service.db.dispose()
