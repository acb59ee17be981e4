"""shared.operations.dlq with the real consumer: a dead-lettered event redriven after the fix is applied
exactly once; a copy, a second redrive, an event applied since, a discard change nothing; NIKs masked."""

from __future__ import annotations

from dataclasses import replace

import pytest
from aiokafka import TopicPartition
from sqlalchemy import select

from shared.messaging.outbox import headers_from_text
from shared.operations import offsets
from shared.operations.dlq import DeadLetter, DeadLetterQueue, Entry, Selection, mask
from shared.settings import KafkaSettings
from tests.unit.shared.test_shared_consumer import (
    DLQ,
    SERVICE,
    TOPIC,
    Handler,
    processor,
    record_of,
)

NIK = "1801064508920003"


class Queue(DeadLetterQueue):
    """The DLQ as the broker would hold it: ``letters``; commits are kept in ``commits``."""

    def __init__(self, store, letters: list[DeadLetter], publish) -> None:  # noqa: ANN001
        super().__init__(DLQ, kafka=KafkaSettings(), db=store.db, inbox=store.inbox_table, publish=publish)
        self.letters = letters
        self.commits: list[dict] = []
        self.done: int | None = None

    async def read(self):  # noqa: ANN201
        tp = TopicPartition(DLQ, 0)
        return self.letters, {tp: offsets.Log(0, len(self.letters))}, {tp: self.done}

    async def _commit(self, moves) -> None:  # noqa: ANN001
        self.commits.append(dict(moves))
        self.done = moves.get(TopicPartition(DLQ, 0), self.done)


async def dead_letters_of(store) -> list[DeadLetter]:  # noqa: ANN001
    rows = [r for r in await store.outbox_rows() if r.topic == DLQ]
    return [DeadLetter(DLQ, 0, offset, None, r.key, r.value, headers_from_text(r.headers)) for offset, r in enumerate(rows)]


async def inbox_rows(store) -> set[tuple]:  # noqa: ANN001
    t = store.inbox_table
    async with store.db.session() as session:
        return {tuple(r) for r in (await session.execute(select(t.c.event_type, t.c.event_id, t.c.topic))).all()}


@pytest.fixture
async def poisoned(store, metrics, visit):  # noqa: ANN001, ANN201
    """ev-1 of three events failed (a bug) and was dead-lettered; the consumer then got its fix."""
    batch = [record_of(visit(person_id=f"p{i}"), f"ev-{i}", offset=10 + i) for i in range(3)]
    handler = Handler(store, fail={"ev-1": [ValueError("a bug") for _ in range(3)]})
    proc = processor(store, metrics, handler, max_attempts=3)
    await proc.process(batch)
    published: list = []

    async def publish(records) -> None:  # noqa: ANN001 - the broker, then the fixed consumer reading it
        published.extend(records)
        await proc.process([replace(r, partition=0, offset=100 + len(published) + i) for i, r in enumerate(records)])

    return handler, proc, batch, published, publish


async def test_the_consumer_remembers_a_dead_lettered_event_under_its_dlq(store, poisoned) -> None:  # noqa: ANN001
    handler, proc, batch, *_ = poisoned
    rows = await inbox_rows(store)
    types = {r[0] for r in rows}
    assert {(r[1], r[2]) for r in rows} == {("ev-0", TOPIC), ("ev-1", DLQ), ("ev-2", TOPIC)} and len(types) == 1
    await proc.process(batch)  # a redelivery still does not retry it
    assert handler.calls["ev-1"] == 3


async def test_redrive_after_the_fix_applies_exactly_once_and_a_second_changes_nothing(store, poisoned) -> None:  # noqa: ANN001
    handler, _proc, batch, published, publish = poisoned
    [letter] = await dead_letters_of(store)
    copy = replace(letter, offset=1)  # the consumer's outbox replayed: the same dead letter twice on the DLQ
    queue = Queue(store, [letter, copy], publish)
    lines: list[str] = []
    report = await queue.redrive(Selection(), echo=lines.append)
    assert (report.chosen, report.published, report.released, report.copies) == (2, 1, 1, 1)
    assert sorted(await store.effect_ids()) == ["ev-0", "ev-1", "ev-2"]
    assert handler.calls["ev-1"] == 4
    [sent] = published
    assert sent.topic == TOPIC and sent.key == batch[1].key and sent.value == batch[1].value
    headers = dict(sent.headers)
    assert not any(k.startswith("x-dlq-") for k in headers)
    assert headers["x-redriven-from"] == f"{DLQ}:0:0".encode() and "x-redriven-at" in headers
    assert {k: v for k, v in sent.headers if not k.startswith("x-redriven-")} == dict(batch[1].headers)
    assert lines == [f"redriven 0 (from {TOPIC}:0:11) -> {TOPIC}", f"redriven 1 (from {TOPIC}:0:11): copy of a dead letter handled above"]
    assert queue.commits == [{TopicPartition(DLQ, 0): 2}]  # past both: the DLQ depth is 0

    again = await queue.redrive(Selection(ids=["0"]))
    assert again.chosen == 0 and again.skipped and again.skipped[0].startswith("0: redriven at ")
    queue.done = None  # even without the group's offset, the service's database remembers
    again = await queue.redrive(Selection())
    assert (again.chosen, again.published) == (0, 0)
    assert [e.state for e in await queue.entries()] == ["redriven", "redriven"]
    assert handler.calls["ev-1"] == 4 and sorted(await store.effect_ids()) == ["ev-0", "ev-1", "ev-2"]


async def test_an_event_applied_since_is_not_published_again(store, poisoned) -> None:  # noqa: ANN001
    handler, proc, batch, published, publish = poisoned
    [letter] = await dead_letters_of(store)
    handler.fail.clear()
    t = store.inbox_table
    async with store.db.session() as session, session.begin():  # e.g. a rebuild re-read it after the fix
        await session.execute(t.delete().where(t.c.event_id == "ev-1"))
    await proc.process([batch[1]])
    queue = Queue(store, [letter], publish)
    report = await queue.redrive(Selection())
    assert (report.chosen, report.published, report.already_applied, report.released) == (1, 0, 1, 0)
    assert published == [] and sorted(await store.effect_ids()) == ["ev-0", "ev-1", "ev-2"]


async def test_discard_and_selection_by_time_and_id(store, poisoned) -> None:  # noqa: ANN001
    *_, published, publish = poisoned
    [letter] = await dead_letters_of(store)
    queue = Queue(store, [letter], publish)
    assert (await queue.redrive(Selection(since=letter.at.replace(year=letter.at.year + 1)))).chosen == 0
    missing = await queue.discard(Selection(ids=["7"]))
    assert missing.missing == ["7"] and missing.chosen == 0
    report = await queue.discard(Selection(ids=["0"]))
    assert report.chosen == 1 and published == []
    [entry] = await queue.entries()
    assert entry.state == "discarded" and entry.handled_at is not None
    assert "jejaring.dlq.discarded" in {r[0] for r in await inbox_rows(store)}


def letter_on(topic: str) -> DeadLetter:
    value = ('{"visit_id": "v1", "person": {"nik": "%s", "name": "Siti Aminah"}}' % NIK).encode()
    headers = (("x-facility-note", NIK.encode()), ("x-dlq-error", f"unknown facility (nik {NIK})".encode()),
               ("x-dlq-error-kind", b"invalid"), ("x-dlq-topic", b"ilp.intake.visit.v1"), ("x-dlq-partition", b"2"),
               ("x-dlq-offset", b"41"), ("x-dlq-at", b"2026-12-01T02:00:00+00:00"))
    return DeadLetter(topic, 0, 5, None, b"PSY1", value, headers)


def test_what_is_printed_never_holds_a_nik_unless_asked_for_on_the_intake_dlq() -> None:
    intake = Entry(letter_on("ilp.intake.visit.v1.registration.dlq"))
    listed, shown = intake.view(), intake.view(headers=True)
    assert NIK not in str(listed) and NIK not in str(shown)
    assert listed["origin"] == "ilp.intake.visit.v1:2:41" and listed["id"] == "5" and listed["kind"] == "invalid"
    assert "x-facility-note" not in shown["headers"] and "payload" not in shown
    raw = intake.view(headers=True, payload=True)
    assert NIK in raw["payload"] and raw["headers"]["x-facility-note"] == NIK  # the one exception, when asked
    other = Entry(letter_on(f"{TOPIC}.{SERVICE}.dlq")).view(headers=True, payload=True)
    assert NIK not in str(other) and "################" in other["payload"]
    assert mask("12345678901234567") == "12345678901234567" and mask(f"a{NIK}b") == "a################b"
