"""Operational metrics: lag, DLQ depth, outbox age, readiness, latency, service gauges, HTTP, wiring."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from prometheus_client import generate_latest
from sqlalchemy import insert, update

from shared.metrics import Metrics
from shared.observability import (
    UNMATCHED_ROUTE,
    DeadLetterOffsets,
    Observability,
    dlq_group,
    install_observability,
    open_signals,
    overdue_referrals,
    partition_lag,
    silent_villages,
)

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)


@dataclass(frozen=True, order=True)
class TP:
    topic: str
    partition: int


@dataclass
class FakeConsumer:
    """Offsets as aiokafka's consumer reports them: end offsets, committed offsets, log starts."""

    ends: dict[TP, int]
    committed_offsets: dict[TP, int | None]
    starts: dict[TP, int] = field(default_factory=dict)
    assigned: set[TP] | None = None

    def assignment(self) -> set[TP]:
        return set(self.ends) if self.assigned is None else self.assigned

    async def end_offsets(self, partitions):
        return {tp: self.ends[tp] for tp in partitions}

    async def beginning_offsets(self, partitions):
        return {tp: self.starts.get(tp, 0) for tp in partitions}

    async def committed(self, tp):
        return self.committed_offsets.get(tp)


class FakeDeadLetters:
    def __init__(self, depth: dict[str, int]) -> None:
        self.depth_by_topic = depth
        self.asked: list[list[str]] = []
        self.closed = False

    async def depth(self, topics):
        self.asked.append(list(topics))
        return {t: self.depth_by_topic.get(t, 0) for t in topics}

    async def close(self) -> None:
        self.closed = True


def value(metrics: Metrics, name: str, **labels: str) -> float | None:
    return metrics.registry.get_sample_value(name, labels)


def observability(metrics: Metrics, **kwargs) -> Observability:
    kwargs.setdefault("clock", NOW.timestamp)
    return Observability(service="screening", registry=metrics.registry, **kwargs)


# -- consumer lag --------------------------------------------------------------------------------


async def test_lag_is_end_minus_committed_and_from_the_log_start_where_nothing_was_committed() -> None:
    a0, a1 = TP("ilp.visit.recorded.v1", 0), TP("ilp.visit.recorded.v1", 1)
    consumer = FakeConsumer(ends={a0: 10, a1: 5}, committed_offsets={a0: 7, a1: None}, starts={a1: 2})
    assert await partition_lag(consumer) == {("ilp.visit.recorded.v1", 0): 3, ("ilp.visit.recorded.v1", 1): 3}
    consumer.committed_offsets[a0] = 12  # committed past an end offset read a moment earlier
    assert (await partition_lag(consumer))[("ilp.visit.recorded.v1", 0)] == 0
    assert await partition_lag(FakeConsumer(ends={}, committed_offsets={})) == {}


async def test_lag_gauge_follows_the_assignment(metrics: Metrics) -> None:
    a0, a1 = TP("ilp.person.linked.v1", 0), TP("ilp.person.linked.v1", 1)
    consumer = FakeConsumer(ends={a0: 100, a1: 40}, committed_offsets={a0: 90, a1: 40})
    obs = observability(metrics, consumers=lambda: [consumer])
    await obs.refresh()
    lag = lambda p: value(metrics, "jejaring_consumer_lag", service="screening",  # noqa: E731
                          topic="ilp.person.linked.v1", partition=p)
    assert (lag("0"), lag("1")) == (10, 0)
    consumer.assigned = {a1}  # partition 0 moved to another replica in a rebalance
    await obs.refresh()
    assert (lag("0"), lag("1")) == (None, 0), "a revoked partition is no longer reported by this replica"


# -- dead letters --------------------------------------------------------------------------------


async def test_dlq_depth_per_dead_letter_topic(metrics: Metrics) -> None:
    topics = ["ilp.person.linked.v1.screening.dlq", "ilp.visit.recorded.v1.screening.dlq"]
    dead = FakeDeadLetters({"ilp.visit.recorded.v1.screening.dlq": 3})
    obs = observability(metrics, dlq_topics=lambda: topics, dlq_offsets=dead)
    await obs.refresh()
    assert value(metrics, "jejaring_dlq_messages", service="screening", topic=topics[1]) == 3
    assert value(metrics, "jejaring_dlq_messages", service="screening", topic=topics[0]) == 0, "zero, not absent"
    dead.depth_by_topic = {}
    await obs.refresh()
    assert value(metrics, "jejaring_dlq_messages", service="screening", topic=topics[1]) == 0


async def test_dead_letter_depth_is_lag_of_the_redrive_group() -> None:
    dlq = TP("ilp.visit.recorded.v1.screening.dlq", 0)
    reader = DeadLetterOffsets(kafka_settings=None, service="screening")
    source = FakeConsumer(ends={dlq: 9}, committed_offsets={dlq: None}, starts={dlq: 4})

    async def fake_source(topics):
        return source

    reader._source = fake_source  # no broker in unit tests: the offsets are what matters
    assert await reader.depth([dlq.topic]) == {dlq.topic: 5}, "never redriven: all since the log start"
    source.committed_offsets[dlq] = 8
    assert await reader.depth([dlq.topic]) == {dlq.topic: 1}
    assert await reader.depth([]) == {}
    assert dlq_group("screening") == "screening-dlq"


# -- outbox ----------------------------------------------------------------------------------------


async def test_outbox_age_is_the_oldest_unsent_rows_and_zero_when_all_sent(store, metrics: Metrics) -> None:
    t = store.outbox_table
    async with store.db.session() as session, session.begin():
        for n, minutes in enumerate((30, 12, 1)):
            await session.execute(insert(t).values(
                event_id=f"e{n}", topic="ilp.risk.detected.v1", key=b"k", value=b"v", headers="",
                created_at=NOW - timedelta(minutes=minutes), sent_at=NOW if n == 0 else None,
            ))
    obs = observability(metrics, db=store.db, outbox_table=t)
    await obs.refresh()
    assert value(metrics, "jejaring_outbox_oldest_unsent_age_seconds", service="screening") == 12 * 60
    async with store.db.session() as session, session.begin():
        await session.execute(update(t).values(sent_at=NOW))
    await obs.refresh()
    assert value(metrics, "jejaring_outbox_oldest_unsent_age_seconds", service="screening") == 0


async def test_a_failing_part_is_counted_and_the_others_still_refresh(store, metrics: Metrics) -> None:
    async def broken_readiness():
        raise RuntimeError("no")

    class Broken:
        def assignment(self):
            raise ConnectionError("broker away")

    obs = observability(metrics, db=store.db, outbox_table=store.outbox_table, consumers=lambda: [Broken()],
                        readiness=broken_readiness)
    await obs.refresh()
    assert value(metrics, "jejaring_observability_errors_total", service="screening", part="lag") == 1
    assert value(metrics, "jejaring_outbox_oldest_unsent_age_seconds", service="screening") == 0
    assert value(metrics, "jejaring_ready", service="screening") == 0, "a readiness check that fails is not ready"


# -- readiness, latency, last applied -------------------------------------------------------------


async def test_ready_follows_the_readiness_check(metrics: Metrics) -> None:
    problems: dict[str, str] = {"database": "refused"}

    async def readiness():
        return problems

    obs = observability(metrics, readiness=readiness)
    await obs.refresh()
    assert value(metrics, "jejaring_ready", service="screening") == 0
    problems.clear()
    await obs.refresh()
    assert value(metrics, "jejaring_ready", service="screening") == 1


def test_event_latency_from_the_record_timestamp_or_a_datetime(metrics: Metrics) -> None:
    obs = observability(metrics)
    topic = "ilp.visit.recorded.v1"
    recorded_ms = (NOW - timedelta(seconds=2)).timestamp() * 1000
    obs.event_applied(topic, recorded_ms)
    obs.event_applied(topic, NOW - timedelta(seconds=40))
    obs.event_applied(topic, (NOW + timedelta(seconds=1)).replace(tzinfo=None))  # naive = UTC; clock skew -> 0
    labels = {"service": "screening", "topic": topic}
    assert metrics.registry.get_sample_value("jejaring_event_latency_seconds_count", labels) == 3
    assert metrics.registry.get_sample_value("jejaring_event_latency_seconds_sum", labels) == pytest.approx(42)
    assert metrics.registry.get_sample_value("jejaring_event_latency_seconds_bucket", {**labels, "le": "2.5"}) == 2
    assert value(metrics, "jejaring_last_event_applied_timestamp_seconds", **labels) == NOW.timestamp()


async def test_last_applied_follows_the_applied_counter_where_event_applied_is_not_wired(metrics: Metrics) -> None:
    clock = [NOW.timestamp()]
    obs = observability(metrics, clock=lambda: clock[0])
    labels = {"service": "screening", "topic": "ilp.visit.recorded.v1"}
    await obs.refresh()
    assert value(metrics, "jejaring_last_event_applied_timestamp_seconds", **labels) is None
    metrics.consumed.labels("screening", "ilp.visit.recorded.v1").inc(5)
    await obs.refresh()
    assert value(metrics, "jejaring_last_event_applied_timestamp_seconds", **labels) == clock[0]
    clock[0] += 60
    await obs.refresh()  # nothing new applied: the time stays
    assert value(metrics, "jejaring_last_event_applied_timestamp_seconds", **labels) == NOW.timestamp()


# -- service gauges --------------------------------------------------------------------------------


async def test_service_gauges_replace_their_label_sets(metrics: Metrics) -> None:
    silent = {("18.01",): 4, ("18.02",): 0}
    signals = {("18.01", "signalled"): 2, ("18.01", "escalated"): 1}

    async def read_silent():
        return silent

    async def read_signals():
        return signals

    async def read_referrals():
        raise ConnectionError("database away")

    obs = observability(metrics, gauges=[silent_villages(read_silent), open_signals(read_signals),
                                         overdue_referrals(read_referrals)])
    await obs.refresh()
    assert value(metrics, "jejaring_villages_silent", district="18.01") == 4
    assert value(metrics, "jejaring_villages_silent", district="18.02") == 0
    assert value(metrics, "jejaring_outbreak_signals_open", district="18.01", status="escalated") == 1
    assert value(metrics, "jejaring_observability_errors_total", service="screening",
                 part="jejaring_referrals_overdue") == 1
    silent = {("18.02",): 1}
    await obs.refresh()
    assert value(metrics, "jejaring_villages_silent", district="18.01") is None
    assert value(metrics, "jejaring_villages_silent", district="18.02") == 1


# -- HTTP --------------------------------------------------------------------------------------------


async def test_http_requests_are_counted_by_route_template_and_status(metrics: Metrics) -> None:
    app = FastAPI()

    @app.get("/v1/referrals/{referral_id}")
    async def get_referral(referral_id: str) -> dict[str, str]:
        if referral_id == "missing":
            raise HTTPException(404)
        if referral_id == "boom":
            raise RuntimeError("bug")
        return {"id": referral_id}

    obs = observability(metrics)
    obs.instrument(app)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for path in ("/v1/referrals/a", "/v1/referrals/b", "/v1/referrals/missing", "/v1/referrals/boom", "/nope"):
            await client.get(path)
        await client.request("BREW", "/v1/referrals/a")

    def count(route: str, code: str, method: str = "GET") -> float | None:
        return value(metrics, "jejaring_http_requests_total", service="screening", method=method, route=route, code=code)

    route = "/v1/referrals/{referral_id}"
    assert (count(route, "200"), count(route, "404"), count(route, "500")) == (2, 1, 1)
    assert count(UNMATCHED_ROUTE, "404") == 1, "an unknown path is one label, whatever it is"
    assert count(route, "405", method="other") == 1
    text = generate_latest(metrics.registry).decode()
    assert "/v1/referrals/a" not in text, "no raw path, so no identifier, in a label"
    assert metrics.registry.get_sample_value(
        "jejaring_http_request_duration_seconds_count", {"service": "screening", "method": "GET", "route": route}
    ) == 4


# -- wiring --------------------------------------------------------------------------------------------


async def test_install_registers_on_the_service_and_runs_as_its_task(store, metrics: Metrics) -> None:
    tasks = []

    async def readiness():
        return {}

    service = SimpleNamespace(
        name="referral", metrics=metrics, db=store.db, outbox=store.outbox, readiness=readiness,
        processors=[SimpleNamespace(topic="ilp.risk.detected.v1"), SimpleNamespace(topic="ilp.person.linked.v1")],
        settings=SimpleNamespace(kafka=None), _consumers=lambda: [], add_task=tasks.append,
    )
    app = FastAPI()
    obs = install_observability(service, app, dlq_depth=False, interval=0.01)
    assert tasks == [obs.run]
    assert obs.dlq_topics() == ["ilp.person.linked.v1.referral.dlq", "ilp.risk.detected.v1.referral.dlq"]
    obs.dlq_offsets = FakeDeadLetters({"ilp.risk.detected.v1.referral.dlq": 2})
    dead = obs.dlq_offsets
    task = asyncio.create_task(obs.run())
    for _ in range(200):
        if value(metrics, "jejaring_ready", service="referral") == 1 and dead.asked:
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert value(metrics, "jejaring_dlq_messages", service="referral", topic="ilp.risk.detected.v1.referral.dlq") == 2
    assert dead.closed, "the DLQ client is released when the service stops"
    assert any(m.cls.__name__ == "HttpMetricsMiddleware" for m in app.user_middleware)
