"""Escalation 24 h after a signal was raised, by the clock of its raising, from stored deadlines.

The checker is driven with an injected ``now``; a new Service object on the same database (a
restart) escalates what the old one left; two checkers at once raise one escalation.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from services.surveillance import store
from services.surveillance.app import build_service
from services.surveillance.domain.lifecycle import Request
from services.surveillance.tasks import check_escalations
from services.surveillance.usecases import actions
from tests.unit.surveillance.factories import MONDAY, NOW, V3, Harness, dengue, migrated

DAY = timedelta(hours=24)
ADMIN = actions.Actor("tok_admin", "18.01")


async def statuses(h: Harness) -> list[tuple[str, int]]:
    return [(d.status, d.revision) for d in await h.signals()]


async def test_an_unverified_signal_escalates_24_hours_after_it_was_raised_and_only_once(harness: Harness) -> None:
    (signal,) = await harness.visits(dengue(V3, 3))
    assert await check_escalations(harness.service, harness.settings, NOW + DAY - timedelta(seconds=1)) == 0
    assert await check_escalations(harness.service, harness.settings, NOW + DAY) == 1
    assert await check_escalations(harness.service, harness.settings, NOW + DAY * 3) == 0
    assert await statuses(harness) == [("signalled", 1), ("escalated", 2)]
    events = await harness.events()
    escalated = events[-1][1]
    assert escalated.previous_status == "signalled" and escalated.changed_at == signal.escalate_at
    assert events[-1][0] == str(store.event_id_for(signal.signal_id, "escalated"))


async def test_a_signal_raised_today_for_a_past_week_gets_its_full_24_hours(harness: Harness) -> None:
    raised_later = NOW + timedelta(days=10)
    (signal,) = await harness.visits(dengue(V3, 3, at=MONDAY - timedelta(weeks=2)), now=raised_later)
    assert await check_escalations(harness.service, harness.settings, raised_later + timedelta(hours=23)) == 0
    assert await check_escalations(harness.service, harness.settings, raised_later + DAY) == 1
    assert signal.week == "2026-W47"


async def test_a_verified_or_closed_signal_never_escalates(harness: Harness) -> None:
    first, = await harness.visits(dengue(V3, 3))
    second, = await harness.visits(dengue("18.01.07.2001", 3, facility="PSY4"))
    async with harness.service.transaction() as unit:
        await actions.act(unit, str(first.signal_id), Request("verified"), ADMIN, NOW + timedelta(hours=2))
        await actions.act(unit, str(second.signal_id), Request("closed", "false_alarm"), ADMIN, NOW)
    assert await check_escalations(harness.service, harness.settings, NOW + DAY * 2) == 0


async def test_escalation_survives_a_restart(tmp_path) -> None:
    before = await migrated(tmp_path)
    await before.visits(dengue(V3, 3))
    await before.service.db.dispose()  # the process stops before the deadline
    after = build_service(before.settings)
    await after.db.migrate(before.service.migrations, version_table="alembic_version_surveillance")
    assert await check_escalations(after, before.settings, NOW + DAY + timedelta(minutes=5)) == 1
    reread = Harness(after, before.settings)
    assert await statuses(reread) == [("signalled", 1), ("escalated", 2)]
    await after.db.dispose()


async def test_two_checkers_at_once_escalate_once(tmp_path) -> None:
    one = await migrated(tmp_path)
    await one.visits(dengue(V3, 3))
    two = build_service(one.settings)
    await asyncio.gather(check_escalations(one.service, one.settings, NOW + DAY),
                         check_escalations(two, one.settings, NOW + DAY))
    assert await statuses(one) == [("signalled", 1), ("escalated", 2)]
    await one.service.db.dispose()
    await two.db.dispose()


async def test_the_loop_runs_on_the_injected_clock(harness: Harness) -> None:
    from services.surveillance.tasks import escalation_loop

    await harness.visits(dengue(V3, 3))
    harness.clock.now = NOW + DAY
    settings = harness.settings.model_copy(update={"escalation_check_seconds": 0.01})
    task = asyncio.create_task(escalation_loop(harness.service, settings, harness.clock)())
    for _ in range(200):
        await asyncio.sleep(0.01)
        if len(await harness.events()) == 2:
            break
    task.cancel()
    assert await statuses(harness) == [("signalled", 1), ("escalated", 2)]


async def gauge(h: Harness, name: str) -> dict:
    (found,) = [g for g in h.service.gauges if g.name == name]
    return dict(await found.read())


async def test_the_open_and_overdue_gauges_follow_the_lifecycle_and_the_deadline(harness: Harness) -> None:
    (signal,) = await harness.visits(dengue(V3, 3))
    district = signal.village_code[:5]
    assert await gauge(harness, "jejaring_outbreak_signals_open") == {(district, "signalled"): 1}
    harness.clock.now = signal.escalate_at - timedelta(seconds=1)
    assert await gauge(harness, "jejaring_outbreak_signals_overdue") == {}
    harness.clock.now = signal.escalate_at
    assert await gauge(harness, "jejaring_outbreak_signals_overdue") == {(district,): 1}, "due, not yet escalated"
    await check_escalations(harness.service, harness.settings, signal.escalate_at)
    assert await gauge(harness, "jejaring_outbreak_signals_open") == {(district, "escalated"): 1}
    assert await gauge(harness, "jejaring_outbreak_signals_overdue") == {(district,): 1}
    async with harness.service.transaction() as unit:
        await actions.act(unit, str(signal.signal_id), Request("verified"), ADMIN, signal.escalate_at + DAY)
    assert await gauge(harness, "jejaring_outbreak_signals_open") == {(district, "verified"): 1}
    assert await gauge(harness, "jejaring_outbreak_signals_overdue") == {}
    async with harness.service.transaction() as unit:
        await actions.act(unit, str(signal.signal_id), Request("closed", "outbreak"), ADMIN, signal.escalate_at + DAY)
    assert await gauge(harness, "jejaring_outbreak_signals_open") == {}
