"""The read model through the real consumer (shared BatchProcessor, SQLite), without a broker."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import case, func, select

from services.dashboard import models
from services.dashboard.app import build_service
from services.dashboard.domain import registry
from services.dashboard.readmodel import flush, staging
from services.dashboard.usecases import queries
from services.dashboard.usecases import rebuild as rebuild_usecases
from shared.contracts.events import EventData, VisitRecorded, VisitScreened
from tests.unit.dashboard.conftest import (
    JONDONG,
    MAJA,
    NATAR,
    TENGKUJUH,
    WIB,
    WIT,
    Dash,
    adult,
    at,
    child,
    facilities,
    link,
    made,
    screened,
    settings_for,
    target,
    updated,
    with_screening,
)


async def test_event_time_decides_the_month_and_late_visits_update_last_month(dash: Dash) -> None:
    await dash.apply(adult("p1", at(11, 20)))
    late = adult("p2", at(10, 28))  # recorded offline in October, synced now
    await dash.apply(late)
    assert (await dash.total("visits", "2026-11"))["value"] == 1
    assert (await dash.total("visits", "2026-10"))["value"] == 1
    # 23:30 WIT on 31 October is already November in UTC: it still counts for October
    await dash.apply(adult("p3", datetime(2026, 10, 31, 23, 30, tzinfo=WIT)))
    assert (await dash.total("visits", "2026-10"))["value"] == 2
    assert (await dash.total("visits", "2026-11", ytd=True))["value"] == 3


async def test_redelivery_and_replay_change_nothing(dash: Dash) -> None:
    events = with_screening([adult("p1", at(11)), adult("p2", at(11), sbp=120, dbp=70),
                             screened("c1", at(11), lhfa=-2.5, risks=("stunting", "underweight"), stunting=True)])
    records = await dash.apply(*events)
    await dash.send(records)  # the same batch again
    await dash.send(records[1:2])  # and one record alone (p1's screened visit)
    hypertension = await dash.total("hypertension", "2026-11")
    assert (hypertension["numerator"], hypertension["denominator"]) == (1, 2)
    assert (await dash.total("visits", "2026-11"))["value"] == 2
    risks = sum(len(e.risk_codes) for e in events if isinstance(e, VisitScreened))
    assert risks >= 3  # c1's two and p1's hypertension
    assert (await dash.total("risks_detected", "2026-11"))["value"] == risks


async def test_person_counts_once_by_the_latest_measurement_in_any_arrival_order(dash: Dash) -> None:
    # measured hypertensive on the 3rd, normal on the 20th; the 20th arrives first
    await dash.apply(adult("p1", at(11, 20), sbp=120, dbp=80))
    await dash.apply(adult("p1", at(11, 3), sbp=160, dbp=100))
    cell = await dash.total("hypertension", "2026-11")
    assert (cell["numerator"], cell["denominator"], cell["value"]) == (0, 1, 0.0)
    # a later visit in the same month that is hypertensive again replaces it
    await dash.apply(adult("p1", at(11, 25), sbp=150, dbp=80))
    cell = await dash.total("hypertension", "2026-11")
    assert (cell["numerator"], cell["denominator"]) == (1, 1)
    assert (await dash.total("visits", "2026-11"))["value"] == 3  # visits are events, not persons


async def test_same_batch_keeps_the_latest(dash: Dash) -> None:
    await dash.apply(adult("p1", at(11, 20), sbp=120, dbp=80), adult("p1", at(11, 3), sbp=160, dbp=100),
                     adult("p2", at(11, 4)), adult("p2", at(11, 9), village=TENGKUJUH))
    data = await dash.pws("18.01.06", "2026-11")
    rows = {r["code"]: r["indicators"]["hypertension"] for r in data["rows"]}
    assert (rows[JONDONG]["numerator"], rows[JONDONG]["denominator"]) == (0, 1)
    assert (rows[TENGKUJUH]["numerator"], rows[TENGKUJUH]["denominator"]) == (1, 1)  # p2 moved: counted once, there


async def test_year_to_date_counts_each_person_once_by_latest_state(dash: Dash) -> None:
    await dash.apply(adult("p1", at(1)), adult("p2", at(2), sbp=120, dbp=70))
    await dash.apply(adult("p1", at(3), sbp=118, dbp=70, village=MAJA))
    feb = await dash.total("hypertension", "2026-02", ytd=True)
    assert (feb["numerator"], feb["denominator"]) == (1, 2)
    march = await dash.pws("18.01.06", "2026-03")
    assert (march["total"]["ytd"]["indicators"]["hypertension"]["numerator"],
            march["total"]["ytd"]["indicators"]["hypertension"]["denominator"]) == (0, 2)
    ytd_rows = {r["code"]: r["ytd"]["indicators"]["hypertension"]["denominator"] for r in march["rows"]}
    assert ytd_rows[JONDONG] == 1 and ytd_rows[MAJA] == 1  # p1 now counts in Maja only
    # a late January visit does not change March's year-to-date state (March is later)
    await dash.apply(adult("p1", at(1, 28), sbp=170, dbp=110))
    assert (await dash.total("hypertension", "2026-03", ytd=True))["numerator"] == 0
    # next year starts from zero
    assert (await dash.total("hypertension", "2027-01", ytd=True))["denominator"] == 0


async def test_roll_up_kecamatan_kabupaten_and_puskesmas_catchment(dash: Dash) -> None:
    await dash.apply(*facilities())
    await dash.apply(adult("a", at(11), village=JONDONG), adult("b", at(11), village=TENGKUJUH),
                     adult("c", at(11), village=MAJA, sbp=110, dbp=70), adult("d", at(11), village=NATAR))
    district = await dash.pws("18.01", "2026-11")
    kec = {r["code"]: r["indicators"]["hypertension"]["denominator"] for r in district["rows"]}
    assert kec["18.01.06"] == 3 and kec["18.01.04"] == 1 and district["total"]["indicators"]["hypertension"]["denominator"] == 4
    assert district["region"] == {"code": "18.01", "name": "KABUPATEN LAMPUNG SELATAN", "level": "kabupaten"}
    assert all(r["level"] == "kecamatan" for r in district["rows"])
    pkm = await dash.pws("PKM1", "2026-11")
    assert pkm["region"] == {"code": "PKM1", "name": "Puskesmas Kalianda", "level": "puskesmas"}
    assert {r["code"] for r in pkm["rows"]} == {"18.01.06.1007", JONDONG, TENGKUJUH}
    assert pkm["total"]["indicators"]["hypertension"]["denominator"] == 2  # Maja is in no catchment
    by_pkm = await dash.pws("18.01", "2026-11", by="puskesmas")
    assert [(r["code"], r["level"]) for r in by_pkm["rows"]] == [("PKM1", "puskesmas"), ("PKM2", "puskesmas")]
    assert [r["indicators"]["visits"]["value"] for r in by_pkm["rows"]] == [2, 1]
    desa = await dash.pws(JONDONG, "2026-11")
    assert desa["rows"] == [] and desa["total"]["indicators"]["visits"]["value"] == 1
    assert [p["code"] for p in desa["path"]] == ["18.01", "18.01.06", JONDONG]


async def test_targets_are_the_coverage_denominator(dash: Dash) -> None:
    await dash.apply(target(JONDONG, "under_five", 40), target(TENGKUJUH, "under_five", 10))
    await dash.apply(*[child(f"c{i}", at(11), weight_kg=11) for i in range(30)], child("x", at(11)))
    cell = await dash.total("children_weighed", "2026-11")
    assert (cell["numerator"], cell["denominator"], cell["value"], cell["colour"]) == (30, 50, 60.0, "red")
    await dash.apply(target(TENGKUJUH, "under_five", 0))  # a corrected sasaran replaces the old one
    cell = await dash.total("children_weighed", "2026-11")
    assert (cell["denominator"], cell["value"], cell["colour"]) == (40, 75.0, "yellow")
    assert (await dash.total("children_weighed", "2025-11"))["denominator"] is None  # no sasaran that year


async def test_person_link_merges_a_provisional_id(dash: Dash) -> None:
    await dash.apply(screened("prov", at(11, 5), lhfa=-2.5, stunting=True),
                     screened("nik", at(11, 20), lhfa=-1.0, stunting=False),
                     screened("prov", at(10, 5), lhfa=-2.5, stunting=True))
    assert (await dash.total("stunting", "2026-11"))["denominator"] == 2
    await dash.apply(link("prov", "nik", at(11, 21)))
    nov = await dash.total("stunting", "2026-11")
    assert (nov["numerator"], nov["denominator"]) == (0, 1)  # one child, latest measurement not stunted
    oct_ = await dash.total("stunting", "2026-10")
    assert (oct_["numerator"], oct_["denominator"]) == (1, 1)
    ytd = await dash.total("stunting", "2026-11", ytd=True)
    assert (ytd["numerator"], ytd["denominator"]) == (0, 1)
    async with dash.service.db.read_session() as session:
        ids = set((await session.scalars(select(models.person_status.c.person_id))).all())
    assert ids == {"nik"}


async def test_referral_follow_up_panel(dash: Dash) -> None:
    r1, r2, r3, r4 = (uuid.uuid4() for _ in range(4))
    t = at(11, 2)
    # r2's completion arrives before the referral itself (different topics)
    await dash.apply(updated(r2, t, "completed", t + timedelta(days=3), feedback={"dx": "I10"}))
    await dash.apply(made(r1, t), made(r2, t), made(r3, t), made(r4, at(10, 30)))
    await dash.apply(updated(r1, t, "received", t + timedelta(hours=5)), updated(r3, t, "overdue", t + timedelta(days=8)),
                     updated(r4, at(10, 30), "cancelled", at(11, 1)))
    await dash.apply(updated(r1, t, "received", t + timedelta(hours=5)))  # an older status re-sent
    data = await dash.pws("18.01", "2026-11")
    month = data["total"]["referrals"]["month"]
    assert (month["total"], month["received"], month["completed"], month["overdue"], month["open"], month["feedback"]) == \
        (3, 1, 1, 1, 2, 1)
    ytd = data["total"]["referrals"]["ytd"]
    assert (ytd["total"], ytd["cancelled"]) == (4, 1)
    assert (await dash.total("referrals_made", "2026-11"))["value"] == 3
    assert (await dash.total("referrals_overdue", "2026-11"))["value"] == 1
    async with dash.service.db.read_session() as session:
        assert {c.name for c in models.referrals.columns}.isdisjoint({"person_id", "name", "nik"})
        due = await session.scalar(select(models.referrals.c.due_at).where(models.referrals.c.referral_id == str(r2)))
    assert due is not None  # the later "made" filled in what the update did not carry


async def test_referral_counts_per_area_follow_every_status_change(dash: Dash) -> None:
    """``area_referrals`` (what a kabupaten's and a province's panel read) equals the referrals
    themselves counted per kecamatan, kabupaten and province, whatever the order, batching and
    redelivery of the events; and the district's rows equal the kecamatan views read from the
    referrals."""
    rng = random.Random(7)
    events = []
    for _ in range(60):
        rid, village = uuid.uuid4(), rng.choice([JONDONG, MAJA, TENGKUJUH, NATAR])
        when = at(rng.choice([10, 11]), rng.randint(1, 28))
        events.append(made(rid, when, village))
        moment = when
        for status in rng.sample(["received", "attended", "completed", "cancelled", "overdue"], rng.randint(0, 3)):
            moment += timedelta(hours=rng.randint(0, 72))  # equal times too: the status rank decides
            events.append(updated(rid, when, status, moment, village, feedback={"dx": "I10"} if rng.random() < 0.5 else None))
    events += rng.sample(events, 15)  # redelivered
    rng.shuffle(events)
    for start in range(0, len(events), 17):
        await dash.apply(*events[start:start + 17])
    r, a = models.referrals, models.area_referrals
    async with dash.service.db.read_session() as session:
        held = {}
        for length in (2, 5, 8):
            code = func.substr(r.c.village_code, 1, length)
            rows = await session.execute(select(code, r.c.period, r.c.status, func.count(),
                                                func.sum(case((r.c.feedback, 1), else_=0))).group_by(code, r.c.period, r.c.status))
            held.update({(c, p, s): (n, int(fb)) for c, p, s, n, fb in rows})
        counted = {(c, p, s): (n, fb) for c, p, s, n, fb in await session.execute(select(a)) if n or fb}
    assert counted == held and sum(n for (c, _p, _s), (n, _fb) in held.items() if c == "18") == 60
    district = await dash.pws("18.01", "2026-11")
    for row in district["rows"]:
        assert row["referrals"] == (await dash.pws(row["code"], "2026-11"))["total"]["referrals"], row["code"]
    assert district["total"]["referrals"]["ytd"]["total"] == 60


async def test_targets_per_area_follow_every_change(dash: Dash) -> None:
    """``area_targets`` equals the villages' targets summed per kecamatan, kabupaten and province after
    targets are set, set again with other counts, and redelivered; the district's rows show the same
    denominators as each kecamatan's own view."""
    rng = random.Random(11)
    sets = [target(village, group, rng.randint(1, 400)) for _ in range(3)
            for village in (JONDONG, MAJA, TENGKUJUH, NATAR) for group in ("under_five", "pregnant")]
    for start in range(0, len(sets), 5):  # the last count set for a village wins; a batch keeps its order
        await dash.apply(*sets[start:start + 5])
    await dash.apply(*sets[-3:])  # redelivered
    t, a = models.targets, models.area_targets
    async with dash.service.db.read_session() as session:
        held = {}
        for length in (2, 5, 8):
            code = func.substr(t.c.village_code, 1, length)
            rows = await session.execute(select(code, t.c.year, t.c.target, func.sum(t.c["count"]))
                                         .group_by(code, t.c.year, t.c.target))
            held.update({(c, y, g): int(n) for c, y, g, n in rows})
        counted = {(c, y, g): n for c, y, g, n in await session.execute(select(a))}
        village = {(v, g): n for v, _y, g, n in await session.execute(select(t.c.village_code, t.c.year, t.c.target,
                                                                             t.c["count"]))}
    assert counted == held
    assert village[(NATAR, "pregnant")] == sets[-1].count
    district = await dash.pws("18.01", "2026-11")
    for row in district["rows"]:
        own = (await dash.pws(row["code"], "2026-11"))["total"]["indicators"]["children_weighed"]["denominator"]
        assert row["indicators"]["children_weighed"]["denominator"] == own, row["code"]
    assert district["total"]["indicators"]["children_weighed"]["denominator"] == held[("18.01", 2026, "under_five")]


async def test_freshness_and_silent_villages(dash: Dash) -> None:
    now = datetime.now(timezone.utc)
    await dash.apply(adult("a", (now - timedelta(days=2)).astimezone(WIB)), adult("b", (now - timedelta(days=30)).astimezone(WIB), village=MAJA),
                     adult("c", (now + timedelta(days=3)).astimezone(WIB), village=TENGKUJUH))
    period = now.astimezone(WIB).strftime("%Y-%m")
    data = await dash.pws("18.01.06", period)
    fresh = {f["code"]: f for f in data["freshness"]}
    assert fresh[JONDONG]["status"] == "baru" and fresh[JONDONG]["days"] == 2
    assert fresh[MAJA]["status"] == "senyap" and fresh["18.01.06.2003"]["status"] == "senyap"
    assert fresh["18.01.06.2003"]["last_event_at"] is None
    # an event dated in the future is capped at its arrival time
    assert datetime.fromisoformat(fresh[TENGKUJUH]["last_event_at"]) <= datetime.now(timezone.utc)
    assert data["freshness"][0]["status"] == "senyap"  # silent villages come first
    assert data["total"]["villages"] == 29 and data["total"]["silent_villages"] == 27
    row = next(r for r in data["rows"] if r["code"] == JONDONG)
    assert row["silent_villages"] == 0 and row["villages"] == 1 and row["last_event_at"] is not None
    assert data["freshness_total"] == {"villages": 29, "senyap": 27, "lama": 0, "baru": 2}
    # a large area's answer lists the villages most in need first and counts them all
    short = await dash.pws("18.01.06", period, freshness_limit=3)
    assert [f["code"] for f in short["freshness"]] == [f["code"] for f in data["freshness"][:3]]
    assert short["freshness_total"] == data["freshness_total"]
    assert (await dash.pws("18.01.06", period, freshness_limit=0))["freshness"] == []


async def test_the_freshness_list_is_silent_first_then_oldest_event_then_code(dash: Dash) -> None:
    """The list's order is the one the page promises whatever order the database returns rows in:
    villages that never sent an event, then senyap, lama and baru, each oldest event first, ties by
    code; a limit cuts that same order."""
    now = datetime.now(timezone.utc)
    same = (now - timedelta(days=20)).astimezone(WIB)
    ages = {"18.01.06.2001": 2, "18.01.06.2002": 9, "18.01.06.2003": 10, "18.01.06.2004": 30, "18.01.06.2005": 1}
    await dash.apply(*(adult(f"p{v}", (now - timedelta(days=d)).astimezone(WIB), village=v) for v, d in ages.items()),
                     adult("q1", same, village="18.01.06.2010"), adult("q2", same, village="18.01.06.2009"),
                     adult("u", (now - timedelta(days=40)).astimezone(WIB), village="18.01.06.2999"))  # not in the regions
    data = await dash.pws("18.01.06", now.astimezone(WIB).strftime("%Y-%m"))
    rank = {"senyap": 0, "lama": 1, "baru": 2}

    def key(f: dict) -> tuple:
        return rank[f["status"]], f["last_event_at"] is not None, f["last_event_at"] or "", f["code"]

    listed = data["freshness"]
    assert listed == sorted(listed, key=key)
    seen = [f["code"] for f in listed if f["last_event_at"] is not None]
    assert seen == ["18.01.06.2004", "18.01.06.2009", "18.01.06.2010", "18.01.06.2003", "18.01.06.2002",
                    "18.01.06.2001", "18.01.06.2005"]
    assert [f["status"] for f in listed if f["last_event_at"] is not None] == ["senyap"] * 3 + ["lama"] * 2 + ["baru"] * 2
    assert len(listed) == 29 and all(f["status"] == "senyap" for f in listed[:22])
    assert "18.01.06.2999" not in {f["code"] for f in listed}  # a village the regions do not know is not listed
    for limit in (22, 23, 24):
        cut = await dash.pws("18.01.06", now.astimezone(WIB).strftime("%Y-%m"), freshness_limit=limit)
        assert cut["freshness"] == listed[:limit]
    assert cut["freshness_total"] == data["freshness_total"] == {"villages": 29, "senyap": 25, "lama": 2, "baru": 2}


async def test_the_silent_villages_gauge_counts_the_pages_senyap_among_villages_with_a_posyandu(dash: Dash) -> None:
    gauges = {g.name: g for g in dash.service.gauges}
    await dash.apply(*facilities())  # one Posyandu, in Tengkujuh
    assert dict(await gauges["jejaring_villages_scheduled"].read()) == {("18.01",): 1}
    assert dict(await gauges["jejaring_villages_silent"].read()) == {("18.01",): 1}, "never reported"
    last = datetime.now(timezone.utc) - timedelta(hours=1)
    await dash.apply(adult("a", last.astimezone(WIB), village=TENGKUJUH), adult("b", last.astimezone(WIB), village=JONDONG))
    assert dict(await gauges["jejaring_villages_silent"].read()) == {}
    silent_days = dash.service.context.settings.silent_after_days
    async with dash.service.db.read_session() as session:
        at_limit = await queries.silent_by_district(session, last + timedelta(days=silent_days), silent_days)
        past = await queries.silent_by_district(session, last + timedelta(days=silent_days, seconds=1), silent_days)
    assert at_limit == {} and past == {("18.01",): 1}, "Jondong has no Posyandu: not scheduled, never silent"


async def test_facility_revisions_apply_in_order(dash: Dash) -> None:
    new = facilities()[0].model_copy(update={"name": "Puskesmas Kalianda Baru", "revision": 3})
    old = facilities()[0].model_copy(update={"name": "Puskesmas Lama", "revision": 2})
    await dash.apply(*facilities(), new)
    await dash.apply(old)
    assert (await dash.pws("PKM1", "2026-11"))["region"]["name"] == "Puskesmas Kalianda Baru"
    await dash.apply(facilities()[1].model_copy(update={"active": False, "revision": 2}))  # Pustu closed
    assert {r["code"] for r in (await dash.pws("PKM1", "2026-11"))["rows"]} == {"18.01.06.1007"}
    with pytest.raises(queries.NotFound):
        await dash.pws("PKM404", "2026-11")


async def test_a_failing_event_is_dead_lettered_and_the_rest_of_its_batch_applied_once(tmp_path) -> None:
    def explode(e: VisitRecorded | VisitScreened) -> bool:
        if e.person_id == "bomb":
            raise RuntimeError("boom")
        return True

    # judges every visit event: the bomb's recorded and screened visits both fail
    bomb = registry.Indicator("bomb", "Bom", "Bom", "count", EventData, explode, numerator="n", unit="x")
    service = build_service(settings_for(tmp_path, handler_max_attempts=1))
    feed, ctx = service.context.feed, service.context.query
    ctx.registry = (*ctx.registry, bomb)
    service.processors.clear()
    from services.dashboard import consumers

    service.consume("ilp.visit.recorded.v1", batch_handler=consumers.on_events(ctx, feed))
    service.consume("ilp.visit.screened.v1", batch_handler=consumers.on_events(ctx, feed))
    await service.db.migrate(service.migrations, version_table="alembic_version_dashboard")
    dash = Dash(service, feed, ctx, [])
    try:
        await dash.apply(adult("ok1", at(11)), adult("bomb", at(11)), adult("ok2", at(11)))
        assert (await dash.total("visits", "2026-11"))["value"] == 2
        assert (await dash.total("hypertension", "2026-11"))["denominator"] == 2
        async with service.db.read_session() as session:
            dead = (await session.execute(select(models.outbox.c.topic))).scalars().all()
        assert sorted(dead) == ["ilp.visit.recorded.v1.dashboard.dlq", "ilp.visit.screened.v1.dashboard.dlq"]
    finally:
        await service.db.dispose()


async def test_live_notice_names_the_changed_villages_after_commit(dash: Dash) -> None:
    await dash.apply(adult("a", at(11)), adult("b", at(11), village=MAJA))
    assert {v for batch in dash.published for v in batch} == {JONDONG, MAJA}
    dash.published.clear()
    await dash.apply(target(JONDONG, "pregnant", 3))
    assert dash.published == [{staging.ALL}]


async def test_rebuild_empties_the_read_model_and_the_inbox_then_replay_restores_it(dash: Dash) -> None:
    records = await dash.apply(*facilities(), target(JONDONG, "adult_15_59", 10), adult("a", at(11)),
                               adult("a", at(11, 20), sbp=110, dbp=70), adult("b", at(10)), made(uuid.uuid4(), at(11)))
    before = await dash.pws("18.01", "2026-11")
    generation = await rebuild_usecases.rebuild(dash.service)
    assert generation == 1
    async with dash.service.db.read_session() as session:
        for table in models.READ_MODEL:
            assert await session.scalar(select(func.count()).select_from(table)) == 0, table.name
        assert await session.scalar(select(func.count()).select_from(models.processed_events)) == 0
        assert await rebuild_usecases.current_generation(session) == 1
    assert (await dash.total("visits", "2026-11"))["value"] == 0
    await dash.send(records)  # the topics replayed from the beginning
    after = await dash.pws("18.01", "2026-11")
    assert after["total"] == {**before["total"], "last_event_at": after["total"]["last_event_at"]}
    assert after["rows"] == before["rows"]
    assert await rebuild_usecases.rebuild(dash.service) == 2


async def test_a_batch_is_written_once_not_per_event(dash: Dash, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = flush.flush

    def counting(session, pending, now=None):  # noqa: ANN001, ANN202
        calls.append(len(pending.ops))
        return real(session, pending, now)

    monkeypatch.setattr(flush, "flush", counting)
    await dash.apply(*[adult(f"p{i}", at(11)) for i in range(50)])
    # one write per batch: the recorded visits' (counts only), the screened visits' (50 hypertension + 50
    # BP-screened verdicts)
    assert calls == [0, 100]
    assert (await dash.total("visits", "2026-11"))["value"] == 50
