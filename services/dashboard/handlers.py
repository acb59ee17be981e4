"""Dashboard's adapters: the event consumer, the PWS JSON/CSV API, login, the live stream, the page."""

from __future__ import annotations

import asyncio
import html
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import (
    FileResponse,
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)

from services.dashboard import domain, export, readmodel, usecases
from services.dashboard.live import ChangeFeed
from services.dashboard.settings import DashboardSettings
from shared.messaging.consumer import BatchUnit
from shared.service import Service

STATIC = Path(__file__).parent / "static"
ASSETS = {"app.js": "text/javascript; charset=utf-8", "app.css": "text/css; charset=utf-8"}
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


def consumer(ctx: usecases.Context, feed: ChangeFeed):
    """The batch handler of every consumed topic; live pages hear of the villages once committed."""

    async def handle(unit: BatchUnit) -> None:
        """Apply a batch of events to the PWS read model (per village, month and indicator)."""
        villages = await usecases.apply(unit.session, [m.body.data for m in unit.messages], ctx.registry)
        if villages:
            unit.after_commit.append(lambda: feed.publish(villages))

    return handle


def _error(status: int, loc: list[str], msg: str) -> JSONResponse:
    return JSONResponse({"errors": [{"loc": loc, "msg": msg}]}, status, headers=NO_STORE)


def router(service: Service, settings: DashboardSettings, ctx: usecases.Context, feed: ChangeFeed) -> APIRouter:
    api = APIRouter()
    feed.listeners.append(lambda villages: ctx.directory.invalidate() if readmodel.ALL in villages else None)

    def default_period() -> str:
        return datetime.now(timezone(timedelta(hours=settings.utc_offset_hours))).strftime("%Y-%m")

    async def scope_of(request: Request) -> str | None:
        """The viewer's scope from ``Authorization: Bearer`` or the session cookie."""
        authorization = request.headers.get("authorization", "")
        async with service.db.read_session() as session:
            if authorization.lower().startswith("bearer "):
                return await usecases.viewer_region(session, authorization.split(" ", 1)[1].strip())
            sid = request.cookies.get(COOKIE)
            if sid:
                return await usecases.session_region(session, sid)
        return None

    async def authorize(request: Request, target: str) -> tuple[str | None, Response | None]:
        scope = await scope_of(request)
        if scope is None:
            return None, _error(401, ["header", "authorization"], "missing or invalid token")
        async with service.db.read_session() as session:
            directory = await ctx.directory.get(session)
        if not domain.may_view(scope, target, directory.catchment):
            return scope, _error(403, ["query", "region"], "region outside the token's scope")
        return scope, None

    async def answer(request: Request, region: str, period: str | None, by: str | None) -> dict | Response:
        scope, denied = await authorize(request, region)
        if denied:
            return denied
        try:
            async with service.db.read_session() as session:
                return await usecases.pws(session, ctx, region, period or default_period(), scope=scope, by=by)
        except usecases.NotFound as exc:
            return _error(404, ["query", "region"], str(exc))

    def csv_response(text: str, name: str) -> Response:
        return Response(text, media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"', **NO_STORE})

    @api.get("/v1/pws", tags=["pws"])
    async def get_pws(request: Request, region: str = Query(..., max_length=64),
                      period: str | None = Query(default=None, pattern=PERIOD),
                      by: str | None = Query(default=None, pattern=BY)):
        """The PWS table of a region (or a Puskesmas catchment: ``region=<facility id>``) for a month.

        Contract shape (``region``, ``period``, ``total.indicators``, ``rows``) plus, additively: each
        cell's ``target`` and ``colour``; ``ytd.indicators`` (January up to the month) on the total and
        every row; ``last_event_at``, ``villages``, ``silent_villages`` and ``referrals`` per row;
        ``path`` (breadcrumb), ``by`` and the per-village ``freshness`` list. ``by=puskesmas`` lists the
        Puskesmas of a kabupaten/kecamatan as rows instead of the next administrative level.
        """
        data = await answer(request, region, period, by)
        return data if isinstance(data, Response) else JSONResponse(data, headers=NO_STORE)

    @api.get("/v1/pws.csv", tags=["pws"])
    async def get_pws_csv(request: Request, region: str = Query(..., max_length=64),
                          period: str | None = Query(default=None, pattern=PERIOD),
                          by: str | None = Query(default=None, pattern=BY)):
        """The PWS table as CSV: one line per area (total first) and indicator, monthly and year-to-date."""
        data = await answer(request, region, period, by)
        if isinstance(data, Response):
            return data
        return csv_response(export.pws_csv(data, ctx.registry, settings.suppress_small_counts),
                            f"pws-{region}-{data['period']}.csv")

    @api.get("/v1/pws/referrals.csv", tags=["pws"])
    async def get_referrals_csv(request: Request, region: str = Query(..., max_length=64),
                                period: str | None = Query(default=None, pattern=PERIOD),
                                by: str | None = Query(default=None, pattern=BY)):
        """The referral follow-up panel as CSV (aggregates per area; no person appears)."""
        data = await answer(request, region, period, by)
        if isinstance(data, Response):
            return data
        return csv_response(export.referrals_csv(data, settings.suppress_small_counts),
                            f"rujukan-{region}-{data['period']}.csv")

    @api.get("/v1/pws/freshness.csv", tags=["pws"])
    async def get_freshness_csv(request: Request, region: str = Query(..., max_length=64)):
        """Per village: time of the latest event and its freshness status (silent villages first)."""
        data = await answer(request, region, None, None)
        if isinstance(data, Response):
            return data
        return csv_response(export.freshness_csv(data), f"kesegaran-data-{region}.csv")

    @api.get("/v1/indicators", tags=["pws"])
    async def indicators():
        """The indicator registry (labels in Bahasa Indonesia, targets, colour rule, sources)."""
        return [i.meta() for i in ctx.registry]

    @api.get("/v1/stream", tags=["pws"])
    async def stream(request: Request, region: str = Query(..., max_length=64)):
        """Server-sent events: ``change`` whenever numbers inside ``region`` changed (at most one per
        ``stream_min_interval_seconds``); ``expired`` when the session or token stops being valid."""
        _scope, denied = await authorize(request, region)
        if denied:
            return denied
        async with service.db.read_session() as session:
            directory = await ctx.directory.get(session)
        if domain.is_region_code(region):
            sub = feed.subscribe(lambda village: domain.covers(region, village))
        else:
            villages = directory.catchment.get(region, frozenset())
            sub = feed.subscribe(lambda village: village in villages)

        async def events():
            try:
                yield "retry: 2000\n\nevent: ready\ndata: {}\n\n"
                while not await request.is_disconnected():
                    if await sub.wait(timeout=15):
                        yield f"event: change\ndata: {json.dumps({'at': datetime.now(timezone.utc).isoformat()})}\n\n"
                        await asyncio.sleep(settings.stream_min_interval_seconds)
                    elif await scope_of(request) is None:
                        yield "event: expired\ndata: {}\n\n"
                        return
                    else:
                        yield ": keep-alive\n\n"
            finally:
                feed.unsubscribe(sub)

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    def login_page(error: str = "", status: int = 200) -> HTMLResponse:
        body = (STATIC / "login.html").read_text(encoding="utf-8")
        if error:
            body = body.replace("<!--error-->", f'<p class="error" role="alert">{html.escape(error)}</p>')
        return HTMLResponse(body, status, headers={**SECURITY_HEADERS, **NO_STORE})

    @api.get("/login", response_class=HTMLResponse, include_in_schema=False)
    async def login_form():
        return login_page()

    @api.post("/login", include_in_schema=False)
    async def login(token: str = Form(..., max_length=512)):
        async with service.db.session() as session, session.begin():
            opened = await usecases.open_session(session, token.strip(), settings.session_max_age_seconds)
        if opened is None:
            return login_page("Token tidak valid atau sudah dicabut.", 401)
        sid, _scope = opened
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(COOKIE, sid, max_age=settings.session_max_age_seconds, path="/", httponly=True,
                            samesite="strict", secure=settings.cookie_secure)
        return response

    @api.post("/logout", include_in_schema=False)
    async def logout(request: Request):
        sid = request.cookies.get(COOKIE)
        if sid:
            async with service.db.session() as session, session.begin():
                await usecases.close_session(session, sid)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=settings.cookie_secure)
        return response

    @api.get("/static/{name}", include_in_schema=False)
    async def asset(name: str):
        if name not in ASSETS:
            return Response(status_code=404)
        return FileResponse(STATIC / name, media_type=ASSETS[name], headers={"Cache-Control": "no-cache"})

    @api.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page(request: Request, region: str | None = Query(default=None, max_length=64)):
        sid = request.cookies.get(COOKIE)
        scope = None
        if sid:
            async with service.db.read_session() as session:
                scope = await usecases.session_region(session, sid)
        if scope is None:
            return RedirectResponse("/login", status_code=303)
        target = region or scope
        async with service.db.read_session() as session:
            directory = await ctx.directory.get(session)
        if not domain.may_view(scope, target, directory.catchment):
            body = ("<!doctype html><html lang=\"id\"><meta charset=\"utf-8\"><title>Akses ditolak</title>"
                    "<h1>Akses ditolak</h1><p>Wilayah ini di luar cakupan token Anda.</p><p><a href=\"/\">Kembali</a></p>")
            return HTMLResponse(body, 403, headers={**SECURITY_HEADERS, **NO_STORE})
        body = (STATIC / "index.html").read_text(encoding="utf-8")
        body = body.replace("{{SCOPE}}", html.escape(scope, quote=True)).replace("{{PERIOD}}", default_period())
        return HTMLResponse(body, headers={**SECURITY_HEADERS, **NO_STORE})

    return api
