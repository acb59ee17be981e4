"""Dead-letter topics for operators: list, show, redrive after a fix, discard.

A DLQ ``<topic>.<service>.dlq`` is read from the broker without joining a group. What was done with
each dead letter is remembered in the consuming service's own database, in its inbox table
(``processed_events``): one row per dead letter handled, ``event_type`` ``jejaring.dlq.redriven`` or
``jejaring.dlq.discarded``, ``event_id`` the dead letter's origin and dead-lettering time
(:attr:`DeadLetter.handle_key`), ``topic`` the DLQ. That row is kept as long as inbox rows are
(``JEJARING_INBOX_RETENTION_HOURS``, 30 days, as long as a DLQ keeps its records on Kafka); a copy of
the same dead letter (the consumer's outbox replayed) has the same key, so it counts as handled too.
Consumer group ``<service>-dlq`` is then committed past every handled dead letter at the head of the
DLQ, which is what ``jejaring_dlq_messages`` and its alert count from.

Redriving re-publishes a dead letter to its origin topic (``x-dlq-topic``) with its key, value and
original headers (not the ``x-dlq-*`` ones) plus ``x-redriven-from`` (``<dlq>:<partition>:<offset>``)
and ``x-redriven-at``. It never double-counts, because the consumers are idempotent:

- an intake visit is known by its ``visit_id`` (a second copy is a duplicate);
- an event is known by its inbox row, keyed by event type and id. A consumer remembers an event it
  dead-lettered under its DLQ's name (``shared.messaging.consumer``), so that a redelivery does not
  retry it; redriving releases exactly that row (in the service's database, before publishing), and
  nothing else: an event the inbox shows as applied (a replay got it through since) is not
  published again, and a second redrive finds the first one's record and does nothing.

Privacy: registration's intake DLQs (``ilp.intake.*.registration.dlq``) keep the facility's raw
message, NIK and name included, as the intake topic does; their payload and original headers are
printed only when asked for (``--payload``). Every other DLQ carries pseudonymous events; their
payload too is printed only with ``--payload``, and there, as in every reason, any run of 16 digits
(the shape of a NIK) is masked, should one ever have slipped into an event.

Over 300 lines: list, show, redrive and discard share reading a DLQ and recording its handling.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from aiokafka import TopicPartition
from sqlalchemy import Table, and_, delete, or_, select

from shared.db import Database, bulk_insert
from shared.envelope import KafkaRecord
from shared.messaging.kafka import Producer
from shared.observability import dlq_group
from shared.operations import offsets
from shared.progress import Progress
from shared.settings import KafkaSettings
from shared.time import utc

REDRIVEN = "jejaring.dlq.redriven"
DISCARDED = "jejaring.dlq.discarded"
STATES = {REDRIVEN: "redriven", DISCARDED: "discarded"}
MAX_KEY = 128  # the inbox's event_id column
CHUNK = 500
_NIK_SHAPE = re.compile(r"(?<!\d)\d{16}(?!\d)")


def parse_topic(topic: str) -> tuple[str, str] | None:
    """``(origin topic, service)`` of a DLQ name ``<topic>.<service>.dlq``, else None."""
    head, _, suffix = topic.rpartition(".")
    origin, _, service = head.rpartition(".")
    if suffix != "dlq" or not origin or not service:
        return None
    return origin, service


def holds_raw_intake(topic: str) -> bool:
    """Registration's own intake DLQs, which keep the facility's raw message (NIK and name)."""
    return topic.startswith("ilp.intake.") and topic.endswith(".registration.dlq")


def mask(text: str) -> str:
    """``text`` with every run of exactly 16 digits (a NIK's shape) masked."""
    return _NIK_SHAPE.sub("################", text)


def parse_since(text: str) -> datetime:
    """An ISO time (offset optional: UTC)."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def parse_id(text: str) -> tuple[int, int]:
    """A dead letter's id as ``list`` shows it: ``OFFSET`` (partition 0) or ``PARTITION:OFFSET``."""
    part, _, offset = text.strip().rpartition(":")
    try:
        return (int(part) if part else 0), int(offset)
    except ValueError:
        raise ValueError(f"not a dead letter id: {text!r} (OFFSET or PARTITION:OFFSET, as `jejaring dlq list` shows)") from None


@dataclass(frozen=True)
class DeadLetter:
    """One record of a DLQ topic."""

    topic: str
    partition: int
    offset: int
    timestamp: int | None
    key: bytes | None
    value: bytes
    headers: tuple[tuple[str, bytes], ...]

    @classmethod
    def of(cls, record) -> "DeadLetter":  # noqa: ANN001 - an aiokafka ConsumerRecord
        return cls(record.topic, record.partition, record.offset, record.timestamp, record.key,
                   record.value or b"", tuple(record.headers or ()))

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key == name:
                return value.decode("utf-8", errors="replace")
        return None

    @property
    def id(self) -> str:
        return str(self.offset) if self.partition == 0 else f"{self.partition}:{self.offset}"

    @property
    def reason(self) -> str:
        return mask(self.header("x-dlq-error") or "")

    @property
    def kind(self) -> str:
        return self.header("x-dlq-error-kind") or ""

    @property
    def origin(self) -> str:
        """``<topic>:<partition>:<offset>`` the dead letter came from."""
        return ":".join(self.header(h) or "?" for h in ("x-dlq-topic", "x-dlq-partition", "x-dlq-offset"))

    @property
    def origin_topic(self) -> str | None:
        return self.header("x-dlq-topic")

    @property
    def at(self) -> datetime | None:
        """When the consumer dead-lettered it (``x-dlq-at``, else the record's timestamp)."""
        text = self.header("x-dlq-at")
        if text:
            try:
                return utc(datetime.fromisoformat(text))
            except ValueError:
                pass
        return datetime.fromtimestamp(self.timestamp / 1000, timezone.utc) if self.timestamp else None

    @property
    def handle_key(self) -> str:
        """What the service's database remembers it by: origin and dead-lettering time (a broker that
        lost its log numbers offsets anew, so the origin alone could name two messages)."""
        key = f"{self.origin}@{self.header('x-dlq-at') or self.timestamp}"
        return key if len(key) <= MAX_KEY else "sha256:" + hashlib.sha256(key.encode()).hexdigest()

    @property
    def event_key(self) -> tuple[str, str] | None:
        """``(event type, event id)`` of a CloudEvent (None: an intake message)."""
        ce_type, ce_id = self.header("ce_type"), self.header("ce_id")
        return (ce_type, ce_id) if ce_type and ce_id else None

    def original_headers(self) -> tuple[tuple[str, bytes], ...]:
        return tuple((k, v) for k, v in self.headers if not k.startswith(("x-dlq-", "x-redriven-")))

    def redriven(self, now: datetime) -> KafkaRecord:
        """The copy that goes back to the origin topic."""
        extra = (("x-redriven-from", f"{self.topic}:{self.partition}:{self.offset}".encode()),
                 ("x-redriven-at", now.isoformat().encode()))
        return KafkaRecord(topic=self.origin_topic or "", key=self.key, value=self.value,
                           headers=self.original_headers() + extra)


@dataclass
class Entry:
    """A dead letter and what was done with it."""

    letter: DeadLetter
    state: str = "pending"  # pending | redriven | discarded | handled (before group <service>-dlq's offset)
    handled_at: datetime | None = None

    def view(self, *, payload: bool = False, headers: bool = False) -> dict:
        """What ``list`` (and with ``headers``/``payload``, ``show``) prints; masked as the module says."""
        d = self.letter
        raw = holds_raw_intake(d.topic)
        view = {
            "id": d.id, "state": self.state,
            "handled_at": self.handled_at.isoformat() if self.handled_at else None,
            "dead_lettered_at": d.at.isoformat() if d.at else None, "kind": d.kind, "reason": d.reason,
            "origin": d.origin,
        }
        if headers:
            shown = [(k, v) for k, v in d.headers if k.startswith(("x-dlq-", "x-redriven-"))]
            if payload or not raw:
                shown = list(d.headers)
            view["key"] = _text(d.key, raw)
            ours = ("x-dlq-", "x-redriven-")  # the consumer's and the redrive's own: masked everywhere
            view["headers"] = {k: _text(v, raw and not k.startswith(ours)) for k, v in shown}
            if not payload and raw:
                view["headers_note"] = "the facility's own headers are shown with --payload"
        if payload:
            view["payload"] = _text(d.value, raw)
        return view


def _text(value: bytes | None, raw: bool) -> str | None:
    if value is None:
        return None
    text = value.decode("utf-8", errors="replace")
    return text if raw else mask(text)


@dataclass
class Selection:
    """Which pending dead letters a command acts on: all, some ids, or those dead-lettered since a time."""

    ids: Sequence[str] = ()
    since: datetime | None = None


@dataclass
class Report:
    """What a redrive or discard did."""

    topic: str
    action: str
    chosen: int = 0
    published: int = 0
    already_applied: int = 0  # events the inbox shows applied since: not published again
    released: int = 0  # inbox rows of dead-lettered events released for the redrive
    copies: int = 0  # copies of a dead letter handled in the same run
    skipped: list[str] = field(default_factory=list)  # ids asked for but not pending (with why)
    missing: list[str] = field(default_factory=list)  # ids asked for that are not on the DLQ
    committed: int | None = None  # group <service>-dlq's new offset (partition 0), if it moved

    def summary(self) -> str:
        parts = [f"{self.chosen} dead letter(s) {self.action}"]
        if self.action == "redriven":
            parts.append(f"{self.published} published to their origin topic")
            if self.already_applied:
                parts.append(f"{self.already_applied} already applied (not published again)")
        if self.copies:
            parts.append(f"{self.copies} copies of the same dead letter")
        if self.skipped:
            parts.append(f"{len(self.skipped)} not pending")
        if self.missing:
            parts.append(f"{len(self.missing)} not found")
        return ", ".join(parts)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items()}


class DeadLetterQueue:
    """One DLQ topic, the consuming service's database and the broker."""

    def __init__(self, topic: str, *, kafka: KafkaSettings, db: Database, inbox: Table,
                 publish: Callable | None = None, clock: Callable[[], datetime] | None = None) -> None:
        parsed = parse_topic(topic)
        if parsed is None:
            raise ValueError(f"{topic} is not a dead-letter topic (<topic>.<service>.dlq)")
        self.topic = topic
        self.origin, self.service = parsed
        self.kafka = kafka
        self.db = db
        self.inbox = inbox
        self._publish = publish  # tests: an async callable taking KafkaRecords
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.group = dlq_group(self.service)

    # -- reading -------------------------------------------------------------------------------
    async def read(self) -> tuple[list[DeadLetter], dict[TopicPartition, offsets.Log], dict[TopicPartition, int | None]]:
        """Every dead letter on the broker, the partitions' logs and group ``<service>-dlq``'s offsets."""
        async with offsets.consumer(self.kafka, purpose=f"{self.service}-dlq-read") as client:
            tps = await offsets.partitions(client, [self.topic])
            logs = await offsets.logs(client, tps)
            letters = [DeadLetter.of(r) for r in await offsets.read(client, tps)]
        done = await offsets.committed(self.kafka, self.group, tps)
        return letters, logs, done

    async def handled(self) -> dict[str, tuple[str, datetime]]:
        """``{handle key: (state, when)}`` remembered in the service's database."""
        t = self.inbox
        query = select(t.c.event_id, t.c.event_type, t.c.processed_at).where(
            t.c.topic == self.topic, t.c.event_type.in_(list(STATES)))
        async with self.db.read_session() as session:
            return {key: (STATES[kind], utc(at)) for key, kind, at in (await session.execute(query)).all()}

    async def entries(self, letters: Sequence[DeadLetter] | None = None,
                      done: dict[TopicPartition, int | None] | None = None) -> list[Entry]:
        """Every dead letter with its state."""
        if letters is None:
            letters, _logs, done = await self.read()
        handled = await self.handled()
        done = done or {}
        entries = []
        for letter in letters:
            state, at = handled.get(letter.handle_key, ("pending", None))
            if state == "pending":
                mark = done.get(TopicPartition(letter.topic, letter.partition))
                if mark is not None and letter.offset < mark:
                    state = "handled"
            entries.append(Entry(letter, state, at))
        return entries

    # -- acting --------------------------------------------------------------------------------
    async def redrive(self, selection: Selection, *, progress: Progress | None = None,
                      echo: Callable[[str], None] | None = None) -> Report:
        """Re-publish the chosen pending dead letters to their origin topic; remember each."""
        return await self._act(selection, REDRIVEN, progress=progress, echo=echo)

    async def discard(self, selection: Selection, *, progress: Progress | None = None,
                      echo: Callable[[str], None] | None = None) -> Report:
        """Remember the chosen pending dead letters as discarded (nothing is published)."""
        return await self._act(selection, DISCARDED, progress=progress, echo=echo)

    async def _act(self, selection: Selection, kind: str, *, progress: Progress | None,
                   echo: Callable[[str], None] | None) -> Report:
        letters, logs, done = await self.read()
        entries = await self.entries(letters, done)
        report = Report(self.topic, STATES[kind])
        chosen = self.choose(entries, selection, report)
        report.chosen = len(chosen)
        if progress is not None:
            progress.set_total(len(chosen))
        producer = None
        if kind == REDRIVEN and chosen and self._publish is None:
            producer = Producer(self.kafka)
            await producer.start()
        try:
            seen: set[str] = set()
            for start in range(0, len(chosen), CHUNK):
                chunk = chosen[start:start + CHUNK]
                await self._act_on(chunk, kind, seen, report, producer, echo)
                if progress is not None:
                    progress.advance(len(chunk))
        finally:
            if producer is not None:
                await producer.stop()
        report.committed = await self._commit_head(entries, logs, done)
        return report

    def choose(self, entries: Sequence[Entry], selection: Selection, report: Report) -> list[Entry]:
        """The pending entries the selection names, in DLQ order; asked-for ids that are not pending
        or not there are noted in ``report``."""
        if selection.ids:
            by_id = {(e.letter.partition, e.letter.offset): e for e in entries}
            chosen = []
            for text in selection.ids:
                entry = by_id.get(parse_id(text))
                if entry is None:
                    report.missing.append(text)
                elif entry.state != "pending":
                    when = f" at {entry.handled_at.isoformat()}" if entry.handled_at else ""
                    report.skipped.append(f"{text}: {entry.state}{when}")
                elif entry not in chosen:
                    chosen.append(entry)
            chosen.sort(key=lambda e: (e.letter.partition, e.letter.offset))
        else:
            chosen = [e for e in entries if e.state == "pending"]
        if selection.since is not None:
            chosen = [e for e in chosen if e.letter.at is not None and e.letter.at >= selection.since]
        return chosen

    async def _act_on(self, chunk: list[Entry], kind: str, seen: set[str], report: Report,
                      producer: Producer | None, echo: Callable[[str], None] | None) -> None:
        now = self.clock()
        publish: list[Entry] = []
        notes: dict[int, str] = {}
        fresh = []
        for entry in chunk:
            if entry.letter.handle_key in seen:
                report.copies += 1
                notes[id(entry)] = "copy of a dead letter handled above"
                continue
            seen.add(entry.letter.handle_key)
            fresh.append(entry)
        if kind == REDRIVEN and fresh:
            publish = await self._release(fresh, report, notes)
            records = [e.letter.redriven(now) for e in publish]
            if records:
                await (self._publish(records) if self._publish is not None else producer.publish(records))
            report.published += len(records)
        async with self.db.session() as session, session.begin():
            await bulk_insert(session, self.inbox, ("event_id", "event_type", "topic", "processed_at"),
                              [(e.letter.handle_key, kind, self.topic, now) for e in fresh])
        for entry in chunk:
            entry.state, entry.handled_at = STATES[kind], now
            if echo is not None:
                note = notes.get(id(entry))
                target = f" -> {entry.letter.origin_topic}" if kind == REDRIVEN and note is None else ""
                echo(f"{STATES[kind]} {entry.letter.id} (from {entry.letter.origin}){target}"
                     + (f": {note}" if note else ""))

    async def _release(self, entries: list[Entry], report: Report, notes: dict[int, str]) -> list[Entry]:
        """Release the inbox rows of dead-lettered events (so the consumer applies the redriven copy);
        return the entries to publish: intake messages, released events, events the inbox never saw."""
        keys = {e.letter.event_key for e in entries if e.letter.event_key}
        t = self.inbox
        rows: dict[tuple[str, str], str] = {}
        ids = sorted({event_id for _type, event_id in keys})
        async with self.db.session() as session, session.begin():
            for start in range(0, len(ids), CHUNK):
                found = await session.execute(select(t.c.event_type, t.c.event_id, t.c.topic).where(
                    t.c.event_id.in_(ids[start:start + CHUNK])))
                rows.update({(ty, ev): topic for ty, ev, topic in found if (ty, ev) in keys})
            release = [key for key, topic in rows.items() if topic == self.topic]
            for start in range(0, len(release), CHUNK):
                part = release[start:start + CHUNK]
                await session.execute(delete(t).where(t.c.topic == self.topic, or_(
                    *(and_(t.c.event_type == ty, t.c.event_id == ev) for ty, ev in part))))
        report.released += len(release)
        publish = []
        for entry in entries:
            key = entry.letter.event_key
            if key is not None and key in rows and rows[key] != self.topic:
                report.already_applied += 1
                notes[id(entry)] = "already applied, not published again"
                continue
            publish.append(entry)
        return publish

    async def _commit_head(self, entries: Sequence[Entry], logs: dict[TopicPartition, offsets.Log],
                           done: dict[TopicPartition, int | None]) -> int | None:
        """Commit group ``<service>-dlq`` past the handled dead letters at the head of each partition."""
        moves: dict[TopicPartition, int] = {}
        for tp, log in logs.items():
            start = done.get(tp)
            position = start if start is not None else log.begin
            mine = sorted((e for e in entries if e.letter.partition == tp.partition), key=lambda e: e.letter.offset)
            pending = [e for e in mine if e.letter.offset >= position and e.state == "pending"]
            target = pending[0].letter.offset if pending else max(log.end, mine[-1].letter.offset + 1 if mine else 0)
            if target > position or (start is None and target > 0):
                moves[tp] = target
        await self._commit(moves)
        return next(iter(moves.values()), None) if moves else None

    async def _commit(self, moves: dict[TopicPartition, int]) -> None:
        await offsets.commit(self.kafka, self.group, moves)
