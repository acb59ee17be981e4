"""The service runtime every Jejaring service is built on.

``Service`` wires one database, the outbox relay, the idempotent batch consumers (FastStream
subscribers), the broker-loss watchdog and the metrics; ``shared.web.http_app`` wraps it in FastAPI
with ``/healthz``, ``/readyz`` and ``/metrics``. A service's ``app.py`` declares its tables,
consumers and routes and calls these two.

Over 300 lines because the runtime's parts (consumers, relay, watchdog, readiness) share one
lifecycle (``start``/``stop``); each part's logic lives in ``shared/messaging``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from pydantic import BaseModel
from sqlalchemy import MetaData
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_delay,
    wait_exponential,
)

from shared.contracts.events import EventData
from shared.contracts.topics import BY_NAME, dlq_topic
from shared.db import Database, ensure_postgres_database
from shared.envelope import KafkaRecord
from shared.errors import safe_reason
from shared.faststream_plumbing import asyncapi_document, faststream_security
from shared.messaging.consumer import (
    BatchHandler,
    BatchProcessor,
    Decoder,
    Handler,
    cloudevent_decoder,
)
from shared.messaging.inbox import Inbox
from shared.messaging.kafka import (
    BrokerEpoch,
    Producer,
    ResetWatchdog,
    ensure_topics,
    retention_problems,
    topic_retentions,
)
from shared.messaging.outbox import Outbox
from shared.messaging.poll import process_poll
from shared.metrics import Metrics
from shared.settings import ServiceSettings
from shared.unit import Unit

log = logging.getLogger(__name__)


async def _records_stay_raw(message: Any) -> tuple:
    """FastStream's decoder for the batch subscriber: the handler's body is the raw records.

    ``on_batch`` decodes each CloudEvent itself; FastStream's default decoder would
    ``json.loads`` every value once more only to throw the result away. Taking the records as the
    body (not through a ``KafkaMessage`` annotation) also spares FastDepends resolving that
    annotation in a worker thread for every batch.
    """
    raw = message.raw_message
    return tuple(raw) if isinstance(raw, (tuple, list)) else (raw,)


class Service:
    """One running service: database, outbox relay, consumers, watchdog, metrics."""

    def __init__(
        self,
        settings: ServiceSettings,
        *,
        metadata: MetaData,
        migrations: Path,
        produces: Sequence[type[EventData]] = (),
        version: str = "1.0.0",
    ) -> None:
        self.settings = settings
        self.name = settings.service
        self.version = version
        self.metadata = metadata
        self.migrations = migrations
        self.produces = list(produces)
        outbox_table, inbox_table = metadata.tables["outbox"], metadata.tables["processed_events"]
        self.db = Database(settings.resolved_database_url(), sqlite_synchronous=settings.sqlite_synchronous,
                           sqlite_inline=settings.sqlite_inline)
        self.metrics = Metrics()
        self.outbox = Outbox(self.db, outbox_table)
        self.inbox = Inbox(inbox_table)
        self.producer = Producer(settings.kafka, on_reset=self._on_log_lost)
        self.broker = KafkaBroker(
            settings.kafka.bootstrap_servers,
            security=faststream_security(settings.kafka),
            client_id=f"jejaring-{self.name}",
            middlewares=[KafkaPrometheusMiddleware(registry=self.metrics.registry, app_name=self.name)],
            logger=logging.getLogger(f"faststream.{self.name}"),
            log_level=logging.DEBUG,
        )
        self.processors: list[BatchProcessor] = []
        self.context: Any = None  # the service's own use-case objects, for its adapters
        self.gauges: list[Any] = []  # the service's own operational gauges (shared.observability)
        self._tasks: list[asyncio.Task] = []
        self._extra_tasks: list[Callable[[], Awaitable[None]]] = []
        self._replay_pending = False
        self._subscribed = False
        self.started = False
        for event_type in self.produces:
            self.broker.publisher(
                event_type.topic,
                title=f"{self.name}:{event_type.topic}",
                description=(event_type.__doc__ or "").strip(),
                schema=event_type,
            )

    # -- consumers ------------------------------------------------------------------------
    def consume(
        self, topic: str, handler: Handler | None = None, *, batch_handler: BatchHandler | None = None,
        decoder: Decoder = cloudevent_decoder, schema: type[BaseModel] | None = None,
    ) -> BatchProcessor:
        """Subscribe to ``topic`` as an idempotent, dead-lettering batch consumer.

        ``handler`` applies one message; ``batch_handler`` applies a whole batch with set-based SQL
        (and, given a one-message batch, serves as the per-message fallback). Give one or both.
        """
        if handler is None and batch_handler is None:
            raise ValueError("consume() needs a handler or a batch_handler")
        processor = BatchProcessor(
            service=self.name,
            topic=topic,
            handler=handler,
            batch_handler=batch_handler,
            db=self.db,
            inbox=self.inbox,
            outbox=self.outbox,
            metrics=self.metrics,
            decoder=decoder,
            max_attempts=self.settings.handler_max_attempts,
            retry_base_seconds=self.settings.retry_base_seconds,
            retry_max_seconds=self.settings.retry_max_seconds,
        )
        processor.schema = schema
        self.processors.append(processor)
        return processor

    def subscribe(self) -> None:
        """One consumer (one group member) for all of this service's topics, registered once.

        A member per topic would make the group rebalance once per topic at every start.
        """
        if self._subscribed or not self.processors:
            return
        self._subscribed = True
        by_topic = {p.topic: p for p in self.processors}
        subscriber = self.broker.subscriber(
            *by_topic,
            group_id=self.name,
            batch=True,
            max_records=self.settings.consumer_max_records,
            batch_timeout_ms=self.settings.consumer_batch_timeout_ms,
            fetch_max_wait_ms=self.settings.consumer_fetch_max_wait_ms,
            session_timeout_ms=self.settings.consumer_session_timeout_ms,
            heartbeat_interval_ms=self.settings.consumer_heartbeat_interval_ms,
            auto_offset_reset="earliest",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            decoder=_records_stay_raw,
            title=f"{self.name}:consumer",
        )

        async def on_batch(raw: Any) -> None:
            grouped: dict[str, list[KafkaRecord]] = {}
            for r in raw:
                grouped.setdefault(r.topic, []).append(
                    KafkaRecord(topic=r.topic, key=r.key, value=r.value or b"", headers=tuple(r.headers or ()),
                                partition=r.partition, offset=r.offset, timestamp=r.timestamp)
                )
            await process_poll(self.db, self.outbox, [(by_topic[topic], records) for topic, records in grouped.items()])

        subscriber(on_batch)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Unit]:
        """One unit of work outside a consumer (HTTP, CLI): state change and outbox rows commit together."""
        async with self.db.session() as session, session.begin():
            unit = Unit(session=session, message=None, source=f"/jejaring/{self.name}")
            yield unit
            await self.outbox.add(session, unit.emitted)
        for callback in unit.after_commit:
            callback()
        if unit.emitted:
            self.outbox.wake()

    def add_task(self, factory: Callable[[], Awaitable[None]]) -> None:
        """Run ``factory()`` as a background task while the service runs."""
        self._extra_tasks.append(factory)

    def consumers(self) -> list[AIOKafkaConsumer]:
        """The Kafka consumers of this service's subscription (none before it started)."""
        return [s.consumer for s in self.broker.subscribers if getattr(s, "consumer", None) is not None]

    # -- topics ---------------------------------------------------------------------------
    def topics(self) -> list[tuple[str, int, dict[str, str]]]:
        """Every topic this service reads or writes, with partitions and configs."""
        default = self.settings.kafka.default_partitions
        names = {p.topic for p in self.processors} | {e.topic for e in self.produces}
        names |= {dlq_topic(p.topic, self.name) for p in self.processors}
        result = []
        for name in sorted(names):
            spec = BY_NAME.get(name)
            partitions = spec.partitions if spec and spec.partitions != 6 else default
            result.append((name, partitions if spec else 1, dict(spec.config) if spec else {}))
        return result

    # -- lifecycle ------------------------------------------------------------------------
    async def migrate(self) -> None:
        """Create the database if missing (PostgreSQL) and apply the service's migrations."""
        if not self.db.is_sqlite:
            await ensure_postgres_database(self.db.url)
        await self.db.migrate(self.migrations, version_table=f"alembic_version_{self.name}")

    async def publish_outbox(self, timeout: float = 10.0, on_published: Callable[[int], None] | None = None) -> int:
        """Publish every unsent outbox row now, from this process (admin commands); rows that
        cannot be published within ``timeout`` stay for the running service's relay.
        ``on_published(n)`` is told of each batch (a command's progress)."""
        published = 0

        async def drain() -> None:
            nonlocal published
            await self.producer.start()
            while (count := await self.outbox.relay_once(self.producer.publish, self.settings.outbox_batch_size)):
                published += count
                if on_published is not None:
                    on_published(count)

        try:
            await asyncio.wait_for(drain(), timeout)
        except Exception as exc:  # noqa: BLE001 - the service's relay publishes them later
            log.warning("outbox not published now; the service will", extra={"error": safe_reason(exc)})
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.producer.stop(), 5)
        return published

    async def start(self) -> None:
        """Migrate, create topics, connect, and start relaying and consuming."""
        await self.migrate()
        async for attempt in AsyncRetrying(
            wait=wait_exponential(multiplier=0.2, max=5), stop=stop_after_delay(120), reraise=True,
            retry=retry_if_exception_type(Exception),
        ):
            with attempt:
                await ensure_topics(self.settings.kafka, self.topics())
                await self.producer.start()
        await self.check_inbox_retention()
        self.subscribe()
        await self.broker.start()
        self._tasks = [
            asyncio.create_task(self.outbox.run_relay(self._publish, limit=self.settings.outbox_batch_size,
                                                      poll_seconds=self.settings.outbox_poll_seconds)),
            asyncio.create_task(self._maintenance()),
            asyncio.create_task(ResetWatchdog(self.consumers, self._on_consumer_reset).run()),
            asyncio.create_task(BrokerEpoch(self.settings.kafka, self._on_new_epoch).run(self.producer)),
            *(asyncio.create_task(factory()) for factory in self._extra_tasks),
        ]
        self.started = True
        log.info("service started", extra={"service": self.name, "port": self.settings.port})

    async def check_inbox_retention(self) -> None:
        """The inbox must remember events at least as long as any consumed, non-compacted topic keeps
        them (compacted topics are applied as upserts). Effects are idempotent by their natural keys
        as well, so a shorter inbox is a warning outside production and refuses to start in it."""
        try:
            retentions = await topic_retentions(self.settings.kafka, [p.topic for p in self.processors])
        except Exception as exc:  # noqa: BLE001 - a broker that cannot describe configs: nothing to check
            log.info("topic retention not checked", extra={"error": safe_reason(exc)})
            return
        problems = retention_problems(retentions, self.settings.inbox_retention_hours * 3_600_000)
        if not problems:
            return
        message = (f"the inbox keeps events {self.settings.inbox_retention_hours:.0f} h but " + "; ".join(problems)
                   + ": raise JEJARING_INBOX_RETENTION_HOURS or lower the topics' retention.ms")
        if self.settings.environment == "production":
            raise RuntimeError(message)
        log.warning("inbox retention shorter than topic retention", extra={"problems": message})

    async def stop(self, timeout: float = 10.0) -> None:
        """Stop consuming, let the relay finish its batch, disconnect; each step bounded in time."""
        self.started = False
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        steps = (
            self.broker.stop(),
            self.outbox.relay_once(self._publish, self.settings.outbox_batch_size),
            self.producer.stop(),
        )
        for step in steps:
            try:
                await asyncio.wait_for(step, timeout)
            except Exception as exc:  # a dead broker must not keep the process alive
                log.warning("shutdown step failed", extra={"error": safe_reason(exc)})
        await self.db.dispose()

    async def _publish(self, records: Sequence[KafkaRecord]) -> None:
        await self.producer.publish(records)
        self.metrics.published.labels(self.name).inc(len(records))

    def _on_log_lost(self, topic: str, partition: int) -> None:
        self.metrics.broker_resets.labels(self.name).inc()
        self._replay_pending = True

    async def _on_new_epoch(self) -> None:
        """The broker started over: read every assigned partition again and replay the outbox."""
        self.metrics.broker_resets.labels(self.name).inc()
        for consumer in self.consumers():
            for tp in list(consumer.assignment()):
                await consumer.seek_to_beginning(tp)
        self._replay_pending = True

    def _on_consumer_reset(self) -> None:
        self.metrics.broker_resets.labels(self.name).inc()
        self._replay_pending = True

    async def replay_if_log_lost(self) -> None:
        """After broker loss, recreate the topics and mark the outbox's retention window for replay.

        A broker that lost its log lost its topics too: they are recreated with their partition
        counts before anything is produced to them again. A step that fails (a broker still
        starting) leaves the replay pending for the next maintenance tick."""
        if not self._replay_pending:
            return
        self._replay_pending = False
        try:
            await ensure_topics(self.settings.kafka, self.topics())
            since = datetime.now(timezone.utc) - timedelta(hours=self.settings.outbox_retention_hours)
            count = await self.outbox.mark_for_replay(since)
        except BaseException:
            self._replay_pending = True
            raise
        log.warning("broker lost its log: replaying the outbox", extra={"rows": count})
        self.outbox.wake()

    async def _maintenance(self) -> None:
        """Backlog gauge; automatic replay after broker loss; retention pruning."""
        retention = timedelta(hours=self.settings.outbox_retention_hours)
        tick = 0
        while True:
            await asyncio.sleep(2)
            tick += 1
            try:
                await self.replay_if_log_lost()
                self.metrics.outbox_backlog.labels(self.name).set(await self.outbox.backlog())
                if tick % 300 == 0:
                    await self.outbox.prune(retention)
                    async with self.db.session() as session, session.begin():
                        await self.inbox.prune(session, timedelta(hours=self.settings.inbox_retention_hours))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("maintenance failed", extra={"error": safe_reason(exc)})

    async def readiness(self) -> dict[str, str]:
        """What is not ready (empty when ready), in words: never an internal error's text."""
        problems: dict[str, str] = {}
        if not self.started:
            problems["service"] = "starting"
        try:
            await asyncio.wait_for(self.db.ping(), timeout=3)
        except Exception as exc:  # noqa: BLE001 - logged, not shown
            log.warning("readiness: database unreachable", extra={"error": safe_reason(exc)})
            problems["database"] = "database unreachable"
        try:
            await self.producer.ping()
        except Exception as exc:  # noqa: BLE001 - logged, not shown
            log.warning("readiness: broker unreachable", extra={"error": safe_reason(exc)})
            problems["broker"] = "broker unreachable"
        stalled = sorted(p.topic for p in self.processors if p.failing_since is not None)
        if stalled:
            problems["consumer"] = "waiting for the database: " + ", ".join(stalled)
        return problems

    def asyncapi(self) -> dict[str, Any]:
        """The AsyncAPI document of what this service consumes and produces (``shared.faststream_plumbing``)."""
        return asyncapi_document(self)
