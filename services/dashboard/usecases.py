"""Dashboard's use cases: apply events; answer PWS, referral and freshness queries; tokens and
sessions; rebuild. The arithmetic is in ``domain``; the batched writes in ``readmodel``."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from sqlalchemy import and_, case, delete, func, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.dashboard import domain, models, readmodel
from shared.contracts.events import EventData, FacilityRegistered
from shared.regions import RegionIndex

# -- applying events -------------------------------------------------------------------------


async def apply(session: AsyncSession, events: Iterable[EventData],
                registry: Iterable[domain.Indicator] = domain.REGISTRY) -> set[str]:
    """Apply a batch of events to the read model; returns the villages whose numbers changed
    (``readmodel.ALL`` when reference data changed)."""
    registry = tuple(registry)
    pending = readmodel.Pending()
    for event in events:
        pending.merge(readmodel.stage(event, registry))
    await readmodel.write(session, pending)
    return pending.villages


# -- facilities known to the dashboard -------------------------------------------------------

@dataclass(frozen=True)
class Directory:
    """Puskesmas names, villages and catchments, from the consumed facility registry."""

    facilities: dict[str, FacilityRegistered] = field(default_factory=dict)
    catchment: dict[str, frozenset[str]] = field(default_factory=dict)

    def puskesmas(self, facility_id: str) -> FacilityRegistered | None:
        f = self.facilities.get(facility_id)
        return f if f is not None and f.type == "puskesmas" and f.active else None


class DirectoryCache:
    """One Directory per process, reloaded after ``ttl`` seconds or when told facilities changed."""

    def __init__(self, ttl: float = 10.0) -> None:
        self.ttl = ttl
        self._value: Directory | None = None
        self._loaded = 0.0

    def invalidate(self) -> None:
        self._value = None

    async def get(self, session: AsyncSession) -> Directory:
        if self._value is None or time.monotonic() - self._loaded > self.ttl:
            self._value = await load_directory(session)
            self._loaded = time.monotonic()
        return self._value


async def load_directory(session: AsyncSession) -> Directory:
    t = models.facilities
    rows = (await session.execute(select(t))).mappings().all()
    facilities = {r["facility_id"]: FacilityRegistered(
        facility_id=r["facility_id"], name=r["name"], type=r["type"], parent_id=r["parent_id"],
        village_code=r["village_code"], active=bool(r["active"]), revision=r["revision"]) for r in rows}
    return Directory(facilities, domain.catchments(facilities.values()))


# -- views -----------------------------------------------------------------------------------

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
    if domain.is_region_code(target):
        region = regions.get(target)
        if region is None:
            raise NotFound(f"unknown region code {target}")
        area = Area(region.code, region.name, region.level)
        if by == "puskesmas" and region.level != "desa":
            rows = sorted((Area(f.facility_id, f.name, "puskesmas", directory.catchment.get(f.facility_id, frozenset()))
                           for f in directory.facilities.values()
                           if directory.puskesmas(f.facility_id) and domain.covers(target, f.village_code)
                           and domain.may_view(scope, f.facility_id, directory.catchment)),
                          key=lambda a: a.name)
        else:
            by = "wilayah"
            rows = [Area(c.code, c.name, c.level) for c in regions.children(target)]
        chain = [a for a in regions.ancestors(target) if domain.may_view(scope, a.code, directory.catchment)]
        if not domain.is_region_code(scope):
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
    if domain.is_region_code(scope):
        root = regions.get(scope)
        path.append({"code": scope, "name": root.name if root else scope, "level": domain.level_of(scope)})
    path.append({"code": area.code, "name": area.name, "level": "puskesmas"})
    return View(area, rows, "desa", path)


def _region_name(regions: RegionIndex, code: str) -> str:
    region = regions.get(code)
    return region.name if region else code


def _puskesmas_name(directory: Directory, facility_id: str) -> str:
    f = directory.facilities.get(facility_id)
    return f.name if f else facility_id


# -- read-model queries ----------------------------------------------------------------------

def _filter(column, area: Area):  # noqa: ANN001, ANN202
    if area.villages is not None:
        return column.in_(sorted(area.villages) or [""])
    return and_(column >= area.code, column < area.code + "/")  # the code and everything below it


async def village_tallies(session: AsyncSession, area: Area, period: str) -> dict[str, dict[str, list[int]]]:
    """Per village and indicator: [numerator, measured] of ``period`` and the year-to-date pair."""
    c = models.cells
    this = c.c.period == period
    query = (select(c.c.village_code, c.c.indicator,
                    func.sum(case((this, c.c.numerator), else_=0)), func.sum(case((this, c.c.measured), else_=0)),
                    func.sum(c.c.ytd_numerator), func.sum(c.c.ytd_measured))
             .where(_filter(c.c.village_code, area), c.c.period >= domain.year_start(period), c.c.period <= period)
             .group_by(c.c.village_code, c.c.indicator))
    out: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for village, indicator, n, m, yn, ym in await session.execute(query):
        out[village][indicator] = [int(n or 0), int(m or 0), int(yn or 0), int(ym or 0)]
    return out


async def village_targets(session: AsyncSession, area: Area, year: int) -> dict[str, dict[str, list[int]]]:
    t = models.targets
    out: dict[str, dict[str, list[int]]] = defaultdict(dict)
    query = select(t.c.village_code, t.c.target, t.c.count).where(_filter(t.c.village_code, area), t.c.year == year)
    for village, group, count in await session.execute(query):
        out[village][group] = [int(count)]
    return out


async def village_freshness(session: AsyncSession, area: Area) -> dict[str, tuple[datetime, datetime]]:
    t = models.freshness
    query = select(t.c.village_code, t.c.last_event_at, t.c.received_at).where(_filter(t.c.village_code, area))
    return {v: (readmodel.utc(last), readmodel.utc(received)) for v, last, received in await session.execute(query)}


async def village_referrals(session: AsyncSession, area: Area, period: str) -> dict[str, dict[str, list[int]]]:
    """Per village and current status: [made this month, made this year so far]; plus ``feedback``."""
    r = models.referrals
    this = r.c.period == period
    query = (select(r.c.village_code, r.c.status, func.sum(case((this, 1), else_=0)), func.count(),
                    func.sum(case((and_(this, r.c.feedback), 1), else_=0)), func.sum(case((r.c.feedback, 1), else_=0)))
             .where(_filter(r.c.village_code, area), r.c.period >= domain.year_start(period), r.c.period <= period)
             .group_by(r.c.village_code, r.c.status))
    out: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for village, status, month, ytd, fb_month, fb_ytd in await session.execute(query):
        out[village][status] = [int(month or 0), int(ytd or 0)]
        fb = out[village].setdefault("feedback", [0, 0])
        fb[0] += int(fb_month or 0)
        fb[1] += int(fb_ytd or 0)
    return out


# -- the PWS answer --------------------------------------------------------------------------

@dataclass
class Context:
    """What a PWS query needs besides the session."""

    regions: RegionIndex
    registry: tuple[domain.Indicator, ...] = domain.REGISTRY
    directory: DirectoryCache = field(default_factory=DirectoryCache)
    fresh_days: float = 7
    silent_days: float = 14


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


async def pws(session: AsyncSession, ctx: Context, target: str, period: str, *, scope: str,
              by: str | None = None, now: datetime | None = None) -> dict:
    """The PWS table of ``target`` for ``period``: total and next-level rows (contract shape), each
    with year-to-date cells, freshness and referral follow-up; plus the per-village freshness list."""
    now = now or datetime.now(timezone.utc)
    directory = await ctx.directory.get(session)
    view = resolve(ctx.regions, directory, target, scope, by)
    area = view.area
    tallies = await village_tallies(session, area, period)
    populations = await village_targets(session, area, int(period[:4]))
    fresh = await village_freshness(session, area)
    refs = await village_referrals(session, area, period)
    if area.villages is not None:
        known = set(area.villages)
    else:
        known = {r.code for r in ctx.regions.villages_under(area.code)}
    villages = known | set(tallies) | set(populations) | set(fresh) | set(refs)
    if area.villages is not None:
        villages &= area.villages

    # Each village's ancestors by code length, once, so each row finds its villages by lookup
    # instead of testing every village against every row.
    ordered = sorted(villages)
    prefix_lengths = {len(a.code) for a in (area, *view.rows) if a.villages is None}
    under: dict[str, list[str]] = defaultdict(list)
    for village in ordered:
        for length in prefix_lengths:
            if len(village) == length or (len(village) > length and village[length] == "."):
                under[village[:length]].append(village)

    def summary(a: Area) -> dict:
        members = [v for v in ordered if v in a.villages] if a.villages is not None else under.get(a.code, [])
        tally = domain.rollup(tallies, {"a": members})["a"]
        pops = {g: v[0] for g, v in domain.rollup(populations, {"a": members})["a"].items()}
        monthly, ytd = domain.area_cells(ctx.registry, tally, pops, period)
        lasts = [fresh[v][0] for v in members if v in fresh]
        statuses = [domain.freshness_status(fresh[v][0] if v in fresh else None, now, ctx.fresh_days, ctx.silent_days)
                    for v in members if v in known]
        ref = domain.rollup(refs, {"a": members})["a"]
        feedback = ref.pop("feedback", [0, 0])
        return {
            "code": a.code, "name": a.name, "level": a.level,
            "indicators": monthly,
            "ytd": {"indicators": ytd},
            "last_event_at": _iso(max(lasts)) if lasts else None,
            "villages": len(statuses),
            "silent_villages": statuses.count("senyap"),
            "referrals": {"month": domain.referral_summary({s: v[0] for s, v in ref.items()}, feedback[0]),
                          "ytd": domain.referral_summary({s: v[1] for s, v in ref.items()}, feedback[1])},
        }

    total = summary(area)
    rows = [summary(a) for a in view.rows]
    freshness = []
    for village in sorted(villages & known if known else villages):
        last, received = fresh.get(village, (None, None))
        status = domain.freshness_status(last, now, ctx.fresh_days, ctx.silent_days)
        parent = ctx.regions.get(village[:8])
        freshness.append({"code": village, "name": _region_name(ctx.regions, village),
                          "kecamatan": parent.name if parent else village[:8],
                          "last_event_at": _iso(last), "received_at": _iso(received),
                          "days": None if last is None else int((now - last).total_seconds() // 86400),
                          "status": status})
    order = {"senyap": 0, "lama": 1, "baru": 2}
    freshness.sort(key=lambda f: (order[f["status"]], f["last_event_at"] or "", f["code"]))
    return {
        "region": {"code": area.code, "name": area.name, "level": area.level},
        "period": period,
        "by": view.by,
        "path": view.path,
        "total": {k: v for k, v in total.items() if k not in ("code", "name", "level")},
        "rows": rows,
        "freshness": freshness,
        "generated_at": now.isoformat(),
    }


# -- viewer tokens and sessions --------------------------------------------------------------

def hash_token(token: str) -> str:
    """Viewer tokens and session ids are stored as SHA-256 hashes only."""
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_viewer_token(session: AsyncSession, region: str) -> str:
    """A new viewer token scoped to a region code prefix or a Puskesmas facility id (shown once)."""
    token = "jjv_" + secrets.token_urlsafe(32)
    await session.execute(models.viewer_tokens.insert().values(
        token_hash=hash_token(token), region=region, created_at=datetime.now(timezone.utc)))
    return token


async def check_scope(session: AsyncSession, regions: RegionIndex, region: str) -> str | None:
    """Why ``region`` cannot scope a viewer token (None when it can)."""
    if domain.is_region_code(region):
        return None if region in regions else f"unknown region code {region}"
    directory = await load_directory(session)
    if directory.puskesmas(region) is None:
        return (f"unknown Puskesmas {region}: the dashboard knows the Puskesmas it consumed from "
                "ilp.facility.registered.v1 (import facilities first, and let the dashboard run)")
    return None


async def revoke_viewer_token(session: AsyncSession, token: str) -> bool:
    t = models.viewer_tokens
    result = await session.execute(t.update().where(t.c.token_hash == hash_token(token), t.c.revoked_at.is_(None))
                                   .values(revoked_at=datetime.now(timezone.utc)))
    return bool(result.rowcount)


async def viewer_region(session: AsyncSession, token: str) -> str | None:
    """The scope of a valid viewer token."""
    t = models.viewer_tokens
    return await session.scalar(select(t.c.region).where(t.c.token_hash == hash_token(token), t.c.revoked_at.is_(None)))


async def open_session(session: AsyncSession, token: str, max_age_seconds: int) -> tuple[str, str] | None:
    """(session id, scope) for a valid token; the id goes in the cookie, only its hash is stored."""
    scope = await viewer_region(session, token)
    if scope is None:
        return None
    now = datetime.now(timezone.utc)
    sid = secrets.token_urlsafe(32)
    s = models.sessions
    await session.execute(delete(s).where(s.c.expires_at < now))
    await session.execute(s.insert().values(id_hash=hash_token(sid), token_hash=hash_token(token), created_at=now,
                                            expires_at=now + timedelta(seconds=max_age_seconds)))
    return sid, scope


async def session_region(session: AsyncSession, sid: str) -> str | None:
    """The scope of a live session whose token is still valid."""
    s, t = models.sessions, models.viewer_tokens
    row = (await session.execute(
        select(t.c.region, s.c.expires_at).join(t, t.c.token_hash == s.c.token_hash)
        .where(s.c.id_hash == hash_token(sid), t.c.revoked_at.is_(None)))).first()
    if row is None or readmodel.utc(row[1]) <= datetime.now(timezone.utc):
        return None
    return row[0]


async def close_session(session: AsyncSession, sid: str) -> None:
    s = models.sessions
    await session.execute(delete(s).where(s.c.id_hash == hash_token(sid)))


def covers(scope: str, code: str) -> bool:
    """A token scoped to ``scope`` may see ``code`` and everything below it (region codes)."""
    return domain.covers(scope, code)


# -- rebuild ---------------------------------------------------------------------------------

GENERATION = "rebuild_generation"


async def rebuild(service) -> int:  # noqa: ANN001 - a shared.service.Service with the dashboard's consumers
    """Empty the read model and the inbox rows of the consumed topics, and start a new rebuild
    generation, in one transaction. The running dashboard (or the next one to start) then rewinds
    each of its partitions to the beginning once (``live.Rewinder``) and re-reads every topic.
    Returns the new generation."""
    topics = sorted({p.topic for p in service.processors})
    async with service.db.session() as session, session.begin():
        dialect = session.bind.dialect.name
        if dialect == "postgresql":
            await session.execute(text("TRUNCATE TABLE " + ", ".join(t.name for t in models.READ_MODEL)))
        else:
            for table in models.READ_MODEL:
                await session.execute(delete(table))
        inbox = models.processed_events
        await session.execute(delete(inbox).where(inbox.c.topic.in_(topics)))
        generation = await current_generation(session) + 1
        stmt = (sqlite_insert if dialect == "sqlite" else pg_insert)(models.state).values(key=GENERATION, value=generation)
        await session.execute(stmt.on_conflict_do_update(index_elements=[models.state.c.key],
                                                         set_={"value": stmt.excluded.value}))
    return generation


async def current_generation(session: AsyncSession) -> int:
    value = await session.scalar(select(models.state.c.value).where(models.state.c.key == GENERATION))
    return int(value or 0)
