"""``jejaring status`` and ``jejaring dlq`` against the real system (broker and five processes, SQLite).

A Kafka intake visit from a facility that is not registered yet is dead-lettered; once the facility
is imported, ``dlq redrive`` sends it back and it is recorded exactly once; a second redrive changes
nothing; ``status`` shows the dead letter, then none; no command prints the NIK unless asked to.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from shared.settings import SERVICES
from tests.integration.conftest import FACILITIES, visit
from tests.integration.harness import ROOT, System

INTAKE = "ilp.intake.visit.v1"
DLQ = "ilp.intake.visit.v1.registration.dlq"
NIK = "1801064508920003"  # the visit fixture's
LATE_FACILITY = "PSY1801062001B,Posyandu Melati Jondong,posyandu,PST1801062001,18.01.06.2001,\n"


@pytest.fixture(scope="module")
def system(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    var = tmp_path_factory.mktemp("operations")
    system = System(var=var)
    try:
        system.up()
        (var / "facilities.csv").write_text(FACILITIES)
        system.cli("facilities", "import", str(var / "facilities.csv"))
        yield system
    finally:
        system.down()


def jejaring(system: System, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run a command as an operator's shell would, with every service's URL."""
    env = system.command_env()
    env.update({f"JEJARING_{s.upper()}_URL": system.url(s) for s in SERVICES})
    env["JEJARING_PROGRESS"] = "plain"
    done = subprocess.run([sys.executable, "-m", "services.cli", *args], env=env, capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    if check and done.returncode not in (0,):
        raise AssertionError(f"jejaring {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


def dead_letters(system: System) -> dict:
    return json.loads(jejaring(system, "dlq", "list", DLQ, "--json").stdout)


def recorded_with(system: System, visit_id: str) -> int:
    """How many *visit recorded* events on the bus carry this visit's id."""
    async def count() -> int:
        consumer = AIOKafkaConsumer("ilp.visit.recorded.v1", bootstrap_servers=system.bootstrap,
                                    auto_offset_reset="earliest", enable_auto_commit=False)
        await consumer.start()
        found, idle = 0, 0
        try:
            while idle < 2:
                batch = await consumer.getmany(timeout_ms=700)
                if not any(batch.values()):
                    idle += 1
                    continue
                idle = 0
                for records in batch.values():
                    found += sum(1 for r in records if dict(r.headers).get("ce_id") == visit_id.encode())
        finally:
            await consumer.stop()
        return found

    return asyncio.run(count())


def until(predicate, timeout: float = 30.0, what: str = "condition"):  # noqa: ANN001, ANN201
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.5)


def test_a_dead_letter_redriven_after_the_fix_is_applied_exactly_once(system: System) -> None:
    body = visit(facility_id="PSY1801062001B")  # not registered yet: registration dead-letters it

    async def produce() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=system.bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait(INTAKE, json.dumps(body).encode(), key=b"PSY1801062001B")
        finally:
            await producer.stop()

    asyncio.run(produce())
    listing = until(lambda: (d := dead_letters(system)) and d["counts"].get("pending") and d, what="the dead letter")
    [letter] = [d for d in listing["dead_letters"] if d["state"] == "pending"]
    assert letter["origin"].startswith(INTAKE + ":") and letter["kind"] == "invalid"
    assert "facility" in letter["reason"]

    # What an operator sees, without the payload: never the NIK.
    text = jejaring(system, "dlq", "list", DLQ).stdout
    assert letter["id"] in text and "pending" in text and NIK not in text
    shown = jejaring(system, "dlq", "show", DLQ, "--id", letter["id"]).stdout
    assert NIK not in shown and "x-dlq-error" in shown and "payload" not in json.loads(shown)[0]
    with_payload = json.loads(jejaring(system, "dlq", "show", DLQ, "--id", letter["id"], "--payload").stdout)
    assert json.loads(with_payload[0]["payload"])["visit_id"] == body["visit_id"]  # registration's own DLQ: raw

    status = json.loads(until(lambda: (s := jejaring(system, "status", "--json", check=False)).stdout
                              and '"depth": 1' in s.stdout and s, what="status to show the DLQ").stdout)
    registration = next(s for s in status["services"] if s["service"] == "registration")
    assert {d["topic"]: d["depth"] for d in registration["dlq"]}[DLQ] == 1
    assert all(s["ready"] == "ready" for s in status["services"]), status

    # The fix: the facility is registered; then the redrive applies it.
    csv = Path(system.var) / "late.csv"
    csv.write_text(FACILITIES.splitlines()[0] + "\n" + LATE_FACILITY)
    system.cli("facilities", "import", str(csv))
    first = jejaring(system, "dlq", "redrive", DLQ)
    assert f"redriven {letter['id']}" in first.stdout and f"-> {INTAKE}" in first.stdout, first.stdout
    assert "1 dead letter(s) redriven, 1 published" in first.stderr, first.stderr
    until(lambda: recorded_with(system, body["visit_id"]) == 1, what="the redriven visit to be recorded")

    second = jejaring(system, "dlq", "redrive", DLQ)
    assert "0 dead letter(s) redriven" in second.stderr, second.stderr
    again = jejaring(system, "dlq", "redrive", DLQ, "--id", letter["id"])
    assert f"not pending: {letter['id']}: redriven" in again.stdout
    time.sleep(2.0)
    assert recorded_with(system, body["visit_id"]) == 1
    listing = dead_letters(system)
    assert [d["state"] for d in listing["dead_letters"] if d["id"] == letter["id"]] == ["redriven"]
    assert listing["counts"].get("pending", 0) == 0

    status = json.loads(jejaring(system, "status", "--json").stdout)
    registration = next(s for s in status["services"] if s["service"] == "registration")
    assert {d["topic"]: d["depth"] for d in registration["dlq"]}[DLQ] == 0
    screening = next(s for s in status["services"] if s["service"] == "screening")
    assert {p["topic"] for p in screening["consumer"]["partitions"]} == {"ilp.visit.recorded.v1", "ilp.person.linked.v1"}
    applied = {a["topic"]: a["at"] for a in screening["last_applied"]}
    assert applied["ilp.visit.recorded.v1"], screening


def test_status_reports_a_service_that_is_down(system: System) -> None:
    system.kill("surveillance")
    try:
        done = jejaring(system, "status", "surveillance", "--json", check=False)
        assert done.returncode == 1
        [surveillance] = json.loads(done.stdout)["services"]
        assert surveillance["ready"] == "down"
        assert surveillance["outbox"] is not None and surveillance["consumer"] is not None  # database and broker still read
    finally:
        system.start("surveillance")
        system.wait_ready("surveillance")
