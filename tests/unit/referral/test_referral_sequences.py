"""Property: any sequence of risks, redeliveries, API calls, retries and checker rounds leaves a valid store."""

from __future__ import annotations

import asyncio
import json
import tempfile
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from services.referral import models
from services.referral.app import build_service
from services.referral.domain import lifecycle
from services.referral.domain.messages import StatusChange
from services.referral.settings import ReferralSettings
from services.referral.usecases import network as network_usecases
from services.referral.usecases import risks as risk_usecases
from services.referral.usecases import status as status_usecases
from shared.contracts.events import ReferralMade
from tests.unit.referral.factories import WIB, Harness, registered, risk, standard

START = datetime(2026, 11, 1, 8, 0, tzinfo=WIB)
FEEDBACK = {"diagnosis": "d", "instructions": "i", "follow_up_date": "2027-06-01"}

risks = st.tuples(st.just("risk"), st.sampled_from(["p1", "p2"]), st.sampled_from(["HT", "SUSPECT_PE"]),
                  st.sampled_from(["moderate", "emergency"]), st.integers(0, 20))
redeliveries = st.tuples(st.just("redeliver"), st.integers(0, 50))
posts = st.tuples(st.just("post"), st.sampled_from(["received", "attended", "completed", "cancelled"]),
                  st.sampled_from(["PKM", "RS", "PSY", "PST"]), st.integers(0, 50), st.integers(0, 24 * 30))
retries = st.tuples(st.just("retry"), st.integers(0, 50))
clock = st.tuples(st.just("clock"), st.integers(1, 24 * 10))
actions = st.lists(st.one_of(risks, redeliveries, posts, retries, clock), min_size=1, max_size=25)


async def run(steps: list[tuple], directory: Path) -> None:
    config = ReferralSettings(database_url=f"sqlite:///{directory / 'r.db'}", var_dir=directory)
    service = build_service(config)
    async with service.db.engine.begin() as conn:
        await conn.run_sync(models.metadata.create_all)
    h = Harness(service, config)
    async with service.transaction() as unit:
        for f in standard().values():
            await network_usecases.upsert_facility(unit, registered(f))
    now = START + timedelta(days=2)
    sent_risks, sent_posts, ids = [], [], []
    for step in steps:
        kind = step[0]
        if kind == "risk":
            _, person, code, severity, days_ago = step
            event = risk(code, severity, "rs" if code == "SUSPECT_PE" else "puskesmas", person=person,
                         at=min(now - timedelta(days=days_ago), now))
            sent_risks.append(event)
            await h.risk(event, now)
            ids.append(str(risk_usecases.referral_id_for(event.risk_id)))
        elif kind == "redeliver" and sent_risks:
            await h.risk(sent_risks[step[1] % len(sent_risks)], now)
        elif kind in ("post", "retry"):
            if kind == "retry" and sent_posts:
                request = sent_posts[step[1] % len(sent_posts)]
            elif kind == "post" and ids:
                _, wanted, facility, which, minutes_ago = step
                at = now - timedelta(minutes=minutes_ago)
                body = {"status": wanted, "at": at.isoformat()}
                if wanted == "completed":
                    body["feedback"] = FEEDBACK
                request = (ids[which % len(ids)], StatusChange.model_validate(body), facility)
                sent_posts.append(request)
            else:
                continue
            async with service.transaction() as unit:
                try:
                    await status_usecases.change_status(unit, *request, now)
                except status_usecases.NotFound:
                    pass
        elif kind == "clock":
            now += timedelta(hours=step[1])
            async with service.transaction() as unit:
                await status_usecases.mark_overdue(unit, now, config.overdue_grace)
    await check(h)
    await service.db.dispose()


async def check(h: Harness) -> None:
    events = await h.events()
    event_ids = [i for i, _ in events]
    assert len(event_ids) == len(set(event_ids)), "an event was emitted twice"
    async with h.service.db.session() as session:
        rows = (await session.execute(select(models.referrals))).mappings().all()
        steps = (await session.execute(select(models.steps))).mappings().all()
        detections = (await session.execute(select(models.detections))).mappings().all()
    assert len([d for _, d in events if isinstance(d, ReferralMade)]) == len(rows)
    open_keys = Counter((r["person_id"], r["risk_code"]) for r in rows if r["status"] in lifecycle.OPEN)
    assert all(n == 1 for n in open_keys.values()), "two open referrals for one person and risk"
    assert sum(r["detections"] for r in rows) == len(detections)
    updates = [d for _, d in events if d.ce_type.endswith("updated.v1")]
    for row in rows:
        rid = row["referral_id"]
        assert (row["open_key"] is not None) == (row["status"] in lifecycle.OPEN)
        path = ["made"] + [s["status"] for s in sorted((s for s in steps if s["referral_id"] == rid),
                                                      key=lambda s: lifecycle.STATES.index(s["status"]))]
        assert all(lifecycle.can_transition(a, b) for a, b in zip(path, path[1:], strict=False)), path
        assert path[-1] == row["status"]
        mine = [u for u in updates if str(u.referral_id) == rid]
        assert [u.status for u in mine if u.status != "overdue"] == path[1:]
        alarms = [u for u in mine if u.status == "overdue"]
        assert len(alarms) == int(row["overdue"]) <= 1
        if row["status"] == "completed":
            assert json.loads(row["feedback"]) == FEEDBACK


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(actions)
def test_any_sequence_leaves_a_valid_store(steps: list[tuple]) -> None:
    with tempfile.TemporaryDirectory() as directory:
        asyncio.run(run(steps, Path(directory)))
