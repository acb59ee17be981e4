"""Operational metrics a service computes about itself, for the dashboard and alerts of docs/operations.md.

``install_observability(service, app=...)`` is the one entry point: it registers the gauges below on
the service's registry, refreshes them in a background task of the service, and instruments the
FastAPI app's HTTP traffic. What it measures (docs/operations.md, "Metrics", is the contract):

- ``jejaring_consumer_lag{service,topic,partition}``: messages between the group's committed offset
  and the partition's end, for every partition assigned to this replica;
- ``jejaring_dlq_messages{service,topic}``: messages in each of the service's dead-letter topics
  not yet redriven or discarded (end offset minus what consumer group ``<service>-dlq`` committed,
  or minus the log start where it committed nothing);
- ``jejaring_outbox_oldest_unsent_age_seconds{service}``: how long the oldest unpublished outbox
  row has waited (0 when none waits);
- ``jejaring_ready{service}``: 1 while the service is ready (``/readyz`` would answer 200), else 0;
- ``jejaring_event_latency_seconds{service,topic}`` and
  ``jejaring_last_event_applied_timestamp_seconds{service,topic}``: from when the producer recorded an
  event to when this service applied it (fed by ``Observability.event_applied``);
- ``jejaring_http_requests_total{service,method,route,code}`` and
  ``jejaring_http_request_duration_seconds{service,method,route}``: by route template, never raw path;
- service gauges read by callbacks the service provides (``ServiceGauge``): silent villages per
  district (dashboard), overdue referrals per district (referral), open and overdue outbreak
  signals per district (surveillance).

Labels stay bounded: topics, partitions, routes, districts; never a village, person or facility.
A part that fails (database away, broker away) keeps its last values and counts the failure in
``jejaring_observability_errors_total{service,part}``; the others go on.

Over 300 lines: every computed metric, its collector and the HTTP instrumentation, so the
contract in docs/operations.md maps to one module.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import Table, select

from shared.contracts.topics import dlq_topic
from shared.time import utc

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)
HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED_ROUTE = "unmatched"


def dlq_group(service: str) -> str:
    """The consumer group that records what of a service's DLQs was redriven or discarded."""
    return f"{service}-dlq"


# -- service-provided gauges -------------------------------------------------------------------

Reading = Mapping[tuple[str, ...], float]


@dataclass(frozen=True)
class ServiceGauge:
    """A gauge whose values a service reads from its own database: label values -> value."""

    name: str
    documentation: str
    labels: tuple[str, ...]
    read: Callable[[], Awaitable[Reading]]


def reading(db: Any, query: Callable[..., Awaitable[Reading]], *args: Callable[[], Any]) -> Callable[[], Awaitable[Reading]]:
    """A gauge's ``read``: ``query(session, *(arg() for arg in args))`` on a read session of ``db``
    (each ``arg`` is called at every refresh, e.g. a clock)."""

    async def read() -> Reading:
        async with db.read_session() as session:
            return await query(session, *(arg() for arg in args))

    return read


def silent_villages(read: Callable[[], Awaitable[Reading]]) -> ServiceGauge:
    """Dashboard: ``{(district,): villages silent for longer than their schedule}``."""
    return ServiceGauge("jejaring_villages_silent", "Villages with no visit for longer than their schedule",
                        ("district",), read)


def scheduled_villages(read: Callable[[], Awaitable[Reading]]) -> ServiceGauge:
    """Dashboard: ``{(district,): villages that have a schedule (a Posyandu expected to report)}``."""
    return ServiceGauge("jejaring_villages_scheduled", "Villages expected to report on a schedule",
                        ("district",), read)


def overdue_referrals(read: Callable[[], Awaitable[Reading]]) -> ServiceGauge:
    """Referral: ``{(district,): referrals past their due time, not completed or cancelled}``."""
    return ServiceGauge("jejaring_referrals_overdue", "Referrals past their due time and still open",
                        ("district",), read)


def open_signals(read: Callable[[], Awaitable[Reading]]) -> ServiceGauge:
    """Surveillance: ``{(district, status): outbreak signals signalled, escalated or verified}``."""
    return ServiceGauge("jejaring_outbreak_signals_open", "Outbreak signals not closed, by status",
                        ("district", "status"), read)


def overdue_signals(read: Callable[[], Awaitable[Reading]]) -> ServiceGauge:
    """Surveillance: ``{(district,): open outbreak signals past their response deadline}``."""
    return ServiceGauge("jejaring_outbreak_signals_overdue", "Open outbreak signals past their response deadline",
                        ("district",), read)


# -- Kafka offsets -----------------------------------------------------------------------------


class OffsetSource(Protocol):
    """What lag needs of a consumer (``aiokafka.AIOKafkaConsumer`` has it)."""

    def assignment(self) -> set[Any]: ...
    async def end_offsets(self, partitions: list[Any]) -> dict[Any, int]: ...
    async def beginning_offsets(self, partitions: list[Any]) -> dict[Any, int]: ...
    async def committed(self, partition: Any) -> int | None: ...


async def partition_lag(source: OffsetSource, partitions: Iterable[Any] | None = None) -> dict[tuple[str, int], int]:
    """``{(topic, partition): end offset - committed offset}``; never negative.

    A partition where the group has committed nothing lags by everything since the log start
    (the services read from the earliest offset).
    """
    tps = sorted(source.assignment() if partitions is None else partitions, key=lambda tp: (tp.topic, tp.partition))
    if not tps:
        return {}
    ends = await source.end_offsets(tps)
    committed = {tp: await source.committed(tp) for tp in tps}
    unset = [tp for tp, offset in committed.items() if offset is None]
    starts = await source.beginning_offsets(unset) if unset else {}
    return {
        (tp.topic, tp.partition): max(0, ends[tp] - (committed[tp] if committed[tp] is not None else starts[tp]))
        for tp in tps
    }


class DeadLetterOffsets:
    """Reads the depth of a service's DLQs with a consumer of group ``<service>-dlq`` that never fetches.

    Its partitions are assigned by hand and paused: it joins no group, reads no message, and
    commits nothing itself; ``jejaring dlq`` commits there what it redrove or discarded.
    """

    def __init__(self, kafka_settings: Any, service: str) -> None:
        self.kafka_settings = kafka_settings
        self.service = service
        self._consumer: Any = None
        self._topics: tuple[str, ...] = ()

    async def _source(self, topics: Sequence[str]) -> OffsetSource:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        if self._consumer is None:
            consumer = AIOKafkaConsumer(
                group_id=dlq_group(self.service), enable_auto_commit=False, client_id=f"jejaring-{self.service}-dlq-depth",
                **self.kafka_settings.client_options(),
            )
            try:
                await consumer.start()
            except BaseException:  # broker away: try again at the next refresh
                with contextlib.suppress(Exception):
                    await consumer.stop()
                raise
            self._consumer = consumer
        if tuple(topics) != self._topics:
            partitions = []
            for topic in topics:
                known = self._consumer.partitions_for_topic(topic) or {0}  # DLQs have one partition
                partitions += [TopicPartition(topic, p) for p in sorted(known)]
            self._consumer.assign(partitions)
            self._consumer.pause(*partitions)
            self._topics = tuple(topics)
        return self._consumer

    async def depth(self, topics: Sequence[str]) -> dict[str, int]:
        """``{dlq topic: messages not yet redriven or discarded}``."""
        if not topics:
            return {}
        source = await self._source(topics)
        depth: dict[str, int] = {}
        for (topic, _), lag in (await partition_lag(source)).items():
            depth[topic] = depth.get(topic, 0) + lag
        return depth

    async def close(self) -> None:
        if self._consumer is not None:
            consumer, self._consumer, self._topics = self._consumer, None, ()
            await consumer.stop()


# -- the collectors ----------------------------------------------------------------------------


def _epoch(moment: datetime | float | int) -> float:
    """Seconds since the epoch of a datetime, or of a Kafka timestamp in milliseconds."""
    if isinstance(moment, datetime):
        return utc(moment).timestamp()
    return float(moment) / 1000.0


class LabelledGauge:
    """A gauge whose label sets are replaced as a whole at every refresh (gone labels are removed)."""

    def __init__(self, name: str, documentation: str, labels: Sequence[str], registry: CollectorRegistry) -> None:
        self.gauge = Gauge(name, documentation, list(labels), registry=registry)
        self._seen: set[tuple[str, ...]] = set()

    def replace(self, values: Mapping[tuple[str, ...], float]) -> None:
        for labels in self._seen - set(values):
            with contextlib.suppress(KeyError):
                self.gauge.remove(*labels)
        for labels, value in values.items():
            self.gauge.labels(*labels).set(value)
        self._seen = set(values)


class Observability:
    """The metrics of one service that are computed rather than counted, refreshed every ``interval``."""

    def __init__(
        self,
        *,
        service: str,
        registry: CollectorRegistry,
        db: Any = None,
        outbox_table: Table | None = None,
        consumers: Callable[[], Sequence[OffsetSource]] = list,
        dlq_topics: Callable[[], Sequence[str]] = list,
        dlq_offsets: DeadLetterOffsets | Any = None,
        readiness: Callable[[], Awaitable[Mapping[str, str]]] | None = None,
        gauges: Sequence[ServiceGauge] = (),
        interval: float = 15.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.service = service
        self.registry = registry
        self.db = db
        self.outbox_table = outbox_table
        self.consumers = consumers
        self.dlq_topics = dlq_topics
        self.dlq_offsets = dlq_offsets
        self.readiness = readiness
        self.service_gauges = list(gauges)
        self.interval = interval
        self.clock = clock
        r, s = registry, ("service",)
        self.lag = LabelledGauge("jejaring_consumer_lag", "Messages the consumer group has yet to commit, per assigned partition",
                                 (*s, "topic", "partition"), r)
        self.dlq = LabelledGauge("jejaring_dlq_messages", "Messages in a dead-letter topic not yet redriven or discarded",
                                 (*s, "topic"), r)
        self.outbox_age = Gauge("jejaring_outbox_oldest_unsent_age_seconds",
                                "Age of the oldest outbox row not yet published (0: none waits)", s, registry=r)
        self.ready = Gauge("jejaring_ready", "1 while the service is ready (broker and database reachable)", s, registry=r)
        self.latency = Histogram("jejaring_event_latency_seconds",
                                 "From when the producer recorded an event to when this service applied it",
                                 (*s, "topic"), registry=r, buckets=LATENCY_BUCKETS)
        self.last_applied = Gauge("jejaring_last_event_applied_timestamp_seconds",
                                  "Unix time this replica last applied an event of the topic", (*s, "topic"), registry=r)
        self.errors = Counter("jejaring_observability_errors_total", "Refreshes of an operational metric that failed",
                              (*s, "part"), registry=r)
        self.http_requests = Counter("jejaring_http_requests_total", "HTTP requests answered, by route template and status",
                                     (*s, "method", "route", "code"), registry=r)
        self.http_duration = Histogram("jejaring_http_request_duration_seconds", "HTTP request duration by route template",
                                       (*s, "method", "route"), registry=r, buckets=HTTP_BUCKETS)
        self._custom = {g.name: LabelledGauge(g.name, g.documentation, g.labels, r) for g in self.service_gauges}
        self._applied_seen: dict[str, float] = {}

    # -- fed by the service --------------------------------------------------------------------
    def event_applied(self, topic: str, recorded_at: datetime | float | int | None, *, now: float | None = None) -> None:
        """One event of ``topic`` committed; ``recorded_at``: when its producer recorded it.

        Give the Kafka record's timestamp (milliseconds; the producer stamps it with the outbox
        row's ``created_at``) or a datetime. For the dashboard on ``ilp.visit.recorded.v1`` this is
        the latency from intake to dashboard.
        """
        now = self.clock() if now is None else now
        self.last_applied.labels(self.service, topic).set(now)
        if recorded_at is not None:
            self.latency.labels(self.service, topic).observe(max(0.0, now - _epoch(recorded_at)))

    # -- refreshed -----------------------------------------------------------------------------
    async def refresh(self) -> None:
        """Recompute every gauge once; a failing part is counted and leaves its last values."""
        parts: list[tuple[str, Callable[[], Awaitable[None]]]] = [
            ("lag", self._refresh_lag), ("dlq", self._refresh_dlq), ("outbox", self._refresh_outbox),
            ("ready", self._refresh_ready), ("applied", self._refresh_applied),
            *((g.name, self._gauge_refresher(g)) for g in self.service_gauges),
        ]
        for part, refresh in parts:
            try:
                await asyncio.wait_for(refresh(), timeout=max(self.interval, 5.0))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.errors.labels(self.service, part).inc()
                log.warning("observability refresh failed", extra={"part": part, "error": repr(exc)})

    async def run(self) -> None:
        """Refresh forever (a task of the service); release the DLQ client when cancelled."""
        try:
            while True:
                await self.refresh()
                await asyncio.sleep(self.interval)
        finally:
            if self.dlq_offsets is not None:
                with contextlib.suppress(Exception):
                    await self.dlq_offsets.close()

    async def _refresh_lag(self) -> None:
        values: dict[tuple[str, ...], float] = {}
        for consumer in self.consumers():
            for (topic, partition), lag in (await partition_lag(consumer)).items():
                values[(self.service, topic, str(partition))] = lag
        self.lag.replace(values)

    async def _refresh_dlq(self) -> None:
        topics = list(self.dlq_topics())
        if self.dlq_offsets is None or not topics:
            return
        depth = await self.dlq_offsets.depth(topics)
        self.dlq.replace({(self.service, topic): depth.get(topic, 0) for topic in topics})

    async def _refresh_outbox(self) -> None:
        if self.db is None or self.outbox_table is None:
            return
        t = self.outbox_table
        query = select(t.c.created_at).where(t.c.sent_at.is_(None)).order_by(t.c.id).limit(1)
        async with self.db.read_session() as session:
            oldest = await session.scalar(query)
        age = 0.0 if oldest is None else max(0.0, self.clock() - utc(oldest).timestamp())
        self.outbox_age.labels(self.service).set(age)

    async def _refresh_ready(self) -> None:
        if self.readiness is None:
            return
        try:
            problems = await self.readiness()
        except Exception:
            problems = {"readiness": "failed"}
        self.ready.labels(self.service).set(0 if problems else 1)

    async def _refresh_applied(self) -> None:
        """Where ``event_applied`` is not wired, the applied counter moving stands in for it."""
        for metric in self.registry.collect():
            if metric.name != "jejaring_events_applied":
                continue
            for sample in metric.samples:
                if not sample.name.endswith("_total") or sample.labels.get("service") != self.service:
                    continue
                topic = sample.labels["topic"]
                if sample.value > self._applied_seen.get(topic, 0.0):  # applied since the last refresh
                    self.last_applied.labels(self.service, topic).set(self.clock())
                    self._applied_seen[topic] = sample.value

    def _gauge_refresher(self, gauge: ServiceGauge) -> Callable[[], Awaitable[None]]:
        async def refresh() -> None:
            values = await gauge.read()
            self._custom[gauge.name].replace({tuple(map(str, k)): float(v) for k, v in values.items()})

        return refresh

    # -- HTTP ----------------------------------------------------------------------------------
    def instrument(self, app: Any) -> None:
        """Count and time every HTTP request of a FastAPI/Starlette ``app`` (call before it starts)."""
        app.add_middleware(HttpMetricsMiddleware, observability=self)


def route_of(scope: Mapping[str, Any]) -> str:
    """The matched route's template (``/v1/referrals/{referral_id}/events``), never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None) or getattr(route, "path_format", None)
    return path if isinstance(path, str) and path else UNMATCHED_ROUTE


class HttpMetricsMiddleware:
    """Pure ASGI middleware feeding ``jejaring_http_requests_total`` and the duration histogram."""

    def __init__(self, app: Any, observability: Observability) -> None:
        self.app = app
        self.obs = observability

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # an exception before the response started is answered 500 by Starlette

        async def send_and_note(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            method = scope.get("method", "GET")
            method = method if method in HTTP_METHODS else "other"
            route = route_of(scope)
            self.obs.http_requests.labels(self.obs.service, method, route, str(status)).inc()
            self.obs.http_duration.labels(self.obs.service, method, route).observe(time.perf_counter() - start)


# -- the entry point ---------------------------------------------------------------------------


def install_observability(
    service: Any, app: Any = None, *, gauges: Sequence[ServiceGauge] = (), interval: float = 15.0,
    dlq_depth: bool = True,
) -> Observability:
    """Register the operational metrics on ``service.metrics.registry``, refreshed by a service task.

    ``service`` is a ``shared.service.Service`` (call this before ``service.start()``); ``app``, if
    given, is its FastAPI app from ``http_app`` (call before the app serves). ``gauges`` are the
    service's own (``silent_villages``, ``overdue_referrals``, ``open_signals``, ...). The
    consumers and dead-letter topics are looked up at every refresh, so ``service.consume`` may be
    called before or after. Wire ``Observability.event_applied`` where a consumed batch commits.
    """
    consumers = getattr(service, "_consumers", None) or getattr(service, "consumers", list)
    observability = Observability(
        service=service.name,
        registry=service.metrics.registry,
        db=service.db,
        outbox_table=service.outbox.table,
        consumers=consumers,
        dlq_topics=lambda: sorted({dlq_topic(p.topic, service.name) for p in service.processors}),
        dlq_offsets=DeadLetterOffsets(service.settings.kafka, service.name) if dlq_depth else None,
        readiness=service.readiness,
        gauges=gauges,
        interval=interval,
    )
    service.add_task(observability.run)
    if app is not None:
        observability.instrument(app)
    return observability
