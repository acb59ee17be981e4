"""Hostile input at registration's HTTP and Kafka intakes: never a crash, never a silent loss.

Runs registration alone on the real broker. Schemathesis fuzzes the OpenAPI spec; Hypothesis
throws malformed and hostile visits at both intakes.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.conftest import FACILITIES, visit
from tests.integration.harness import System

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
# A valid visit with one field replaced by anything: the nastiest inputs are nearly right.
FIELDS = ["visit_id", "facility_id", "occurred_at", "service_point", "person", "pregnancy", "measurements"]
PERSON = ["nik", "mother_nik", "name", "sex", "birth_date", "village_code"]
MEASURES = ["weight_kg", "height_cm", "hb_g_dl", "systolic_mmhg", "diastolic_mmhg", "muac_cm", "cough_weeks",
            "tb_symptoms", "srq20_score"]


@st.composite
def hostile_visits(draw) -> object:
    kind = draw(st.sampled_from(["anything", "field", "person", "measure"]))
    if kind == "anything":
        return draw(json_values)
    body = visit()
    if kind == "field":
        body[draw(st.sampled_from(FIELDS))] = draw(json_values)
    elif kind == "person":
        body["person"][draw(st.sampled_from(PERSON))] = draw(json_values)
    else:
        body["measurements"][draw(st.sampled_from(MEASURES))] = draw(json_values)
    return body


@pytest.fixture(scope="module")
def registration(tmp_path_factory: pytest.TempPathFactory) -> Iterator[System]:
    system = System(var=tmp_path_factory.mktemp("registration-fuzz"))
    system.start_broker()
    system.start("registration")
    try:
        system.wait_ready("registration")
        (system.var / "f.csv").write_text(FACILITIES)
        system.cli("facilities", "import", str(system.var / "f.csv"))
        system.facility_token = system.cli("token", "issue", "--facility", "PKM180106").strip().splitlines()[-1]
        yield system
    finally:
        system.down()


def test_hostile_http_payloads_get_a_clear_answer(registration: System) -> None:
    client = httpx.Client(base_url=registration.url("registration"), timeout=30,
                          headers={"Authorization": f"Bearer {registration.facility_token}"})

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(hostile_visits())
    def check(body: object) -> None:
        # json.dumps writes NaN/Infinity literals, which are not JSON: hostile on purpose.
        response = client.post("/v1/visits", content=json.dumps(body).encode(),
                               headers={"content-type": "application/json"})
        assert response.status_code in (202, 403, 422), response.text
        if response.status_code == 422:
            errors = response.json()["errors"]
            assert errors and all(isinstance(e["loc"], list) and e["msg"] for e in errors)
        if response.status_code == 202 and isinstance(body, dict) and "visits" not in body:
            assert response.json()["status"] in ("recorded", "duplicate")

    check()
    raw = client.post("/v1/visits", content=b"\xff{not json", headers={"content-type": "application/json"})
    assert raw.status_code in (400, 422)
    assert client.get("/readyz").status_code == 200


def test_hostile_kafka_messages_are_recorded_or_dead_lettered(registration: System) -> None:
    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(hostile_visits(), min_size=1, max_size=5) | st.just([b"\x00\xff garbage"]))
    def collect(items: list) -> None:
        examples.extend(items)

    examples: list = []
    collect()
    run = uuid.uuid4().hex[:8]

    async def exchange() -> tuple[int, int]:
        producer = AIOKafkaProducer(bootstrap_servers=registration.bootstrap)
        await producer.start()
        try:
            for i, item in enumerate(examples):
                value = item if isinstance(item, bytes) else json.dumps(item).encode()
                await producer.send_and_wait("ilp.intake.visit.v1", value, key=f"{run}-{i}".encode())
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer("ilp.intake.visit.v1.registration.dlq", bootstrap_servers=registration.bootstrap,
                                    auto_offset_reset="earliest", group_id=None)
        await consumer.start()
        dead: set[bytes] = set()
        deadline = time.monotonic() + 20
        try:  # both counts only grow: once every message is accounted for, waiting longer changes nothing
            while time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    dead.update(r.key for r in records if r.key and r.key.startswith(run.encode()))
                if dead and len(dead) + applied_count() >= len(examples):
                    break
        finally:
            await consumer.stop()
        return len(dead), len(examples)

    def applied_count() -> float:
        metrics = httpx.get(registration.url("registration") + "/metrics", timeout=10).text
        return sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                   if line.startswith("jejaring_events_applied_total{") and "ilp.intake.visit.v1" in line)

    dead, sent = asyncio.run(exchange())
    applied = applied_count()
    assert dead >= 1
    assert dead + applied >= sent, "every message is either applied or dead-lettered"


def test_openapi_fuzz_never_answers_500(registration: System) -> None:
    """Schemathesis generates requests for every operation of the OpenAPI spec."""
    schema = schemathesis.openapi.from_url(registration.url("registration") + "/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert any(op.path == "/v1/visits" for op in operations)
    headers = {"Authorization": f"Bearer {registration.facility_token}"}
    calls = []
    for operation in operations:

        @settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        @given(case=operation.as_strategy())
        def fuzz(case) -> None:  # noqa: ANN001
            response = case.call(headers=headers)
            calls.append(response.status_code)
            assert response.status_code < 500, f"{case.method} {case.path}: {response.text}"

        fuzz()
    assert len(calls) >= len(operations)
