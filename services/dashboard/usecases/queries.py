"""PWS queries: which area a request shows (:func:`resolve`), the read-model sums per village, and the
PWS answer (:func:`pws`) in the contract's shape with its additions.

Over 300 lines because the table, the trend and the gauges share one area resolution and one set of
read-model sums; split, they would repeat them.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from operator import itemgetter

from sqlalchemy import and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.dashboard import models
from services.dashboard.domain import access, arithmetic, publication
from services.dashboard.domain.registry import REGISTRY, Indicator
from services.dashboard.usecases.directory import Directory, DirectoryCache
from shared.regions import RegionIndex, covers, is_region_code, level_of
from shared.time import utc, utc_or_none


@dataclass(frozen=True)
class Area:
    """One row of a PWS table: a region (by code prefix) or a Puskesmas catchment (by villages)."""

    code: str
    name: str
    level: str
    villages: frozenset[str] | None = None  # None: every village whose code the area covers


@dataclass(frozen=True)
class View:
    """What a PWS request shows: the area, its rows, and the breadcrumb from the viewer's scope."""

    area: Area
    rows: list[Area]
    by: str
    path: list[dict]


class NotFound(LookupError):
    """Unknown region code or Puskesmas."""


def resolve(regions: RegionIndex, directory: Directory, target: str, scope: str, by: str | None = None) -> View:
    """The view of ``target`` (a region code or a Puskesmas id) for a viewer scoped to ``scope``."""
    if is_region_code(target):
        region = regions.get(target)
        if region is None:
            raise NotFound(f"unknown region code {target}")
        area = Area(region.code, region.name, region.level)
        if by == "puskesmas" and region.level != "desa":
            rows = sorted((Area(f.facility_id, f.name, "puskesmas", directory.catchment.get(f.facility_id, frozenset()))
                           for f in directory.facilities.values()
                           if directory.puskesmas(f.facility_id) and covers(target, f.village_code)
                           and access.may_view(scope, f.facility_id, directory.catchment)),
                          key=lambda a: a.name)
        else:
            by = "wilayah"
            rows = [Area(c.code, c.name, c.level) for c in regions.children(target)]
        chain = [a for a in regions.ancestors(target) if access.may_view(scope, a.code, directory.catchment)]
        if not is_region_code(scope):
            chain = [{"code": scope, "name": _puskesmas_name(directory, scope), "level": "puskesmas"}]
        else:
            chain = [{"code": a.code, "name": a.name, "level": a.level} for a in chain]
        path = [*chain, {"code": area.code, "name": area.name, "level": area.level}]
        return View(area, rows, by or "wilayah", path)
    facility = directory.puskesmas(target)
    if facility is None:
        raise NotFound(f"unknown Puskesmas {target}")
    villages = directory.catchment.get(target, frozenset())
    area = Area(target, facility.name, "puskesmas", villages)
    rows = [Area(v, _region_name(regions, v), "desa") for v in sorted(villages)]
    path = []
    if is_region_code(scope):
        root = regions.get(scope)
        path.append({"code": scope, "name": root.name if root else scope, "level": access.level_of(scope)})
    path.append({"code": area.code, "name": area.name, "level": "puskesmas"})
    return View(area, rows, "desa", path)


def _region_name(regions: RegionIndex, code: str) -> str:
    region = regions.get(code)
    return region.name if region else code


def _puskesmas_name(directory: Directory, facility_id: str) -> str:
    f = directory.facilities.get(facility_id)
    return f.name if f else facility_id


def _filter(column, area: Area):  # noqa: ANN001, ANN202
    if area.villages is not None:
        return column.in_(sorted(area.villages) or [""])
    return and_(column >= area.code, column < area.code + "/")  # the code and everything below it


READ_CHUNK = 1000  # codes per IN list


async def per_area(session: AsyncSession, areas: list[Area], read) -> dict[str, dict[str, list[int]]]:  # noqa: ANN001
    """``{area code: {key: tally}}`` for each of ``areas`` from the read model's pre-aggregated sums:
    a region above the village reads its own ``area_cells`` rows, a village its ``cells``, a Puskesmas
    catchment its villages' ``cells`` summed. ``read(table, code column, codes)`` runs one query and
    returns ``{code: {key: tally}}``."""
    out: dict[str, dict[str, list[int]]] = {}
    regions = sorted({a.code for a in areas if a.villages is None and level_of(a.code) != "desa"})
    villages = {a.code for a in areas if a.villages is None and level_of(a.code) == "desa"}
    catchments = [a for a in areas if a.villages is not None]
    members = sorted(villages.union(*(a.villages for a in catchments)))
    for table, column, codes in ((models.area_cells, models.area_cells.c.area_code, regions),
                                 (models.cells, models.cells.c.village_code, members)):
        found: dict[str, dict[str, list[int]]] = {}
        for start in range(0, len(codes), READ_CHUNK):
            found.update(await read(table, column, codes[start:start + READ_CHUNK]))
        if table is models.area_cells:
            out.update({code: found.get(code, {}) for code in codes})
        else:
            out.update({code: found.get(code, {}) for code in villages})
            out.update(arithmetic.rollup(found, {a.code: a.villages for a in catchments}))
    return out


async def area_tallies(session: AsyncSession, areas: list[Area], period: str) -> dict[str, dict[str, list[int]]]:
    """Per area and indicator: [numerator, measured] of ``period`` and the year-to-date pair."""

    async def read(table, column, codes: list[str]) -> dict[str, dict[str, list[int]]]:  # noqa: ANN001
        this = table.c.period == period
        query = (select(column, table.c.indicator,
                        func.sum(case((this, table.c.numerator), else_=0)),
                        func.sum(case((this, table.c.measured), else_=0)),
                        func.sum(table.c.ytd_numerator), func.sum(table.c.ytd_measured))
                 .where(column.in_(codes), table.c.period >= arithmetic.year_start(period), table.c.period <= period)
                 .group_by(column, table.c.indicator))
        found: dict[str, dict[str, list[int]]] = defaultdict(dict)
        for code, indicator, n, m, yn, ym in await session.execute(query):
            found[code][indicator] = [int(n or 0), int(m or 0), int(yn or 0), int(ym or 0)]
        return found

    return await per_area(session, areas, read)


def grouping(view: View) -> int | None:
    """The code length by which the database can sum a view's villages (targets, referrals) when every
    area of the view is a region: its rows' (or, without rows, its own). None when a Puskesmas catchment
    is among them: then the sums are per village."""
    areas = [view.area, *view.rows]
    if any(a.villages is not None for a in areas):
        return None
    return len(view.rows[0].code) if view.rows else len(view.area.code)


def _key(column, length: int | None):  # noqa: ANN001, ANN202
    return func.substr(column, 1, length) if length else column


async def village_targets(session: AsyncSession, area: Area, year: int,
                          length: int | None = None) -> dict[str, dict[str, list[int]]]:
    """Per village (or per code prefix of ``length``) and target group: ``[count]`` of ``year``."""
    t = models.targets
    key = _key(t.c.village_code, length)
    query = (select(key, t.c.target, func.sum(t.c.count)).where(_filter(t.c.village_code, area), t.c.year == year)
             .group_by(key, t.c.target))
    return _target_sums(await session.execute(query))


def _target_sums(rows) -> dict[str, dict[str, list[int]]]:  # noqa: ANN001
    out: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for code, group, count in rows:
        out[code][group] = [int(count)]
    return out


def _freshness_columns(now: datetime, fresh_days: float, silent_days: float):  # noqa: ANN202
    """(status, rank) of a village's freshness (``publication.freshness_status``), compared in the
    database with :func:`publication.freshness_cutoffs`; rank orders ``senyap`` before ``lama``
    before ``baru``."""
    t = models.freshness
    fresh_since, silent_since = publication.freshness_cutoffs(utc(now), fresh_days, silent_days)
    status = case((t.c.last_event_at >= fresh_since, "baru"), (t.c.last_event_at >= silent_since, "lama"), else_="senyap")
    rank = case((t.c.last_event_at >= fresh_since, 2), (t.c.last_event_at >= silent_since, 1), else_=0)
    return status, rank


async def village_statuses(session: AsyncSession, area: Area, now: datetime, fresh_days: float,
                           silent_days: float) -> dict[str, set[str]]:
    """Per freshness status, the villages with an event that have it. The database joins each status's
    codes into one string: a province's 2,651 villages come back as three values instead of 2,651
    rows, which cost ~16 ms with their times on PostgreSQL against ~3 (measured 2026-12-01)."""
    t = models.freshness
    status, _rank = _freshness_columns(now, fresh_days, silent_days)
    query = (select(status, func.aggregate_strings(t.c.village_code, ",")).where(_filter(t.c.village_code, area))
             .group_by(status))
    return {name: set(joined.split(",")) for name, joined in await session.execute(query)}


def village_counts(areas: list[Area], known: set[str], awake: set[str]) -> dict[str, tuple[int, int]]:
    """Per area code: (villages it lists, how many of them are silent). ``known``: the view's
    villages (each a desa code); ``awake``: the villages with a recent event (``baru`` or ``lama``),
    every other one is ``senyap``. A region's villages are counted by code prefix, in C (``map``
    and ``Counter``) rather than village by village."""
    awake = awake & known
    sizes = {len(a.code) for a in areas if a.villages is None}
    known_under = {size: Counter(map(itemgetter(slice(0, size)), known)) for size in sizes}
    awake_under = {size: Counter(map(itemgetter(slice(0, size)), awake)) for size in sizes}
    out = {}
    for a in areas:
        if a.villages is None:
            listed, up = known_under[len(a.code)][a.code], awake_under[len(a.code)][a.code]
        else:
            mine = known.intersection(a.villages)
            listed, up = len(mine), len(awake.intersection(mine))
        out[a.code] = (listed, listed - up)
    return out


async def latest_events(session: AsyncSession, area: Area, length: int | None) -> dict[str, datetime]:
    """The latest event's time per code prefix of ``length`` (per village without one), as the
    driver gives it (naive UTC on SQLite)."""
    t = models.freshness
    key = _key(t.c.village_code, length)
    query = select(key, func.max(t.c.last_event_at)).where(_filter(t.c.village_code, area)).group_by(key)
    return {code: last for code, last in await session.execute(query)}


async def freshness_list(session: AsyncSession, area: Area, now: datetime, fresh_days: float, silent_days: float,
                         limit: int | None) -> list[tuple[str, str, datetime, datetime]]:
    """(village, status, latest event, its arrival) of the villages with an event, in the list's
    order: ``senyap`` first, then ``lama``, then ``baru``, each oldest event first, then by code; at
    most ``limit`` (None: all). Times as the driver gives them (naive UTC on SQLite: take them
    through ``utc`` to show them)."""
    t = models.freshness
    status, rank = _freshness_columns(now, fresh_days, silent_days)
    query = (select(t.c.village_code, status, t.c.last_event_at, t.c.received_at).where(_filter(t.c.village_code, area))
             .order_by(rank, t.c.last_event_at, t.c.village_code).limit(limit))
    return [tuple(row) for row in await session.execute(query)]


async def village_referrals(session: AsyncSession, area: Area, period: str,
                            length: int | None = None) -> dict[str, dict[str, list[int]]]:
    """Per village (or per code prefix of ``length``) and current status: [made this month, made this
    year so far]; plus ``feedback``."""
    r = models.referrals
    key = _key(r.c.village_code, length)
    this = r.c.period == period
    query = (select(key, r.c.status, func.sum(case((this, 1), else_=0)), func.count(),
                    func.sum(case((and_(this, r.c.feedback), 1), else_=0)), func.sum(case((r.c.feedback, 1), else_=0)))
             .where(_filter(r.c.village_code, area), r.c.period >= arithmetic.year_start(period), r.c.period <= period)
             .group_by(key, r.c.status))
    return _referral_sums(await session.execute(query))


async def area_referrals(session: AsyncSession, codes: list[str], period: str) -> dict[str, dict[str, list[int]]]:
    """:func:`village_referrals` of regions above the village, from their own ``area_referrals`` rows."""
    a = models.area_referrals
    this = a.c.period == period
    query = (select(a.c.area_code, a.c.status, func.sum(case((this, a.c["count"]), else_=0)), func.sum(a.c["count"]),
                    func.sum(case((this, a.c.feedback), else_=0)), func.sum(a.c.feedback))
             .where(a.c.area_code.in_(codes), a.c.period >= arithmetic.year_start(period), a.c.period <= period)
             .group_by(a.c.area_code, a.c.status))
    return _referral_sums(await session.execute(query))


def _referral_sums(rows) -> dict[str, dict[str, list[int]]]:  # noqa: ANN001
    out: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for code, status, month, ytd, fb_month, fb_ytd in rows:
        out[code][status] = [int(month or 0), int(ytd or 0)]
        fb = out[code].setdefault("feedback", [0, 0])
        fb[0] += int(fb_month or 0)
        fb[1] += int(fb_ytd or 0)
    return out


async def area_targets(session: AsyncSession, codes: list[str], year: int) -> dict[str, dict[str, list[int]]]:
    """:func:`village_targets` of regions above the village, from their own ``area_targets`` rows."""
    a = models.area_targets
    query = select(a.c.area_code, a.c.target, a.c["count"]).where(a.c.area_code.in_(codes), a.c.year == year)
    return _target_sums(await session.execute(query))


def _rows_above_villages(view: View) -> bool:
    return grouping(view) is not None and bool(view.rows) and level_of(view.rows[0].code) != "desa"


def _summed(view: View, sums: dict[str, dict[str, list[int]]]) -> dict[str, dict[str, list[int]]]:
    """Sums the database grouped per row, with the view's total added; per village ones unchanged."""
    length = grouping(view)
    return _with_total(sums, view.area.code) if length is not None and length != len(view.area.code) else sums


async def targets_of(session: AsyncSession, view: View, year: int) -> dict[str, dict[str, list[int]]]:
    """The target populations of a view: per area code (the total and each row) when every area of
    the view is a region (see :func:`grouping`), else per village."""
    if _rows_above_villages(view):
        return await area_targets(session, [view.area.code, *(a.code for a in view.rows)], year)
    return _summed(view, await village_targets(session, view.area, year, grouping(view)))


async def referrals_of(session: AsyncSession, view: View, period: str) -> dict[str, dict[str, list[int]]]:
    """The referral follow-up sums of a view, keyed as :func:`targets_of`."""
    if _rows_above_villages(view):
        return await area_referrals(session, [view.area.code, *(a.code for a in view.rows)], period)
    return _summed(view, await village_referrals(session, view.area, period, grouping(view)))


def _with_total(sums: dict[str, dict[str, list[int]]], code: str) -> dict[str, dict[str, list[int]]]:
    """``sums`` per row code, plus their sum under the area's ``code``."""
    return {**sums, code: arithmetic.rollup(sums, {code: list(sums)})[code]}


def _scheduled_villages():  # noqa: ANN202
    f = models.facilities
    return (select(f.c.village_code).where(f.c.type == "posyandu", f.c.active.is_(True)).distinct().subquery())


async def scheduled_by_district(session: AsyncSession) -> dict[tuple[str], int]:
    """``{(district code,): villages with an active Posyandu}``: the villages expected to report
    (the ``jejaring_villages_scheduled`` gauge)."""
    v = _scheduled_villages()
    district = func.substr(v.c.village_code, 1, 5)
    return {(code,): int(n) for code, n in await session.execute(select(district, func.count()).group_by(district))}


async def silent_by_district(session: AsyncSession, now: datetime, silent_days: float) -> dict[tuple[str], int]:
    """``{(district code,): villages with an active Posyandu whose latest event is older than
    ``silent_days``, or that never sent one}``: the page's ``senyap`` (``publication.freshness_status``)
    counted per district (the ``jejaring_villages_silent`` gauge)."""
    v, r = _scheduled_villages(), models.freshness
    district = func.substr(v.c.village_code, 1, 5)
    cutoff = utc(now) - timedelta(days=silent_days)
    query = (select(district, func.count()).select_from(v.outerjoin(r, r.c.village_code == v.c.village_code))
             .where((r.c.last_event_at.is_(None)) | (r.c.last_event_at < cutoff)).group_by(district))
    return {(code,): int(n) for code, n in await session.execute(query)}


@dataclass
class Context:
    """What a PWS query needs besides the session."""

    regions: RegionIndex
    registry: tuple[Indicator, ...] = REGISTRY
    directory: DirectoryCache = field(default_factory=DirectoryCache)
    fresh_days: float = 7
    silent_days: float = 14


def _iso(moment: datetime | None) -> str | None:
    """An aware time in ISO 8601, in UTC (every caller passes UTC)."""
    return _utc_isoformat(moment) if moment else None


@functools.lru_cache(maxsize=2**16)
def _utc_isoformat(moment: datetime) -> str:
    """A province's answer writes ~1,000 event times, mostly the same from one request to the next,
    and ``isoformat`` costs ~3 us each here against ~0.3 for a remembered one (measured 2026-12-02).
    Equal instants give one string whatever their offset: it is written in UTC."""
    return moment.astimezone(timezone.utc).isoformat()


FRESHNESS_SHOWN = 500  # villages in the answer's freshness list; a province's 2,500+ go to the CSV


async def pws(session: AsyncSession, ctx: Context, target: str, period: str, *, scope: str,
              by: str | None = None, now: datetime | None = None, freshness_limit: int | None = FRESHNESS_SHOWN) -> dict:
    """The PWS table of ``target`` for ``period``: total and next-level rows (contract shape), each
    with year-to-date cells, freshness and referral follow-up; plus the per-village freshness list,
    silent villages first, cut at ``freshness_limit`` (None: every village), and its counts per
    status (``freshness_total``)."""
    now = now or datetime.now(timezone.utc)
    directory = await ctx.directory.get(session)
    view = resolve(ctx.regions, directory, target, scope, by)
    area = view.area
    tallies = await area_tallies(session, [area, *view.rows], period)
    length = grouping(view)
    populations = await targets_of(session, view, int(period[:4]))
    by_status = await village_statuses(session, area, now, ctx.fresh_days, ctx.silent_days)
    evented = set().union(*by_status.values())  # the villages with an event
    awake = by_status.get("baru", set()) | by_status.get("lama", set())
    latest = await latest_events(session, area, length)
    refs = await referrals_of(session, view, period)
    if area.villages is not None:
        known = set(area.villages)
    else:
        known = {r.code for r in ctx.regions.villages_under(area.code)}
    villages = known | evented | (set() if length else set(populations) | set(refs))
    if area.villages is not None:
        villages &= area.villages
    counted = village_counts([area, *view.rows], known, awake)

    under: dict[str, list[str]] = defaultdict(list)
    if length is None:  # the database summed per village: each area sums its own villages
        # Each village's ancestors by code length, once, so each row finds its villages by lookup
        # instead of testing every village against every row.
        prefix_lengths = {len(a.code) for a in (area, *view.rows) if a.villages is None}
        for village in sorted(villages):
            for size in prefix_lengths:
                if len(village) == size or (len(village) > size and village[size] == "."):
                    under[village[:size]].append(village)

    def summary(a: Area) -> dict:
        if length is None:  # per village
            groups = sorted(villages.intersection(a.villages)) if a.villages is not None else under.get(a.code, [])
            lasts = [latest[v] for v in groups if v in latest]
        else:  # per area
            groups = [a.code]
            if a is area and length != len(area.code):  # every prefix of the rows' length under the area
                lasts = list(latest.values())
            else:
                lasts = [latest[a.code]] if a.code in latest else []
        tally = tallies.get(a.code, {})
        pops = {g: v[0] for g, v in arithmetic.rollup(populations, {"a": groups})["a"].items()}
        monthly, ytd = arithmetic.area_cells(ctx.registry, tally, pops, period)
        listed, silent = counted[a.code]
        ref = arithmetic.rollup(refs, {"a": groups})["a"]
        feedback = ref.pop("feedback", [0, 0])
        return {
            "code": a.code, "name": a.name, "level": a.level,
            "indicators": monthly,
            "ytd": {"indicators": ytd},
            "last_event_at": _iso(utc(max(lasts))) if lasts else None,
            "villages": listed,
            "silent_villages": silent,
            "referrals": {"month": arithmetic.referral_summary({s: v[0] for s, v in ref.items()}, feedback[0]),
                          "ytd": arithmetic.referral_summary({s: v[1] for s, v in ref.items()}, feedback[1])},
        }

    total = summary(area)
    rows = [summary(a) for a in view.rows]
    shown = villages & known if known else villages
    # Silent first: the villages that never sent an event (by code), then the others in the database's
    # order (status, oldest event first, code), read only as far as the list goes.
    unseen = [(v, "senyap", None, None) for v in sorted(shown - evented)]
    wanted = None if freshness_limit is None else max(0, freshness_limit - len(unseen))
    seen = []
    if wanted != 0:
        hidden = len(evented - shown)  # events from villages the view does not list
        ordered_fresh = await freshness_list(session, area, now, ctx.fresh_days, ctx.silent_days,
                                             None if wanted is None else wanted + hidden)
        seen = [row for row in ordered_fresh if row[0] in shown]
    freshness = []
    for village, status, last, received in (unseen + seen)[:freshness_limit]:
        last, received = utc_or_none(last), utc_or_none(received)
        parent = ctx.regions.get(village[:8])
        freshness.append({"code": village, "name": _region_name(ctx.regions, village),
                          "kecamatan": parent.name if parent else village[:8],
                          "last_event_at": _iso(last), "received_at": _iso(received),
                          "days": None if last is None else int((now - last).total_seconds() // 86400),
                          "status": status})
    counts = {status: len(shown.intersection(by_status[status])) for status in ("lama", "baru") if status in by_status}
    counts["senyap"] = len(shown) - sum(counts.values())
    return {
        "region": {"code": area.code, "name": area.name, "level": area.level},
        "period": period,
        "by": view.by,
        "path": view.path,
        "total": {k: v for k, v in total.items() if k not in ("code", "name", "level")},
        "rows": rows,
        "freshness": freshness,
        "freshness_total": {"villages": len(shown), **{status: counts.get(status, 0) for status in ("senyap", "lama", "baru")}},
        "generated_at": now.isoformat(),
    }


TREND_MONTHS = 12


async def area_months(session: AsyncSession, areas: list[Area], indicator: str, first: str,
                      last: str) -> dict[str, dict[str, list[int]]]:
    """Per area and month from ``first`` to ``last``: the read model's sums of one indicator,
    ``[numerator, measured, ytd numerator delta, ytd measured delta]``."""

    async def read(table, column, codes: list[str]) -> dict[str, dict[str, list[int]]]:  # noqa: ANN001
        query = (select(column, table.c.period, table.c.numerator, table.c.measured, table.c.ytd_numerator,
                        table.c.ytd_measured)
                 .where(column.in_(codes), table.c.indicator == indicator, table.c.period >= first,
                        table.c.period <= last))
        found: dict[str, dict[str, list[int]]] = defaultdict(dict)
        for code, period, n, m, yn, ym in await session.execute(query):
            found[code][period] = [int(n or 0), int(m or 0), int(yn or 0), int(ym or 0)]
        return found

    return await per_area(session, areas, read)


async def trend(session: AsyncSession, ctx: Context, target: str, indicator_id: str, period: str, *, scope: str,
                by: str | None = None) -> dict:
    """The last 12 months of one indicator ending at ``period``, for the area and each of its rows:
    per month the monthly cell and the year-to-date cell (its ``target`` the target's monthly path),
    from ``cells`` through :mod:`arithmetic` as :func:`pws` computes them. A month without data has
    None numbers (the target stays)."""
    indicator = next((i for i in ctx.registry if i.id == indicator_id), None)
    if indicator is None:
        raise UnknownIndicator(f"unknown indicator {indicator_id}")
    directory = await ctx.directory.get(session)
    view = resolve(ctx.regions, directory, target, scope, by)
    area = view.area
    months = arithmetic.months_ending(period, TREND_MONTHS)
    first = arithmetic.year_start(months[0])  # the year-to-date of the window's first month starts in its January
    span = arithmetic.months_ending(period, 12 * (int(period[:4]) - int(first[:4])) + arithmetic.month_number(period))
    areas = [area, *view.rows]
    rows_of = await area_months(session, areas, indicator.id, first, period)
    # an indicator whose denominator is another's year-to-date count (D/K: K) reads that one too
    base_of = await area_months(session, areas, indicator.ytd_of, first, period) if indicator.ytd_of else {}
    years = sorted({int(m[:4]) for m in months})
    populations = {year: await targets_of(session, view, year) for year in years}
    villages = {v for p in populations.values() for v in p}
    if area.villages is not None:
        villages &= area.villages

    def members(a: Area) -> list[str]:  # the keys of ``populations`` that make up ``a`` (see targets_of)
        if grouping(view) is not None:
            return [a.code]
        if a.villages is not None:
            return sorted(v for v in villages if v in a.villages)
        return sorted(v for v in villages if covers(a.code, v))

    def series(a: Area) -> list[dict]:
        mine, zero = rows_of.get(a.code, {}), [0, 0, 0, 0]
        cumulative = arithmetic.cumulate({p: mine.get(p, zero) for p in span})
        of = base_of.get(a.code, {})
        base = arithmetic.cumulate({p: of.get(p, zero) for p in span})
        pops_of = {year: {g: v[0] for g, v in arithmetic.rollup(populations[year], {"a": members(a)})["a"].items()}
                   for year in years}
        out = []
        for p in months:
            ytd_seen = any(q in mine for q in span if q[:4] == p[:4] and q <= p)
            out.append(arithmetic.trend_point(indicator, p, cumulative[p], pops_of[int(p[:4])], month_seen=p in mine,
                                              ytd_seen=ytd_seen, of_ytd=base[p][2] if indicator.ytd_of else None))
        return out

    return {
        "region": {"code": area.code, "name": area.name, "level": area.level},
        "indicator": indicator.meta(),
        "period": period,
        "months": months,
        "by": view.by,
        "target_path": [arithmetic.target_for(indicator, p, cumulative=True) for p in months],
        "total": {"series": series(area)},
        "rows": [{"code": a.code, "name": a.name, "level": a.level, "series": series(a)} for a in view.rows],
    }


class UnknownIndicator(LookupError):
    """An indicator id the registry does not hold."""
