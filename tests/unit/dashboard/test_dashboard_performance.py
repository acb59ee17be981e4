"""Cost of applying events and of the PWS query at district scale (~300 villages, ~100k persons a month)."""

from __future__ import annotations

import random
import time

from sqlalchemy import insert

from services.dashboard import models
from services.dashboard.domain import registry
from shared.regions import load_regions
from tests.unit.dashboard.conftest import Dash, adult, at, screened

DISTRICT = "18.01"


def villages() -> list[str]:
    return [r.code for r in load_regions().villages_under(DISTRICT)]


async def test_applying_a_batch_is_cheap(dash: Dash) -> None:
    rng = random.Random(7)
    codes = villages()
    batches = []
    for b in range(8):
        events = []
        for i in range(500):
            v = rng.choice(codes)
            person = f"p{b}_{i}"
            events.append(adult(person, at(rng.randint(1, 11), rng.randint(1, 28)), village=v,
                                sbp=rng.randint(100, 170), dbp=80, glucose_mg_dl=rng.randint(90, 250)))
            events.append(screened(f"c{b}_{i}", at(11), village=v, lhfa=rng.uniform(-3, 1), wfa=-1, wflh=0))
        batches.append(dash.records(events))
    started = time.perf_counter()
    for records in batches:
        await dash.send(records)
    elapsed = time.perf_counter() - started
    rate = sum(len(b) for b in batches) / elapsed
    print(f"\napplied {sum(len(b) for b in batches)} events in {elapsed:.2f} s: {rate:.0f} events/s (SQLite, one process)")
    assert rate > 600  # generous on a shared 2-core machine (measured ~1900/s); a per-event write would be far slower
    total = await dash.total("hypertension", "2026-11", ytd=True)
    assert total["denominator"] == 4000


async def test_district_query_stays_fast_at_scale(dash: Dash) -> None:
    """A year of cells for every village of the district (what ~100k persons a month leave behind:
    the query reads cells, never persons)."""
    rng = random.Random(3)
    rows = []
    for v in villages():
        for month in range(1, 13):
            for ind in registry.REGISTRY:
                measured = rng.randint(200, 400)
                positive = rng.randint(0, measured // 4)
                rows.append({"village_code": v, "period": f"2026-{month:02d}", "indicator": ind.id, "numerator": positive,
                             "measured": measured, "ytd_numerator": positive // 3, "ytd_measured": measured // 3})
    async with dash.service.db.session() as session, session.begin():
        await session.execute(insert(models.cells), rows)
    started = time.perf_counter()
    data = await dash.pws(DISTRICT, "2026-12")
    elapsed = time.perf_counter() - started
    print(f"\nPWS of {len(villages())} villages, 12 months, {len(rows)} cells: {elapsed * 1000:.0f} ms")
    assert len(data["rows"]) == 17 and data["total"]["indicators"]["visits"]["value"] > 0
    assert elapsed < 1.5
    started = time.perf_counter()
    await dash.pws("18.01.06", "2026-12")
    assert time.perf_counter() - started < 0.5
