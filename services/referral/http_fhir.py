"""Referral's FHIR adapter: metadata, ``ServiceRequest`` search and read, ``RiskAssessment`` search.

A module-level router over injected callables (``ReferralDeps`` on ``app.state.fhir_referral``, set
by ``app.create_app``), scoped by the facility token exactly like ``GET /v1/referrals``. Resources are built by
``shared.fhir.referral_out``; no NIK or name exists in referral, and none is answered.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from shared.fhir import capability, outcome, referral_out
from shared.fhir.codes import REFERRAL_STATUS
from shared.web import client_of

FHIR_JSON = "application/fhir+json"
MAX_PAGES = 20  # pages of the internal list walked to fill one filtered FHIR page


@dataclass
class ReferralDeps:
    """What the FHIR API needs from referral.

    ``list_referrals(facility, status=, since=, limit=, after=)`` -> ``(items, next_cursor)`` with items as
    ``store.view`` gives them and cursors ``"<updated_at>|<referral_id>"`` of the last item seen; ``get_referral(id)`` -> the
    view or None; ``scope(facility)`` -> the facilities the token acts for; ``list_risks(scope, since,
    limit, after)`` -> ``(RiskDetected dicts, next_cursor)``.
    """

    authorised: Callable[[str | None], Awaitable[str | None]]
    list_referrals: Callable[..., Awaitable[tuple[list[dict[str, Any]], str | None]]]
    get_referral: Callable[[str], Awaitable[dict[str, Any] | None]]
    scope: Callable[[str], Awaitable[set[str]]]
    list_risks: Callable[..., Awaitable[tuple[list[dict[str, Any]], str | None]]] | None = None


def referral_deps(service: Any, authorised: Callable[[str | None], Awaitable[str | None]]) -> ReferralDeps:
    """``ReferralDeps`` over referral's ``Service``, use cases and ``store``."""
    from services.referral import store
    from services.referral.usecases import queries

    def position(text: str | None) -> tuple[datetime, str] | None:
        if not text:
            return None
        at, key = text.split("|", 1)
        return datetime.fromisoformat(at), key

    async def list_referrals(facility: str, *, status: str | None, since: datetime | None, limit: int,
                             after: str | None) -> tuple[list[dict[str, Any]], str | None]:
        async with service.db.read_session() as session:
            page = await queries.list_referrals(session, facility, status=status, since=since, limit=limit,
                                                after=position(after))
        return page.items, page.next_cursor

    async def get_referral(referral_id: str) -> dict[str, Any] | None:
        async with service.db.read_session() as session:
            return await queries.get_referral(session, referral_id)

    async def scope(facility: str) -> frozenset[str]:
        async with service.db.read_session() as session:
            return await store.scope(session, facility)

    async def list_risks(scope: frozenset[str], *, since: datetime | None, limit: int,
                         after: str | None) -> tuple[list[dict[str, Any]], str | None]:
        async with service.db.read_session() as session:
            items, cursor = await queries.list_risks(session, scope, since=since, limit=limit, after=position(after))
        return items, f"{cursor[0].isoformat()}|{cursor[1]}" if cursor else None

    return ReferralDeps(authorised, list_referrals, get_referral, scope, list_risks)


async def _facility(request: Request, deps: ReferralDeps, authorization: str | None) -> str | None:
    """The token's facility; failures count against the client (``shared.auth.FailureLimiter``)."""
    facility = await deps.authorised(authorization)
    if facility is None:
        request.app.state.limiter.failed(client_of(request))
    return facility


def _deps(request: Request) -> ReferralDeps:
    return request.app.state.fhir_referral


def _fhir(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status, media_type=FHIR_JSON)


def _invalid(text: str, where: str) -> JSONResponse:
    return _fhir(outcome.operation_outcome([outcome.error("invalid", text, where)]), 400)


def last_updated(values: list[str]) -> tuple[datetime | None, list[tuple[str, datetime]]]:
    """``_lastUpdated`` values -> the ``since`` bound for the store and the comparisons left to apply."""
    since, checks = None, []
    for value in values:
        prefix, text = (value[:2], value[2:]) if value[:2] in ("ge", "gt", "le", "lt", "eq") else ("eq", value)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if moment.tzinfo is None:
            raise ValueError("_lastUpdated needs a UTC offset")
        if prefix in ("ge", "gt", "eq"):
            since = moment if since is None or moment > since else since
        checks.append((prefix, moment))
    return since, checks


def _matches(updated: str, checks: list[tuple[str, datetime]]) -> bool:
    at = datetime.fromisoformat(updated)
    for prefix, moment in checks:
        if (prefix == "gt" and not at > moment) or (prefix == "le" and not at <= moment) or \
           (prefix == "lt" and not at < moment) or (prefix == "ge" and not at >= moment) or \
           (prefix == "eq" and at != moment):
            return False
    return True


def _cursor(value: str | None) -> str | None:
    return base64.urlsafe_b64encode(value.encode()).decode() if value else None


def _uncursor(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return base64.urlsafe_b64decode(value.encode()).decode()
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("malformed _cursor") from exc


router = APIRouter(prefix="/fhir", tags=["fhir"])


@router.get("/metadata")
async def metadata() -> JSONResponse:
    """The CapabilityStatement (no token)."""
    return _fhir(capability.referral())


@router.get("/ServiceRequest")
async def search_referrals(request: Request, authorization: str | None = Header(default=None),
                           deps: ReferralDeps = Depends(_deps)) -> JSONResponse:
    """Referrals the token may see, oldest change first; ``status``, ``_lastUpdated``, ``_count``, ``_cursor``."""
    facility = await _facility(request, deps, authorization)
    if facility is None:
        return _fhir(outcome.unauthorised(), 401)
    query = request.query_params
    wanted: set[str] = set()
    for value in query.getlist("status"):
        for code in value.split(","):
            if code not in ("active", "completed", "revoked"):
                return _invalid("status is active, completed or revoked", "ServiceRequest.status")
            wanted |= {k for k, v in REFERRAL_STATUS.items() if v == code}
    try:
        since, checks = last_updated(query.getlist("_lastUpdated"))
        count = int(query.get("_count", "100"))
        after = _uncursor(query.get("_cursor"))
    except ValueError as exc:
        return _invalid(str(exc), "ServiceRequest.meta.lastUpdated")
    if not 1 <= count <= 500:
        return _invalid("_count is 1 to 500", "_count")
    single = next(iter(wanted)) if len(wanted) == 1 else None
    found: list[dict[str, Any]] = []
    cursor, exhausted = after, False
    for _ in range(MAX_PAGES):
        items, cursor = await deps.list_referrals(facility, status=single, since=since, limit=count, after=cursor)
        found += [r for r in items if (not wanted or r["status"] in wanted) and _matches(r["updated_at"], checks)]
        if cursor is None:
            exhausted = True
            break
        if len(found) >= count:
            break
    page = found[:count]
    more = not exhausted or len(found) > count
    resume = (f"{page[-1]['updated_at']}|{page[-1]['referral_id']}" if page and len(found) > count else cursor) \
        if more else None
    next_url = str(request.url.include_query_params(_cursor=_cursor(resume))) if resume else None
    return _fhir(referral_out.searchset([referral_out.service_request(r) for r in page],
                                        self_url=str(request.url), next_url=next_url))


@router.get("/ServiceRequest/{referral_id}")
async def read_referral(referral_id: str, request: Request, authorization: str | None = Header(default=None),
                        deps: ReferralDeps = Depends(_deps)) -> JSONResponse:
    """One referral, for its origin or destination (404 for anyone else, revealing nothing)."""
    facility = await _facility(request, deps, authorization)
    if facility is None:
        return _fhir(outcome.unauthorised(), 401)
    referral = await deps.get_referral(referral_id)
    scope = await deps.scope(facility)
    if referral is None or not {referral["origin_facility_id"], referral["destination_facility_id"]} & scope:
        return _fhir(outcome.operation_outcome([outcome.error("not-found", "no such ServiceRequest for this token",
                                                              "ServiceRequest.id")]), 404)
    return _fhir(referral_out.service_request(referral))


@router.get("/RiskAssessment")
async def search_risks(request: Request, authorization: str | None = Header(default=None),
                       deps: ReferralDeps = Depends(_deps)) -> JSONResponse:
    """Risks screening found at visits of the token's facilities, oldest first."""
    facility = await _facility(request, deps, authorization)
    if facility is None:
        return _fhir(outcome.unauthorised(), 401)
    if deps.list_risks is None:
        return _fhir(outcome.operation_outcome([outcome.error("not-supported", "risks are not stored here yet")]), 501)
    query = request.query_params
    try:
        since, checks = last_updated(query.getlist("_lastUpdated"))
        count = int(query.get("_count", "100"))
        after = _uncursor(query.get("_cursor"))
    except ValueError as exc:
        return _invalid(str(exc), "RiskAssessment.occurrenceDateTime")
    if not 1 <= count <= 500:
        return _invalid("_count is 1 to 500", "_count")
    scope = await deps.scope(facility)
    items, cursor = await deps.list_risks(scope, since=since, limit=count, after=after)
    risks = [r for r in items if r["facility_id"] in scope and _matches(str(r["occurred_at"]), checks)]
    next_url = str(request.url.include_query_params(_cursor=_cursor(cursor))) if cursor else None
    return _fhir(referral_out.searchset([referral_out.risk_assessment(r) for r in risks],
                                        self_url=str(request.url), next_url=next_url))
