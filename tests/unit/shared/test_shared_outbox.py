"""Transactional outbox: staging in the caller's transaction, ordered relay, retry, replay, prune."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from shared.envelope import KafkaRecord
from shared.messaging import outbox as outbox_mod

WIB = timezone(timedelta(hours=7))
T0 = datetime(2024, 8, 1, 0, 0, tzinfo=timezone.utc)


def rec(n: int, headers: tuple[tuple[str, bytes], ...] = ()) -> tuple[str, KafkaRecord]:
    return f"e{n}", KafkaRecord(topic="ilp.test.v1", key=f"k{n}".encode(), value=f"v{n}".encode(), headers=headers)


class Sink:
    """A fake ``publish``: records every batch; can be told to fail."""

    def __init__(self, fail: bool = False) -> None:
        self.batches: list[list[KafkaRecord]] = []
        self.fail = fail

    async def __call__(self, records) -> None:
        self.batches.append(list(records))
        if self.fail:
            raise ConnectionError("broker away")

    @property
    def values(self) -> list[bytes]:
        return [r.value for batch in self.batches for r in batch]


async def add(store, *records) -> None:
    async with store.db.session() as session, session.begin():
        await store.outbox.add(session, list(records))


@pytest.fixture
def clock(monkeypatch):
    """Freeze the outbox's clock; set ``clock.now`` to move it."""

    class Clock:
        now = T0

    monkeypatch.setattr(outbox_mod, "_utcnow", lambda: Clock.now)
    return Clock


async def drain(store, publish, limit: int = 100) -> int:
    total = 0
    while n := await store.outbox.relay_once(publish, limit):
        total += n
    return total


async def test_rolled_back_rows_are_never_relayed(store):
    with pytest.raises(RuntimeError):
        async with store.db.session() as session, session.begin():
            await store.outbox.add(session, [rec(1), rec(2)])
            raise RuntimeError("handler failed after staging")
    sink = Sink()
    assert await store.outbox.relay_once(sink, 10) == 0
    assert sink.batches == []
    assert await store.outbox.backlog() == 0


async def test_committed_rows_relayed_in_id_order_exactly_once(store):
    await add(store, rec(1), rec(2), rec(3))
    await add(store, rec(4), rec(5))
    assert await store.outbox.backlog() == 5
    sink = Sink()
    assert await store.outbox.relay_once(sink, 2) == 2
    assert await drain(store, sink, limit=2) == 3
    assert sink.values == [b"v1", b"v2", b"v3", b"v4", b"v5"]
    assert [len(b) for b in sink.batches] == [2, 2, 1]
    assert await store.outbox.relay_once(sink, 10) == 0
    assert len(sink.values) == 5
    assert await store.outbox.backlog() == 0
    assert store.outbox.published_total == 5


async def test_publish_failure_keeps_rows_for_the_next_call(store):
    await add(store, rec(1), rec(2))
    broken = Sink(fail=True)
    with pytest.raises(ConnectionError):
        await store.outbox.relay_once(broken, 10)
    assert await store.outbox.backlog() == 2
    assert all(row.sent_at is None for row in await store.outbox_rows())
    healthy = Sink()
    assert await store.outbox.relay_once(healthy, 10) == 2
    assert healthy.values == [b"v1", b"v2"]
    assert await store.outbox.backlog() == 0


async def test_rows_keep_topic_key_and_headers_including_non_utf8_bytes(store):
    headers = (
        ("x-raw", bytes(range(256))),
        ("x-bad-utf8", b"\xff\xfe\x80"),
        ("ce_id", "é-☃".encode()),
        ("x-empty", b""),
    )
    await add(store, ("e1", KafkaRecord(topic="ilp.t.v1", key=None, value=b"\x00\x01", headers=headers)))
    sink = Sink()
    await store.outbox.relay_once(sink, 10)
    [published] = sink.batches[0]
    assert published == KafkaRecord(topic="ilp.t.v1", key=None, value=b"\x00\x01", headers=headers,
                                    timestamp=published.timestamp)
    async with store.db.session() as session:
        created = await session.scalar(select(store.outbox_table.c.created_at))
    assert published.timestamp == int(created.replace(tzinfo=timezone.utc).timestamp() * 1000)  # stamped by its row


async def test_mark_for_replay_republishes_only_rows_created_since(store, clock):
    clock.now = T0
    await add(store, rec(1))
    clock.now = T0 + timedelta(hours=1)
    await add(store, rec(2))
    clock.now = T0 + timedelta(hours=2)
    await add(store, rec(3))
    await drain(store, Sink())
    assert await store.outbox.backlog() == 0

    assert await store.outbox.mark_for_replay(T0 + timedelta(hours=1)) == 2  # boundary row included
    sink = Sink()
    await drain(store, sink)
    assert sink.values == [b"v2", b"v3"]


async def test_mark_for_replay_respects_the_offset_of_since(store, clock):
    clock.now = T0
    await add(store, rec(1))
    clock.now = T0 + timedelta(hours=2)
    await add(store, rec(2))
    await drain(store, Sink())
    # 08:00 WIB is 01:00 UTC: only the second row (02:00 UTC) was created after it.
    since = (T0 + timedelta(hours=1)).astimezone(WIB)
    assert await store.outbox.mark_for_replay(since) == 1
    sink = Sink()
    await drain(store, sink)
    assert sink.values == [b"v2"]


async def test_mark_for_replay_leaves_unsent_rows_alone(store, clock):
    await add(store, rec(1))
    assert await store.outbox.mark_for_replay(T0 - timedelta(days=1)) == 0
    assert await store.outbox.backlog() == 1


async def test_a_replay_during_a_batch_in_flight_marks_that_batch_unsent_too(store, clock):
    """A batch half acknowledged by a log the broker then lost must be published again: a replay
    that overlaps it waits for it to be marked sent, then marks it unsent with the rest."""
    await add(store, rec(1))
    await drain(store, Sink())
    await add(store, rec(2), rec(3))
    entered, release = asyncio.Event(), asyncio.Event()
    sink = Sink()

    async def slow_publish(records) -> None:
        await sink(records)
        entered.set()
        await release.wait()

    relay = asyncio.create_task(store.outbox.relay_once(slow_publish, 10))
    await entered.wait()
    replay = asyncio.create_task(store.outbox.mark_for_replay(T0 - timedelta(days=1)))
    await asyncio.sleep(0.05)
    assert not replay.done()  # waits for the batch in flight
    release.set()
    assert await relay == 2
    assert await replay == 3
    assert await store.outbox.backlog() == 3
    again = Sink()
    await drain(store, again)
    assert again.values == [b"v1", b"v2", b"v3"]


async def test_prune_deletes_only_sent_rows_older_than_retention(store, clock):
    clock.now = T0
    await add(store, rec(1))
    clock.now = T0 + timedelta(days=6)
    await add(store, rec(2))
    await drain(store, Sink())

    clock.now = T0 + timedelta(days=8)
    assert await store.outbox.prune(timedelta(days=7)) == 1
    assert [row.event_id for row in await store.outbox_rows()] == ["e2"]


async def test_prune_never_deletes_unsent_rows(store, clock):
    clock.now = T0
    await add(store, rec(1))
    clock.now = T0 + timedelta(days=30)
    assert await store.outbox.prune(timedelta(days=7)) == 0
    assert await store.outbox.backlog() == 1


_header_name = st.text(min_size=0, max_size=12)
_header_value = st.binary(max_size=24)


@given(st.lists(st.tuples(_header_name, _header_value), max_size=8))
def test_header_column_round_trips_any_headers(headers):
    """Tabs, newlines, a leading ``[``, empty names and values, any bytes: stored and read back unchanged."""
    headers = tuple(headers)
    assert outbox_mod.headers_from_text(outbox_mod.headers_text(headers)) == headers


def test_header_column_uses_lines_for_plain_headers_and_json_otherwise():
    plain = (("ce_id", b"e-1"), ("content-type", b"application/json"))
    assert outbox_mod.headers_text(plain) == "ce_id\te-1\ncontent-type\tapplication/json"
    assert outbox_mod.headers_text((("x", b"a\tb"),)).startswith("[")
    assert outbox_mod.headers_text((("[x", b"1"),)).startswith("[")
    assert outbox_mod.headers_text((("x", b"line\nbreak"),)).startswith("[")


def test_header_column_reads_rows_written_as_json_before_the_line_format():
    assert outbox_mod.headers_from_text('[["ce_id", "e-1"], ["x-raw", "\\u00ff"]]') == (("ce_id", b"e-1"), ("x-raw", b"\xff"))
