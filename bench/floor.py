"""The per-visit CPU floor of this stack: what a visit must cost before any application logic.

``python bench/floor.py`` measures, on this machine, the CPU time of the unavoidable operations a
visit goes through in Jejaring's design, each on its own and in bulk (the cheapest it gets):
- validating one intake visit (pydantic, from JSON);
- encoding and decoding one CloudEvent (``shared.envelope``);
- writing one row (a random unique key, as inbox and outbox rows have) to SQLite, 500 rows per
  statement through the driver (``shared.db.bulk_insert``), committed, with the services' own
  connection set-up (``shared.db.Database``: WAL, statements inline);
- producing and consuming one 600-byte Kafka record with aiokafka (client CPU), and the
  broker's CPU for it (the embedded Tansu, a separate process).
It multiplies them by how often a visit needs each (``PER_VISIT``, counted from the pipeline:
see ``docs/performance.md``) and prints the floor in ms of CPU per visit, and the visits/s two
cores could carry at that floor. The point is the order of magnitude, not the last digit.

``python bench/floor.py --keys [--rows N]`` measures instead what the order of the keys costs as a
table grows: N rows (default 1,000,000) written into the inbox table exactly as the services
declare it (``shared.messaging.tables``), once with random keys (uuid4, as event ids are today) and
once with time-ordered ones (uuid7's layout), in 500-row transactions, printing µs a row for each
stretch of the table's growth.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run import raw_round, speed_probe_ms  # noqa: E402  (bench/run.py, next to this file)
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table  # noqa: E402

from shared.broker import start_broker  # noqa: E402
from shared.contracts.events import VisitRecorded  # noqa: E402
from shared.contracts.intake import IntakeVisit  # noqa: E402
from shared.db import Database, bulk_insert  # noqa: E402
from shared.envelope import decode, encode  # noqa: E402
from shared.messaging.tables import messaging_tables  # noqa: E402

WIB = timezone(timedelta(hours=7))

# How many of each operation one visit needs (bench mix: ~1.5 risks and ~0.3 referrals a visit).
PER_VISIT = {
    "intake validation": 1,
    "event encode": 1 + 1 + 1.5 + 0.3,        # visit recorded, visit screened, risks, referrals
    "event decode": 2 + 1 + 1.5 + 0.3,        # recorded (screening, dashboard), screened, risks, referrals
    "row written": 17,                        # effects, inbox ids, outbox rows over the four services
    "kafka produce (client)": 1 + 1 + 1.5 + 0.3,
    "kafka consume (client)": 2 + 1 + 1.5 + 0.3,
    "kafka broker (per record in and out)": (1 + 1 + 1.5 + 0.3) + (2 + 1 + 1.5 + 0.3),
}


def _cpu_us(fn, n: int) -> float:
    started = time.process_time()
    for _ in range(n):
        fn()
    return (time.process_time() - started) / n * 1e6


def intake_body() -> bytes:
    return json.dumps({
        "visit_id": str(uuid.uuid4()), "facility_id": "PSY1801062001A",
        "occurred_at": (datetime.now(WIB) - timedelta(minutes=1)).isoformat(), "service_point": "posyandu",
        "person": {"nik": "1801064508920003", "sex": "F", "birth_date": "1992-08-05", "village_code": "18.01.06.2001"},
        "measurements": {"weight_kg": 52.0, "height_cm": 155.0, "systolic_mmhg": 150, "diastolic_mmhg": 95},
    }).encode()


def visit_event() -> VisitRecorded:
    at = datetime.now(WIB)
    return VisitRecorded(
        visit_id=uuid.uuid4(), person_id="p_3f9a1c0e8b7d", facility_id="PSY1801062001A", facility_type="posyandu",
        service_point="posyandu", village_code="18.01.06.2001", occurred_at=at, recorded_at=at, sex="F",
        age_days=12000, stage="adult", measurements={"weight_kg": 52.0, "height_cm": 155.0, "systolic_mmhg": 150,
                                                     "diastolic_mmhg": 95})


async def _open_sqlite(table: Table) -> tuple[Database, Path]:
    """A fresh SQLite database in a temporary folder, opened as the services open it, with ``table``."""
    folder = Path(tempfile.mkdtemp(prefix="jejaring-floor-"))
    db = Database(f"sqlite+aiosqlite:///{folder / 'floor.db'}")  # WAL, statements inline
    async with db.engine.begin() as conn:
        await conn.run_sync(table.metadata.create_all)
    return db, folder


async def _insert_cpu_s(db: Database, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> float:
    """CPU seconds to insert ``rows`` through ``bulk_insert``, one committed transaction per 500."""
    started = time.process_time()
    for start in range(0, len(rows), 500):
        async with db.session() as session, session.begin():
            await bulk_insert(session, table, columns, rows[start:start + 500])
    return time.process_time() - started


async def sqlite_row_us(rows: int = 50_000) -> float:
    table = Table("t", MetaData(), Column("id", Integer, primary_key=True), Column("event_id", String, unique=True),
                  Column("topic", String), Column("value", String), Column("created_at", DateTime(timezone=True)))
    db, folder = await _open_sqlite(table)
    now = datetime.now(timezone.utc)
    values = [(str(uuid.uuid4()), "ilp.visit.recorded.v1", "x" * 300, now) for _ in range(rows // 500 * 500)]
    spent = await _insert_cpu_s(db, table, ("event_id", "topic", "value", "created_at"), values)
    await db.dispose()
    shutil.rmtree(folder, ignore_errors=True)
    return spent / len(values) * 1e6


def time_ordered_uuid(index: int, base_ms: int) -> uuid.UUID:
    """The ``index``-th of a strictly increasing run of ids in uuid7's layout (RFC 9562, 5.7).

    48 bits of Unix milliseconds, version 7, a 12-bit sequence within the millisecond, the variant
    and 62 random bits: ids made later sort after earlier ones, as their text too.
    """
    millis, sequence = base_ms + index // 4096, index % 4096
    return uuid.UUID(int=(millis << 80) | (0x7 << 76) | (sequence << 64) | (0b10 << 62) | random.getrandbits(62))


async def inbox_key_order_us(rows: int, ordered: bool, stretches: int = 5) -> list[tuple[int, int, float]]:
    """CPU µs a row of inbox inserts with random or time-ordered ids, per stretch of the table's growth.

    Returns ``(first row, last row, µs a row)`` for each of ``stretches`` consecutive stretches,
    each twice as long as the one before (so the last stretch is about the second half of the table).
    """
    _, inbox = messaging_tables(MetaData())
    db, folder = await _open_sqlite(inbox)
    columns = ("event_id", "event_type", "topic", "processed_at")
    now, base_ms = datetime.now(timezone.utc), time.time_ns() // 1_000_000
    edges = [rows * (2**k - 1) // (2**stretches - 1) for k in range(stretches + 1)]
    results = []
    for first, last in zip(edges, edges[1:]):
        values = [(str(time_ordered_uuid(i, base_ms) if ordered else uuid.uuid4()), "id.jejaring.visit.recorded.v1",
                   "ilp.visit.recorded.v1", now) for i in range(first, last)]
        spent = await _insert_cpu_s(db, inbox, columns, values)
        results.append((first, last, spent / max(1, last - first) * 1e6))
    await db.dispose()
    shutil.rmtree(folder, ignore_errors=True)
    return results


def print_key_order(rows: int) -> None:
    """Print the inbox's insert cost with random and time-ordered ids as the table grows."""
    probe = speed_probe_ms()
    random_keys = asyncio.run(inbox_key_order_us(rows, ordered=False))
    ordered_keys = asyncio.run(inbox_key_order_us(rows, ordered=True))
    print(f"{'rows in the inbox table':<28} {'random ids µs/row':>18} {'time-ordered µs/row':>20}")
    for (first, last, rand), (_, _, ordered) in zip(random_keys, ordered_keys):
        print(f"{f'{first:,}-{last:,}':<28} {rand:>18.1f} {ordered:>20.1f}")
    print(f"speed probe: {probe} ms before, {speed_probe_ms()} ms after (bench/run.py; lower is a faster machine)")


async def kafka_us(n: int = 50_000) -> tuple[float, float, float]:
    """Client CPU µs per produced record, per consumed record, and broker CPU µs per record in+out."""
    from tests.integration.harness import free_port

    port = free_port()
    broker = start_broker(port=port)
    try:
        result = await raw_round(f"127.0.0.1:{port}", n, broker_pid=broker.pid)
    finally:
        broker.kill()
        broker.wait()
    return (result["produce_cpu_s"] / n * 1e6, result["consume_cpu_s"] / n * 1e6,
            result["broker_cpu_s"] / (2 * n) * 1e6)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", action="store_true", help="measure random against time-ordered inbox ids")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows written for --keys")
    args = parser.parse_args()
    if args.keys:
        print_key_order(args.rows)
        return 0
    probe = speed_probe_ms()
    body = intake_body()
    event = visit_event()
    record = encode(event, source="/jejaring/registration", event_id=uuid.uuid4())
    costs = {
        "intake validation": _cpu_us(lambda: IntakeVisit.model_validate_json(body), 20_000),
        "event encode": _cpu_us(lambda: encode(event, source="/jejaring/registration", event_id=uuid.uuid4()), 20_000),
        "event decode": _cpu_us(lambda: decode(record), 20_000),
        "row written": asyncio.run(sqlite_row_us()),
    }
    produce, consume, broker = asyncio.run(kafka_us())
    costs["kafka produce (client)"] = produce
    costs["kafka consume (client)"] = consume
    costs["kafka broker (per record in and out)"] = broker
    total = 0.0
    print(f"{'operation':<40} {'µs each':>8} {'per visit':>9} {'µs/visit':>9}")
    for name, each in costs.items():
        per_visit = PER_VISIT[name] * each
        total += per_visit
        print(f"{name:<40} {each:>8.1f} {PER_VISIT[name]:>9} {per_visit:>9.1f}")
    print(f"floor: {total / 1000:.3f} ms CPU per visit -> at most {2_000_000 / total:,.0f} visits/s on two cores,"
          " with no application logic, load generator or HTTP")
    print(f"speed probe: {probe} ms before, {speed_probe_ms()} ms after (bench/run.py; lower is a faster machine)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
