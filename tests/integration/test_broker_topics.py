"""Topics exist only as created, with their partition counts: no client lookup creates one.

Tansu creates a topic a client merely looks up, with 4 partitions; a consumer that looked up its
topics after broker loss, before a service recreated them with 6, was assigned 4 of them.
"""

from __future__ import annotations

import asyncio

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from shared.broker import start_broker
from shared.messaging.kafka import BrokerEpoch, Producer, ensure_topics
from shared.settings import KafkaSettings
from tests.integration.harness import free_port


async def _topics(bootstrap: str) -> set[str]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


def test_looking_up_a_missing_topic_does_not_create_it_and_the_epoch_still_starts() -> None:
    port = free_port()
    broker = start_broker(port=port)
    bootstrap = f"127.0.0.1:{port}"
    settings = KafkaSettings(KAFKA_BOOTSTRAP_SERVERS=bootstrap)

    async def scenario() -> None:
        producer = AIOKafkaProducer(bootstrap_servers=bootstrap, request_timeout_ms=2000)
        await producer.start()
        try:
            with pytest.raises(Exception):  # noqa: B017 - aiokafka raises its timeout for a missing topic
                await asyncio.wait_for(producer.partitions_for("ilp.visit.recorded.v1"), 5)
        finally:
            await producer.stop()
        consumer = AIOKafkaConsumer("ilp.visit.screened.v1", bootstrap_servers=bootstrap, group_id="t")
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(consumer.start(), 3)
        await consumer.stop()
        assert not {"ilp.visit.recorded.v1", "ilp.visit.screened.v1"} & await _topics(bootstrap)

        await ensure_topics(settings, [("ilp.visit.recorded.v1", 6, {})])
        consumer = AIOKafkaConsumer("ilp.visit.recorded.v1", bootstrap_servers=bootstrap, group_id="t")
        await consumer.start()
        try:
            assert consumer.partitions_for_topic("ilp.visit.recorded.v1") == set(range(6))
        finally:
            await consumer.stop()

        epoch_reader = AIOKafkaConsumer(**settings.client_options(), enable_auto_commit=False,
                                        auto_offset_reset="earliest")
        relay = Producer(settings)
        await epoch_reader.start()
        await relay.start()
        try:
            epoch = BrokerEpoch(settings, on_change=None)
            first = await asyncio.wait_for(epoch.current(epoch_reader, relay), 20)
            assert first is not None and await epoch.current(epoch_reader, relay) == first
        finally:
            await relay.stop()
            await epoch_reader.stop()

    try:
        asyncio.run(scenario())
    finally:
        broker.kill()
        broker.wait()
