"""Producer.publish: waits for acks and notices a partition whose offsets went backwards."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from shared.envelope import KafkaRecord
from shared.messaging.kafka import Producer
from shared.settings import KafkaSettings


class FakeKafka:
    """Stands in for AIOKafkaProducer: ``send`` returns a future resolving to RecordMetadata-like acks."""

    def __init__(self) -> None:
        self.acks: list[tuple[int, int]] = []  # (partition, offset) to hand out, in order
        self.sent: list[tuple] = []

    async def send(self, topic, value, key=None, headers=None, timestamp_ms=None):
        partition, offset = self.acks.pop(0)
        self.sent.append((topic, key, value, headers))
        future = asyncio.get_running_loop().create_future()
        future.set_result(SimpleNamespace(topic=topic, partition=partition, offset=offset))
        return future


@pytest.fixture
def resets() -> list[tuple[str, int]]:
    return []


@pytest.fixture
def producer(resets) -> Producer:
    producer = Producer(KafkaSettings(), on_reset=lambda topic, partition: resets.append((topic, partition)))
    producer._producer = FakeKafka()
    return producer


def records(n: int, topic: str = "ilp.visit.recorded.v1") -> list[KafkaRecord]:
    return [KafkaRecord(topic, b"p1", b"{}", (("ce_id", f"id{i}".encode()),)) for i in range(n)]


async def publish(producer: Producer, *acks: tuple[int, int], topic: str = "ilp.visit.recorded.v1") -> None:
    producer._producer.acks.extend(acks)
    await producer.publish(records(len(acks), topic))


async def test_sends_every_record_with_key_and_headers(producer):
    await publish(producer, (0, 5), (0, 6))
    assert producer._producer.sent == [
        ("ilp.visit.recorded.v1", b"p1", b"{}", [("ce_id", b"id0")]),
        ("ilp.visit.recorded.v1", b"p1", b"{}", [("ce_id", b"id1")]),
    ]


async def test_offset_regression_across_batches_reports_reset_once(producer, resets):
    await publish(producer, (0, 5), (0, 6))
    assert resets == []
    await publish(producer, (0, 0))
    assert resets == [("ilp.visit.recorded.v1", 0)]
    await publish(producer, (0, 1), (0, 2))  # the new log grows normally: no second reset
    assert resets == [("ilp.visit.recorded.v1", 0)]


async def test_offset_regression_within_one_batch_reports_reset_once(producer, resets):
    await publish(producer, (0, 5), (0, 6), (0, 0), (0, 1))
    assert resets == [("ilp.visit.recorded.v1", 0)]


async def test_only_the_regressed_partition_is_reported(producer, resets):
    await publish(producer, (0, 5), (1, 40), (2, 7))
    await publish(producer, (0, 6), (1, 3), (2, 8))
    assert resets == [("ilp.visit.recorded.v1", 1)]


async def test_partitions_of_different_topics_are_tracked_apart(producer, resets):
    await publish(producer, (0, 50), topic="ilp.a.v1")
    await publish(producer, (0, 2), topic="ilp.b.v1")
    assert resets == []


async def test_publish_without_start_fails_loudly():
    with pytest.raises(AssertionError, match="not started"):
        await Producer(KafkaSettings()).publish(records(1))


def test_partition_for_agrees_with_kafkas_default_partitioner():
    """The cached partitioner places every key where Kafka's murmur2 partitioner would, repeats included."""
    import random

    from aiokafka.partitioner import DefaultPartitioner

    from shared.messaging.kafka import partition_for

    rng = random.Random(7)
    keys = [bytes(rng.randrange(256) for _ in range(rng.randrange(0, 40))) for _ in range(500)]
    keys += [b"", b"P1801060201", "0b5e6a2e-6f0e-4c8e-9d0a-2f7e1b9c4d11".encode()]
    for partitions in ([0], list(range(6)), list(range(12))):
        for key in keys + keys:  # the second pass is answered from the cache
            assert partition_for(key, partitions, partitions) == DefaultPartitioner()(key, partitions, partitions)
    assert partition_for(None, [0, 1, 2], [2]) == 2
