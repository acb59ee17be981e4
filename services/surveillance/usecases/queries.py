"""Reads for the dashboard: signals of a region, one signal, and weekly epidemic curves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from services.surveillance import models, store
from services.surveillance.domain import lifecycle, rules, weeks
from services.surveillance.domain.catalogue import Disease
from shared.time import utc


async def list_signals(session: Any, region: str, *, statuses: list[str] | None = None, limit: int = 200
                       ) -> list[dict[str, Any]]:
    """Signals whose village (or the Puskesmas's village) lies in ``region``, newest first."""
    s = models.signals
    query = select(s).where(or_(s.c.village_code.startswith(region, autoescape=True),
                                s.c.village_codes.startswith(region, autoescape=True),
                                s.c.village_codes.contains(";" + region, autoescape=True)))
    if statuses:
        query = query.where(s.c.status.in_(statuses))
    rows = (await session.execute(query.order_by(s.c.raised_at.desc(), s.c.signal_id).limit(limit))).mappings().all()
    return [store.view(r) for r in rows if _in_region(r, region)]


def _in_region(row: Any, region: str) -> bool:
    villages = [row["village_code"], *[v for v in row["village_codes"].split(";") if v]]
    return any(v.startswith(region) for v in villages)


async def get_signal(session: Any, signal_id: str) -> dict[str, Any] | None:
    s = models.signals
    row = (await session.execute(select(s).where(s.c.signal_id == signal_id))).mappings().first()
    return None if row is None else store.view(row)


@dataclass(frozen=True)
class CurveWeek:
    week: str
    count: int
    threshold: int | None


async def curve(session: Any, disease: Disease, area_kind: str, area_code: str, until: str, count: int
                ) -> list[CurveWeek]:
    """``count`` weeks up to ``until`` of one area: the cases and each week's own threshold.

    ``area_kind`` ``region`` sums the villages whose code starts with ``area_code`` and has no
    threshold (rules are per village and Puskesmas area).
    """
    shown = weeks.previous(until, count - 1) + [until]
    rule = disease.rule(area_kind) if area_kind in ("village", "puskesmas") else None
    history = rule.baseline_weeks if rule else 0
    wanted = weeks.previous(shown[0], history) + shown if history else shown
    w = models.weekly_counts
    if area_kind == "region":
        query = (select(w.c.week, func.sum(w.c.count)).where(
            w.c.area_kind == "village", w.c.area_code.startswith(area_code, autoescape=True),
            w.c.disease == disease.code, w.c.week.in_(wanted)).group_by(w.c.week))
    else:
        query = select(w.c.week, w.c.count).where(w.c.area_kind == area_kind, w.c.area_code == area_code,
                                                  w.c.disease == disease.code, w.c.week.in_(wanted))
    found = {week: int(n) for week, n in (await session.execute(query)).all()}
    result = []
    for label in shown:
        threshold = None
        if rule is not None:
            baseline = [(p, found.get(p, 0)) for p in weeks.previous(label, history)]
            threshold = rules.decide(rule, found.get(label, 0), baseline).threshold
        result.append(CurveWeek(label, found.get(label, 0), threshold))
    return result


async def open_by_district(session: Any) -> dict[tuple[str, str], int]:
    """``{(district code, status): signals not closed}`` (the ``jejaring_outbreak_signals_open`` gauge)."""
    s = models.signals
    query = (select(s.c.district_code, s.c.status, func.count()).where(s.c.status.in_(sorted(lifecycle.OPEN)))
             .group_by(s.c.district_code, s.c.status))
    return {(district, status): int(n) for district, status, n in await session.execute(query)}


async def overdue_by_district(session: Any, now: datetime) -> dict[tuple[str], int]:
    """``{(district code,): signals past their escalation deadline and not yet verified}`` (the
    ``jejaring_outbreak_signals_overdue`` gauge): escalated ones, and signalled ones the checker has
    not reached yet."""
    s = models.signals
    query = (select(s.c.district_code, func.count())
             .where(s.c.status.in_(("signalled", "escalated")), s.c.escalate_at <= utc(now))
             .group_by(s.c.district_code))
    return {(district,): int(n) for district, n in await session.execute(query)}
