"""Outbreak signals through the real pipeline: visits at registration's intake -> surveillance ->
ilp.outbreak.signal.v1 -> the dashboard's /v1/signals, on the real broker with every service a process.

- a dengue cluster in one village and a measles case in another give exactly their signals (the
  dengue village's at its third person, one below raising nothing and one above nothing more; its
  Puskesmas area's at the fifth person of the area), each on the dashboard in under 10 s from the
  tipping visit;
- a late report that tips a past week raises that week's signal, now;
- escalation by the clock of raising (shortened to seconds here; 24 h is the default, tested with
  an injected clock in tests/unit/surveillance), verify and close from the dashboard;
- replaying the whole visit topic — registration's outbox re-published, and every visit again under
  a new event id — raises nothing again;
- a simulated district run (seasonal syndromes, field faults, two injected outbreaks, sent to the
  Kafka intake) gives exactly the signals its ground truth expects.

Dates derive from now with tests/dates.py, so the tests pass on any day and hour.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from tests.dates import in_week, week_start
from tests.integration.conftest import FACILITIES, visit
from tests.integration.harness import Postgres, System

WIB = timezone(timedelta(hours=7))
JONDONG, PUSKESMAS_VILLAGE, TENGKUJUH, MAJA = "18.01.06.2001", "18.01.06.1007", "18.01.06.2002", "18.01.06.2005"
INTERNAL = "integration-internal-token"
ESCALATION_HOURS = 0.002  # 7.2 s
LATENCY_LIMIT_S = 10.0


class SignalSystem(System):
    """The system with the shared internal token and a short escalation delay."""

    def env(self, service: str | None = None) -> dict[str, str]:
        return {**super().env(service), "JEJARING_INTERNAL_TOKEN": INTERNAL,
                "JEJARING_ESCALATION_HOURS": str(ESCALATION_HOURS), "JEJARING_ESCALATION_CHECK_SECONDS": "0.5"}


def last_line(output: str) -> str:
    return output.strip().splitlines()[-1]


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def system(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SignalSystem]:
    postgres = Postgres() if request.param == "postgres" else None
    var = tmp_path_factory.mktemp(f"signals-{request.param}")
    system = SignalSystem(var=var, database_url=postgres.start() if postgres else None)
    try:
        system.up()
        (Path(var) / "facilities.csv").write_text(FACILITIES)
        system.cli("facilities", "import", str(Path(var) / "facilities.csv"))
        system.facility_token, system.viewer_token, system.admin_token = map(last_line, system.cli_many(
            ("token", "issue", "--facility", "PKM180106"), ("token", "issue", "--region", "18.01", "--role", "viewer"),
            ("token", "issue", "--region", "18.01", "--role", "admin")))
        yield system
    finally:
        system.down()
        if postgres:
            postgres.stop()


def signals(system: System, region: str = "18.01", token: str | None = None) -> list[dict]:
    r = httpx.get(system.url("dashboard") + "/v1/signals", params={"region": region},
                  headers={"Authorization": f"Bearer {token or system.viewer_token}"}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["signals"]


def keys(found: list[dict]) -> set[tuple[str, str, str, str]]:
    return {(s["area_kind"], s["area_code"], s["disease"], s["week"]) for s in found}


def wait_signals(system: System, predicate, timeout: float = 30.0, **kw) -> list[dict]:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate(found := signals(system, **kw)):
        if time.monotonic() > deadline:
            raise AssertionError(f"signals never matched: {sorted(keys(found))}")
        time.sleep(0.05)
    return found


def case(village: str, at: datetime, syndrome: str, n: int) -> dict:
    """A visit at the Posyandu in Jondong of a distinct person living in ``village``, with ``syndrome``."""
    nik = f"180106{(n % 28) + 41:02d}0190{n:04d}"  # women born 1990, one serial per person
    return visit(occurred_at=at.isoformat(), syndromes=[syndrome],
                 person={"nik": nik, "sex": "F", "birth_date": f"1990-01-{n % 28 + 1:02d}", "village_code": village})


def post(system: System, body: dict) -> float:
    """Send one visit; the monotonic time its intake was answered."""
    r = httpx.post(system.url("registration") + "/v1/visits", json=body,
                   headers={"Authorization": f"Bearer {system.facility_token}"}, timeout=10)
    assert r.status_code == 202, r.text
    return time.monotonic()


def settle(system: System, quiet: float = 2.0, timeout: float = 60.0) -> list[dict]:
    """The dashboard's signals once they have not changed for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    last = signals(system)
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = signals(system)
        if now == last:
            return now
        last = now
    raise AssertionError("signals never settled")


def test_a_dengue_cluster_and_a_measles_case_give_exactly_their_signals_in_seconds(system: SignalSystem) -> None:
    now = datetime.now(WIB)
    week = f"{now.isocalendar()[0]}-W{now.isocalendar()[1]:02d}"
    at = lambda minutes: in_week(now, timedelta(minutes=minutes))  # noqa: E731 - this ISO week, not after now
    assert signals(system) == []
    for n in (1, 2):  # two people: one below the village floor of 3
        post(system, case(JONDONG, at(30 - n), "suspected_dengue", n))
    time.sleep(2.0)
    assert signals(system) == []
    tipped = post(system, case(JONDONG, at(20), "suspected_dengue", 3))
    found = wait_signals(system, lambda s: len(s) == 1, timeout=LATENCY_LIMIT_S)
    dengue_latency = time.monotonic() - tipped
    (dengue,) = found
    assert (dengue["area_kind"], dengue["area_code"], dengue["disease"], dengue["week"]) == (
        "village", JONDONG, "suspected_dengue", week)
    assert dengue["counts"]["this_week"] == 3 and dengue["counts"]["threshold"] == 3
    assert dengue_latency < LATENCY_LIMIT_S

    tipped = post(system, case(MAJA, at(15), "suspected_measles", 4))
    wait_signals(system, lambda s: len(s) == 2, timeout=LATENCY_LIMIT_S)
    assert time.monotonic() - tipped < LATENCY_LIMIT_S
    for n in (5, 6):  # the Puskesmas area (its own village and Jondong) reaches its floor of 5 at the fifth
        last = post(system, case(PUSKESMAS_VILLAGE, at(10 - n), "suspected_dengue", n))
    found = wait_signals(system, lambda s: len(s) == 3, timeout=LATENCY_LIMIT_S)
    assert time.monotonic() - last < LATENCY_LIMIT_S
    assert keys(found) == {("village", JONDONG, "suspected_dengue", week), ("village", MAJA, "suspected_measles", week),
                           ("puskesmas", "PKM180106", "suspected_dengue", week)}
    area = next(s for s in found if s["area_kind"] == "puskesmas")
    assert sorted(area["village_codes"]) == [PUSKESMAS_VILLAGE, JONDONG] and area["counts"]["this_week"] == 5
    assert len(area["evidence"]["cases"]) == 5
    post(system, case(JONDONG, at(2), "suspected_dengue", 10))  # one above: Jondong 4, the area 6
    time.sleep(2.0)
    assert keys(signals(system)) == keys(found)  # nothing new; the Puskesmas's own village has only 2
    print(f"signal latency: dengue {dengue_latency * 1000:.0f} ms")


def test_a_late_report_tips_a_past_week_and_raises_it_now(system: SignalSystem) -> None:
    before = signals(system)
    last_week_day = week_start(datetime.now(WIB)) - timedelta(days=3)  # Friday 00:00 of the previous ISO week
    week = f"{last_week_day.isocalendar()[0]}-W{last_week_day.isocalendar()[1]:02d}"
    for n in (7, 8):
        post(system, case(TENGKUJUH, last_week_day + timedelta(hours=9 + n), "suspected_dengue", n))
    time.sleep(2.0)
    assert len(signals(system)) == len(before)
    tipped = post(system, case(TENGKUJUH, last_week_day + timedelta(hours=20), "suspected_dengue", 9))
    found = wait_signals(system, lambda s: len(s) == len(before) + 1, timeout=LATENCY_LIMIT_S)
    assert time.monotonic() - tipped < LATENCY_LIMIT_S
    (late,) = [s for s in found if s["area_code"] == TENGKUJUH]
    assert late["week"] == week and late["disease"] == "suspected_dengue"
    raised = datetime.fromisoformat(late["raised_at"])
    assert abs((datetime.now(timezone.utc) - raised).total_seconds()) < 60  # raised now, for a past week


def test_signals_escalate_by_the_clock_and_are_verified_and_closed_from_the_dashboard(system: SignalSystem) -> None:
    found = wait_signals(system, lambda s: s and all(x["status"] == "escalated" for x in s), timeout=30)
    for s in found:
        raised, due = datetime.fromisoformat(s["raised_at"]), datetime.fromisoformat(s["escalate_at"])
        assert (due - raised).total_seconds() == pytest.approx(ESCALATION_HOURS * 3600, abs=0.01)
        assert datetime.fromisoformat(s["changed_at"]) == due and s["revision"] == 2
    dengue = next(s for s in found if s["area_kind"] == "village" and s["area_code"] == JONDONG)
    url = f"{system.url('dashboard')}/v1/signals/{dengue['signal_id']}/events"

    def step(token: str, body: dict) -> httpx.Response:
        return httpx.post(url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=10)

    deadline = time.monotonic() + 30  # the admin token reaches the dashboard through the token topic
    while (r := step(system.admin_token, {"status": "closed", "outcome": "outbreak"})).status_code == 401:
        assert time.monotonic() < deadline, "the admin token never reached the dashboard"
        time.sleep(0.2)
    assert r.status_code == 409 and r.json()["current_status"] == "escalated"  # verify first
    assert step(system.viewer_token, {"status": "verified"}).status_code == 403
    assert step(system.admin_token, {"status": "closed"}).status_code == 422
    assert step(system.admin_token, {"status": "verified", "note": "PE"}).status_code == 200
    closed = step(system.admin_token, {"status": "closed", "outcome": "outbreak", "note": "KLB DBD"})
    assert closed.status_code == 200 and closed.json()["signal"]["status"] == "closed"
    kept = next(s for s in signals(system) if s["signal_id"] == dengue["signal_id"])
    assert (kept["status"], kept["outcome"], kept["revision"]) == ("closed", "outbreak", 4)


async def republish_visits(bootstrap: str) -> int:
    """Every record of ilp.visit.recorded.v1 again, under a new CloudEvents id (a producer re-emitting)."""
    from aiokafka import TopicPartition

    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    records = []
    try:
        partitions = [TopicPartition("ilp.visit.recorded.v1", p)
                      for p in sorted(consumer.partitions_for_topic("ilp.visit.recorded.v1")
                                      or await _partitions(consumer))]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        deadline = time.monotonic() + 30
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            assert time.monotonic() < deadline, "could not read the visit topic back"
            batch = await consumer.getmany(timeout_ms=500)
            records += [r for rs in batch.values() for r in rs]
    finally:
        await consumer.stop()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for r in records:
            headers = [(k, str(uuid.uuid4()).encode() if k == "ce_id" else v) for k, v in r.headers]
            await producer.send_and_wait(r.topic, r.value, key=r.key, headers=headers)
    finally:
        await producer.stop()
    return len(records)


async def _partitions(consumer: AIOKafkaConsumer) -> set[int]:
    await consumer.topics()  # refreshes the metadata
    return consumer.partitions_for_topic("ilp.visit.recorded.v1") or set()


def test_replaying_the_whole_visit_topic_raises_nothing_again(system: SignalSystem) -> None:
    before = settle(system)
    internal = {"X-Jejaring-Internal-Token": INTERNAL}
    owned = httpx.get(system.url("surveillance") + "/internal/v1/signals", params={"region": "18"},
                      headers=internal, timeout=10).json()["signals"]
    assert {s["signal_id"]: s["revision"] for s in owned} == {s["signal_id"]: s["revision"] for s in before}
    system.cli("replay", "registration", "--publish", "--since", (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat())
    assert asyncio.run(republish_visits(system.bootstrap)) >= 9
    time.sleep(3.0)
    assert settle(system) == before
    again = httpx.get(system.url("surveillance") + "/internal/v1/signals", params={"region": "18"},
                      headers=internal, timeout=10).json()["signals"]
    assert again == owned


def test_a_simulated_district_gives_exactly_the_signals_of_its_ground_truth(system: SignalSystem) -> None:
    """Kota Metro, seasonal syndromes and field faults on, a dengue cluster and a measles case injected,
    every visit moved into this ISO week, sent to the Kafka intake; compared with the truth's signals."""
    from shared.regions import load_regions
    from simulator import drivers
    from simulator.faults import TIME_DEFECTS
    from simulator.network import facilities_csv
    from simulator.syndromes import parse_outbreak
    from simulator.truth import Truth
    from simulator.visits import build_simulation

    dengue_village, measles_village = "18.72.01.1001", "18.72.02.1002"
    today = datetime.now(WIB)
    sim = build_simulation(load_regions(), "18.72", seed=11, start=today.date() - timedelta(days=6), days=7,
                           population_scale=0.3, today=today.date(), outbreaks=[
                               parse_outbreak(f"dengue:{dengue_village}:now"),
                               parse_outbreak(f"measles:{measles_village}:now")])
    csv_path = system.var / "metro-facilities.csv"
    csv_path.write_text(facilities_csv(sim.net))
    system.cli("facilities", "import", str(csv_path))
    last = sim.net.puskesmas[-1].facility_id  # surveillance reads the network from the same topic
    deadline = time.monotonic() + 30
    while httpx.get(system.url("dashboard") + "/v1/pws", params={"region": last},
                    headers={"Authorization": f"Bearer {system.viewer_token}"}, timeout=10).status_code == 404:
        assert time.monotonic() < deadline, "the network never reached the dashboard"
        time.sleep(0.2)
    time.sleep(1.0)
    truth = Truth.for_network(sim.net, [today.year])
    moments = iter(range(10**9))

    def this_week(e) -> None:  # noqa: ANN001 - into this ISO week, never after now (tests/dates.py)
        if isinstance(e.body, dict) and not (e.kind == "invalid" and e.reason in TIME_DEFECTS):
            moment = in_week(today, timedelta(seconds=60 + next(moments) % 3600))
            if str(e.body.get("person", {}).get("birth_date", "")) > moment.date().isoformat():
                moment = today  # a baby born today is seen today, not before its birth
            e.body["occurred_at"] = moment.replace(microsecond=0).isoformat()

    viewer = last_line(system.cli("token", "issue", "--region", "18.72", "--role", "viewer"))
    stats = asyncio.run(drivers.drive_kafka(sim.emissions(), bootstrap=system.bootstrap, transform=this_week,
                                            sink=truth.add))
    expected = {(s["area_kind"], s["area_code"], s["disease"], s["week"]): s for s in truth.result()["signals"]}
    assert ("village", dengue_village, "suspected_dengue", next(iter(expected))[3]) in expected
    assert ("village", measles_village, "suspected_measles", next(iter(expected))[3]) in expected
    deadline = time.monotonic() + 90
    while keys(found := signals(system, region="18.72", token=viewer)) != set(expected):
        assert time.monotonic() < deadline, (f"dashboard {sorted(keys(found))} != truth {sorted(expected)} "
                                             f"after {stats.sent} messages")
        time.sleep(0.5)
    time.sleep(3.0)
    found = signals(system, region="18.72", token=viewer)
    assert keys(found) == set(expected)
    for s in found:
        assert s["counts"]["this_week"] == expected[(s["area_kind"], s["area_code"], s["disease"], s["week"])]["threshold"]
    print(f"simulated: {stats.sent} messages, {len(expected)} signals as the truth expects")
