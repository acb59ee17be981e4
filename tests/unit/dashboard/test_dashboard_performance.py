"""How applying events and the PWS query scale at district size (~300 villages, ~100k persons a month):
by the number of SQL statements they run, which must not grow with the events of a batch or the villages
of a district. Their speed is measured by ``make bench``, not here."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event, insert

from services.dashboard import models
from services.dashboard.domain import registry
from shared.regions import load_regions
from tests.unit.dashboard.conftest import Dash, adult, at, screened

DISTRICT = "18.01"


@contextmanager
def statements(dash: Dash) -> Iterator[list[str]]:
    """The SQL statements the dashboard's database runs inside the block."""
    seen: list[str] = []
    db = dash.service.db
    engines = {id(e): e.sync_engine for e in (db.engine, db.read_engine)}.values()

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        seen.append(statement)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


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
    with statements(dash) as ran:
        for records in batches:
            await dash.send(records)
    events = sum(len(b) for b in batches)
    # set-wise: a batch of 1,000 events runs a bounded number of statements (one per table and chunk of
    # rows; measured 24), never one or more per event
    assert len(ran) <= 40 * len(batches), f"{len(ran)} statements for {events} events in {len(batches)} batches"
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
    with statements(dash) as district:
        data = await dash.pws(DISTRICT, "2026-12")
    assert len(data["rows"]) == 17 and data["total"]["indicators"]["visits"]["value"] > 0
    with statements(dash) as kecamatan:
        await dash.pws("18.01.06", "2026-12")
    # the query reads cells per area in a fixed number of statements, not one per village or per row (measured 6)
    assert len(district) <= 12 and len(kecamatan) <= 12, (len(district), len(kecamatan))
