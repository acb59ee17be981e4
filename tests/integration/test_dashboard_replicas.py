"""Two dashboard replicas writing one PostgreSQL read model at once: the sums per kecamatan, kabupaten
and province (``area_cells``, ``area_targets``, ``area_referrals``) stay exactly the sums of their
villages' rows, whatever the two write concurrently to the same referrals, targets and areas."""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import case, func, select

from services.dashboard import models
from services.dashboard.app import build_service
from services.dashboard.domain.registry import REGISTRY
from services.dashboard.readmodel import flush, staging
from services.dashboard.settings import DashboardSettings
from shared.db import ensure_postgres_database
from tests.integration.harness import Postgres
from tests.unit.dashboard.conftest import (
    JONDONG,
    MAJA,
    NATAR,
    TENGKUJUH,
    adult,
    at,
    made,
    target,
    updated,
    with_screening,
)

pytestmark = pytest.mark.postgres

VILLAGES = (JONDONG, MAJA, TENGKUJUH, NATAR)


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    with Postgres().running() as url:
        yield url + "_dashboard_replicas"


def events(rng: random.Random) -> list:
    """Referrals whose made/updated events, targets set again and again, and visits of the same
    villages and months, in random order."""
    out = []
    for _ in range(80):
        rid, village, when = uuid.uuid4(), rng.choice(VILLAGES), at(11, rng.randint(1, 28))
        out.append(made(rid, when, village))
        moment = when
        for status in rng.sample(["received", "attended", "completed", "cancelled", "overdue"], rng.randint(1, 3)):
            moment += timedelta(hours=rng.randint(0, 48))
            out.append(updated(rid, when, status, moment, village, feedback={"dx": "I10"} if rng.random() < 0.5 else None))
    out += [target(v, g, rng.randint(1, 500)) for _ in range(4) for v in VILLAGES for g in ("under_five", "pregnant")]
    out += with_screening([adult(f"p{i}", at(11, rng.randint(1, 28)), village=rng.choice(VILLAGES)) for i in range(120)])
    rng.shuffle(out)
    return out


async def apply(service, batch: list) -> None:  # noqa: ANN001
    pending = staging.Pending()
    for event in batch:
        pending.merge(staging.stage(event, REGISTRY))
    async with service.db.session() as session, session.begin():  # a deadlock would fail the test
        await flush.write(session, pending)


async def sums(session, table, code, group):  # noqa: ANN001, ANN201
    """``table``'s integer columns summed per code prefix of length 2, 5 and 8 and ``group`` columns."""
    out = {}
    for length in (2, 5, 8):
        prefix = func.substr(code, 1, length)
        values = [func.sum(c) for c in table.columns
                  if c.name not in {code.name, *(g.name for g in group)} and c.type.python_type is int]
        for row in await session.execute(select(prefix, *group, *values).group_by(prefix, *group)):
            out[tuple(row[:1 + len(group)])] = tuple(int(v) for v in row[1 + len(group):])
    return out


def test_two_replicas_keep_every_area_sum_exact(postgres_url: str) -> None:
    async def scenario() -> None:
        settings = DashboardSettings(database_url=postgres_url)
        a, b = build_service(settings), build_service(settings)
        await ensure_postgres_database(a.db.url)
        await a.migrate()
        try:
            rng = random.Random(5)
            todo = events(rng)
            halves = ([], [])
            for event in todo:  # the same referral's events go to both replicas, as topics and partitions allow
                halves[rng.random() < 0.5].append(event)
            for start in range(0, max(map(len, halves)), 25):
                await asyncio.gather(apply(a, halves[0][start:start + 25]), apply(b, halves[1][start:start + 25]))
            async with a.db.read_session() as session:
                r, t, c = models.referrals, models.targets, models.cells
                counted = {}
                for length in (2, 5, 8):
                    prefix = func.substr(r.c.village_code, 1, length)
                    query = select(prefix, r.c.period, r.c.status, func.count(),
                                   func.sum(case((r.c.feedback, 1), else_=0))).group_by(prefix, r.c.period, r.c.status)
                    counted.update({(p, q, s): (n, int(fb)) for p, q, s, n, fb in await session.execute(query)})
                area = models.area_referrals
                held = {(x.area_code, x.period, x.status): (x.count, x.feedback) for x in await session.execute(select(area))
                        if x.count or x.feedback}
                assert held == counted and sum(n for (p, _q, _s), (n, _f) in counted.items() if p == "18") == 80
                targets = await sums(session, t, t.c.village_code, [t.c.year, t.c.target])
                at_ = models.area_targets
                assert {(x.area_code, x.year, x.target): (x.count,) for x in await session.execute(select(at_))} == targets
                cells = await sums(session, c, c.c.village_code, [c.c.period, c.c.indicator])
                ac = models.area_cells
                area_cells = {(x.area_code, x.period, x.indicator): (x.numerator, x.measured, x.ytd_numerator, x.ytd_measured)
                              for x in await session.execute(select(ac))}
                assert {k: v for k, v in area_cells.items() if any(v)} == {k: v for k, v in cells.items() if any(v)}
                assert cells[("18", "2026-11", "visits")][0] == 120
        finally:
            await a.db.dispose()
            await b.db.dispose()

    asyncio.run(scenario())
