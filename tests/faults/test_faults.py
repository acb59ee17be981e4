"""The fault and abuse suite: under a steady simulated load, crash everything that can crash, poison
every consumed topic, abuse every HTTP API, try every token where it does not belong — then check
that every accepted visit is counted exactly once, every referral is in a valid state, and no NIK
or name appears outside registration's tables.

The tests run in order on one system (``conftest.faulty``) and one load (``load``); the table they
fill is printed at the end (``docs/reliability.md``). ``make test-faults`` runs the long variant.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import random
import signal
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import asyncpg
import httpx
import pytest
import schemathesis
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from hypothesis import HealthCheck, given, settings
from sqlalchemy.engine import make_url

from services.referral.domain import lifecycle
from shared.contracts import topics
from shared.contracts.events import (
    EventData,
    FacilityRegistered,
    FacilityTokenChanged,
    OutbreakSignal,
    PersonLinked,
    ReferralMade,
    ReferralUpdated,
    RiskDetected,
    SignalCounts,
    SignalEvidence,
    SignalRule,
    TargetSet,
    VisitRecorded,
    VisitScreened,
)
from shared.envelope import encode
from shared.fhir.outbound import visit_bundle
from shared.settings import SERVICES
from tests.faults.conftest import LONG, WIB, FaultSystem, Load
from tests.faults.report import REPORT
from tests.integration.test_registration_fuzz import hostile_visits

pytestmark = [pytest.mark.faults, pytest.mark.postgres]
ROUNDS = 4 if LONG else 1  # rounds of SIGKILLs of every service
LOAD_RATE = 8.0  # visits a second
DIRECT = "P-DIRECT"  # the person of events published straight onto the bus (not through registration)


@pytest.fixture(scope="module")
def load(faulty: FaultSystem) -> Iterator[Load]:
    running = Load(faulty.system, faulty.persons, LOAD_RATE)
    running.start()
    yield running
    if not running._stop.is_set():
        running.stop()


# -- helpers ---------------------------------------------------------------------------------------
def publish(system, records: list[tuple[str, bytes | None, bytes, list]]) -> None:  # noqa: ANN001
    async def run() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=system.bootstrap, max_request_size=4 * 1024 * 1024)
        await producer.start()
        try:
            for topic, key, value, headers in records:
                await (await producer.send(topic, value, key=key, headers=headers))
        finally:
            await producer.stop()

    asyncio.run(run())


def read_topics(system, wanted) -> list:  # noqa: ANN001 - every record of the topics ``wanted(name)`` selects
    async def run() -> list:
        admin = AIOKafkaAdminClient(bootstrap_servers=system.bootstrap)
        await admin.start()
        names = [t for t in await admin.list_topics() if wanted(t)]
        await admin.close()
        if not names:
            return []
        consumer = AIOKafkaConsumer(*names, bootstrap_servers=system.bootstrap, auto_offset_reset="earliest",
                                    group_id=None, enable_auto_commit=False,
                                    max_partition_fetch_bytes=8 * 1024 * 1024, fetch_max_bytes=64 * 1024 * 1024)
        await consumer.start()
        out: list = []
        try:
            idle = 0
            while idle < 3:
                batch = await consumer.getmany(timeout_ms=1000)
                idle = idle + 1 if not batch else 0
                for records in batch.values():
                    out.extend(records)
        finally:
            await consumer.stop()
        return out

    return asyncio.run(run())


def applied(system, service: str, topic: str) -> float:  # noqa: ANN001
    text = httpx.get(system.url(service) + "/metrics", params={"name[]": "jejaring_events_applied_total"},
                     timeout=10).text
    for line in text.splitlines():
        if line.startswith("jejaring_events_applied_total{") and f'topic="{topic}"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def wait(predicate, timeout: float, what: str) -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def good_event(topic: str) -> EventData:
    """A valid, harmless event of ``topic``'s type, as its producer would publish it."""
    now = datetime.now(WIB) - timedelta(minutes=1)
    vid = uuid.uuid4()
    common = dict(person_id=DIRECT, village_code="18.01.06.2001")
    return {
        topics.VISIT_RECORDED: lambda: VisitRecorded(
            visit_id=vid, facility_id="PSY1801062001A", facility_type="posyandu", service_point="posyandu",
            occurred_at=now, recorded_at=now, sex="F", age_days=40 * 365, stage="adult", measurements={},
            **common),
        topics.VISIT_SCREENED: lambda: VisitScreened(visit_id=vid, facility_id="PSY1801062001A", occurred_at=now,
                                                     stage="adult", sex="F", age_days=40 * 365, ruleset_version="t",
                                                     **common),
        topics.RISK_DETECTED: lambda: RiskDetected(risk_id=uuid.uuid4(), visit_id=vid, facility_id="PSY1801062001A",
                                                   occurred_at=now, stage="adult", code="PREDIABETES", cluster=3,
                                                   severity="low", recommended_level="posyandu", ruleset_version="t",
                                                   **common),
        topics.REFERRAL_MADE: lambda: ReferralMade(
            referral_id=uuid.uuid4(), risk_id=uuid.uuid4(), risk_code="HT", origin_facility_id="PSY1801062001A",
            destination_facility_id="PKM180106", destination_level="puskesmas", reason="t", urgency="low",
            made_at=now, due_at=now + timedelta(days=30), **common),
        topics.REFERRAL_UPDATED: lambda: ReferralUpdated(
            update_id=uuid.uuid4(), referral_id=uuid.uuid4(), origin_facility_id="PSY1801062001A",
            destination_facility_id="PKM180106", status="received", previous_status="made", at=now, made_at=now,
            **common),
        topics.FACILITY_REGISTERED: lambda: FacilityRegistered(facility_id=f"X{vid.hex[:8]}", name="Posyandu Uji",
                                                               type="posyandu", parent_id="PST1801062001",
                                                               village_code="18.01.06.2001"),
        topics.TARGET_SET: lambda: TargetSet(village_code="18.01.06.2002", year=now.year, target="elderly", count=7),
        topics.PERSON_LINKED: lambda: PersonLinked(person_id=f"p{vid.hex}", previous_person_id=f"c{vid.hex}",
                                                   linked_at=now),
        topics.FACILITY_TOKEN: lambda: FacilityTokenChanged(token_hash=vid.hex * 2, facility_id="PKM180106",
                                                            token_id=f"tok_{vid.hex[:16]}"),
        topics.OUTBREAK_SIGNAL: lambda: OutbreakSignal(  # a closed false alarm: shown, never acted on
            signal_id=vid, area_kind="village", area_code="18.01.06.2001", village_code="18.01.06.2001",
            district_code="18.01", disease="acute_diarrhoea", rule=SignalRule(method="fixed", params={"threshold": 50}),
            week=f"{now.isocalendar().year}-W{now.isocalendar().week:02d}",
            week_start=(now - timedelta(days=now.weekday())).date(), counts=SignalCounts(this_week=50, threshold=50),
            evidence=SignalEvidence(), status="closed", previous_status="signalled", outcome="false_alarm",
            raised_at=now, escalate_at=now + timedelta(hours=24), changed_at=now, revision=2),
    }[topic]()


def poison(topic: str, valid: EventData) -> list[tuple[str, bytes | None, bytes, list]]:
    """Every kind of bad message, for a CloudEvents topic: each must land in the consumer's DLQ."""
    record = encode(valid, source="/faults", event_id=str(uuid.uuid4()))
    headers = list(record.headers)

    def with_header(name: str, value: bytes | None) -> list:
        kept = [(k, v) for k, v in headers if k != name]
        return kept + ([(name, value)] if value is not None else [])

    big = json.dumps({"x": "a" * 900_000}).encode()  # near the 1 MB message size
    return [
        (topic, record.key, b"{not json", with_header("ce_id", str(uuid.uuid4()).encode())),
        (topic, record.key, b"[" * 100_000, with_header("ce_id", str(uuid.uuid4()).encode())),
        (topic, record.key, big, with_header("ce_id", str(uuid.uuid4()).encode())),
        (topic, record.key, record.value, with_header("ce_specversion", b"0.3")),
        (topic, record.key, record.value, with_header("ce_id", None)),
        (topic, record.key, record.value, with_header("ce_id", b"x" * 300)),
        (topic, record.key, record.value, with_header("ce_type", valid.ce_type.replace(".v1", ".v9").encode())),
    ]


# -- poison on every consumed topic -----------------------------------------------------------------
def consumed_topics(tmp_path) -> dict[str, list[str]]:  # noqa: ANN001
    """What each service really subscribes to (its built runtime's consumers, not the catalogue's word)."""
    from services.cli import SETTINGS

    out = {}
    for service in SERVICES:
        module, name = SETTINGS[service]
        settings = getattr(importlib.import_module(module), name)(var_dir=tmp_path, person_id_secret="x") \
            if service == "registration" else getattr(importlib.import_module(module), name)(var_dir=tmp_path)
        out[service] = sorted(p.topic for p in importlib.import_module(f"services.{service}.app")
                              .build_service(settings).processors)
    return out


def test_poison_on_every_consumed_topic_is_dead_lettered_and_the_good_message_behind_it_applied(
        faulty: FaultSystem, load: Load, tmp_path) -> None:
    system = faulty.system
    consumed = consumed_topics(tmp_path)
    event_topics = {t for ts in consumed.values() for t in ts if not t.startswith("ilp.intake.")}
    before = {(s, t): applied(system, s, t) for s, ts in consumed.items() for t in ts}
    records, direct_visits = [], 0
    for topic in sorted(event_topics):
        valid = good_event(topic)
        records += poison(topic, valid)
        good = encode(valid, source="/faults")
        records.append((topic, good.key, good.value, list(good.headers)))
        direct_visits += isinstance(valid, VisitRecorded)
    for intake in (topics.INTAKE_VISIT, topics.INTAKE_FHIR):  # facility systems' raw JSON intakes
        records += [(intake, None, b"{not json", []), (intake, None, b"[" * 100_000, []),
                    (intake, None, json.dumps({"visit_id": "x" * 300}).encode(), [])]
    body, _person = load.visit()
    records.append((topics.INTAKE_VISIT, None, json.dumps(body).encode(), []))
    bundled, _person = load.visit()
    records.append((topics.INTAKE_FHIR, None, json.dumps(visit_bundle(bundled, bundle_type="batch")).encode(), []))
    publish(system, records)
    REPORT.inputs["poison messages"] += len(records) - len(event_topics) - 2
    for good_visit in (body, bundled):  # the good intake messages behind the poison (the FHIR one's id is derived)
        load.accepted[good_visit["visit_id"]] = good_visit["occurred_at"][:7]
    load.direct_visits = direct_visits
    for service, service_topics in consumed.items():
        for topic in service_topics:
            wait(lambda: applied(system, service, topic) > before[(service, topic)], 90,
                 f"{service} to apply the good message on {topic} behind the poison")
    dead = read_topics(system, lambda name: name.endswith(".dlq"))
    per_dlq: dict[str, list] = {}
    for r in dead:
        per_dlq.setdefault(r.topic, []).append(r)
    for service, service_topics in consumed.items():
        for topic in service_topics:
            letters = per_dlq.get(topics.dlq_topic(topic, service), [])
            expected = 3 if topic.startswith("ilp.intake.") else 7
            assert len(letters) >= expected, f"{service}/{topic}: {len(letters)} dead letters"
            assert all(dict(r.headers).get("x-dlq-error") for r in letters), topic


# -- access ----------------------------------------------------------------------------------------
def test_every_token_is_refused_where_it_does_not_belong(faulty: FaultSystem, load: Load) -> None:
    s, t = faulty.system, faulty.tokens
    time.sleep(2)  # the expired tokens' two seconds are over
    checks: list[tuple[str, httpx.Response, tuple[int, ...]]] = []

    def expect(label: str, response: httpx.Response, *codes: int) -> None:
        checks.append((label, response, codes))

    natar_visit = {**load.visit()[0], "facility_id": "PSY1801042001A"}
    kalianda_visit = load.visit()[0] | {"facility_id": "PSY1801062001A"}
    for name in ("revoked_facility", "expired_facility", "district", "admin_kalianda"):
        expect(f"{name} posts a visit", httpx.post(s.url("registration") + "/v1/visits", json=kalianda_visit, timeout=10,
                                                   headers={"Authorization": f"Bearer {t[name]}"}), 401)
    expect("Kalianda posts for Natar", httpx.post(s.url("registration") + "/v1/visits", json=natar_visit, timeout=10,
                                                  headers={"Authorization": f"Bearer {t['kalianda']}"}), 403)
    expect("a Pustu posts for its Puskesmas", httpx.post(
        s.url("registration") + "/v1/visits", json=load.visit()[0] | {"facility_id": "PKM180106"}, timeout=10,
        headers={"Authorization": f"Bearer {t['pustu']}"}), 403)
    for name, region in (("kecamatan_natar", "18.01.06"), ("puskesmas_kalianda", "18.01.04"),
                         ("puskesmas_kalianda", "PKM180104"), ("kecamatan_natar", "18.01")):
        for path in ("/v1/pws", "/v1/pws.csv", "/v1/pws/referrals.csv", "/v1/pws/freshness.csv", "/v1/stream"):
            expect(f"{name} reads {path} of {region}", faulty.get("dashboard", path, t[name], region=region), 403)
    for name in ("revoked_viewer", "expired_viewer", "kalianda", "revoked_admin"):
        expect(f"{name} reads the PWS", faulty.get("dashboard", "/v1/pws", t[name], region="18.01"), 401)
    for name in ("district", "revoked_facility", "expired_facility"):
        expect(f"{name} lists referrals", faulty.get("referral", "/v1/referrals", t[name]), 401)
        expect(f"{name} searches ServiceRequest", faulty.get("referral", "/fhir/ServiceRequest", t[name]), 401)
    other_facility = "facility_id,name,type,parent_id,village_code,capabilities\nPKM180104,Puskesmas Natar,puskesmas,RS1801,18.01.06.2001,doctor\n"
    expect("admin of 18.01.06 moves Natar's Puskesmas", httpx.post(
        s.url("registration") + "/v1/facilities", content=other_facility, timeout=10,
        headers={"Authorization": f"Bearer {t['admin_kalianda']}"}), 422)
    expect("admin of 18.01.06 sets Natar's targets", httpx.post(
        s.url("registration") + "/v1/targets", content="village_code,year,target,count\n18.01.04.2001,2026,pregnant,1\n",
        timeout=10, headers={"Authorization": f"Bearer {t['admin_kalianda']}"}), 422)
    for name in ("kalianda", "revoked_admin", "district"):
        expect(f"{name} imports facilities", httpx.post(s.url("registration") + "/v1/facilities", content=other_facility,
                                                        timeout=10, headers={"Authorization": f"Bearer {t[name]}"}), 401)
    # A referral of Kalianda's network, moved by Natar's token: refused; read by Natar: refused.
    wait(lambda: faulty.get("referral", "/v1/referrals", t["kalianda"]).json()["referrals"], 60, "a referral")
    referral = faulty.get("referral", "/v1/referrals", t["kalianda"]).json()["referrals"][0]
    rid = referral["referral_id"]
    move = {"status": "cancelled", "at": datetime.now(timezone.utc).isoformat()}
    expect("Natar moves Kalianda's referral", httpx.post(s.url("referral") + f"/v1/referrals/{rid}/events", json=move,
                                                         timeout=10, headers={"Authorization": f"Bearer {t['natar']}"}), 403)
    expect("a revoked token moves a referral", httpx.post(
        s.url("referral") + f"/v1/referrals/{rid}/events", json=move, timeout=10,
        headers={"Authorization": f"Bearer {t['revoked_facility']}"}), 401)
    expect("Natar reads Kalianda's referral", faulty.get("referral", f"/v1/referrals/{rid}", t["natar"]), 403)
    expect("Natar reads it as FHIR", faulty.get("referral", f"/fhir/ServiceRequest/{rid}", t["natar"]), 404)
    wrong = [f"{label}: {r.status_code} (expected {codes})" for label, r, codes in checks if r.status_code not in codes]
    REPORT.refused["access"] += sum(1 for _, r, codes in checks if r.status_code in codes)
    assert wrong == []


# -- input abuse -----------------------------------------------------------------------------------
def fuzz(faulty: FaultSystem, service: str, operation, headers: dict[str, str], examples: int) -> None:  # noqa: ANN001
    """Schemathesis's generated requests for one operation; 5xx other than 503 is a finding."""

    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy())
    def check(case) -> None:  # noqa: ANN001
        response = case.call(headers={**headers, **(case.headers or {})}, timeout=30)
        REPORT.inputs[f"schemathesis {service}"] += 1
        if service != "registration":
            faulty.responses.append(response.content)
        if response.status_code >= 500 and response.status_code != 503:
            REPORT.server_errors.append(f"{service} {operation.method.upper()} {operation.path}: {response.status_code}")
        if response.status_code in (401, 403, 404, 409, 413, 422, 429):
            REPORT.refused["schemathesis"] += 1

    check()


def test_schemathesis_finds_no_server_error_in_any_api(faulty: FaultSystem, load: Load) -> None:
    s, t = faulty.system, faulty.tokens
    tokens = {"registration": t["kalianda"], "referral": t["kalianda"], "dashboard": t["district"],
              "surveillance": None, "screening": None}
    examples = 40 if LONG else 8
    for service in SERVICES:
        schema = schemathesis.openapi.from_url(s.url(service) + "/openapi.json")
        headers = {"Authorization": f"Bearer {tokens[service]}"} if tokens[service] else {}
        for result in schema.get_all_operations():
            operation = result.ok()
            if operation.path in ("/v1/stream", "/metrics"):
                continue  # the live stream never ends; metrics are not an API
            fuzz(faulty, service, operation, headers, examples)
    assert REPORT.server_errors == []


def test_hostile_visits_and_batches_get_a_clear_answer(faulty: FaultSystem, load: Load) -> None:
    s, t = faulty.system, faulty.tokens
    client = httpx.Client(base_url=s.url("registration"), timeout=30, headers={"Authorization": f"Bearer {t['kalianda']}"})

    @settings(max_examples=200 if LONG else 60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(hostile_visits())
    def check(body: object) -> None:
        response = client.post("/v1/visits", content=json.dumps(body).encode(), headers={"content-type": "application/json"})
        REPORT.inputs["hostile visits"] += 1
        assert response.status_code in (202, 403, 409, 422, 503), response.text
        if response.status_code != 202:
            REPORT.refused["hostile visits"] += 1
        elif response.json().get("status") in ("recorded", "duplicate"):
            load.accepted[body["visit_id"]] = body["occurred_at"][:7]

    check()
    kalianda = next(p for p in faulty.persons if p.facility == "PSY1801062001A")
    good = [load.visit()[0] | {"facility_id": kalianda.facility, "person": {
        "nik": kalianda.nik, "name": kalianda.name, "sex": kalianda.sex, "birth_date": kalianda.birth_date.isoformat(),
        "village_code": kalianda.village}} for _ in range(250)]
    rng = random.Random(5)
    bad: list[Any] = [rng.choice([{"visit_id": "nope"}, "text", None, {**good[0], "occurred_at": "0001-01-01T00:00:00Z"},
                                  {**good[0], "visit_id": str(uuid.uuid4()), "measurements": {"hb_g_dl": 99}}])
                      for _ in range(250)]
    mixed = [x for pair in zip(good, bad) for x in pair]
    answer = client.post("/v1/visits", json={"visits": mixed})
    assert answer.status_code == 202
    results = answer.json()["results"]
    assert len(results) == 500 and [r["status"] for r in results[0::2]] == ["recorded"] * 250
    assert all(r["status"] == "rejected" and r["errors"] for r in results[1::2])
    for g in good:
        load.accepted[g["visit_id"]] = g["occurred_at"][:7]
    too_many = client.post("/v1/visits", json={"visits": good[:1] * 501})
    too_big = client.post("/v1/visits", content=b"[" + b" " * (5 * 1024 * 1024) + b"]",
                          headers={"content-type": "application/json"})
    assert too_many.status_code == 422 and too_big.status_code == 413
    REPORT.inputs["batch items"] += 500 + 501 + 1
    REPORT.refused["batches"] += 250 + 2


# -- crash faults ----------------------------------------------------------------------------------
def test_crashes_broker_loss_a_stopped_database_and_a_slow_consumer_under_load(faulty: FaultSystem, load: Load) -> None:
    system, rng = faulty.system, random.Random(11)
    for _ in range(ROUNDS):
        for service in rng.sample(list(SERVICES), len(SERVICES)):
            time.sleep(rng.uniform(0.5, 3))
            system.kill(service, signal.SIGKILL)
            system.start(service)
            REPORT.faults[f"SIGKILL {service}"] += 1
        for service in SERVICES:
            system.wait_ready(service, timeout=120)
    system.stop_broker()
    time.sleep(2)
    system.start_broker()
    REPORT.faults["broker lost (log gone)"] += 1
    time.sleep(5)
    faulty.postgres.pause()
    REPORT.faults["PostgreSQL stopped 30 s"] += 1
    time.sleep(30)
    faulty.postgres.resume()
    for service in SERVICES:
        system.wait_ready(service, timeout=120)
    system.freeze("dashboard")
    REPORT.faults["dashboard frozen 10 s (slow consumer)"] += 1
    time.sleep(10)
    system.thaw("dashboard")
    time.sleep(5)


def test_every_accepted_visit_is_counted_exactly_once(faulty: FaultSystem, load: Load) -> None:
    load.stop()
    expected = len(load.accepted) + getattr(load, "direct_visits", 0)
    periods = sorted(set(load.accepted.values()))

    def shown() -> int:
        return sum(faulty.get("dashboard", "/v1/pws", faulty.tokens["district"], region="18.01", period=p)
                   .json()["total"]["indicators"]["visits"]["value"] for p in periods)

    deadline, last, stable_since = time.monotonic() + 240, -1, time.monotonic()
    while time.monotonic() < deadline:
        now = shown()
        if now != last:
            last, stable_since = now, time.monotonic()
        elif now >= expected and time.monotonic() - stable_since > 8:
            break
        time.sleep(1)
    REPORT.accepted_visits = len(load.accepted)
    REPORT.events_lost = max(expected - last, 0)
    REPORT.duplicates_counted = max(last - expected, 0)
    REPORT.inputs["visits under load"] += sum(load.answers.values())
    assert last == expected, f"dashboard shows {last} visits, {expected} were accepted"


def test_every_referral_is_in_a_valid_state(faulty: FaultSystem, load: Load) -> None:
    url = make_url(faulty.system.database_url + "_referral")

    async def rows() -> tuple[list, list]:
        conn = await asyncpg.connect(host=url.host, port=url.port, user=url.username, database=url.database)
        try:
            return (await conn.fetch("SELECT referral_id, status, open_key FROM referrals"),
                    await conn.fetch("SELECT referral_id, status FROM referral_steps"))
        finally:
            await conn.close()

    referrals, steps = asyncio.run(rows())
    by_referral: dict[str, list[str]] = {}
    for step in steps:
        by_referral.setdefault(step["referral_id"], []).append(step["status"])
    for r in referrals:
        path = ["made"] + sorted(by_referral.get(r["referral_id"], []), key=lifecycle.STATES.index)
        valid = r["status"] in lifecycle.STATES and path[-1] == r["status"] and all(
            lifecycle.can_transition(a, b) for a, b in zip(path, path[1:]))
        valid = valid and ((r["open_key"] is None) == (r["status"] in lifecycle.TERMINAL))
        if not valid:
            REPORT.invalid_referrals.append(f"{r['referral_id']}: {path} / {r['status']}")
    assert referrals and REPORT.invalid_referrals == []


# -- privacy ---------------------------------------------------------------------------------------
def test_no_nik_or_name_outside_registration(faulty: FaultSystem, load: Load) -> None:
    system = faulty.system
    secrets = [p.nik.encode() for p in faulty.persons] + [p.name.encode() for p in faulty.persons if len(p.name) > 6]

    def scan(where: str, blob: bytes) -> None:
        REPORT.pii_scanned[where] += 1
        REPORT.pii_hits.extend(f"{where}: {s[:4]!r}…" for s in secrets if s in blob)

    for record in read_topics(system, lambda t: t.startswith(("ilp.", "jejaring.")) and not t.startswith("ilp.intake.")):
        scan("topics and DLQs", (record.key or b"") + (record.value or b"") + b"".join(
            k.encode() + (v or b"") for k, v in record.headers))
    for log in sorted(system.var.glob("*.log")):
        if log.stem in SERVICES:
            scan("service logs", log.read_bytes())

    async def outboxes() -> None:
        for service in SERVICES:
            url = make_url(system.database_url + f"_{service}")
            conn = await asyncpg.connect(host=url.host, port=url.port, user=url.username, database=url.database)
            try:
                for row in await conn.fetch("SELECT topic, key, value, headers FROM outbox"):
                    if service == "registration" and row["topic"].startswith("ilp.intake."):
                        continue  # registration's own intake DLQ keeps the facility's raw message
                    scan("outbox rows", (row["key"] or b"") + row["value"] + row["headers"].encode())
            finally:
                await conn.close()

    asyncio.run(outboxes())
    for service in SERVICES:
        scan("metrics", httpx.get(system.url(service) + "/metrics", timeout=10).content)
    for body in faulty.responses:
        scan("answers of other services", body)
    assert REPORT.pii_hits == []
