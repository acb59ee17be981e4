"""Counting cases and raising signals through the service's own use cases and consumers.

A dengue cluster in one village and a measles case in another give exactly the expected signals;
a late report tips its own past week; redeliveries and a replay of the whole topic raise nothing
new; a person counts once per disease and week; Puskesmas areas sum their villages.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import delete

from services.surveillance import store
from shared.contracts import topics
from tests.unit.surveillance.factories import (
    MONDAY,
    NOW,
    THIS_WEEK,
    V1,
    V2,
    V3,
    V4,
    V_OUTSIDE,
    Harness,
    dengue,
    migrated,
    network,
    visit,
)


async def test_a_dengue_cluster_and_a_measles_case_give_exactly_the_expected_signals(harness: Harness) -> None:
    cluster = dengue(V3, 3)
    measles = visit(V4, syndromes=["suspected_measles"], facility="PSY4")
    noise = [visit(V1, diagnoses=["I10"]), visit(V2, syndromes=None), *dengue(V1, 1, facility="PSY1")]
    await harness.consume([*network(), *noise, cluster[0], measles, cluster[1], cluster[2]])
    signals = await harness.signals()
    assert sorted((s.area_kind, s.area_code, s.disease) for s in signals) == [
        ("village", V3, "suspected_dengue"), ("village", V4, "suspected_measles")]
    dengue_signal = next(s for s in signals if s.disease == "suspected_dengue")
    assert dengue_signal.week == THIS_WEEK and dengue_signal.status == "signalled" and dengue_signal.revision == 1
    assert dengue_signal.counts.this_week == 3 and dengue_signal.counts.threshold == 3
    assert [b.count for b in dengue_signal.counts.baseline] == [0, 0, 0, 0]
    assert dengue_signal.rule.method == "doubling" and dengue_signal.skdr_code == "C"
    assert dengue_signal.evidence.tipping_visit_id == cluster[2].visit_id
    assert {c.visit_id for c in dengue_signal.evidence.cases} == {v.visit_id for v in cluster}
    assert dengue_signal.escalate_at - dengue_signal.raised_at == timedelta(hours=24)
    assert dengue_signal.raised_at == NOW and dengue_signal.district_code == "18.01"
    assert await harness.count("puskesmas", "PKM", "suspected_dengue", THIS_WEEK) == 4  # below its floor of 5
    registry = harness.service.metrics.registry
    assert registry.get_sample_value("jejaring_outbreak_signals_total",
                                     {"disease": "suspected_dengue", "area_kind": "village"}) == 1


async def test_the_village_threshold_one_below_at_and_one_above(harness: Harness) -> None:
    assert await harness.visits(dengue(V3, 2)) == []
    raised = await harness.visits(dengue(V3, 1))
    assert [(s.area_code, s.counts.this_week) for s in raised] == [(V3, 3)]
    assert await harness.visits(dengue(V3, 1)) == []  # the week's signal exists: nothing new
    assert await harness.count("village", V3, "suspected_dengue", THIS_WEEK) == 4
    assert len(await harness.signals()) == 1


async def test_a_village_is_compared_with_its_own_previous_weeks(harness: Harness) -> None:
    for back in range(1, 5):  # two cases a week for four weeks: the doubling threshold is 4
        await harness.visits(dengue(V1, 2, at=MONDAY - timedelta(weeks=back), facility="PSY1"))
    assert await harness.signals() == []
    assert await harness.visits(dengue(V1, 3, facility="PSY1")) == []
    (raised,) = await harness.visits(dengue(V1, 1, facility="PSY1"))
    assert raised.counts.threshold == 4 and raised.counts.baseline_mean == 2
    assert [b.week for b in raised.counts.baseline] == ["2026-W45", "2026-W46", "2026-W47", "2026-W48"]


async def test_a_puskesmas_area_sums_its_villages(harness: Harness) -> None:
    spread = [*dengue(V1, 2, facility="PSY1"), *dengue(V2, 2, facility="PSY2")]
    assert await harness.visits(spread) == []  # each village below 3, the area at 4 of 5
    (raised,) = await harness.visits(dengue(V3, 1))
    assert (raised.area_kind, raised.area_code, raised.counts.this_week) == ("puskesmas", "PKM", 5)
    assert raised.village_code == V1 and raised.village_codes == [V1, V2, V3]
    assert len(raised.evidence.cases) == 5
    (_, _, record), = await harness.events()
    assert record.key == b"PKM" and record.topic == topics.OUTBREAK_SIGNAL


async def test_a_village_outside_every_catchment_is_watched_at_village_level(harness: Harness) -> None:
    raised = await harness.visits(dengue(V_OUTSIDE, 3, facility="PSY1"))
    assert [(s.area_kind, s.area_code) for s in raised] == [("village", V_OUTSIDE)]


async def test_a_person_counts_once_per_disease_and_week(harness: Harness) -> None:
    repeats = [visit(V3, person="p_same", at=MONDAY + timedelta(days=d), syndromes=["suspected_dengue"])
               for d in range(3)]
    assert await harness.visits(repeats) == []
    assert await harness.count("village", V3, "suspected_dengue", THIS_WEEK) == 1
    next_week = visit(V3, person="p_same", at=MONDAY + timedelta(weeks=1), syndromes=["suspected_dengue"])
    await harness.visits([next_week], now=NOW + timedelta(weeks=1))
    assert await harness.count("village", V3, "suspected_dengue", "2026-W50") == 1


async def test_syndromes_and_diagnoses_of_one_visit_count_once(harness: Harness) -> None:
    await harness.visits([visit(V3, syndromes=["suspected_dengue"], diagnoses=["A91", "A90"])])
    assert await harness.count("village", V3, "suspected_dengue", THIS_WEEK) == 1


async def test_a_late_report_tips_its_own_past_week(harness: Harness) -> None:
    past = MONDAY - timedelta(weeks=3)
    assert await harness.visits(dengue(V3, 2, at=past)) == []
    later = NOW + timedelta(hours=5)
    (raised,) = await harness.visits(dengue(V3, 1, at=past + timedelta(days=2)), now=later)
    assert raised.week == "2026-W46" and raised.week_start.isoformat() == "2026-11-09"
    assert raised.raised_at == later and raised.escalate_at == later + timedelta(hours=24)
    assert await harness.count("village", V3, "suspected_dengue", THIS_WEEK) == 0


async def test_weeks_too_old_are_counted_but_raise_nothing(harness: Harness) -> None:
    old = MONDAY - timedelta(weeks=harness.settings.signal_max_age_weeks + 1)
    assert await harness.visits(dengue(V3, 5, at=old)) == []
    assert await harness.count("village", V3, "suspected_dengue", "2026-W36") == 5


async def test_redelivery_and_a_replay_of_the_whole_topic_raise_nothing_new(harness: Harness) -> None:
    history = [*network(), *dengue(V3, 3), visit(V4, syndromes=["afp"], facility="PSY4"), *dengue(V1, 2)]
    await harness.consume(history)
    first = await harness.events()
    assert sorted((d.area_code, d.disease) for _, d, _ in first) == [
        (V3, "suspected_dengue"), (V4, "afp"), ("PKM", "suspected_dengue")]
    await harness.consume(history)  # redelivered: the inbox knows the event ids
    async with harness.service.db.session() as session, session.begin():
        await session.execute(delete(harness.service.inbox.table))
    await harness.consume(history)  # the whole topic again, the inbox forgotten: the cases table knows
    harness.clock.now = NOW + timedelta(days=3)
    await harness.consume(history)
    assert await harness.events() == first
    assert await harness.count("village", V3, "suspected_dengue", THIS_WEEK) == 3


async def test_event_ids_are_deterministic_and_a_batch_decides_as_one_by_one(tmp_path) -> None:
    visits = [*dengue(V1, 2, facility="PSY1"), *dengue(V3, 4), visit(V4, syndromes=["suspected_diphtheria"]),
              *dengue(V2, 1, facility="PSY2")]
    batch, single = await migrated(tmp_path, "batch.db"), await migrated(tmp_path, "single.db")
    await batch.visits(visits)
    for v in visits:
        await single.visits([v])
    got, expected = await batch.events(), await single.events()
    assert [(i, d) for i, d, _ in got] == [(i, d) for i, d, _ in expected]
    assert {(d.area_kind, d.area_code, d.disease) for _, d, _ in got} == {
        ("village", V3, "suspected_dengue"), ("puskesmas", "PKM", "suspected_dengue"),
        ("village", V4, "suspected_diphtheria")}
    for event_id, data, _ in got:
        assert str(data.signal_id) == str(store.signal_id_for(data.area_kind, data.area_code, data.disease, data.week))
        assert event_id == str(store.event_id_for(data.signal_id, "signalled"))
    await batch.service.db.dispose()
    await single.service.db.dispose()


async def test_the_network_arriving_after_the_visits_recounts_the_puskesmas_areas(tmp_path) -> None:
    late = await migrated(tmp_path, with_network=False)
    await late.visits([*dengue(V1, 2, facility="PSY1"), *dengue(V2, 2, facility="PSY2")])
    assert await late.count("puskesmas", "PKM", "suspected_dengue", THIS_WEEK) == 0
    await late.consume(network())
    assert await late.count("puskesmas", "PKM", "suspected_dengue", THIS_WEEK) == 4
    (raised,) = await late.visits(dengue(V3, 1))
    assert raised.area_code == "PKM" and raised.counts.this_week == 5
    moved = network()[5].model_copy(update={"parent_id": "PKM2", "revision": 2})  # PSY3 now under PKM2
    await late.consume([moved])
    assert await late.count("puskesmas", "PKM", "suspected_dengue", THIS_WEEK) == 4
    assert await late.count("puskesmas", "PKM2", "suspected_dengue", THIS_WEEK) == 1
    await late.service.db.dispose()


async def test_an_unexpected_event_on_the_visit_topic_is_dead_lettered(harness: Harness) -> None:
    from dataclasses import replace as dc_replace

    from shared.envelope import encode

    wrong = dc_replace(encode(network()[0], source="/x", event_id="odd"), topic=topics.VISIT_RECORDED,
                       partition=0, offset=1)
    good = dc_replace(encode(dengue(V3, 1)[0], source="/x", event_id="good"), topic=topics.VISIT_RECORDED,
                      partition=0, offset=2)
    (processor,) = [p for p in harness.service.processors if p.topic == topics.VISIT_RECORDED]
    await processor.process([wrong, good])
    t = harness.service.outbox.table
    async with harness.service.db.session() as session:
        dead = [r.topic for r in (await session.execute(t.select())).all()]
    assert dead == [f"{topics.VISIT_RECORDED}.surveillance.dlq"]
    assert await harness.count("village", V3, "suspected_dengue", THIS_WEEK) == 1


async def test_signals_carry_pseudonymous_ids_only(harness: Harness) -> None:
    await harness.visits(dengue(V3, 3))
    (_, _, record), = await harness.events()

    def keys(value) -> set[str]:
        if isinstance(value, dict):
            return set(value) | {k for v in value.values() for k in keys(v)}
        if isinstance(value, list):
            return {k for v in value for k in keys(v)}
        return set()

    body = json.loads(record.value)
    assert not keys(body) & {"nik", "mother_nik", "name", "birth_date"}
    assert all(case["person_id"].startswith("p_") for case in body["evidence"]["cases"])
