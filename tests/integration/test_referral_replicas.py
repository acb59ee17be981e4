"""Two referral replicas on one PostgreSQL database: alarms, status changes and new referrals happen once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from services.referral import store
from services.referral.app import MIGRATIONS, build_service
from services.referral.domain.messages import StatusChange
from services.referral.settings import ReferralSettings
from services.referral.usecases import network, risks, status
from shared.db import ensure_postgres_database
from tests.integration.harness import Postgres
from tests.unit.referral.factories import WIB, Harness, registered, risk, standard

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with Postgres().running() as url:
        yield url + "_referral_replicas"


async def replicas(url: str, n: int = 2) -> list[Harness]:
    settings = ReferralSettings(database_url=url)
    services = [build_service(settings) for _ in range(n)]
    await ensure_postgres_database(services[0].db.url)
    await services[0].db.migrate(MIGRATIONS, version_table="alembic_version_referral")
    async with services[0].transaction() as unit:
        for f in standard().values():
            if f.facility_id not in await store.NETWORK.get(unit.session):
                await network.upsert_facility(unit, registered(f))
    return [Harness(s, settings) for s in services]


async def dispose(hs: list[Harness]) -> None:
    for h in hs:
        await h.service.db.dispose()


def test_concurrent_checkers_emit_each_alarm_once(postgres_url: str) -> None:
    async def scenario() -> None:
        a, b = await replicas(postgres_url)
        now = datetime.now(timezone.utc)
        old = [risk("HT", "emergency", person=f"o{i}", at=datetime.now(WIB) - timedelta(days=5)) for i in range(40)]
        for event in old:
            await a.risk(event, now)

        async def round_(h: Harness) -> int:
            async with h.service.transaction() as unit:
                return await status.mark_overdue(unit, now, h.settings.overdue_grace, limit=7)

        flagged = 0
        for _ in range(10):
            flagged += sum(await asyncio.gather(round_(a), round_(b), round_(a), round_(b)))
        alarms = [str(u.referral_id) for u in await a.updates("overdue")]
        mine = {str(risks.referral_id_for(e.risk_id)) for e in old}
        assert flagged == len(mine) == len(set(alarms) & mine)
        assert all(n == 1 for n in Counter(alarms).values())
        await dispose([a, b])

    asyncio.run(scenario())


def test_concurrent_identical_and_competing_requests(postgres_url: str) -> None:
    async def scenario() -> None:
        a, b = await replicas(postgres_url)
        now = datetime.now(timezone.utc)
        event = risk("KEK", person="req", at=datetime.now(WIB) - timedelta(hours=3))
        await a.risk(event, now)
        rid = str(risks.referral_id_for(event.risk_id))
        at = (datetime.now(WIB) - timedelta(hours=1)).isoformat()
        received = StatusChange.model_validate({"status": "received", "at": at})
        cancelled = StatusChange.model_validate({"status": "cancelled", "at": at})

        async def post(h: Harness, change: StatusChange, facility: str) -> str:
            async with h.service.transaction() as unit:
                return (await status.change_status(unit, rid, change, facility, now)).outcome.kind

        kinds = await asyncio.gather(post(a, received, "PKM"), post(b, received, "PKM"),
                                     post(a, received, "PKM"), post(b, cancelled, "PSY"))
        updates = [u for u in await a.updates() if str(u.referral_id) == rid]
        statuses = [u.status for u in updates]
        assert len(statuses) == len(set(statuses)), statuses
        assert Counter(kinds)["applied"] == len(updates)
        if statuses[0] == "received":
            assert Counter(kinds)["replay"] == 2
        await dispose([a, b])

    asyncio.run(scenario())


def test_concurrent_detections_make_one_referral(postgres_url: str) -> None:
    async def scenario() -> None:
        hs = await replicas(postgres_url, 3)
        now = datetime.now(timezone.utc)
        events = [risk("DM_SUSPECT", person="same", at=datetime.now(WIB) - timedelta(minutes=i)) for i in range(9)]
        results = await asyncio.gather(*(hs[i % 3].risk(e, now) for i, e in enumerate(events)),
                                       return_exceptions=True)
        retried = [await hs[0].risk(e, now) for e, r in zip(events, results, strict=True) if isinstance(r, Exception)]
        outcomes = Counter([r for r in results if not isinstance(r, Exception)] + retried)
        assert outcomes["made"] == 1 and outcomes["attached"] == 8, outcomes
        made = [d for _, d in await hs[0].events() if d.ce_type.endswith("made.v1") and d.person_id == "same"]
        assert len(made) == 1
        await dispose(hs)

    asyncio.run(scenario())


def test_replicas_starting_together_on_a_new_database(postgres_url: str) -> None:
    """A rollout starts several replicas at once: each creates the database if missing and migrates."""

    async def scenario() -> None:
        from sqlalchemy import text

        settings = ReferralSettings(database_url=postgres_url + "_fresh")
        services = [build_service(settings) for _ in range(4)]

        async def start(service) -> None:  # noqa: ANN001
            await ensure_postgres_database(service.db.url)
            await service.db.migrate(MIGRATIONS, version_table="alembic_version_referral")

        await asyncio.gather(*(start(s) for s in services))
        async with services[0].db.session() as session:
            versions = (await session.execute(text("SELECT version_num FROM alembic_version_referral"))).all()
            tables = await session.scalar(text("SELECT count(*) FROM information_schema.tables WHERE table_name = 'referrals'"))
        assert len(versions) == 1 and tables == 1
        for s in services:
            await s.db.dispose()

    asyncio.run(scenario())
