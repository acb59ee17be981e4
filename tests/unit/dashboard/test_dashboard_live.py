"""Live change notices and the rebuild's partition rewinding, without a broker."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from aiokafka import TopicPartition

from services.dashboard.live import ChangeFeed
from services.dashboard.readmodel import staging
from services.dashboard.tasks import Rewinder
from services.dashboard.usecases import rebuild as rebuild_usecases
from shared.regions import covers
from tests.unit.dashboard.conftest import JONDONG, MAJA, NATAR, Dash, adult, at


async def test_streams_hear_only_about_their_own_area() -> None:
    feed = ChangeFeed()
    kalianda = feed.subscribe(lambda v: covers("18.01.06", v))
    natar = feed.subscribe(lambda v: covers("18.01.04", v))
    feed.publish({JONDONG})
    assert await kalianda.wait(0.1) is True
    assert await natar.wait(0.05) is False
    assert await kalianda.wait(0.05) is False  # re-armed after being told once
    feed.publish({staging.ALL})
    assert await natar.wait(0.1) is True
    feed.unsubscribe(natar)
    assert feed.subscribers == {kalianda}


async def test_poll_sees_changes_committed_by_another_replica(dash: Dash) -> None:
    other = ChangeFeed(dash.service.db, window_seconds=30)  # a replica that consumed nothing itself
    assert await other.poll_once() == set()
    await dash.apply(adult("a", at(11)), adult("b", at(11), village=MAJA))
    assert await other.poll_once() == {JONDONG, MAJA}
    assert await other.poll_once() == set()  # each change is reported once
    await dash.apply(adult("c", at(11), village=NATAR))
    assert await other.poll_once() == {NATAR}
    later = datetime.now(timezone.utc) + timedelta(minutes=5)
    assert await other.poll_once(now=later) == set()  # outside the window: nothing new


async def test_run_publishes_polled_changes_to_subscribers(dash: Dash) -> None:
    other = ChangeFeed(dash.service.db, poll_seconds=0.05, window_seconds=30)
    sub = other.subscribe(lambda v: v == MAJA)
    task = asyncio.create_task(other.run())
    try:
        await asyncio.sleep(0.2)  # primed
        await dash.apply(adult("b", at(11), village=MAJA))
        assert await sub.wait(2.0) is True
    finally:
        task.cancel()


@dataclass
class FakeConsumer:
    assigned: set[TopicPartition]
    sought: list[TopicPartition] = field(default_factory=list)
    committed: dict = field(default_factory=dict)

    def assignment(self) -> set[TopicPartition]:
        return self.assigned

    async def beginning_offsets(self, tps):  # noqa: ANN001, ANN201
        return dict.fromkeys(tps, 5)

    async def seek_to_beginning(self, *tps: TopicPartition) -> bool:
        self.sought.extend(tps)
        return True

    async def commit(self, offsets) -> None:  # noqa: ANN001
        self.committed.update({tp: o.offset for tp, o in offsets.items()})


async def test_rewinder_rewinds_each_partition_once_per_generation(dash: Dash) -> None:
    a, b = TopicPartition("ilp.visit.recorded.v1", 0), TopicPartition("ilp.visit.recorded.v1", 1)
    first = FakeConsumer({a})
    rewinder = Rewinder(dash.service.db, lambda: [first])
    assert await rewinder.check() == 0  # no rebuild asked: never rewind (the inbox may have forgotten old ids)
    await rebuild_usecases.rebuild(dash.service)
    assert await rewinder.check() == 1
    assert first.sought == [a] and first.committed == {a: 5}
    assert await rewinder.check() == 0  # done for this generation
    # the partition moves to another replica after a rebalance: not rewound again; b is new to it
    second = FakeConsumer({a, b})
    assert await Rewinder(dash.service.db, lambda: [second]).check() == 1
    assert second.sought == [b]
    await rebuild_usecases.rebuild(dash.service)
    assert await Rewinder(dash.service.db, lambda: [second]).check() == 2
