"""Dashboard's HTTP adapter: the PWS JSON/CSV API, sign-in, the live stream and the page.

Over 300 lines because the dashboard answers the most routes (PWS, CSVs, trend, indicators, sign-in,
live stream, page); each route stays thin.

Every PWS route takes a :data:`Viewer` — the grant of an ``Authorization: Bearer`` viewer or admin
token, or of the session cookie — and checks the requested area against its scope.
"""

from __future__ import annotations

import asyncio
import html
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

from services.dashboard import export
from services.dashboard.app import Dashboard
from services.dashboard.domain.access import may_view
from services.dashboard.domain.definitions import definition
from services.dashboard.usecases import access, queries
from shared.auth import bearer
from shared.regions import covers, is_region_code
from shared.web import (
    HTTPError,
    LargeJSONResponse,
    ReadSession,
    ServiceDep,
    authenticate,
    refuse_failure,
)

STATIC = Path(__file__).parent / "static"
ASSETS = {"app.js": "text/javascript; charset=utf-8", "signals.js": "text/javascript; charset=utf-8",
          "app.css": "text/css; charset=utf-8"}
PERIOD = r"^\d{4}-(0[1-9]|1[0-2])$"
BY = r"^(wilayah|puskesmas)$"
COOKIE = "jejaring_session"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
NO_STORE = {"Cache-Control": "no-store"}
TOKEN_ERRORS = {401: {"description": "missing, invalid, expired or revoked token or session"},
                403: {"description": "area outside the token's scope"}, 404: {"description": "unknown area"},
                429: {"description": "too many failed token checks from this client"}}
STREAM_RECHECK_SECONDS = 5.0  # an open live stream re-checks its session at least this often

router = APIRouter()


def dashboard(request: Request) -> Dashboard:
    """The dashboard's use-case objects."""
    return request.app.state.service.context


Context = Annotated[Dashboard, Depends(dashboard)]


async def current_grant(request: Request, service, ctx: Dashboard) -> access.Grant | None:  # noqa: ANN001
    """The grant of the session cookie (no bearer token given), or None."""
    sid = request.cookies.get(COOKIE)
    if not sid:
        return None
    async with service.db.read_session() as session:
        return await access.session_grant(session, sid)


async def viewer(request: Request, service: ServiceDep, ctx: Context) -> access.Grant:
    """The grant of the request's bearer token or, without one, of its session cookie; ``401``."""
    if bearer(request.headers.get("authorization")) is None:
        grant = await current_grant(request, service, ctx)
        if grant is None:
            raise HTTPError(401, ["header", "authorization"], "missing or invalid token", headers=NO_STORE)
        return grant

    async def lookup(token: str) -> access.Grant | None:
        async with service.db.read_session() as session:
            return await access.grant_of(session, token)

    return await authenticate(request, lookup)


Viewer = Annotated[access.Grant, Depends(viewer)]


async def permitted(grant: access.Grant, target: str, ctx: Dashboard, service) -> None:  # noqa: ANN001
    """``403`` when ``target`` (a region code or a Puskesmas id) lies outside the grant's scope."""
    async with service.db.read_session() as session:
        directory = await ctx.query.directory.get(session)
    if not may_view(grant.scope, target, directory.catchment):
        raise HTTPError(403, ["query", "region"], "region outside the token's scope", headers=NO_STORE)


def default_period(ctx: Dashboard) -> str:
    """The current month at the dashboard's UTC offset (WIB by default)."""
    return datetime.now(timezone(timedelta(hours=ctx.settings.utc_offset_hours))).strftime("%Y-%m")


async def answer(grant: access.Grant, ctx: Dashboard, service, region: str, period: str | None,  # noqa: ANN001
                 by: str | None, freshness_limit: int | None = queries.FRESHNESS_SHOWN) -> dict:
    """The PWS answer of ``region`` for ``grant`` (scope checked)."""
    await permitted(grant, region, ctx, service)
    try:
        async with service.db.read_session() as session:
            return await queries.pws(session, ctx.query, region, period or default_period(ctx), scope=grant.scope, by=by,
                                     freshness_limit=freshness_limit)
    except queries.NotFound as exc:
        raise HTTPError(404, ["query", "region"], str(exc), headers=NO_STORE) from None


def csv_response(text: str, name: str) -> Response:
    return Response(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', **NO_STORE})


RegionQuery = Annotated[str, Query(max_length=64)]
PeriodQuery = Annotated[str | None, Query(pattern=PERIOD)]
ByQuery = Annotated[str | None, Query(pattern=BY)]


@router.get("/v1/pws", tags=["pws"], responses=TOKEN_ERRORS)
async def get_pws(grant: Viewer, ctx: Context, service: ServiceDep, region: RegionQuery, period: PeriodQuery = None,
                  by: ByQuery = None) -> Response:
    """The PWS table of a region (or a Puskesmas catchment: ``region=<facility id>``) for a month.

    Contract shape (``region``, ``period``, ``total.indicators``, ``rows``) plus, additively: each
    cell's ``target`` and ``colour``; ``ytd.indicators`` (January up to the month; all null for a
    monthly-only ratio, the round for a semester one, see ``/v1/indicators`` ``ytd``) on the total and
    every row; ``last_event_at``, ``villages``, ``silent_villages`` and ``referrals`` per row;
    ``path`` (breadcrumb), ``by``, the per-village ``freshness`` list (silent villages first, at most
    500: every village is in ``/v1/pws/freshness.csv``) and ``freshness_total`` (villages per status:
    ``villages``, ``senyap``, ``lama``, ``baru``). ``by=puskesmas`` lists the
    Puskesmas of a kabupaten/kecamatan as rows instead of the next administrative level.
    """
    return LargeJSONResponse(await answer(grant, ctx, service, region, period, by), headers=NO_STORE)


@router.get("/v1/pws.csv", tags=["pws"], responses=TOKEN_ERRORS)
async def get_pws_csv(grant: Viewer, ctx: Context, service: ServiceDep, region: RegionQuery,
                      period: PeriodQuery = None, by: ByQuery = None) -> Response:
    """The PWS table as CSV: one line per area (total first) and indicator, monthly and year-to-date."""
    data = await answer(grant, ctx, service, region, period, by, freshness_limit=0)
    return csv_response(export.pws_csv(data, ctx.query.registry, ctx.settings.suppress_small_counts),
                        f"pws-{region}-{data['period']}.csv")


@router.get("/v1/pws/referrals.csv", tags=["pws"], responses=TOKEN_ERRORS)
async def get_referrals_csv(grant: Viewer, ctx: Context, service: ServiceDep, region: RegionQuery,
                            period: PeriodQuery = None, by: ByQuery = None) -> Response:
    """The referral follow-up panel as CSV (aggregates per area; no person appears)."""
    data = await answer(grant, ctx, service, region, period, by, freshness_limit=0)
    return csv_response(export.referrals_csv(data, ctx.settings.suppress_small_counts),
                        f"rujukan-{region}-{data['period']}.csv")


@router.get("/v1/pws/freshness.csv", tags=["pws"], responses=TOKEN_ERRORS)
async def get_freshness_csv(grant: Viewer, ctx: Context, service: ServiceDep, region: RegionQuery) -> Response:
    """Per village: time of the latest event and its freshness status (silent villages first)."""
    data = await answer(grant, ctx, service, region, None, None, freshness_limit=None)
    return csv_response(export.freshness_csv(data), f"kesegaran-data-{region}.csv")


@router.get("/v1/pws/trend", tags=["pws"], responses={**TOKEN_ERRORS, 404: {"description": "unknown area or indicator"}})
async def get_trend(grant: Viewer, ctx: Context, service: ServiceDep, region: RegionQuery,
                    indicator: Annotated[str, Query(max_length=64)], period: PeriodQuery = None,
                    by: ByQuery = None) -> Response:
    """One indicator over the 12 months ending at ``period`` (default: this month), for the area
    (``total.series``) and each row of ``/v1/pws`` (``rows[].series``).

    Each point: ``period``, the monthly ``numerator``, ``denominator``, ``value``, ``target``,
    ``colour``, and ``ytd`` — the same cell year-to-date (January of the point's own year up to it),
    whose ``target`` is the target's monthly path (``target_path``: prorated × month/12 for annual
    coverage targets, flat otherwise). A month without data has null numbers.
    """
    await permitted(grant, region, ctx, service)
    try:
        async with service.db.read_session() as session:
            data = await queries.trend(session, ctx.query, region, indicator, period or default_period(ctx),
                                       scope=grant.scope, by=by)
    except queries.UnknownIndicator as exc:
        raise HTTPError(404, ["query", "indicator"], str(exc), headers=NO_STORE) from None
    except queries.NotFound as exc:
        raise HTTPError(404, ["query", "region"], str(exc), headers=NO_STORE) from None
    return LargeJSONResponse(data, headers=NO_STORE)


@router.get("/v1/indicators", tags=["pws"])
async def indicators(ctx: Context) -> list[dict]:
    """The indicator registry (labels in Bahasa Indonesia, targets, colour rule, sources), each with
    its definition for the page: ``counting``, ``denominator_text``, ``target_text``, ``applies``,
    ``monthly_target`` and ``target_path`` (the year-to-date target of months 1–12)."""
    return [{**i.meta(), **definition(i)} for i in ctx.query.registry]


@router.get("/v1/stream", tags=["pws"], responses=TOKEN_ERRORS)
async def stream(request: Request, grant: Viewer, ctx: Context, service: ServiceDep, region: RegionQuery) -> Response:
    """Server-sent events: ``change`` whenever numbers inside ``region`` changed (at most one per
    ``stream_min_interval_seconds``); ``expired`` as soon as the session or token stops being valid
    (checked at least every 5 s)."""
    await permitted(grant, region, ctx, service)
    async with service.db.read_session() as session:
        directory = await ctx.query.directory.get(session)
    if is_region_code(region):
        sub = ctx.feed.subscribe(lambda village: covers(region, village))
    else:
        villages = directory.catchment.get(region, frozenset())
        sub = ctx.feed.subscribe(lambda village: village in villages)
    token = bearer(request.headers.get("authorization"))

    async def still_valid() -> bool:
        if token is None:
            return await current_grant(request, service, ctx) is not None
        async with service.db.read_session() as session:
            return await access.grant_of(session, token) is not None

    async def events():  # noqa: ANN202
        try:
            yield "retry: 2000\n\nevent: ready\ndata: {}\n\n"
            quiet = 0.0
            while not await request.is_disconnected():
                changed = await sub.wait(timeout=STREAM_RECHECK_SECONDS)
                if not await still_valid():
                    yield "event: expired\ndata: {}\n\n"
                    return
                if changed:
                    quiet = 0.0
                    yield f"event: change\ndata: {json.dumps({'at': datetime.now(timezone.utc).isoformat()})}\n\n"
                    await asyncio.sleep(ctx.settings.stream_min_interval_seconds)
                else:
                    quiet += STREAM_RECHECK_SECONDS
                    if quiet >= 15:
                        quiet = 0.0
                        yield ": keep-alive\n\n"
        finally:
            ctx.feed.unsubscribe(sub)

    return StreamingResponse(events(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


def login_page(error: str = "", status: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    body = (STATIC / "login.html").read_text(encoding="utf-8")
    if error:
        body = body.replace("<!--error-->", f'<p class="error" role="alert">{html.escape(error)}</p>')
    return HTMLResponse(body, status, headers={**SECURITY_HEADERS, **NO_STORE, **(headers or {})})


def same_origin(request: Request) -> bool:
    """A form post from this dashboard's own page: its ``Origin`` names this host. A browser sends
    ``Origin: null`` from a page with ``Referrer-Policy: no-referrer`` (ours): then its
    ``Sec-Fetch-Site`` must say ``same-origin``. A client that sends neither is not a browser."""
    origin = request.headers.get("origin")
    fetch_site = request.headers.get("sec-fetch-site")
    if origin is None or origin == "null":
        return fetch_site in (None, "same-origin", "none") if origin is None else fetch_site == "same-origin"
    return urlsplit(origin).netloc == request.headers.get("host", "")


def secure_cookies(ctx: Dashboard) -> bool:
    """The session cookie is ``Secure`` everywhere but local mode (``make run`` on plain HTTP)."""
    return ctx.settings.cookie_secure or ctx.settings.environment != "local"


@router.get("/login", response_class=HTMLResponse, include_in_schema=False)
async def login_form() -> HTMLResponse:
    return login_page()


@router.post("/login", include_in_schema=False)
async def login(request: Request, ctx: Context, service: ServiceDep,
                token: Annotated[str, Form(max_length=512)]) -> Response:
    if not same_origin(request):
        return login_page("Permintaan ditolak: asal halaman tidak dikenal.", 403)
    async with service.db.session() as session, session.begin():
        opened = await access.open_session(session, token.strip(), ctx.settings.session_max_age_seconds)
    if opened is None:
        try:
            refuse_failure(request, ["body", "token"], "too many failed sign-ins")
        except HTTPError as refused:
            return login_page("Terlalu banyak percobaan masuk. Coba lagi nanti.", 429, headers=refused.headers)
        return login_page("Token tidak valid, kedaluwarsa, atau sudah dicabut.", 401)
    sid, _grant = opened
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, sid, max_age=ctx.settings.session_max_age_seconds, path="/", httponly=True,
                        samesite="strict", secure=secure_cookies(ctx))
    return response


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, ctx: Context, service: ServiceDep) -> Response:
    sid = request.cookies.get(COOKIE)
    if sid:
        async with service.db.session() as session, session.begin():
            await access.close_session(session, sid)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=secure_cookies(ctx))
    return response


@router.get("/static/{name}", include_in_schema=False)
async def asset(name: str) -> Response:
    if name not in ASSETS:
        return Response(status_code=404)
    return FileResponse(STATIC / name, media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def page(request: Request, ctx: Context, service: ServiceDep, session: ReadSession,
               region: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    grant = await current_grant(request, service, ctx)
    if grant is None:
        return RedirectResponse("/login", status_code=303)
    target = region or grant.scope
    directory = await ctx.query.directory.get(session)
    if not may_view(grant.scope, target, directory.catchment):
        body = ("<!doctype html><html lang=\"id\"><meta charset=\"utf-8\"><title>Akses ditolak</title>"
                "<h1>Akses ditolak</h1><p>Wilayah ini di luar cakupan token Anda.</p><p><a href=\"/\">Kembali</a></p>")
        return HTMLResponse(body, 403, headers={**SECURITY_HEADERS, **NO_STORE})
    body = (STATIC / "index.html").read_text(encoding="utf-8")
    body = (body.replace("{{SCOPE}}", html.escape(grant.scope, quote=True)).replace("{{PERIOD}}", default_period(ctx))
            .replace("{{ROLE}}", grant.kind))
    return HTMLResponse(body, headers={**SECURITY_HEADERS, **NO_STORE})
