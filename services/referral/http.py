"""Referral's HTTP adapter: facilities move referrals along and list what they sent and must receive.

Every route takes a facility token (``FacilityToken``); errors have the contract's shape
``{"errors": [{"loc": [...], "msg": "..."}]}``.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from services.referral import store
from services.referral.domain.lifecycle import STATES
from services.referral.domain.messages import StatusChange
from services.referral.usecases import queries, status
from shared.auth import hash_token
from shared.web import (
    ReadSession,
    ServiceDep,
    authenticate,
    error,
    json_body,
    read_json,
)

STATUS_CODES = {"applied": 200, "replay": 200, "forbidden": 403, "conflict": 409, "invalid": 422}
TOKEN_ERRORS = {401: {"description": "missing, invalid, expired or revoked token"},
                429: {"description": "too many failed token checks from this client"}}
router = APIRouter(prefix="/v1", tags=["referrals"])


def _validation(exc: ValidationError) -> JSONResponse:
    errors = [{"loc": [str(p) for p in e["loc"]], "msg": e["msg"]} for e in exc.errors()]
    return JSONResponse({"errors": errors}, 422)


class ListQuery(BaseModel):
    """``GET /v1/referrals`` query parameters."""

    model_config = ConfigDict(extra="forbid")

    status: Literal[STATES + ("overdue",)] | None = None  # type: ignore[valid-type]
    direction: Literal["sent", "received"] | None = None
    since: AwareDatetime | None = None
    limit: int = Field(default=100, ge=1, le=500)
    cursor: str | None = None


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """``(updated_at, referral_id)`` of the last item of the previous page; ValueError if malformed."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        updated_at, referral_id = text.split("|", 1)
        moment = datetime.fromisoformat(updated_at)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("malformed cursor") from exc
    if moment.tzinfo is None:
        raise ValueError("malformed cursor")
    return moment, referral_id


async def facility_token(request: Request, service: ServiceDep) -> str:
    """The facility of the request's facility token (``401`` without a valid one)."""

    async def lookup(token: str) -> str | None:
        async with service.db.read_session() as session:
            return await store.token_facility(session, hash_token(token))

    return await authenticate(request, lookup)


FacilityToken = Annotated[str, Depends(facility_token)]
STATUS_BODY = json_body(StatusChange)


@router.post("/referrals/{referral_id}/events", openapi_extra=STATUS_BODY, responses={
    200: {"description": "applied, or an identical repeat (result: unchanged)"}, **TOKEN_ERRORS,
    403: {"description": "not allowed for this facility"}, 404: {"description": "unknown referral"},
    409: {"description": "impossible transition; current state"}, 413: {"description": "body too large"},
    422: {"description": "invalid body"}})
async def post_event(referral_id: str, request: Request, facility: FacilityToken, service: ServiceDep) -> JSONResponse:
    """A facility moves a referral along: received, attended, completed (with feedback) or cancelled."""
    try:
        change = StatusChange.model_validate(await read_json(request))
    except ValidationError as exc:
        return _validation(exc)
    async with service.transaction() as unit:
        try:
            answer = await status.change_status(unit, referral_id, change, facility, datetime.now(timezone.utc))
        except status.NotFound:
            return error(404, ["path", "referral_id"], "unknown referral")
    kind = answer.outcome.kind
    if kind in ("applied", "replay"):
        result = "applied" if kind == "applied" else "unchanged"
        return JSONResponse({"result": result, "referral": answer.referral})
    if kind == "forbidden":
        return error(403, ["header", "authorization"], answer.outcome.message)
    loc = ["body", "status"] if kind == "conflict" else ["body", "at"]
    return error(STATUS_CODES[kind], loc, answer.outcome.message, current_status=answer.referral["status"],
                 referral=answer.referral)


@router.get("/referrals", responses={**TOKEN_ERRORS, 422: {"description": "invalid query"}})
async def list_referrals(facility: FacilityToken, session: ReadSession, status: str | None = None,
                         direction: str | None = None, since: str | None = None, limit: int | str = 100,
                         cursor: str | None = None) -> JSONResponse:
    """Referrals the token's facility (and those under it) sent or must receive; oldest change first.

    ``status``: a state or ``overdue``; ``direction``: ``sent`` | ``received``; ``since``: changed at or
    after (RFC 3339); ``limit`` 1-500; ``cursor``: ``next_cursor`` of the previous page.
    """
    try:
        given = dict(status=status, direction=direction, since=since, limit=limit, cursor=cursor)
        query = ListQuery.model_validate({k: v for k, v in given.items() if v is not None})
        after = decode_cursor(query.cursor) if query.cursor else None
    except ValidationError as exc:
        return _validation(exc)
    except ValueError as exc:
        return error(422, ["query", "cursor"], str(exc))
    page = await queries.list_referrals(session, facility, status=query.status, direction=query.direction,
                                        since=query.since, limit=query.limit, after=after)
    return JSONResponse({"referrals": page.items,
                         "next_cursor": encode_cursor(page.next_cursor) if page.next_cursor else None})


@router.get("/referrals/{referral_id}", responses={**TOKEN_ERRORS, 403: {"description": "not the origin or destination"},
                                                 404: {"description": "unknown referral"}})
async def get_referral(referral_id: str, facility: FacilityToken, session: ReadSession) -> JSONResponse:
    """One referral with its history, for its origin or destination."""
    referral = await queries.get_referral(session, referral_id)
    if referral is None:
        return error(404, ["path", "referral_id"], "unknown referral")
    scope = await store.scope(session, facility)
    if not {referral["origin_facility_id"], referral["destination_facility_id"]} & scope:
        return error(403, ["header", "authorization"], "not the origin or destination")
    return JSONResponse(referral)
