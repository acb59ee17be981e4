"""Registration's adapters: the HTTP intake and the Kafka intake, both thin over ``Registrar``."""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi import APIRouter, Body, Header, Request
from fastapi.responses import JSONResponse

from services.registration import domain, usecases
from services.registration.coalescer import IntakeCoalescer
from shared.envelope import EnvelopeError, KafkaRecord
from shared.messaging.consumer import BatchUnit, Decoded
from shared.service import Service


def intake_decoder(record: KafkaRecord) -> Decoded:
    """Intake messages are plain JSON visits (the contract's intake JSON), not CloudEvents."""
    try:
        body = json.loads(record.value)
    except ValueError as exc:
        raise EnvelopeError(f"value is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise EnvelopeError("value must be a JSON object (one visit)")
    return Decoded(event_id=None, body=body, record=record)


def kafka_intake(registrar: usecases.Registrar):
    """Handler of ``ilp.intake.visit.v1``: an invalid visit is dead-lettered with its errors."""

    async def handle(unit: BatchUnit) -> None:
        """Validate and record visits sent by facility systems over Kafka."""
        outcomes = await registrar.record_many(unit, [m.body for m in unit.messages], token_facility=None)
        for message, outcome in zip(unit.messages, outcomes):
            if outcome.status == "rejected":
                unit.reject(message, json.dumps(outcome.errors))

    return handle


class TokenCache:
    """Facility tokens resolved recently; a revocation takes effect within ``ttl`` seconds."""

    def __init__(self, service: Service, ttl: float = 5.0) -> None:
        self.service = service
        self.ttl = ttl
        self._entries: dict[str, tuple[float, str | None]] = {}

    async def facility(self, token: str) -> str | None:
        now = time.monotonic()
        hit = self._entries.get(token)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        async with self.service.db.read_session() as session:
            facility = await usecases.token_facility(session, token)
        if len(self._entries) > 10_000:
            self._entries.clear()
        self._entries[token] = (now, facility)
        return facility


def router(service: Service, registrar: usecases.Registrar, coalescer: IntakeCoalescer) -> APIRouter:
    """``POST /v1/visits`` (single or batch of up to 500, per-item answers)."""
    api = APIRouter(prefix="/v1", tags=["intake"])
    tokens = TokenCache(service)

    async def authorised(authorization: str | None) -> str | None:
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        return await tokens.facility(authorization.split(" ", 1)[1].strip())

    @api.post(
        "/visits",
        status_code=202,
        responses={401: {"description": "missing or invalid token"}, 403: {"description": "facility outside scope"},
                   422: {"description": "field-level errors"}},
    )
    async def post_visits(
        request: Request,
        payload: Any = Body(..., description="one intake visit, or {\"visits\": [...]} with up to 500"),
        authorization: str | None = Header(default=None),
    ) -> JSONResponse:
        """Record one visit or a batch; a batch answers per item."""
        facility = await authorised(authorization)
        if facility is None:
            return JSONResponse({"errors": [{"loc": ["header", "authorization"], "msg": "missing or invalid token"}]}, 401)
        if isinstance(payload, dict) and "visits" in payload:
            items = payload["visits"]
            if not isinstance(items, list) or not 1 <= len(items) <= registrar.settings.max_batch:
                return JSONResponse({"errors": [{"loc": ["visits"], "msg": f"1 to {registrar.settings.max_batch} visits"}]}, 422)
            async with service.transaction() as unit:
                results = await registrar.record_many(unit, items, token_facility=facility)
            return JSONResponse({"results": [r.as_dict() for r in results]}, 202)
        outcome = await coalescer.submit(payload, facility)
        if outcome.forbidden:
            return JSONResponse({"errors": outcome.errors}, 403)
        if outcome.status == "rejected":
            return JSONResponse({"errors": outcome.errors}, 422)
        return JSONResponse(outcome.as_dict(), 202)

    async def admin(authorization: str | None) -> str | None:
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        async with service.db.read_session() as session:
            return await usecases.admin_region(session, authorization.split(" ", 1)[1].strip())

    async def import_csv(request: Request, authorization: str | None, parse, apply) -> JSONResponse:  # noqa: ANN001
        region = await admin(authorization)
        if region is None:
            return JSONResponse({"errors": [{"loc": ["header", "authorization"], "msg": "admin token required"}]}, 401)
        text = (await request.body()).decode("utf-8-sig", errors="replace")
        try:
            rows = parse(text, registrar.regions)
            outside = usecases.outside_region(rows, region)
            if outside:
                raise usecases.CsvImportError(outside)
            async with service.transaction() as unit:
                counts = await apply(unit, rows)
        except usecases.CsvImportError as exc:
            return JSONResponse({"errors": exc.errors}, 422)
        registrar.facilities.loaded_at = -1e9
        return JSONResponse(counts)

    @api.post("/facilities", tags=["registry"], openapi_extra={
        "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}})
    async def post_facilities(request: Request, authorization: str | None = Header(default=None)) -> JSONResponse:
        """Load facilities from a CSV body (contract columns); all or nothing; admin token of the region."""
        return await import_csv(request, authorization, usecases.parse_facilities_csv, usecases.import_facilities)

    @api.post("/targets", tags=["registry"], openapi_extra={
        "requestBody": {"content": {"text/csv": {"schema": {"type": "string"}}}, "required": True}})
    async def post_targets(request: Request, authorization: str | None = Header(default=None)) -> JSONResponse:
        """Load annual targets (sasaran) from a CSV body; all or nothing; admin token of the region."""
        return await import_csv(request, authorization, usecases.parse_targets_csv, usecases.import_targets)

    @api.get("/facilities", tags=["registry"])
    async def get_facilities(authorization: str | None = Header(default=None)) -> JSONResponse:
        """The facility registry (any valid facility or admin token)."""
        if await authorised(authorization) is None and await admin(authorization) is None:
            return JSONResponse({"errors": [{"loc": ["header", "authorization"], "msg": "missing or invalid token"}]}, 401)
        async with service.db.read_session() as session:
            await registrar.facilities.reload(session)
        return JSONResponse({"facilities": [f.model_dump() for f in registrar.facilities.entries.values()]})

    @api.get("/data-quality", tags=["registry"])
    async def data_quality(authorization: str | None = Header(default=None)) -> JSONResponse:
        """Visits and NIK data-quality warnings per facility, for the token's facility and those below it."""
        facility = await authorised(authorization)
        if facility is None:
            return JSONResponse({"errors": [{"loc": ["header", "authorization"], "msg": "missing or invalid token"}]}, 401)
        async with service.db.read_session() as session:
            await registrar.facilities.reload(session)
            counts = await usecases.data_quality_by_facility(session)
        parents = registrar.facilities.parents
        return JSONResponse({"facilities": {f: c for f, c in counts.items() if domain.in_scope(facility, f, parents)}})

    return api
