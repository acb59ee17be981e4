"""Dashboard's HTTP adapter for outbreak signals (contract "Outbreak signals").

- ``GET /v1/signals?region=&status=`` — the signals of an area from the read model, newest first
  (viewer or admin token or session whose scope covers the area);
- ``GET /v1/signals/curve?disease=&area_kind=&area_code=&weeks=&until=`` — the weekly epidemic
  curve, proxied from surveillance (the same scope check on the area);
- ``POST /v1/signals/{signal_id}/events`` ``{"status", "outcome", "note", "request_id"}`` — an
  admin of the signal's region verifies or closes it: forwarded to surveillance's internal API,
  whose 200/403/404/409/422 is answered as it came; 503 when surveillance is unreachable. On 200
  the returned signal is applied to the read model at once, so the page shows it before the event.
"""

from __future__ import annotations

import logging
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from services.dashboard.domain import signals as domain
from services.dashboard.http import (
    COOKIE,
    NO_STORE,
    TOKEN_ERRORS,
    Context,
    Viewer,
    permitted,
    same_origin,
)
from services.dashboard.surveillance import Unreachable
from services.dashboard.usecases import signals
from services.dashboard.usecases.directory import Directory
from shared.auth import bearer
from shared.contracts.events import SignalOutcome, SignalStatus
from shared.contracts.intake import Syndrome
from shared.contracts.signal_requests import step_errors
from shared.regions import RegionIndex, is_region_code, level_of
from shared.web import HTTPError, ServiceDep, read_json

log = logging.getLogger(__name__)
router = APIRouter(tags=["signals"])
SIGNAL_ID = r"^[0-9a-fA-F-]{36}$"
ISO_WEEK = r"^\d{4}-W(0[1-9]|[1-4]\d|5[0-3])$"
MAX_STEP_BYTES = 16 * 1024
PASSED_THROUGH = (200, 403, 404, 409, 422)
STEP_ERRORS = {**TOKEN_ERRORS, 200: {"description": "applied, or a retry of the same request_id (result: unchanged)"},
               403: {"description": "not an admin, or the signal lies outside the admin's region"},
               404: {"description": "unknown signal"}, 409: {"description": "impossible step; the current state"},
               422: {"description": "invalid body"}, 503: {"description": "surveillance unreachable"}}


class StepBody(BaseModel):
    """An admin's step on a signal: ``outcome`` with ``closed`` and only there."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Literal["verified", "closed"]
    outcome: SignalOutcome | None = None
    note: str | None = Field(default=None, max_length=2000)
    request_id: str | None = Field(default=None, min_length=1, max_length=64,
                                   description="one per submitted form; the same on a retry makes it harmless")

    @model_validator(mode="after")
    def _outcome_with_closed(self) -> StepBody:
        errors = step_errors(self.status, self.outcome)
        if errors:
            raise ValueError(errors[0][1])
        return self


def _unavailable(exc: Exception) -> HTTPError:
    log.warning("surveillance unreachable", extra={"error": str(exc)})
    return HTTPError(503, ["surveillance"], "surveillance is unreachable; try again shortly",
                     headers={**NO_STORE, "Retry-After": "5"})


StatusQuery = Annotated[list[SignalStatus] | None, Query()]


def named(signal: dict[str, Any], regions: RegionIndex, directory: Directory) -> dict[str, Any]:
    """The signal plus the names the page shows: its village, kecamatan and area."""
    village, kecamatan = regions.get(signal["village_code"]), regions.get(signal["village_code"][:8])
    if signal["area_kind"] == "puskesmas":
        puskesmas = directory.facilities.get(signal["area_code"])
        area = puskesmas.name if puskesmas else signal["area_code"]
    else:
        area = village.name if village else signal["village_code"]
    return {**signal, "area_name": area, "village_name": village.name if village else None,
            "kecamatan_name": kecamatan.name if kecamatan else None}


@router.get("/v1/signals", responses=TOKEN_ERRORS)
async def get_signals(grant: Viewer, ctx: Context, service: ServiceDep,
                      region: Annotated[str | None, Query(max_length=64)] = None, status: StatusQuery = None,
                      limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> Response:
    """Signals of a region code prefix or a Puskesmas (default: the token's scope), newest first
    (``raised_at``); ``status`` is repeatable. Each is the JSON of its latest event plus, additively,
    ``area_name``, ``village_name`` and ``kecamatan_name``."""
    area = region or grant.scope
    await permitted(grant, area, ctx, service)
    async with service.db.read_session() as session:
        directory = await ctx.query.directory.get(session)
        found = await signals.listing(session, area, directory.catchment, statuses=status, limit=limit)
    return JSONResponse({"region": area, "signals": [named(s, ctx.query.regions, directory) for s in found]},
                        headers=NO_STORE)


@router.get("/v1/signals/curve", responses={**TOKEN_ERRORS, 503: {"description": "surveillance unreachable"}})
async def get_curve(grant: Viewer, ctx: Context, service: ServiceDep, disease: Syndrome,
                    area_code: Annotated[str, Query(max_length=64)],
                    area_kind: Literal["village", "puskesmas", "region"] = "region",
                    weeks: Annotated[int, Query(ge=1, le=104)] = 12,
                    until: Annotated[str | None, Query(pattern=ISO_WEEK)] = None) -> Response:
    """The weekly epidemic curve of one disease in one area (``weeks`` ISO weeks up to ``until``,
    default this week): each week's count and threshold (``region``: the villages under a code,
    no threshold), from surveillance."""
    wanted = {"village": lambda c: level_of(c) == "desa", "puskesmas": lambda c: not is_region_code(c),
              "region": is_region_code}[area_kind]
    if not wanted(area_code):
        raise HTTPError(422, ["query", "area_code"], f"not a {area_kind} code", headers=NO_STORE)
    await permitted(grant, area_code, ctx, service)
    params: dict[str, Any] = {"disease": disease, "area_kind": area_kind, "area_code": area_code, "weeks": weeks}
    if until:
        params["until"] = until
    try:
        answer = await ctx.surveillance.curve(params)
    except Unreachable as exc:
        raise _unavailable(exc) from None
    if answer.status != 200:
        if answer.status == 422:
            return JSONResponse(answer.body, 422, headers=NO_STORE)
        raise _unavailable(RuntimeError(f"curves answered {answer.status}"))
    return JSONResponse(answer.body, headers=NO_STORE)


@router.post("/v1/signals/{signal_id}/events", responses=STEP_ERRORS,
             openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                 "schema": StepBody.model_json_schema()}}}})
async def post_step(request: Request, grant: Viewer, ctx: Context, service: ServiceDep,
                    signal_id: Annotated[str, Path(pattern=SIGNAL_ID)]) -> Response:
    """Verify or close a signal (admin token or admin session of the signal's region)."""
    if not grant.admin or not is_region_code(grant.scope):
        raise HTTPError(403, ["header", "authorization"], "acting on outbreak signals needs an admin token",
                        headers=NO_STORE)
    if bearer(request.headers.get("authorization")) is None and request.cookies.get(COOKIE) \
            and not same_origin(request):
        raise HTTPError(403, ["header", "origin"], "request from an unknown page", headers=NO_STORE)
    try:
        body = StepBody.model_validate(await read_json(request, MAX_STEP_BYTES))
    except ValidationError as exc:
        errors = [{"loc": ["body", *[str(p) for p in e["loc"]]], "msg": e["msg"].removeprefix("Value error, ")}
                  for e in exc.errors()]
        return JSONResponse({"errors": errors}, 422, headers=NO_STORE)
    async with service.db.read_session() as session:
        known = await signals.find(session, signal_id)
        directory = await ctx.query.directory.get(session)
    if known is not None and not domain.visible_in(grant.scope, known["area_code"], domain.villages_of(known),
                                                   directory.catchment):
        raise HTTPError(403, ["path", "signal_id"], "the signal lies outside the token's region", headers=NO_STORE)
    forwarded = {"status": body.status, "outcome": body.outcome, "note": body.note,
                 "request_id": body.request_id or str(uuid.uuid4()),
                 "actor": {"token_id": grant.token_id or "unknown", "region": grant.scope}}
    try:
        answer = await ctx.surveillance.act(signal_id, forwarded)
    except Unreachable as exc:
        raise _unavailable(exc) from None
    if answer.status not in PASSED_THROUGH:
        raise _unavailable(RuntimeError(f"signal step answered {answer.status}"))
    if answer.status == 200 and isinstance(answer.body, dict) and answer.body.get("signal"):
        async with service.db.session() as session, session.begin():
            villages = await signals.store(session, [answer.body["signal"]])
        if villages:
            ctx.feed.publish(villages)
    return JSONResponse(answer.body, answer.status, headers=NO_STORE)
