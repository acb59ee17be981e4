"""``jejaring rebuild dashboard``: the command empties the read model and re-reads the topics itself.

The history on the topics was validated and deduplicated when it was first consumed, and every
effect of the read model is idempotent by its natural key (``counted_events`` per counted event,
the latest measurement per person, indicator and month, referral patches merged, reference data
and signals by revision). So the re-read skips what the live consumer pays per event — the inbox
look-up and its row, one transaction per poll — and applies large batches (10,000 events a
transaction by default) with the same staging and flush as the live path:

1. list the partitions of every consumed topic; in one transaction empty the read model, start a
   new rebuild generation and record every partition as rewound for it (``rebuild.rebuild``), so
   no running dashboard rewinds: its consumer goes on with new events meanwhile;
2. capture each partition's log end *after* that commit (every event applied before the read model
   was emptied lies below it) and record it in ``rebuild_progress``;
3. read each partition of the read-model and signal topics from its start to that end with a
   consumer outside the group (partitions assigned by hand: the dashboard's group never
   rebalances), apply batch by batch, and record in each batch's transaction how far each
   partition is applied. A rebuild that stops half-way resumes from there (``--resume``), exactly;
4. at the end, move the group ``dashboard`` to those ends where it had committed less (a dashboard
   that was stopped meanwhile then does not re-apply what the rebuild applied; best effort, and
   harmless either way since re-applying changes nothing).

Events arriving meanwhile are applied by the running dashboard (with its inbox) as always, and
the ones below the captured end by both: the effects' natural keys make that change nothing.
On PostgreSQL ``processes`` > 1 shares the partitions among several processes by partition number.

Over 300 lines: the re-read's parts (planning, the partitions' reading, one batch's transaction with
its fallback, the shares of several processes, the hand-over) share one generation and its
``rebuild_progress`` rows, and are read together when reasoning about a crash or a concurrent writer.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import heapq
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import TopicPartition

from services.dashboard.app import CONSUMED
from services.dashboard.domain.registry import Indicator
from services.dashboard.readmodel.flush import write
from services.dashboard.readmodel.staging import Pending, stage_into
from services.dashboard.usecases import rebuild, signals
from services.dashboard.usecases.apply import apply
from shared.contracts.events import OutbreakSignal
from shared.contracts.topics import OUTBREAK_SIGNAL
from shared.envelope import decode
from shared.errors import is_infra_error, safe_reason
from shared.operations import offsets

log = logging.getLogger(__name__)

BATCH = 10_000  # events a transaction
# The topics whose effects a rebuild empties (the token topic's are kept: tokens survive a rebuild).
REREAD = frozenset({*CONSUMED, OUTBREAK_SIGNAL})
POLL_MS = 500
STALL_SECONDS = 60.0  # no record of an unfinished partition for this long: the broker is gone
INFRA_ATTEMPTS = 8
# A batch keeps ~100 objects per event alive until it commits: every automatic collection scans
# the batch's live objects again (measured: with CPython's default threshold decoding alone 3x
# slower; with a threshold of 100,000 still ~20 us of an event's ~100). So the automatic collector
# is off while the re-read runs, and one full collection runs after each batch, once its objects
# are released: garbage cycles are reclaimed every batch, memory stays bounded by a batch.


TRANSIENT_SQLSTATES = ("40P01", "40001")  # PostgreSQL: deadlock detected, serialization failure


def retryable(exc: BaseException) -> bool:
    """A failure that trying the batch's transaction again can cure: the database away, or on
    PostgreSQL a deadlock or serialization failure with a concurrent writer (the live consumer)."""
    if is_infra_error(exc):
        return True
    orig = getattr(exc, "orig", None)
    return any(getattr(orig, name, None) in TRANSIENT_SQLSTATES for name in ("sqlstate", "pgcode"))


class RebuildError(RuntimeError):
    """The re-read could not go on; ``jejaring rebuild dashboard --resume`` continues it."""


@dataclass
class Report:
    """What a re-read did."""

    generation: int
    partitions: int = 0
    events: int = 0  # records read below the captured ends
    applied: int = 0
    skipped: int = 0  # records that do not decode or cannot be applied (the live consumer dead-letters them)
    batches: int = 0
    seconds: float = 0.0  # the whole command: emptying, capturing the ends, re-reading
    read_seconds: float = 0.0  # the re-read alone, first fetch to last commit
    handed_over: int = 0  # partitions whose group offset moved to the captured end
    errors: list[str] = field(default_factory=list)

    @property
    def events_per_s(self) -> float:
        """Events re-read per second of the re-read (the emptying before it is not per event)."""
        return self.events / self.read_seconds if self.read_seconds else 0.0


def interleave(parts: Iterable[Sequence[Any]]) -> list[Any]:
    """Records of several partitions in one list by their timestamps (the producers' outbox
    times), each partition's own order kept: near the order the live consumer met them in."""
    return list(heapq.merge(*parts, key=lambda r: r.timestamp or 0))


def below(records: Sequence[Any], end: int) -> Sequence[Any]:
    """The records of one partition before offset ``end`` (records arrive in offset order)."""
    if not records or records[-1].offset < end:
        return records
    return [r for r in records if r.offset < end]


class Reread:
    """Re-reads the partitions of one rebuild generation into the read model, batch by batch."""

    def __init__(self, service, registry: Sequence[Indicator], *, batch: int = BATCH,  # noqa: ANN001
                 on_applied: Callable[[int], None] | None = None) -> None:
        self.service = service
        self.registry = tuple(registry)
        self.batch = batch
        self.on_applied = on_applied

    # -- one batch ---------------------------------------------------------------------------
    async def apply_records(self, generation: int, parts: Mapping[tuple[str, int], Sequence[Any]],
                            positions: Mapping[tuple[str, int], int], report: Report) -> None:
        """Apply one batch of records (per partition, in offset order) in one transaction with the
        partitions' new positions. Each record is decoded and staged at once (the batch keeps the
        staging, not thousands of decoded events); one that does not decode or stage is skipped (the
        live consumer dead-lettered it). A batch whose writing fails is applied again one event at a
        time, each in a SAVEPOINT, and the events that still fail are skipped."""
        records = interleave(parts.values())
        pending = Pending()
        outbreak: list[OutbreakSignal] = []
        skipped = 0
        for record in records:
            try:
                data = decode(record).data
                if record.topic == OUTBREAK_SIGNAL:
                    if isinstance(data, OutbreakSignal):
                        outbreak.append(data)
                else:
                    stage_into(pending, data, self.registry)
            except Exception:  # noqa: BLE001 - what the live consumer dead-letters, the rebuild skips
                skipped += 1
        for attempt in range(1, INFRA_ATTEMPTS + 1):
            try:
                skipped += await self._commit(generation, pending, outbreak, records, positions)
                break
            except RebuildError:
                raise
            except Exception as exc:
                if not retryable(exc) or attempt == INFRA_ATTEMPTS:
                    raise RebuildError(f"batch not applied: {safe_reason(exc)}") from exc
                log.warning("rebuild: batch to be tried again", extra={"error": safe_reason(exc)})
                await asyncio.sleep(min(0.2 * 2 ** attempt, 10.0))
        report.events += len(records)
        report.skipped += skipped
        report.applied += len(records) - skipped
        report.batches += 1
        if self.on_applied is not None:
            self.on_applied(len(records))

    async def _commit(self, generation: int, pending: Pending, outbreak: list[OutbreakSignal],
                      records: Sequence[Any], positions: Mapping[tuple[str, int], int]) -> int:
        """One transaction: the batch's staging, then the positions; returns how many events were
        skipped when the batch had to be applied one event at a time."""
        skipped = 0
        async with self.service.db.session() as session, session.begin():
            try:
                async with session.begin_nested():
                    await write(session, pending)
                    if outbreak:
                        await signals.store(session, outbreak)
            except Exception as exc:
                if retryable(exc):
                    raise
                log.info("rebuild: batch failed; applying one by one", extra={"error": safe_reason(exc)})
                skipped = await self._one_by_one(session, records)
            if not await rebuild.save_progress(session, generation, dict(positions)):
                raise RebuildError("a newer rebuild started meanwhile; this one stops")
        return skipped

    async def _one_by_one(self, session, records: Sequence[Any]) -> int:  # noqa: ANN001
        """Apply each decodable record alone in a SAVEPOINT; how many failed (besides the undecodable,
        already counted)."""
        failed = 0
        for record in records:
            try:
                data = decode(record).data
            except Exception:  # noqa: BLE001 - counted when the batch was staged
                continue
            try:
                async with session.begin_nested():
                    if record.topic == OUTBREAK_SIGNAL:
                        if isinstance(data, OutbreakSignal):
                            await signals.store(session, [data])
                    else:
                        await apply(session, [data], self.registry)
            except Exception as exc:
                if retryable(exc):
                    raise
                failed += 1
                log.warning("rebuild: event skipped", extra={"error": safe_reason(exc)})
        return failed

    # -- the partitions ------------------------------------------------------------------------
    async def read(self, client, generation: int, todo: Mapping[tuple[str, int], tuple[int, int]],  # noqa: ANN001
                   report: Report) -> None:
        """Read every partition of ``todo`` ((topic, partition) -> (next offset, end)) up to its end."""
        active = {TopicPartition(t, p): end for (t, p), (start, end) in todo.items() if start < end}
        report.partitions = len(active)
        if not active:
            return
        client.assign(list(active))
        client.resume(*active)
        for tp in active:
            client.seek(tp, todo[(tp.topic, tp.partition)][0])
        parts: dict[tuple[str, int], list[Any]] = {}
        positions: dict[tuple[str, int], int] = {}
        held = 0
        quiet_since = time.monotonic()
        while active:
            polled = await client.getmany(*active, timeout_ms=POLL_MS, max_records=self.batch)
            for tp, records in polled.items():
                end = active.get(tp)
                if end is None:
                    continue
                wanted = below(records, end)
                if wanted:
                    parts.setdefault((tp.topic, tp.partition), []).extend(wanted)
                    positions[(tp.topic, tp.partition)] = wanted[-1].offset + 1
                    held += len(wanted)
                    quiet_since = time.monotonic()
                if len(wanted) < len(records) or (records and records[-1].offset + 1 >= end):
                    self._finish(client, tp, active, positions)
            if not polled:
                for tp in list(active):  # gaps at the log's end (e.g. compaction): the position tells
                    if await client.position(tp) >= active[tp]:
                        self._finish(client, tp, active, positions)
                if active and time.monotonic() - quiet_since > STALL_SECONDS:
                    raise RebuildError(f"no records for {STALL_SECONDS:.0f} s from "
                                       + ", ".join(sorted(f"{tp.topic}:{tp.partition}" for tp in active)))
            if held >= self.batch or (not active and (held or positions)):
                await self.apply_records(generation, parts, positions, report)
                parts, positions, held = {}, {}, 0
                _collect()

    @staticmethod
    def _finish(client, tp: TopicPartition, active: dict, positions: dict) -> None:  # noqa: ANN001
        positions[(tp.topic, tp.partition)] = active.pop(tp)
        client.pause(tp)


async def run(service, registry: Sequence[Indicator], *, resume: bool = False, batch: int = BATCH,  # noqa: ANN001
              progress_factory: Callable[[int], Any] | None = None, processes: int = 1,
              share: tuple[int, int] | None = None) -> Report:
    """Empty the read model and re-read every consumed topic into it (or, ``resume``, go on with
    the current generation's re-read from where it stopped). ``progress_factory(total)`` returns
    the object told of the events applied (``advance(n)``), e.g. a :class:`shared.progress.Progress`.

    ``processes`` > 1 (PostgreSQL): this process re-reads the partitions of index 0 modulo
    ``processes`` and starts one ``jejaring rebuild dashboard --resume --share k/N`` per other share
    (``share``: what such a process re-reads). A partition index holds every topic's partition of
    that number, so each person's events stay with one process, as with the live consumer group."""
    if processes > 1 and service.db.is_sqlite:
        raise RebuildError("--processes needs PostgreSQL (SQLite has one writer at a time)")
    kafka = service.settings.kafka
    consumed = sorted({p.topic for p in service.processors})
    reread = [t for t in consumed if t in REREAD]
    started = time.perf_counter()
    with _collector():
        async with offsets.consumer(kafka, purpose="rebuild") as client:
            generation, todo = await _plan(service, client, consumed, reread, resume=resume or share is not None)
            mine = {key: span for key, span in todo.items() if _in_share(key, share or (0, processes))}
            report = Report(generation=generation)
            poller = tracker = None
            if progress_factory is not None:
                tracker = progress_factory(sum(end - start for start, end in todo.values()))
                if processes > 1:
                    poller = asyncio.create_task(_follow(service, generation, todo, tracker))
            others = [await _start_share(k, processes, batch) for k in range(1, processes)]
            worker = Reread(service, registry, batch=batch,
                            on_applied=tracker.advance if tracker is not None and poller is None else None)
            reading = time.perf_counter()
            try:
                await worker.read(client, generation, mine, report)
                for k, child in enumerate(others, start=1):
                    out, err = await child.communicate()
                    if child.returncode != 0:
                        raise RebuildError(f"share {k}/{processes} failed: {err.decode(errors='replace').strip()[-300:]}")
                    _add_share(report, out)
            finally:
                for child in others:
                    if child.returncode is None:
                        child.kill()
                if poller is not None:
                    poller.cancel()
            report.read_seconds = time.perf_counter() - reading
            if poller is not None:
                await _follow(service, generation, todo, tracker, once=True)
    report.seconds = time.perf_counter() - started
    if share is None:
        report.handed_over = await _hand_over(service, {key: end for key, (_start, end) in todo.items()}, report)
    return report


def _in_share(key: tuple[str, int], share: tuple[int, int]) -> bool:
    return key[1] % share[1] == share[0]


async def _plan(service, client, consumed: list[str], reread: list[str], *,  # noqa: ANN001
                resume: bool) -> tuple[int, dict[tuple[str, int], tuple[int, int]]]:
    """The generation and what to re-read ((topic, partition) -> (next offset, end)): the current
    generation's remaining re-read (``resume``), else a new generation, the read model emptied."""
    if resume:
        async with service.db.read_session() as session:
            generation, todo = await rebuild.load_progress(session)
        if not todo:
            raise RebuildError("no rebuild to resume: start one with `jejaring rebuild dashboard`")
        return generation, todo
    tps = await offsets.partitions(client, consumed)
    generation = await rebuild.rebuild(service, reread_by_command=[(tp.topic, tp.partition) for tp in tps])
    logs = await offsets.logs(client, [tp for tp in tps if tp.topic in reread])
    captured = {(tp.topic, tp.partition): (log_.begin, log_.end) for tp, log_ in logs.items()}
    async with service.db.session() as session, session.begin():
        await rebuild.start_progress(session, generation, captured)
    return generation, {key: span for key, span in captured.items() if span[1] > span[0]}


async def _start_share(k: int, n: int, batch: int) -> asyncio.subprocess.Process:
    """Another process re-reading share ``k`` of ``n`` (the same environment: the same databases and broker)."""
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "services.cli", "rebuild", "dashboard", "--resume", "--share", f"{k}/{n}",
        "--batch", str(batch), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "JEJARING_PROGRESS": "off"})


SHARE_LINE = "share report: "


def share_line(report: Report) -> str:
    """What a share's process prints last, for the process that started it."""
    return SHARE_LINE + json.dumps({"events": report.events, "applied": report.applied, "skipped": report.skipped,
                                    "batches": report.batches, "partitions": report.partitions})


def _add_share(report: Report, out: bytes) -> None:
    for line in out.decode(errors="replace").splitlines():
        if line.startswith(SHARE_LINE):
            other = json.loads(line[len(SHARE_LINE):])
            for name in ("events", "applied", "skipped", "batches", "partitions"):
                setattr(report, name, getattr(report, name) + int(other[name]))


async def _follow(service, generation: int, todo: Mapping[tuple[str, int], tuple[int, int]], tracker: Any,  # noqa: ANN001
                  *, once: bool = False) -> None:
    """Tell ``tracker`` how far every process has re-read, from ``rebuild_progress`` (each second)."""
    while True:
        async with service.db.read_session() as session:
            _generation, now = await rebuild.load_progress(session)
        done = sum(min(now.get(key, (start, end))[0], end) - start for key, (start, end) in todo.items())
        if done > tracker.done:
            tracker.advance(done - tracker.done)
        if once:
            return
        await asyncio.sleep(1.0)


@contextlib.contextmanager
def _collector():  # noqa: ANN202
    """The automatic garbage collector off while the re-read runs (the objects from before frozen
    out of every collection); :func:`_collect` after each batch instead."""
    enabled = gc.isenabled()
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if enabled:
            gc.enable()


def _collect() -> None:
    """Between two batches, with the automatic collector off (:func:`_collector`): one full
    collection, cheap once the batch's objects are released (it scans only what is still alive,
    the objects frozen before the re-read left out)."""
    if not gc.isenabled():
        gc.collect()


async def _hand_over(service, ends: Mapping[tuple[str, int], int], report: Report) -> int:  # noqa: ANN001
    """Commit the captured ends for the dashboard's group where it committed less (best effort: a
    broker refuses a commit from outside a group that has members, whose consumer goes on anyway)."""
    if not ends:
        return 0
    kafka = service.settings.kafka
    tps = [TopicPartition(t, p) for t, p in sorted(ends)]
    try:
        committed = await offsets.committed(kafka, service.name, tps)
        behind = {tp: ends[(tp.topic, tp.partition)] for tp in tps
                  if (committed.get(tp) or 0) < ends[(tp.topic, tp.partition)]}
        await offsets.commit(kafka, service.name, behind)
        return len(behind)
    except Exception as exc:  # noqa: BLE001 - the running dashboard's own commits move on regardless
        report.errors.append(f"group offsets not moved: {safe_reason(exc)}")
        log.info("rebuild: group offsets not moved", extra={"error": safe_reason(exc)})
        return 0
