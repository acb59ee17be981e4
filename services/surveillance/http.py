"""Surveillance's internal HTTP API, called by the dashboard (the district's one entry point for signals).

The dashboard authenticates the person (admin token or session of a region), then forwards:
- ``POST /internal/v1/signals/{signal_id}/events`` ``{"status", "outcome", "note", "request_id",
  "actor": {"token_id", "region"}}`` -> 200 ``{"result": "applied" | "unchanged", "signal"}``, 403
  outside the actor's region, 404, 409 an impossible step, 422 a bad body (``outcome`` missing with
  ``closed`` or given otherwise);
- ``GET /internal/v1/signals?region=&status=`` -> ``{"signals": [...]}`` newest first;
- ``GET /internal/v1/signals/{signal_id}``;
- ``GET /internal/v1/curves?disease=&area_kind=&area_code=&weeks=&until=`` -> the weekly counts and
  each week's threshold (the epidemic curve).
With ``JEJARING_INTERNAL_TOKEN`` set, every call must carry it in ``X-Jejaring-Internal-Token``.
Errors have the contract's shape ``{"errors": [{"loc": [...], "msg": "..."}]}``.
"""

from __future__ import annotations

import hmac
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from services.surveillance.domain import lifecycle, weeks
from services.surveillance.settings import SurveillanceSettings
from services.surveillance.usecases import actions, queries
from shared.contracts.events import SignalOutcome, SignalStatus
from shared.contracts.signal_requests import step_errors
from shared.service import Service

router = APIRouter(prefix="/internal/v1", tags=["signals"])
CODE = r"^[0-9]{2}(\.[0-9]{2}(\.[0-9]{2}(\.[0-9]{4})?)?)?$"
STATUS_CODES = {"forbidden": 403, "conflict": 409, "invalid": 422}


def _error(status: int, loc: list[str], msg: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"errors": [{"loc": loc, "msg": msg}], **extra}, status)


def _validation(exc: ValidationError, prefix: str = "body") -> JSONResponse:
    errors = [{"loc": [prefix, *[str(p) for p in e["loc"]]], "msg": e["msg"].removeprefix("Value error, ")}
              for e in exc.errors()]
    return JSONResponse({"errors": errors}, 422)


class ActorBody(BaseModel):
    """The admin the dashboard authenticated: its token's public id and its region code."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    token_id: str = Field(min_length=1, max_length=64)
    region: str = Field(pattern=CODE)


class StepBody(BaseModel):
    """A requested step; ``outcome`` with ``closed`` and only there."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    status: Literal["verified", "closed"]
    outcome: SignalOutcome | None = None
    note: str | None = Field(default=None, max_length=2000)
    request_id: str | None = Field(default=None, min_length=1, max_length=64,
                                   description="the same id on a retry makes it harmless (200 unchanged)")
    actor: ActorBody

    @model_validator(mode="after")
    def _outcome_with_closed(self) -> "StepBody":
        errors = step_errors(self.status, self.outcome)
        if errors:
            raise ValueError(errors[0][1])
        return self


def _service(request: Request) -> Service:
    return request.app.state.service


def _denied(request: Request, token: str | None) -> JSONResponse | None:
    """401 when the internal token is configured and not given."""
    settings: SurveillanceSettings = _service(request).settings  # type: ignore[assignment]
    expected = settings.internal_token.get_secret_value() if settings.internal_token else ""
    if expected and not hmac.compare_digest((token or "").encode(), expected.encode()):
        return _error(401, ["header", "x-jejaring-internal-token"], "missing or invalid internal token")
    return None


InternalToken = Annotated[str | None, Header(alias="X-Jejaring-Internal-Token")]


@router.post("/signals/{signal_id}/events", responses={
    200: {"description": "applied, or a retry with the same request_id (result: unchanged)"},
    401: {"description": "missing or invalid internal token"}, 403: {"description": "outside the actor's region"},
    404: {"description": "unknown signal"}, 409: {"description": "impossible step; the current state"},
    422: {"description": "invalid body"}})
async def post_event(request: Request, signal_id: str, payload: Any = Body(...),
                     token: InternalToken = None) -> JSONResponse:
    """An admin verifies or closes a signal (forwarded by the dashboard)."""
    if (denied := _denied(request, token)) is not None:
        return denied
    try:
        body = StepBody.model_validate(payload)
    except ValidationError as exc:
        return _validation(exc)
    service = _service(request)
    step = lifecycle.Request(body.status, body.outcome, body.note, body.request_id)
    async with service.transaction() as unit:
        try:
            answer = await actions.act(unit, signal_id, step, actions.Actor(body.actor.token_id, body.actor.region),
                                       request.app.state.clock())
        except actions.NotFound:
            return _error(404, ["path", "signal_id"], "unknown signal")
    kind = answer.outcome.kind
    if kind in ("applied", "replay"):
        return JSONResponse({"result": "applied" if kind == "applied" else "unchanged", "signal": answer.signal})
    loc = {"forbidden": ["body", "actor", "region"], "conflict": ["body", "status"]}.get(kind, ["body"])
    return _error(STATUS_CODES[kind], loc, answer.outcome.message, current_status=answer.signal["status"],
                  signal=answer.signal)


@router.get("/signals", responses={401: {"description": "missing or invalid internal token"},
                                   422: {"description": "invalid query"}})
async def list_signals(request: Request, region: Annotated[str, Query(pattern=CODE)],
                       status: Annotated[list[SignalStatus] | None, Query()] = None,
                       limit: Annotated[int, Query(ge=1, le=1000)] = 200, token: InternalToken = None) -> JSONResponse:
    """Signals of a region (``status`` repeatable), newest first."""
    if (denied := _denied(request, token)) is not None:
        return denied
    async with _service(request).db.read_session() as session:
        found = await queries.list_signals(session, region, statuses=status, limit=limit)
    return JSONResponse({"signals": found})


@router.get("/signals/{signal_id}", responses={401: {"description": "missing or invalid internal token"},
                                               404: {"description": "unknown signal"}})
async def get_signal(request: Request, signal_id: str, token: InternalToken = None) -> JSONResponse:
    """One signal."""
    if (denied := _denied(request, token)) is not None:
        return denied
    async with _service(request).db.read_session() as session:
        found = await queries.get_signal(session, signal_id)
    if found is None:
        return _error(404, ["path", "signal_id"], "unknown signal")
    return JSONResponse(found)


@router.get("/curves", responses={401: {"description": "missing or invalid internal token"},
                                  422: {"description": "invalid query"}})
async def get_curve(request: Request, disease: str, area_code: str,
                    area_kind: Literal["village", "puskesmas", "region"] = "village",
                    weeks_: Annotated[int, Query(alias="weeks", ge=1, le=104)] = 12, until: str | None = None,
                    token: InternalToken = None) -> JSONResponse:
    """The weekly epidemic curve of one disease in one area, up to ``until`` (default: this week)."""
    if (denied := _denied(request, token)) is not None:
        return denied
    settings: SurveillanceSettings = _service(request).settings  # type: ignore[assignment]
    if disease not in settings.diseases:
        return _error(422, ["query", "disease"], "unknown disease")
    try:
        last = until or weeks.week_of(request.app.state.clock())
        weeks.parse(last)
    except ValueError as exc:
        return _error(422, ["query", "until"], str(exc))
    async with _service(request).db.read_session() as session:
        points = await queries.curve(session, settings.diseases[disease], area_kind, area_code, last, weeks_)
    return JSONResponse({"disease": disease, "area_kind": area_kind, "area_code": area_code,
                         "weeks": [{"week": p.week, "count": p.count, "threshold": p.threshold} for p in points]})
