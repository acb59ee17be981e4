"""The thin path end to end on the real broker, four processes, SQLite and PostgreSQL."""

from __future__ import annotations

import json
import signal
import time

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from tests.integration.conftest import visit
from tests.integration.harness import System

PERIOD_OF = lambda body: body["occurred_at"][:7]  # noqa: E731 - the local month of occurred_at


def pws(system: System, period: str, region: str = "18.01") -> dict:
    response = httpx.get(system.url("dashboard") + "/v1/pws", params={"region": region, "period": period},
                         headers={"Authorization": f"Bearer {system.viewer_token}"}, timeout=10)
    assert response.status_code == 200, response.text
    return response.json()


def wait_for(system: System, period: str, predicate, timeout: float = 30.0) -> dict:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    data = pws(system, period)
    while time.monotonic() < deadline:
        data = pws(system, period)
        if predicate(data["total"]["indicators"]):
            return data
        time.sleep(0.2)
    raise AssertionError(f"dashboard never matched; last total: {json.dumps(data['total'])}")


def settle(system: System, period: str, quiet: float = 1.5, timeout: float = 30.0) -> dict:
    """The totals once nothing has changed for ``quiet`` seconds (earlier tests' events drained)."""
    deadline = time.monotonic() + timeout
    last = pws(system, period)["total"]["indicators"]
    while time.monotonic() < deadline:
        time.sleep(quiet)
        now = pws(system, period)["total"]["indicators"]
        if now == last:
            return now
        last = now
    raise AssertionError("the dashboard never settled")


def post(system: System, body: dict, token: str | None = None) -> httpx.Response:
    return httpx.post(system.url("registration") + "/v1/visits", json=body,
                      headers={"Authorization": f"Bearer {token or system.facility_token}"}, timeout=10)


def test_http_visit_becomes_visit_risk_and_referral_on_the_dashboard(system: System) -> None:
    body = visit()
    before = settle(system, PERIOD_OF(body))
    response = post(system, body)
    assert response.status_code == 202, response.text
    answer = response.json()
    assert answer["status"] == "recorded" and answer["visit_id"] == body["visit_id"]
    assert answer["person_id"] and "1801064508920003" not in answer["person_id"]
    data = wait_for(system, PERIOD_OF(body), lambda t: t["referrals_made"]["value"] >= before["referrals_made"]["value"] + 1
                    and t["visits"]["value"] == before["visits"]["value"] + 1)
    total = data["total"]["indicators"]
    assert total["hypertension"]["numerator"] >= 1
    assert total["risks_detected"]["value"] >= before["risks_detected"]["value"] + 1
    row = next(r for r in data["rows"] if r["code"] == "18.01.06")
    assert row["indicators"]["visits"]["value"] >= 1

    again = post(system, body)
    assert again.status_code == 202 and again.json()["status"] == "duplicate"
    time.sleep(1.5)
    assert pws(system, PERIOD_OF(body))["total"]["indicators"]["visits"]["value"] == total["visits"]["value"]


def test_kafka_intake_and_dead_letter(system: System) -> None:
    import asyncio

    good = visit(person={"nik": "1801060101800007", "sex": "M", "birth_date": "1980-01-01", "name": "Budi",
                         "village_code": "18.01.06.2001"})
    bad = visit(measurements={"hb_g_dl": 99})
    period = PERIOD_OF(good)
    before = settle(system, period)["visits"]["value"]

    async def exchange() -> list:
        producer = AIOKafkaProducer(bootstrap_servers=system.bootstrap)
        await producer.start()
        try:
            await producer.send_and_wait("ilp.intake.visit.v1", json.dumps(good).encode(), key=b"k1")
            await producer.send_and_wait("ilp.intake.visit.v1", json.dumps(bad).encode(), key=b"k2")
            await producer.send_and_wait("ilp.intake.visit.v1", b"{not json", key=b"k3")
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer("ilp.intake.visit.v1.registration.dlq", bootstrap_servers=system.bootstrap,
                                    auto_offset_reset="earliest", group_id=None)
        await consumer.start()
        found = []
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and len(found) < 2:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    found += [r for r in records if r.key in (b"k2", b"k3")]
        finally:
            await consumer.stop()
        return found

    dead = asyncio.run(exchange())
    assert sorted(r.key for r in dead) == [b"k2", b"k3"]
    headers = {r.key: dict(r.headers) for r in dead}
    assert b"hb_g_dl" in headers[b"k2"]["x-dlq-error"]
    assert headers[b"k2"]["x-dlq-service"] == b"registration"
    assert headers[b"k2"]["x-dlq-topic"] == b"ilp.intake.visit.v1"
    assert headers[b"k3"]["x-dlq-error-kind"] == b"invalid"
    wait_for(system, period, lambda t: t["visits"]["value"] == before + 1)


def test_validation_and_scope(system: System) -> None:
    bad = post(system, visit(measurements={"systolic_mmhg": 80, "diastolic_mmhg": 120}))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"][0] == "measurements"
    assert post(system, visit(), token="nope").status_code == 401
    outside = post(system, visit(facility_id="PKM180106"), token=system.pustu_token)
    assert outside.status_code == 403
    batch = httpx.post(system.url("registration") + "/v1/visits", json={"visits": [visit(), {"visit_id": "x"}]},
                       headers={"Authorization": f"Bearer {system.facility_token}"}, timeout=10)
    assert batch.status_code == 202
    statuses = [r["status"] for r in batch.json()["results"]]
    assert statuses == ["recorded", "rejected"]


def test_viewer_scope_and_csv(system: System) -> None:
    other = httpx.get(system.url("dashboard") + "/v1/pws", params={"region": "35.07"},
                      headers={"Authorization": f"Bearer {system.viewer_token}"}, timeout=10)
    assert other.status_code == 403
    csv = httpx.get(system.url("dashboard") + "/v1/pws.csv", params={"region": "18.01"},
                    headers={"Authorization": f"Bearer {system.viewer_token}"}, timeout=10)
    assert csv.status_code == 200 and csv.text.startswith("period,code,name,level,indicator")


def test_sigkill_mid_stream_counts_every_visit_exactly_once(system: System) -> None:
    bodies = [visit() for _ in range(120)]
    period = PERIOD_OF(bodies[0])
    before = settle(system, period)
    for i, body in enumerate(bodies):
        if i == 40:
            system.kill("screening", signal.SIGKILL)
        if i == 70:
            system.kill("dashboard", signal.SIGKILL)
            system.start("dashboard")
            system.start("screening")
        response = post(system, body)
        assert response.status_code == 202
    system.wait_ready("screening")
    system.wait_ready("dashboard")
    expected_visits = before["visits"]["value"] + len(bodies)
    data = wait_for(system, period, lambda t: t["visits"]["value"] >= expected_visits
                    and t["risks_detected"]["value"] >= before["risks_detected"]["value"] + len(bodies), timeout=90)
    time.sleep(2)
    total = pws(system, period)["total"]["indicators"]
    assert total["visits"]["value"] == expected_visits
    assert total["risks_detected"]["value"] == data["total"]["indicators"]["risks_detected"]["value"]
    per_visit = (total["risks_detected"]["value"] - before["risks_detected"]["value"]) / len(bodies)
    assert per_visit == int(per_visit), "every visit's risks counted exactly once"


def test_broker_loss_loses_nothing_and_counts_nothing_twice(system: System) -> None:
    first = [visit() for _ in range(10)]
    period = PERIOD_OF(first[0])
    start = settle(system, period)
    for body in first:
        assert post(system, body).status_code == 202
    wait_for(system, period, lambda t: t["visits"]["value"] == start["visits"]["value"] + len(first))
    before = settle(system, period)
    per_visit = (before["risks_detected"]["value"] - start["risks_detected"]["value"]) / len(first)
    assert per_visit >= 1 and per_visit == int(per_visit), "identical visits raise the same risks"
    system.stop_broker()
    system.start_broker()
    after = [visit() for _ in range(10)]
    for body in after:
        assert post(system, body).status_code == 202
    expected_visits = before["visits"]["value"] + len(after)
    expected_risks = before["risks_detected"]["value"] + int(per_visit) * len(after)
    wait_for(system, period, lambda t: t["visits"]["value"] >= expected_visits
             and t["risks_detected"]["value"] >= expected_risks, timeout=150)
    total = settle(system, period, quiet=3)
    assert total["visits"]["value"] == expected_visits
    assert total["risks_detected"]["value"] == expected_risks
    assert total["referrals_made"]["value"] == before["referrals_made"]["value"]  # same person: attached, not new


def test_no_nik_or_name_leaves_registration(system: System) -> None:
    """Every message on every topic, and every service log line, is free of the NIKs and names used."""
    import asyncio

    from aiokafka.admin import AIOKafkaAdminClient

    secrets = [b"1801064508920003", b"1801060101800007", b"Siti Aminah", b"Budi"]
    assert post(system, visit()).status_code == 202
    time.sleep(2)

    async def scan() -> tuple[set[str], list[str]]:
        admin = AIOKafkaAdminClient(bootstrap_servers=system.bootstrap)
        await admin.start()
        topics = [t for t in await admin.list_topics() if t.startswith("ilp.") and t != "ilp.intake.visit.v1"
                  and not t.startswith("ilp.intake.visit.v1.")]
        await admin.close()
        consumer = AIOKafkaConsumer(*topics, bootstrap_servers=system.bootstrap, auto_offset_reset="earliest",
                                    group_id=None)
        await consumer.start()
        seen: set[str] = set()
        leaks: list[str] = []
        try:
            idle = 0
            while idle < 3:
                batch = await consumer.getmany(timeout_ms=1000)
                if not batch:
                    idle += 1
                for records in batch.values():
                    for r in records:
                        seen.add(r.topic)
                        blob = (r.key or b"") + r.value + b"".join(k.encode() + v for k, v in r.headers)
                        leaks += [f"{r.topic}: {s!r}" for s in secrets if s in blob]
        finally:
            await consumer.stop()
        return seen, leaks

    seen, leaks = asyncio.run(scan())
    assert {"ilp.visit.recorded.v1", "ilp.visit.screened.v1", "ilp.risk.detected.v1"} <= seen
    assert leaks == []
    for log in system.var.glob("*.log"):
        content = log.read_bytes()
        assert not [s for s in secrets if s in content], f"{log.name} leaks PII"
