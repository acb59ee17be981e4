"""Dashboard's use cases: apply events to the read model; answer PWS queries."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.dashboard import domain, models
from shared.contracts.events import EventData, PersonLinked, TargetSet
from shared.contracts.intake import local_period
from shared.messaging.consumer import Unit
from shared.regions import RegionIndex


async def _bump(session: AsyncSession, village: str, period: str, indicator: str) -> None:
    t = models.counts
    key = (t.c.village_code == village) & (t.c.period == period) & (t.c.indicator == indicator)
    result = await session.execute(update(t).where(key).values(value=t.c.value + 1))
    if not result.rowcount:
        await session.execute(t.insert().values(village_code=village, period=period, indicator=indicator, value=1))


async def _person(session: AsyncSession, indicator: str, event, numerator: bool, when: datetime) -> None:  # noqa: ANN001
    t = models.person_status
    period = local_period(when)
    key = (t.c.indicator == indicator) & (t.c.person_id == event.person_id) & (t.c.period == period)
    old = await session.scalar(select(t.c.occurred_at).where(key))
    if old is None:
        await session.execute(t.insert().values(indicator=indicator, person_id=event.person_id, period=period,
                                                village_code=event.village_code, occurred_at=when, numerator=numerator))
    elif _aware(old) <= when:
        await session.execute(update(t).where(key).values(occurred_at=when, numerator=numerator,
                                                          village_code=event.village_code))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


async def apply(unit: Unit, event: EventData) -> None:
    """Apply one event to every indicator that reads its type; refresh the village's freshness."""
    session = unit.session
    when = event.event_time()
    if isinstance(event, TargetSet):
        t = models.targets
        key = (t.c.village_code == event.village_code) & (t.c.year == event.year) & (t.c.target == event.target)
        if (await session.execute(update(t).where(key).values(count=event.count))).rowcount == 0:
            await session.execute(t.insert().values(village_code=event.village_code, year=event.year,
                                                    target=event.target, count=event.count))
        return
    if isinstance(event, PersonLinked):
        t = models.person_status
        await session.execute(update(t).where(t.c.person_id == event.previous_person_id).values(person_id=event.person_id))
        return
    if when is None or not hasattr(event, "village_code"):
        return
    for indicator in domain.REGISTRY:
        if not isinstance(event, indicator.event):
            continue
        verdict = indicator.judge(event)
        if indicator.kind == "count":
            if verdict:
                await _bump(session, event.village_code, local_period(when), indicator.id)
        elif verdict is not None:
            await _person(session, indicator.id, event, verdict, when)
    t = models.freshness
    now = datetime.now(timezone.utc)
    if (await session.execute(update(t).where(t.c.village_code == event.village_code).values(last_event_at=now))).rowcount == 0:
        await session.execute(t.insert().values(village_code=event.village_code, last_event_at=now))


async def pws(session: AsyncSession, regions: RegionIndex, code: str, period: str) -> dict:
    """The PWS table of ``code`` for ``period``: a total and one row per next-level area."""
    region = regions.get(code)
    children = regions.children(code) if region else []
    width = len(children[0].code) if children else len(code)
    like = f"{code}.%"
    area = func.substr(models.counts.c.village_code, 1, width)
    counts = (await session.execute(
        select(area.label("area"), models.counts.c.indicator, func.sum(models.counts.c.value))
        .where(models.counts.c.period == period, models.counts.c.village_code.like(like) | (models.counts.c.village_code == code))
        .group_by("area", models.counts.c.indicator)
    )).all()
    ps = models.person_status
    p_area = func.substr(ps.c.village_code, 1, width)
    persons = (await session.execute(
        select(p_area.label("area"), ps.c.indicator, func.count(), func.sum(func.cast(ps.c.numerator, models.counts.c.value.type)))
        .where(ps.c.period == period, ps.c.village_code.like(like) | (ps.c.village_code == code))
        .group_by("area", ps.c.indicator)
    )).all()
    tg = models.targets
    t_area = func.substr(tg.c.village_code, 1, width)
    year = int(period[:4])
    targets = (await session.execute(
        select(t_area.label("area"), tg.c.target, func.sum(tg.c.count))
        .where(tg.c.year == year, tg.c.village_code.like(like) | (tg.c.village_code == code))
        .group_by("area", tg.c.target)
    )).all()
    fr = models.freshness
    f_area = func.substr(fr.c.village_code, 1, width)
    fresh = dict((await session.execute(
        select(f_area.label("area"), func.max(fr.c.last_event_at)).where(fr.c.village_code.like(like) | (fr.c.village_code == code))
        .group_by("area"))).all())

    def table(area_code: str | None) -> dict:
        num: dict[str, int] = {}
        measured: dict[str, int] = {}
        target: dict[str, int] = {}
        for a, ind, value in counts:
            if area_code is None or a == area_code:
                num[ind] = num.get(ind, 0) + int(value)
        for a, ind, n, positive in persons:
            if area_code is None or a == area_code:
                measured[ind] = measured.get(ind, 0) + int(n)
                num[ind] = num.get(ind, 0) + int(positive or 0)
        for a, group, value in targets:
            if area_code is None or a == area_code:
                target[group] = target.get(group, 0) + int(value)
        cells = {}
        for ind in domain.REGISTRY:
            group = ind.denominator.split(":", 1)[1] if ind.denominator and ind.denominator.startswith("target:") else None
            cells[ind.id] = domain.cell(ind, num.get(ind.id, 0), measured.get(ind.id, 0), target.get(group) if group else None)
        return cells

    rows = []
    for child in children:
        last = fresh.get(child.code)
        rows.append({"code": child.code, "name": child.name, "level": child.level, "indicators": table(child.code),
                     "last_event_at": _aware(last).isoformat() if last else None})
    return {
        "region": {"code": code, "name": region.name if region else code, "level": domain.level_of(code)},
        "period": period,
        "total": {"indicators": table(None)},
        "rows": rows,
    }


def hash_token(token: str) -> str:
    """Viewer tokens are stored as SHA-256 hashes only."""
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_viewer_token(session: AsyncSession, region: str) -> str:
    """A new viewer token scoped to a region code prefix (shown once)."""
    token = "jjv_" + secrets.token_urlsafe(32)
    await session.execute(models.viewer_tokens.insert().values(
        token_hash=hash_token(token), region=region, created_at=datetime.now(timezone.utc)))
    return token


async def viewer_region(session: AsyncSession, token: str) -> str | None:
    """The region prefix of a valid viewer token."""
    t = models.viewer_tokens
    return await session.scalar(select(t.c.region).where(t.c.token_hash == hash_token(token), t.c.revoked_at.is_(None)))


def covers(scope: str, code: str) -> bool:
    """A token scoped to ``scope`` may see ``code`` and everything below it."""
    return code == scope or code.startswith(scope + ".")
