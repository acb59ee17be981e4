"""The broker-loss watchdog, with a fake consumer."""

from __future__ import annotations

from aiokafka import TopicPartition

from shared.messaging.kafka import ResetWatchdog

TP = TopicPartition("t", 0)


class FakeConsumer:
    def __init__(self) -> None:
        self.high: int | None = None
        self.pos = 0
        self.seeks: list[TopicPartition] = []

    def assignment(self) -> set[TopicPartition]:
        return {TP}

    def highwater(self, tp: TopicPartition) -> int | None:
        return self.high

    async def position(self, tp: TopicPartition) -> int:
        return self.pos

    async def seek_to_beginning(self, tp: TopicPartition) -> None:
        self.seeks.append(tp)
        self.pos = 0


async def test_growing_log_is_left_alone_and_a_shrunk_log_is_reread() -> None:
    consumer = FakeConsumer()
    resets = []
    dog = ResetWatchdog(lambda: [consumer], lambda: resets.append(1))
    assert await dog.check() == 0                     # nothing fetched yet
    consumer.high, consumer.pos = 10, 10
    assert await dog.check() == 0
    consumer.high, consumer.pos = 25, 20
    assert await dog.check() == 0 and consumer.seeks == []
    consumer.high = 3                                   # broker restarted with a new, shorter log
    assert await dog.check() == 1
    assert consumer.seeks == [TP] and resets == [1] and consumer.pos == 0
    consumer.high, consumer.pos = 5, 5                  # reading the new log: no second reset
    assert await dog.check() == 0


async def test_position_beyond_high_watermark_is_a_reset() -> None:
    consumer = FakeConsumer()
    consumer.high, consumer.pos = 2, 40                 # first sight after a restart
    dog = ResetWatchdog(lambda: [consumer], lambda: None)
    assert await dog.check() == 1 and consumer.seeks == [TP]
