"""BatchProcessor: inbox idempotency, savepoints, bounded retries, dead letters, infra retries, metrics."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from uuid import NAMESPACE_URL, uuid5

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from shared.contracts import topics
from shared.contracts.events import TargetSet
from shared.envelope import KafkaRecord, decode, encode
from shared.errors import is_infra_error
from shared.messaging.consumer import BatchProcessor
from shared.messaging.outbox import headers_from_text
from shared.unit import Unit

SERVICE = "screening"
TOPIC = topics.VISIT_RECORDED
DLQ = f"{TOPIC}.{SERVICE}.dlq"


def record_of(data, event_id: str, offset: int, partition: int = 0) -> KafkaRecord:
    """An event as the consumer sees it: encoded, with its partition and offset."""
    return replace(encode(data, source="/jejaring/registration", event_id=event_id), partition=partition, offset=offset)


def derived_id(unit: Unit) -> str:
    return str(uuid5(NAMESPACE_URL, f"derived/{unit.message.event_id}"))


class Handler:
    """Writes one ``effects`` row (and optionally emits) per call, then raises the next queued error, if any."""

    def __init__(self, store, *, fail: dict[str, list[BaseException]] | None = None, emit: bool = False) -> None:
        self.store = store
        self.fail = fail or {}
        self.emit = emit
        self.calls: Counter[str] = Counter()

    async def __call__(self, unit: Unit) -> None:
        event_id = unit.message.event_id
        self.calls[event_id] += 1
        await unit.session.execute(insert(self.store.effects).values(event_id=event_id))
        if self.emit:
            target = TargetSet(village_code=unit.message.body.data.village_code, year=2024, target="pregnant", count=1)
            unit.emit(target, derived_id(unit))
        if self.fail.get(event_id):
            raise self.fail[event_id].pop(0)


def processor(store, metrics, handler, **options) -> BatchProcessor:
    return BatchProcessor(
        service=SERVICE, topic=TOPIC, handler=handler, db=store.db, inbox=store.inbox, outbox=store.outbox,
        metrics=metrics, retry_base_seconds=0.001, retry_max_seconds=0.002, **options,
    )


def sample(metrics, name: str) -> float:
    return metrics.registry.get_sample_value(name, {"service": SERVICE, "topic": TOPIC}) or 0.0


def headers_of(row) -> dict[str, bytes]:
    return dict(headers_from_text(row.headers))


@pytest.fixture
def batch(visit):
    """Three events of three persons at offsets 10, 11, 12."""
    return [record_of(visit(person_id=f"p{i}"), f"ev-{i}", offset=10 + i) for i in range(3)]


async def test_same_batch_twice_applies_each_event_once(store, metrics, batch):
    handler = Handler(store)
    proc = processor(store, metrics, handler)
    await proc.process(batch)
    await proc.process(batch)
    assert sorted(await store.effect_ids()) == ["ev-0", "ev-1", "ev-2"]
    assert handler.calls == {"ev-0": 1, "ev-1": 1, "ev-2": 1}
    assert await store.inbox_ids() == {"ev-0", "ev-1", "ev-2"}
    assert sample(metrics, "jejaring_events_applied_total") == 3
    assert sample(metrics, "jejaring_events_duplicate_total") == 3


async def test_duplicate_inside_one_batch_is_applied_once(store, metrics, batch):
    handler = Handler(store)
    redelivered = replace(batch[1], offset=99)
    await processor(store, metrics, handler).process([*batch, redelivered])
    assert sorted(await store.effect_ids()) == ["ev-0", "ev-1", "ev-2"]
    assert sample(metrics, "jejaring_events_applied_total") == 3
    assert sample(metrics, "jejaring_events_duplicate_total") == 1


async def test_emitted_events_are_staged_in_the_outbox_with_deterministic_ids(store, metrics, batch):
    proc = processor(store, metrics, Handler(store, emit=True))
    await proc.process(batch)
    await proc.process(batch)  # redelivery emits nothing new
    rows = await store.outbox_rows()
    expected_ids = [str(uuid5(NAMESPACE_URL, f"derived/ev-{i}")) for i in range(3)]
    assert [row.event_id for row in rows] == expected_ids
    assert {row.topic for row in rows} == {topics.TARGET_SET}
    envelope = decode(KafkaRecord(rows[0].topic, rows[0].key, rows[0].value, tuple(headers_of(rows[0]).items())))
    assert envelope.id == expected_ids[0]
    assert envelope.source == f"/jejaring/{SERVICE}"
    assert envelope.data == TargetSet(village_code="31.71.01.1001", year=2024, target="pregnant", count=1)
    assert proc.outbox._wake.is_set()


async def test_failing_event_is_retried_then_dead_lettered_while_others_commit(store, metrics, batch):
    errors = [ValueError("height below plausible range") for _ in range(5)]
    handler = Handler(store, fail={"ev-1": errors}, emit=True)
    await processor(store, metrics, handler, max_attempts=3).process(batch)

    assert handler.calls["ev-1"] == 3 and len(errors) == 2
    assert sorted(await store.effect_ids()) == ["ev-0", "ev-2"]  # ev-1's savepoint writes rolled back
    rows = await store.outbox_rows()
    derived = [r for r in rows if r.topic == topics.TARGET_SET]
    assert [r.event_id for r in derived] == [str(uuid5(NAMESPACE_URL, f"derived/ev-{i}")) for i in (0, 2)]

    [dead] = [r for r in rows if r.topic == DLQ]
    original = batch[1]
    assert (dead.key, dead.value) == (original.key, original.value)
    assert dead.event_id == f"dlq:{TOPIC}:0:11"  # names the origin, not the DLQ record's unset partition
    headers = headers_of(dead)
    assert {k: v for k, v in headers.items() if not k.startswith("x-dlq-")} == dict(original.headers)
    assert headers["x-dlq-error"] == b"ValueError: height below plausible range"
    assert headers["x-dlq-error-kind"] == b"failed"
    assert headers["x-dlq-service"] == SERVICE.encode()
    assert headers["x-dlq-topic"] == TOPIC.encode()
    assert headers["x-dlq-partition"] == b"0"
    assert headers["x-dlq-offset"] == b"11"
    assert "x-dlq-at" in headers

    assert sample(metrics, "jejaring_events_applied_total") == 2
    assert sample(metrics, "jejaring_dead_letters_total") == 1


async def test_dead_lettered_event_is_not_retried_on_redelivery(store, metrics, batch):
    handler = Handler(store, fail={"ev-1": [ValueError("boom") for _ in range(5)]})
    proc = processor(store, metrics, handler, max_attempts=2)
    await proc.process(batch)
    await proc.process(batch)
    assert handler.calls["ev-1"] == 2
    assert len([r for r in await store.outbox_rows() if r.topic == DLQ]) == 1
    assert sample(metrics, "jejaring_dead_letters_total") == 1


async def test_undecodable_record_is_dead_lettered_as_invalid_and_never_handled(store, metrics, batch):
    broken = replace(batch[1], value=b'{"visit_id": "not-a-uuid"}')
    handler = Handler(store)
    await processor(store, metrics, handler).process([batch[0], broken, batch[2]])

    assert set(handler.calls) == {"ev-0", "ev-2"}
    [dead] = await store.outbox_rows()
    headers = headers_of(dead)
    assert dead.topic == DLQ and dead.value == broken.value and dead.event_id == f"dlq:{TOPIC}:0:11"
    assert headers["x-dlq-error-kind"] == b"invalid"
    assert b"visit_id:" in headers["x-dlq-error"]
    assert headers["x-dlq-offset"] == b"11"
    assert sample(metrics, "jejaring_dead_letters_total") == 1
    assert sample(metrics, "jejaring_events_applied_total") == 2


async def test_record_without_event_id_is_invalid_not_applied(store, metrics, batch):
    anonymous = replace(batch[0], headers=tuple(h for h in batch[0].headers if h[0] != "ce_id"))
    handler = Handler(store)
    proc = processor(store, metrics, handler)
    await proc.process([anonymous])
    await proc.process([anonymous])
    assert handler.calls == {}
    assert [headers_of(r)["x-dlq-error-kind"] for r in await store.outbox_rows()] == [b"invalid", b"invalid"]


def _db_down() -> OperationalError:
    return OperationalError("INSERT INTO effects", {}, Exception("database is locked"))


async def test_infrastructure_error_retries_whole_batch_and_commits_once(store, metrics, batch):
    handler = Handler(store, fail={"ev-1": [_db_down(), _db_down()]}, emit=True)  # down twice, then fine
    proc = processor(store, metrics, handler)
    await proc.process(batch)

    assert handler.calls == {"ev-0": 3, "ev-1": 3, "ev-2": 1}  # whole batch re-run, not per-message retries
    assert sorted(await store.effect_ids()) == ["ev-0", "ev-1", "ev-2"]  # failed attempts left nothing
    rows = await store.outbox_rows()
    assert [r.topic for r in rows] == [topics.TARGET_SET] * 3  # staged once, no dead letter
    assert await store.inbox_ids() == {"ev-0", "ev-1", "ev-2"}
    assert sample(metrics, "jejaring_infra_retries_total") == 2
    assert sample(metrics, "jejaring_events_applied_total") == 3
    assert sample(metrics, "jejaring_dead_letters_total") == 0
    assert proc.failing_since is None


@pytest.mark.parametrize(
    ("exc", "infra"),
    [
        (_db_down(), True),
        (ConnectionError("reset"), True),
        (TimeoutError(), True),
        (DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True), True),
        (IntegrityError("INSERT", {}, Exception("UNIQUE constraint failed")), False),
        (ValueError("bad data"), False),
    ],
    ids=["operational", "connection", "timeout", "invalidated", "integrity", "value"],
)
def test_is_infra_error(exc, infra):
    assert is_infra_error(exc) is infra


async def test_a_failure_outside_the_savepoints_is_narrowed_to_its_message_and_the_rest_applied(store, metrics, batch):
    await processor(store, metrics, Handler(store)).process(batch[:1])
    store.inbox.seen = _seen_nothing  # the inbox forgets: marking ev-0 again violates its primary key
    await processor(store, metrics, Handler(store)).process(batch)  # returns: the consumer goes on
    assert sample(metrics, "jejaring_infra_retries_total") == 0
    assert sorted(await store.effect_ids()) == ["ev-0", "ev-1", "ev-2"]  # ev-0's second effect rolled back
    [dead] = [r for r in await store.outbox_rows() if r.topic == DLQ]
    headers = headers_of(dead)
    assert dead.event_id == f"dlq:{TOPIC}:0:10" and headers["x-dlq-error-kind"] == b"failed"
    assert headers["x-dlq-error"].startswith(b"IntegrityError")
    assert sample(metrics, "jejaring_dead_letters_total") == 1


async def test_poison_anywhere_in_a_large_poll_is_dead_lettered_and_every_good_event_applied(store, metrics, visit):
    records = [record_of(visit(person_id=f"p{i}"), f"ev-{i}", offset=i) for i in range(40)]
    poisoned = {"ev-3", "ev-17", "ev-18", "ev-39"}
    mark = store.inbox.mark

    async def failing_mark(session, topic, keys):  # noqa: ANN001 - bookkeeping that breaks the poll
        keys = list(keys)
        if poisoned & {event_id for _type, event_id in keys}:
            raise RecursionError("maximum recursion depth exceeded")
        await mark(session, topic, keys)

    store.inbox.mark = failing_mark
    await processor(store, metrics, Handler(store)).process(records)
    assert sorted(await store.effect_ids()) == sorted(f"ev-{i}" for i in range(40) if f"ev-{i}" not in poisoned)
    dead = [r for r in await store.outbox_rows() if r.topic == DLQ]
    assert sorted(r.event_id for r in dead) == sorted(f"dlq:{TOPIC}:0:{e.split('-')[1]}" for e in poisoned)
    assert {headers_of(r)["x-dlq-error"] for r in dead} == {b"RecursionError: maximum recursion depth exceeded"}


async def test_any_decoding_failure_is_a_dead_letter_whatever_the_exception(store, metrics, batch):
    nested = replace(batch[0], value=b"[" * 100_000, offset=20)  # RecursionError in the JSON parser
    long_id = replace(batch[1], offset=21,
                      headers=tuple((k, b"x" * 200 if k == "ce_id" else v) for k, v in batch[1].headers))
    unknown = replace(batch[2], offset=22, headers=tuple(
        (k, b"id.jejaring.visit.recorded.v9" if k == "ce_type" else v) for k, v in batch[2].headers))
    handler = Handler(store)
    await processor(store, metrics, handler).process([nested, long_id, unknown, batch[2]])
    assert set(handler.calls) == {"ev-2"}
    reasons = {headers_of(r)["x-dlq-offset"]: headers_of(r)["x-dlq-error"] for r in await store.outbox_rows()}
    assert set(reasons) == {b"20", b"21", b"22"}
    assert b"ce_id is longer than 128" in reasons[b"21"] and b"unknown event type" in reasons[b"22"]
    assert all(headers_of(r)["x-dlq-error-kind"] == b"invalid" for r in await store.outbox_rows())


async def _seen_nothing(session, event_ids) -> set[str]:
    return set()


async def test_after_commit_callbacks_run_only_for_applied_events(store, metrics, batch):
    ran: list[str] = []

    async def handler(unit: Unit) -> None:
        unit.after_commit.append(lambda: ran.append(unit.message.event_id))
        if unit.message.event_id == "ev-1":
            raise ValueError("bad")

    await processor(store, metrics, handler, max_attempts=1).process(batch)
    assert ran == ["ev-0", "ev-2"]


# -- whole-batch handlers ---------------------------------------------------------------------------
async def test_batch_handler_applies_a_batch_at_once_and_falls_back_to_single_messages(store, metrics) -> None:
    from shared.contracts.events import FacilityRegistered
    from shared.envelope import encode
    from shared.messaging.consumer import BatchProcessor
    from shared.unit import Reject

    calls: list[int] = []

    async def batch(unit) -> None:  # noqa: ANN001
        calls.append(len(unit.messages))
        for message in unit.messages:
            if message.body.data.name == "poison":
                raise Reject("poison facility")
            unit.emit(message.body.data, event_id=f"derived:{message.event_id}")

    def record(i: int, name: str):  # noqa: ANN202
        r = encode(FacilityRegistered(facility_id=f"F{i}", name=name, type="pustu", village_code="18.01.06.2001"),
                   source="/test", event_id=f"e{i}")
        return type(r)(topic=r.topic, key=r.key, value=r.value, headers=r.headers, partition=0, offset=i)

    processor = BatchProcessor(service="svc", topic="ilp.facility.registered.v1", handler=None, batch_handler=batch,
                               db=store.db, inbox=store.inbox, outbox=store.outbox, metrics=metrics,
                               retry_base_seconds=0.001)
    await processor.process([record(1, "a"), record(2, "b"), record(3, "c")])
    assert calls == [3]
    await processor.process([record(4, "d"), record(5, "poison"), record(6, "f")])
    assert calls == [3, 3, 1, 1, 1]   # the failed batch, then one at a time
    topics = [r.topic for r in await store.outbox_rows()]
    assert topics.count("ilp.facility.registered.v1") == 5
    assert topics.count("ilp.facility.registered.v1.svc.dlq") == 1


# -- one poll, several topics ----------------------------------------------------------------------
async def test_a_poll_of_several_topics_commits_once_and_retries_as_a_whole(store, metrics, visit) -> None:
    from shared.messaging.poll import process_poll

    first = Handler(store, emit=True)
    second = Handler(store, fail={"ev-b1": [_db_down()]}, emit=True)  # the database drops once, in topic B
    a = processor(store, metrics, first)
    b = BatchProcessor(service=SERVICE, topic=topics.PERSON_LINKED, handler=second, db=store.db, inbox=store.inbox,
                       outbox=store.outbox, metrics=metrics, retry_base_seconds=0.001, retry_max_seconds=0.002)
    records_a = [record_of(visit(person_id="pa"), "ev-a0", offset=1)]
    records_b = [replace(record_of(visit(person_id=f"pb{i}"), f"ev-b{i}", offset=i), topic=topics.PERSON_LINKED)
                 for i in range(2)]
    await process_poll(store.db, store.outbox, [(a, records_a), (b, records_b)])

    # topic A's work was rolled back with topic B's failure and applied again: once in effect
    assert first.calls["ev-a0"] == 2 and second.calls["ev-b0"] == 2
    assert sorted(await store.effect_ids()) == ["ev-a0", "ev-b0", "ev-b1"]
    assert await store.inbox_ids() == {"ev-a0", "ev-b0", "ev-b1"}
    assert [r.topic for r in await store.outbox_rows()] == [topics.TARGET_SET] * 3
    assert sample(metrics, "jejaring_infra_retries_total") == 1  # counted for every processor of the poll
    # redelivery of the whole poll changes nothing
    await process_poll(store.db, store.outbox, [(a, records_a), (b, records_b)])
    assert sorted(await store.effect_ids()) == ["ev-a0", "ev-b0", "ev-b1"]
