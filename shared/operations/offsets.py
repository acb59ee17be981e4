"""Reading the broker as an operator's command does: partitions, log ends, committed offsets, whole topics.

Nothing here joins a consumer group: partitions are assigned by hand, so a command never makes a
running service's group rebalance. Log ends are read from a fetch's high watermark as well as from
ListOffsets: the embedded broker (Tansu) answers ListOffsets with the base offset of the last batch
plus one, too small for a batch of several records (see ``shared.messaging.kafka.ResetWatchdog``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

from shared.settings import KafkaSettings

IDLE_POLLS = 3
POLL_MS = 400
STOP_SECONDS = 5


@dataclass(frozen=True)
class Log:
    """One partition's log: first offset still kept and the offset the next record will get."""

    begin: int
    end: int


@contextlib.asynccontextmanager
async def consumer(settings: KafkaSettings, *, group: str | None = None, purpose: str = "ops") -> AsyncIterator[AIOKafkaConsumer]:
    """A started consumer that commits nothing by itself (``group``: only to read or commit its offsets)."""
    client = AIOKafkaConsumer(
        group_id=group, enable_auto_commit=False, auto_offset_reset="earliest", client_id=f"jejaring-{purpose}",
        request_timeout_ms=15000, fetch_max_wait_ms=100, **settings.client_options(),
    )
    try:
        await client.start()
    except BaseException:
        with contextlib.suppress(Exception):
            await client.stop()
        raise
    try:
        yield client
    finally:
        # A fetch still in flight can hold stop() until the broker answers it (Tansu may not): pause
        # everything, then give stop a bound.
        with contextlib.suppress(Exception):
            client.pause(*client.assignment())
        with contextlib.suppress(Exception):
            await asyncio.wait_for(client.stop(), STOP_SECONDS)


async def partitions(client: AIOKafkaConsumer, topics: Iterable[str]) -> list[TopicPartition]:
    """The partitions of those ``topics`` that exist, in topic and partition order."""
    existing = await client.topics()
    tps = []
    for topic in sorted(set(topics)):
        if topic in existing:
            tps += [TopicPartition(topic, p) for p in sorted(client.partitions_for_topic(topic) or ())]
    return tps


async def logs(client: AIOKafkaConsumer, tps: Sequence[TopicPartition]) -> dict[TopicPartition, Log]:
    """Begin and end of each partition's log; the end checked against a fetch's high watermark."""
    if not tps:
        return {}
    begins = await client.beginning_offsets(list(tps))
    ends = dict(await client.end_offsets(list(tps)))
    probe = [tp for tp in tps if ends[tp] > begins[tp]]
    if probe:
        client.assign(probe)
        for tp in probe:
            client.seek(tp, ends[tp] - 1)
        for _ in range(IDLE_POLLS):
            await client.getmany(*probe, timeout_ms=POLL_MS, max_records=1)
            if all(client.highwater(tp) is not None for tp in probe):
                break
        for tp in probe:
            high = client.highwater(tp)
            if high is not None:
                ends[tp] = max(ends[tp], high)
        client.pause(*probe)
    return {tp: Log(begins[tp], ends[tp]) for tp in tps}


async def committed(settings: KafkaSettings, group: str, tps: Sequence[TopicPartition]) -> dict[TopicPartition, int | None]:
    """What consumer group ``group`` has committed on each partition (None: nothing)."""
    if not tps:
        return {}
    async with consumer(settings, group=group, purpose=f"{group}-offsets") as client:
        client.assign(list(tps))
        client.pause(*tps)
        return {tp: await client.committed(tp) for tp in tps}


async def commit(settings: KafkaSettings, group: str, offsets: dict[TopicPartition, int]) -> None:
    """Commit ``offsets`` for ``group`` (a group no process is a member of, e.g. ``<service>-dlq``)."""
    if not offsets:
        return
    async with consumer(settings, group=group, purpose=f"{group}-commit") as client:
        client.assign(list(offsets))
        client.pause(*offsets)
        await client.commit(dict(offsets))


async def read(client: AIOKafkaConsumer, tps: Sequence[TopicPartition]) -> list[ConsumerRecord]:
    """Every record of those partitions, from the log start to its end, in partition and offset order."""
    if not tps:
        return []
    client.assign(list(tps))
    for tp in tps:
        await client.seek_to_beginning(tp)
    records: list[ConsumerRecord] = []
    idle = 0
    while idle < IDLE_POLLS:
        batch = await client.getmany(*tps, timeout_ms=POLL_MS, max_records=5000)
        got = [r for part in batch.values() for r in part]
        records += got
        if got:
            idle = 0
            continue
        highs = [client.highwater(tp) for tp in tps]
        if all(h is not None for h in highs) and all(
                [await client.position(tp) >= h for tp, h in zip(tps, highs)]):
            break
        idle += 1
    client.pause(*tps)
    return sorted(records, key=lambda r: (r.partition, r.offset))
