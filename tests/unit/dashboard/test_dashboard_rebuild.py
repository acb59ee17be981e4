"""The rebuild's re-read (``services.dashboard.reread``) and what makes it safe without the inbox:
staging into one batch, the interleaving of partitions, person states independent of the order
events are applied in, progress recorded with the effects."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from services.dashboard import models, reread
from services.dashboard.domain import arithmetic, registry
from services.dashboard.readmodel import staging
from services.dashboard.usecases import rebuild as rebuild_usecases
from shared.contracts.events import FacilityRegistered
from shared.envelope import KafkaRecord
from tests.unit.dashboard.conftest import (
    JONDONG,
    MAJA,
    TENGKUJUH,
    Dash,
    adult,
    at,
    facilities,
    link,
    made,
    screened,
    target,
    updated,
    with_screening,
)


def sample_events() -> list:
    rid = uuid.uuid4()
    visit = adult("a", at(11))
    return [*facilities(), FacilityRegistered(facility_id="PKM1", name="Puskesmas baru", type="puskesmas",
                                              village_code="18.01.06.1007", revision=2),
            target(JONDONG, "adult_15_59", 10), target(JONDONG, "adult_15_59", 12), *with_screening([visit, visit]),
            adult("b", at(11, 20), MAJA, sbp=120, dbp=80), screened("c", at(10), TENGKUJUH, lhfa=-2.5, stunting=True,
                                                                     risks=("stunting",)),
            made(rid, at(11)), updated(rid, at(11), "received", at(11, 16)), updated(rid, at(11), "completed", at(11, 17),
                                                                                   feedback={"diagnosis": "I10"}),
            link("c", "c_nik", at(11, 21))]


def test_staging_into_one_batch_is_staging_each_event_and_merging() -> None:
    events = sample_events()
    merged = staging.Pending()
    for event in events:
        merged.merge(staging.stage(event, registry.REGISTRY))
    into = staging.Pending()
    for event in events:
        staging.stage_into(into, event, registry.REGISTRY)
    for name in ("counts", "ops", "fresh", "targets", "facilities", "villages"):
        assert getattr(into, name) == getattr(merged, name), name
    assert {k: dataclasses.asdict(v) for k, v in into.referrals.items()} == \
        {k: dataclasses.asdict(v) for k, v in merged.referrals.items()}
    assert into.facilities["PKM1"].revision == 2 and into.targets[(JONDONG, 2026, "adult_15_59")] == 12


def test_judging_indicators_are_those_of_the_event_type_in_registry_order() -> None:
    for event in sample_events():
        assert registry.judging(registry.REGISTRY, type(event)) == tuple(
            i for i in registry.REGISTRY if isinstance(event, i.event))
    assert registry.judging(list(registry.REGISTRY[:3]), type(adult("a", at(11)))) == tuple(
        i for i in registry.REGISTRY[:3] if i.event is type(adult("a", at(11))))


def record(partition: int, offset: int, timestamp: int) -> SimpleNamespace:
    return SimpleNamespace(partition=partition, offset=offset, timestamp=timestamp)


def test_interleave_orders_by_time_and_keeps_each_partitions_order() -> None:
    p0 = [record(0, 0, 10), record(0, 1, 30), record(0, 2, 20)]  # out of time order inside its partition
    p1 = [record(1, 5, 15), record(1, 6, 25)]
    merged = reread.interleave([p0, p1])
    assert [(r.partition, r.offset) for r in merged] == [(0, 0), (1, 5), (1, 6), (0, 1), (0, 2)]
    assert [r.offset for r in merged if r.partition == 0] == [0, 1, 2]


def test_below_keeps_the_records_before_the_captured_end() -> None:
    records = [record(0, offset, 0) for offset in range(5, 10)]
    assert reread.below(records, 20) is records
    assert [r.offset for r in reread.below(records, 8)] == [5, 6, 7]
    assert reread.below([], 3) == []


def test_latest_wins_is_a_total_order() -> None:
    t = at(11)
    assert arithmetic.latest_wins(None, (t, "v", True))
    assert arithmetic.latest_wins((t, "v", False), (t + timedelta(seconds=1), "v", False))
    assert not arithmetic.latest_wins((t, "v", False), (t - timedelta(seconds=1), "v", True))
    # the same instant: whichever arrives first, the greater measurement stays
    assert arithmetic.latest_wins((t, "v", False), (t, "v", True))
    assert not arithmetic.latest_wins((t, "v", True), (t, "v", False))
    assert arithmetic.latest_wins((t, "v", True), (t, "v", True))  # re-applying changes nothing


def test_retryable_failures_are_the_databases_and_postgresql_conflicts() -> None:
    conflict = Exception("deadlock")
    conflict.orig = SimpleNamespace(sqlstate="40P01")
    assert reread.retryable(conflict)
    assert not reread.retryable(ValueError("bad data"))


async def test_a_provisional_ids_measurement_consumed_after_its_link_belongs_to_the_linked_id(dash: Dash) -> None:
    measured = screened("prov", at(11, 5), lhfa=-2.5, stunting=True)
    records = await dash.apply(measured, link("prov", "nik", at(11, 21)))
    before = await dash.pws("18.01", "2026-11")
    assert before["total"]["indicators"]["stunting"]["denominator"] == 1
    again = dash.records([measured])  # the same visit again under a new event id: the inbox cannot tell
    assert again[0].header("ce_id") != records[0].header("ce_id")
    await dash.send(again)
    assert (await dash.pws("18.01", "2026-11"))["total"] == before["total"]
    async with dash.service.db.read_session() as session:
        ids = set((await session.scalars(select(models.person_status.c.person_id))).all())
        links = dict((await session.execute(select(models.person_links))).all())
    assert ids == {"nik"} and links == {"prov": "nik"}


def as_consumed(records: list[KafkaRecord], partition: int = 0) -> list[KafkaRecord]:
    return [dataclasses.replace(r, partition=partition, offset=i, timestamp=1000 + i) for i, r in enumerate(records)]


async def test_the_reread_gives_the_live_numbers_skips_what_does_not_decode_and_records_progress(dash: Dash) -> None:
    records = dash.records(sample_events())
    await dash.send(records)
    live = await dash.pws("18.01", "2026-11")
    topics = sorted({r.topic for r in records})
    generation = await rebuild_usecases.rebuild(dash.service, reread_by_command=[(t, 0) for t in topics])
    by_topic = {t: as_consumed([r for r in records if r.topic == t]) for t in topics}
    broken = dataclasses.replace(by_topic[topics[0]][0], value=b"{not json", offset=len(by_topic[topics[0]]))
    by_topic[topics[0]].append(broken)
    ends = {(t, 0): (0, len(rs)) for t, rs in by_topic.items()}
    async with dash.service.db.session() as session, session.begin():
        await rebuild_usecases.start_progress(session, generation, ends)
    report = reread.Report(generation=generation)
    worker = reread.Reread(dash.service, dash.ctx.registry, batch=3)
    half = {(t, 0): rs[: len(rs) // 2] for t, rs in by_topic.items()}
    rest = {(t, 0): rs[len(rs) // 2:] for t, rs in by_topic.items()}
    await worker.apply_records(generation, half, {k: len(v) for k, v in half.items()}, report)
    async with dash.service.db.read_session() as session:
        _generation, progress = await rebuild_usecases.load_progress(session)
    assert progress == {(t, 0): (len(rs) // 2, len(rs)) for t, rs in by_topic.items()}
    await worker.apply_records(generation, rest, {k: e for k, (_b, e) in ends.items()}, report)
    # Visits, screenings, referrals and links read again change nothing. (Not targets: a TargetSet has
    # no revision, the last one applied wins; the re-read applies each partition once, in order.)
    again = {key: rs for key, rs in half.items() if key[0] != "ilp.target.set.v1"}
    await worker.apply_records(generation, again, {k: len(v) for k, v in again.items()}, report)
    assert report.skipped == 1 and report.events == len(records) + 1 + sum(len(v) for v in again.values())
    rebuilt = await dash.pws("18.01", "2026-11")
    assert rebuilt["total"] == {**live["total"], "last_event_at": rebuilt["total"]["last_event_at"]}
    assert rebuilt["rows"] == [{**row, "last_event_at": mine["last_event_at"]}
                               for row, mine in zip(live["rows"], rebuilt["rows"])]

    assert await rebuild_usecases.rebuild(dash.service) == generation + 1  # a newer rebuild: this one stops
    with pytest.raises(reread.RebuildError, match="newer rebuild"):
        await worker.apply_records(generation, rest, {k: e for k, (_b, e) in ends.items()}, report)


def test_the_collector_is_off_during_a_re_read_and_restored_after() -> None:
    import gc

    assert gc.isenabled()
    with reread._collector():
        assert not gc.isenabled()
        reread._collect()  # a full collection between batches, the collector staying off
        assert not gc.isenabled()
    assert gc.isenabled()
    reread._collect()  # outside a re-read: nothing (the automatic collector runs)
    assert gc.isenabled()
