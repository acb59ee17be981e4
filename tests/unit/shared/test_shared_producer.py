"""Producer.publish: waits for acks and notices a partition whose offsets went backwards."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest

from shared.envelope import KafkaRecord
from shared.messaging.kafka import Producer
from shared.settings import KafkaSettings


class FakeBatch:
    """Stands in for aiokafka's BatchBuilder: holds up to ``capacity`` records."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.records: list[tuple] = []

    def append(self, *, key, value, timestamp, headers):  # noqa: ANN001, ANN201
        if len(self.records) >= self.capacity:
            return None
        self.records.append((key, value, timestamp, headers))
        return SimpleNamespace(size=len(value))


class FakeKafka:
    """Stands in for AIOKafkaProducer's batch API: ``send_batch`` returns a future resolving to the
    batch's RecordMetadata-like ack (its first record's offset), the next of ``acks``."""

    def __init__(self, partitions: int = 1, capacity: int = 100) -> None:
        self.partitions, self.capacity = partitions, capacity
        self.acks: dict[int, list[int]] = {}  # partition -> base offsets to hand out, in order
        self.sent: list[tuple] = []  # (topic, partition, records)

    async def partitions_for(self, topic):  # noqa: ANN001, ANN201
        return set(range(self.partitions))

    def create_batch(self) -> FakeBatch:
        return FakeBatch(self.capacity)

    async def send_batch(self, batch, topic, *, partition):  # noqa: ANN001, ANN201
        offset = self.acks[partition].pop(0)
        self.sent.append((topic, partition, batch.records))
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


def records(n: int, topic: str = "ilp.visit.recorded.v1", key: bytes = b"p1") -> list[KafkaRecord]:
    return [KafkaRecord(topic, key, b"{}", (("ce_id", f"id{i}".encode()),), timestamp=1000 + i) for i in range(n)]


async def publish(producer: Producer, n: int, *bases: int, topic: str = "ilp.visit.recorded.v1") -> None:
    """Publish ``n`` records of one key (one partition), the broker acking batches at ``bases``."""
    producer._producer.acks.setdefault(0, []).extend(bases)
    await producer.publish(records(n, topic))


async def test_sends_every_record_with_key_headers_and_time_in_one_batch(producer):
    await publish(producer, 2, 5)
    assert producer._producer.sent == [("ilp.visit.recorded.v1", 0, [
        (b"p1", b"{}", 1000, [("ce_id", b"id0")]), (b"p1", b"{}", 1001, [("ce_id", b"id1")])])]


async def test_a_full_batch_is_sent_and_the_rest_goes_in_the_next_in_order(producer):
    producer._producer.capacity = 3
    await publish(producer, 7, 10, 13, 16)
    sent = producer._producer.sent
    assert [len(records) for _t, _p, records in sent] == [3, 3, 1]
    assert [r[3][0][1] for _t, _p, records in sent for r in records] == [f"id{i}".encode() for i in range(7)]


async def test_each_record_goes_to_the_partition_send_would_choose():
    from shared.messaging.kafka import partition_for

    producer = Producer(KafkaSettings())
    producer._producer = FakeKafka(partitions=6)
    keys = [f"person-{i}".encode() for i in range(40)]
    producer._producer.acks = {p: [0] for p in range(6)}
    await producer.publish([KafkaRecord("ilp.visit.recorded.v1", k, b"{}", ()) for k in keys])
    placed = {r[0]: partition for _t, partition, records in producer._producer.sent for r in records}
    assert placed == {k: partition_for(k, list(range(6)), list(range(6))) for k in keys}
    assert len(set(placed.values())) > 1


async def test_offset_regression_across_batches_reports_reset_once(producer, resets):
    await publish(producer, 2, 5)  # offsets 5, 6
    assert resets == []
    await publish(producer, 1, 0)
    assert resets == [("ilp.visit.recorded.v1", 0)]
    await publish(producer, 2, 1)  # the new log grows normally: no second reset
    assert resets == [("ilp.visit.recorded.v1", 0)]


async def test_offset_regression_between_batches_of_one_publish_reports_reset_once(producer, resets):
    producer._producer.capacity = 2
    await publish(producer, 4, 5, 0)  # 5, 6 then 0, 1
    assert resets == [("ilp.visit.recorded.v1", 0)]


async def test_a_batch_starting_below_the_last_offset_but_ending_beyond_it_is_no_reset(producer, resets):
    await publish(producer, 3, 5)  # 5..7
    await publish(producer, 1, 8)
    assert resets == []


async def test_only_the_regressed_partition_is_reported(resets):
    producer = Producer(KafkaSettings(), on_reset=lambda topic, partition: resets.append((topic, partition)))
    producer._producer = FakeKafka(partitions=3)
    from shared.messaging.kafka import partition_for

    key_of = {}
    for i in range(100):
        key = f"k{i}".encode()
        key_of.setdefault(partition_for(key, [0, 1, 2], [0, 1, 2]), key)
    one = [KafkaRecord("ilp.visit.recorded.v1", key_of[p], b"{}", ()) for p in range(3)]
    producer._producer.acks = {0: [5, 6], 1: [40, 3], 2: [7, 8]}
    await producer.publish(one)
    await producer.publish(one)
    assert resets == [("ilp.visit.recorded.v1", 1)]


async def test_partitions_of_different_topics_are_tracked_apart(producer, resets):
    await publish(producer, 1, 50, topic="ilp.a.v1")
    await publish(producer, 1, 2, topic="ilp.b.v1")
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
