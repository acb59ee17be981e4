"""Registration's HTTP adapter: the visit intake and the registry imports, thin over the use cases.

Every request is authenticated before its body is read (``401``), bodies are bounded
(``shared.web.MAX_BODY_BYTES``: ``413``), and every error has the contract's shape.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from services.registration import domain
from services.registration.app import Registration, facility_of_header
from services.registration.coalescer import Busy
from services.registration.usecases import imports, registry, tokens
from services.registration.usecases.visits import Outcome, data_quality_by_facility
from shared.errors import is_infra_error
from shared.web import (
    ReadSession,
    ServiceDep,
    authenticate,
    error,
    json_body,
    read_body,
    read_json,
)

router = APIRouter(prefix="/v1")
TOKEN_ERRORS = {401: {"description": "missing, invalid, expired or revoked token"},
                413: {"description": "body larger than the documented limit"},
                429: {"description": "too many failed token checks from this client"}}
JSON_BODY = json_body({"type": "object"}, "one intake visit, or {\"visits\": [...]} with up to 500")
CSV_BODY = {"requestBody": {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}}}}


def registration(request: Request) -> Registration:
    """The registration service's use-case objects."""
    return request.app.state.service.context


Context = Annotated[Registration, Depends(registration)]


async def facility_token(request: Request, ctx: Context, service: ServiceDep) -> str:
    """The facility of the request's facility token (``401`` without a valid one)."""

    return await authenticate(request, lambda token: facility_of_header(service, ctx, f"Bearer {token}"))


async def admin_token(request: Request, service: ServiceDep) -> str:
    """The region of the request's admin token (``401`` without a valid one)."""

    async def lookup(token: str) -> str | None:
        async with service.db.read_session() as session:
            return await tokens.admin_region(session, token)

    return await authenticate(request, lookup)


async def any_token(request: Request, service: ServiceDep) -> str:
    """A valid facility or admin token."""

    async def lookup(token: str) -> str | None:
        async with service.db.read_session() as session:
            return await tokens.facility_of(session, token) or await tokens.admin_region(session, token)

    return await authenticate(request, lookup)


FacilityToken = Annotated[str, Depends(facility_token)]
AdminRegion = Annotated[str, Depends(admin_token)]
AnyToken = Annotated[str, Depends(any_token)]


def _single(outcome: Outcome) -> JSONResponse:
    if outcome.status != "rejected":
        return JSONResponse(outcome.as_dict(), 202)
    status = 403 if outcome.forbidden else 409 if outcome.conflict else 500 if outcome.failed else 422
    return JSONResponse({"errors": outcome.errors}, status)


@router.post("/visits", status_code=202, tags=["intake"], openapi_extra=JSON_BODY, responses={
    **TOKEN_ERRORS, 403: {"description": "facility outside the token's scope"},
    409: {"description": "visit_id already used by another facility"}, 422: {"description": "field-level errors"},
    503: {"description": "too many visits waiting; retry after the given seconds"}})
async def post_visits(request: Request, facility: FacilityToken, ctx: Context, service: ServiceDep) -> JSONResponse:
    """Record one visit or a batch of up to 500; a batch answers per item."""
    payload: Any = await read_json(request)
    try:
        if isinstance(payload, dict) and "visits" in payload:
            items = payload["visits"]
            if not isinstance(items, list) or not 1 <= len(items) <= ctx.registrar.settings.max_batch:
                return error(422, ["body", "visits"], f"1 to {ctx.registrar.settings.max_batch} visits")
            results = await ctx.registrar.record_each(service.transaction, items, [facility] * len(items))
            return JSONResponse({"results": [r.as_dict() for r in results]}, 202)
        return _single(await ctx.coalescer.submit(payload, facility))
    except Busy:
        return error(503, [], "too many visits are waiting to be recorded; retry shortly", headers={"Retry-After": "1"})
    except Exception as exc:
        if is_infra_error(exc):
            return error(503, [], "the database is unavailable; retry shortly", headers={"Retry-After": "5"})
        raise


async def _import(request: Request, service: ServiceDep, ctx: Registration, region: str, parse, apply) -> JSONResponse:  # noqa: ANN001
    text = (await read_body(request)).decode("utf-8-sig", errors="replace")
    try:
        rows = parse(text, ctx.registrar.regions)
        async with service.transaction() as unit:
            counts = await apply(unit, rows, region=region)
    except imports.CsvImportError as exc:
        return JSONResponse({"errors": exc.errors}, 422)
    ctx.registrar.facilities.invalidate()
    ctx.organizations.invalidate()
    return JSONResponse(counts)


@router.post("/facilities", tags=["registry"], openapi_extra=CSV_BODY, responses={**TOKEN_ERRORS, 422: {
    "description": "errors by line and field; nothing imported"}})
async def post_facilities(request: Request, region: AdminRegion, ctx: Context, service: ServiceDep) -> JSONResponse:
    """Load facilities from a CSV body (contract columns); all or nothing; admin token of the region."""
    return await _import(request, service, ctx, region, imports.parse_facilities_csv, imports.import_facilities)


@router.post("/targets", tags=["registry"], openapi_extra=CSV_BODY, responses={**TOKEN_ERRORS, 422: {
    "description": "errors by line and field; nothing imported"}})
async def post_targets(request: Request, region: AdminRegion, ctx: Context, service: ServiceDep) -> JSONResponse:
    """Load annual targets (sasaran) from a CSV body; all or nothing; admin token of the region."""
    return await _import(request, service, ctx, region, imports.parse_targets_csv, imports.import_targets)


@router.get("/facilities", tags=["registry"], responses=TOKEN_ERRORS)
async def get_facilities(scope: AnyToken, session: ReadSession) -> JSONResponse:
    """The facility registry (any valid facility or admin token)."""
    return JSONResponse({"facilities": [f.model_dump() for f in await registry.all_facilities(session)]})


@router.get("/data-quality", tags=["registry"], responses=TOKEN_ERRORS)
async def data_quality(facility: FacilityToken, ctx: Context, session: ReadSession) -> JSONResponse:
    """Visits and NIK data-quality warnings per facility, for the token's facility and those below it."""
    counts = await data_quality_by_facility(session)
    mine = {f: c for f, c in counts.items()
            if domain.in_scope(facility, await ctx.registrar.facilities.chain(session, f))}
    return JSONResponse({"facilities": mine})

