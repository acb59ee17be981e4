"""How applying events and the PWS query scale at district size (~300 villages, ~100k persons a month):
by the number of SQL statements they run, which must not grow with the events of a batch or the villages
of a district. Their speed is measured by ``make bench``, not here."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from services.dashboard.domain import registry
from services.dashboard.readmodel import flush
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
    the query reads cells, never persons), written with the read model's own cell upsert, which also
    sums them into the kecamatan, kabupaten and province rows the query reads."""
    rng = random.Random(3)
    deltas = {}
    for v in villages():
        for month in range(1, 13):
            for ind in registry.REGISTRY:
                measured = rng.randint(200, 400)
                positive = rng.randint(0, measured // 4)
                deltas[(v, f"2026-{month:02d}", ind.id)] = [positive, measured, positive // 3, measured // 3]
    async with dash.service.db.session() as session, session.begin():
        await session.run_sync(lambda sync: flush._cells(sync, sync.get_bind().dialect.name, deltas))
    with statements(dash) as district:
        data = await dash.pws(DISTRICT, "2026-12")
    visits = {k[0]: d[0] for k, d in deltas.items() if k[1:] == ("2026-12", "visits")}
    assert len(data["rows"]) == 17
    assert data["total"]["indicators"]["visits"]["value"] == sum(visits.values())
    for row in data["rows"]:
        assert row["indicators"]["visits"]["value"] == sum(n for v, n in visits.items() if v.startswith(row["code"] + "."))
    with statements(dash) as kecamatan:
        await dash.pws("18.01.06", "2026-12")
    # the query reads cells per area in a fixed number of statements, not one per village or per row (measured 6)
    assert len(district) <= 12 and len(kecamatan) <= 12, (len(district), len(kecamatan))
