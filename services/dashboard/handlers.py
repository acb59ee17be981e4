"""Dashboard's adapters: event consumers, the PWS JSON/CSV API, login, the live stream, the page."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from datetime import datetime, timezone
from pathlib import Path

from fastapi import APIRouter, Cookie, Form, Header, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse

from services.dashboard import domain, usecases
from services.dashboard.settings import DashboardSettings
from shared.messaging.consumer import Unit
from shared.regions import RegionIndex
from shared.service import Service

STATIC = Path(__file__).parent / "static"
PERIOD_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
COOKIE = "jejaring_session"


class Notifier:
    """Wakes every open live stream when the read model changed."""

    def __init__(self) -> None:
        self.version = 0
        self._changed = asyncio.Event()

    def changed(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait(self, seen: int, timeout: float) -> int:
        if self.version == seen:
            event = self._changed
            try:
                await asyncio.wait_for(event.wait(), timeout)
            except asyncio.TimeoutError:
                pass
        return self.version


def consumer(notifier: Notifier):
    async def handle(unit: Unit) -> None:
        """Apply an event to the PWS read model."""
        await usecases.apply(unit, unit.message.body.data)
        unit.after_commit.append(notifier.changed)

    return handle


def router(service: Service, settings: DashboardSettings, regions: RegionIndex, notifier: Notifier) -> APIRouter:
    api = APIRouter()

    async def scope_of(authorization: str | None, cookie: str | None) -> str | None:
        token = None
        if authorization and authorization.lower().startswith("bearer "):
            token = authorization.split(" ", 1)[1].strip()
        elif cookie:
            token = cookie
        if not token:
            return None
        async with service.db.read_session() as session:
            return await usecases.viewer_region(session, token)

    def check(scope: str | None, region: str) -> Response | None:
        if scope is None:
            return JSONResponse({"errors": [{"loc": ["header", "authorization"], "msg": "missing or invalid token"}]}, 401)
        if not usecases.covers(scope, region):
            return JSONResponse({"errors": [{"loc": ["query", "region"], "msg": "region outside the token's scope"}]}, 403)
        return None

    def default_period() -> str:
        return datetime.now(timezone.utc).astimezone().strftime("%Y-%m")

    async def table(region: str, period: str | None) -> dict:
        async with service.db.read_session() as session:
            return await usecases.pws(session, regions, region, period or default_period())

    @api.get("/v1/pws", tags=["pws"])
    async def get_pws(region: str = Query(...), period: str | None = Query(default=None, pattern=PERIOD_RE.pattern),
                      authorization: str | None = Header(default=None), jejaring_session: str | None = Cookie(default=None)):
        """The PWS table of a region for a month: total and next-level rows."""
        denied = check(await scope_of(authorization, jejaring_session), region)
        return denied or JSONResponse(await table(region, period))

    @api.get("/v1/pws.csv", tags=["pws"])
    async def get_pws_csv(region: str = Query(...), period: str | None = Query(default=None, pattern=PERIOD_RE.pattern),
                          authorization: str | None = Header(default=None), jejaring_session: str | None = Cookie(default=None)):
        """The same table as CSV (one line per area and indicator)."""
        denied = check(await scope_of(authorization, jejaring_session), region)
        if denied:
            return denied
        data = await table(region, period)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["period", "code", "name", "level", "indicator", "numerator", "denominator", "value"])
        for row in [{"code": data["region"]["code"], "name": data["region"]["name"], "level": data["region"]["level"],
                     "indicators": data["total"]["indicators"]}, *data["rows"]]:
            for ind, c in row["indicators"].items():
                numerator, value = c["numerator"], c["value"]
                if settings.suppress_small_counts and 1 <= numerator <= 4:
                    numerator, value = "<5", ""
                writer.writerow([data["period"], row["code"], row["name"], row["level"], ind, numerator,
                                 "" if c["denominator"] is None else c["denominator"], "" if value is None else value])
        return PlainTextResponse(out.getvalue(), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="pws-{region}-{data["period"]}.csv"'})

    @api.get("/v1/indicators", tags=["pws"])
    async def indicators():
        """The indicator registry (labels in Bahasa Indonesia)."""
        return [{"id": i.id, "label": i.label, "unit": i.unit, "target_pct": i.target_pct, "source": i.source,
                 "denominator": i.denominator} for i in domain.REGISTRY]

    @api.get("/v1/stream", tags=["pws"])
    async def stream(request: Request, region: str = Query(...), authorization: str | None = Header(default=None),
                     jejaring_session: str | None = Cookie(default=None)):
        """Server-sent events: ``change`` whenever the read model changed."""
        denied = check(await scope_of(authorization, jejaring_session), region)
        if denied:
            return denied

        async def events():
            seen = notifier.version
            yield "retry: 1000\n\n"
            while not await request.is_disconnected():
                version = await notifier.wait(seen, timeout=15)
                if version != seen:
                    seen = version
                    yield f"event: change\ndata: {json.dumps({'version': version})}\n\n"
                else:
                    yield ": keep-alive\n\n"

        return StreamingResponse(events(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @api.get("/login", response_class=HTMLResponse, include_in_schema=False)
    async def login_form():
        return HTMLResponse((STATIC / "login.html").read_text(encoding="utf-8"))

    @api.post("/login", include_in_schema=False)
    async def login(token: str = Form(...)):
        async with service.db.read_session() as session:
            scope = await usecases.viewer_region(session, token.strip())
        if scope is None:
            return HTMLResponse((STATIC / "login.html").read_text(encoding="utf-8").replace(
                "<!--error-->", '<p class="error">Token tidak valid.</p>'), status_code=401)
        response = RedirectResponse(f"/?region={scope}", status_code=303)
        response.set_cookie(COOKIE, token.strip(), httponly=True, samesite="strict",
                            max_age=settings.session_max_age_seconds)
        return response

    @api.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def page(jejaring_session: str | None = Cookie(default=None)):
        scope = await scope_of(None, jejaring_session)
        if scope is None:
            return RedirectResponse("/login", status_code=303)
        return HTMLResponse((STATIC / "index.html").read_text(encoding="utf-8").replace("{{SCOPE}}", scope))

    return api
