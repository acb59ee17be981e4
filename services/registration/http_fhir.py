"""Registration's FHIR adapter: ``GET /fhir/metadata`` and ``POST /fhir`` (a Bundle of visits).

A module-level router over injected callables (``IntakeDeps`` on ``app.state.fhir_intake``, set by
``app.create_app``): the facility token check, recording through ``Registrar.record_each``, and
the facility lookups. The mapping itself is ``shared.fhir`` (pure). Answers are FHIR resources
(``OperationOutcome`` for every error), not the JSON API's error shape.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from shared.fhir import capability, inbound, outcome
from shared.fhir.intake_answer import plan, respond
from shared.web import HTTPError, read_body, refuse_failure

FHIR_JSON = "application/fhir+json"
Resolver = Callable[[str], str | None]
# (visit dicts, the token's facility, all_or_nothing) -> one Outcome per visit; with all_or_nothing,
# nothing may stay recorded when any visit is rejected.
RecordVisits = Callable[[list[dict], str, bool], Awaitable[list[Any]]]


@dataclass
class IntakeDeps:
    """What the FHIR intake needs from registration."""

    authorised: Callable[[str | None], Awaitable[str | None]]  # Authorization header -> facility_id
    record_visits: RecordVisits
    lookups: Callable[[], Awaitable[tuple[Resolver, Resolver | None]]]  # (resolve_organization, facility_type)


class _Rollback(Exception):
    def __init__(self, outcomes: list[Any]) -> None:
        super().__init__("transaction rejected")
        self.outcomes = outcomes


def intake_deps(service: Any, registrar: Any, authorised: Callable[[str | None], Awaitable[str | None]],
                lookups: Callable[[], Awaitable[tuple[Resolver, Resolver | None]]]) -> IntakeDeps:
    """``IntakeDeps`` over registration's ``Service`` and ``Registrar``."""

    async def record_visits(raws: list[dict], facility: str, all_or_nothing: bool) -> list[Any]:
        if not all_or_nothing:
            return await registrar.record_each(service.transaction, raws, [facility] * len(raws))
        try:
            async with service.transaction() as unit:
                outcomes = await registrar.record_many(unit, raws, token_facility=facility)
                if any(o.status == "rejected" for o in outcomes):
                    raise _Rollback(outcomes)  # leaving the block rolls the transaction back
        except _Rollback as rollback:
            return rollback.outcomes
        return outcomes

    return IntakeDeps(authorised, record_visits, lookups)


def facility_lookups(facilities: list[tuple[str, str | None, str]]) -> tuple[Resolver, Resolver]:
    """``resolve_organization`` (a facility_id or a ``satusehat_org_id``) and ``facility_type``, over
    ``(facility_id, satusehat_org_id, type)`` rows."""
    types = {fid: kind for fid, _org, kind in facilities}
    by_satusehat = {org: fid for fid, org, _kind in facilities if org}

    def resolve(org_id: str) -> str | None:
        return org_id if org_id in types else by_satusehat.get(org_id)

    return resolve, types.get


def _deps(request: Request) -> IntakeDeps:
    return request.app.state.fhir_intake


def _fhir(body: dict[str, Any], status: int = 200) -> JSONResponse:
    return JSONResponse(body, status, media_type=FHIR_JSON)


router = APIRouter(prefix="/fhir", tags=["fhir"])


@router.get("/metadata")
async def metadata() -> JSONResponse:
    """The CapabilityStatement (no token)."""
    return _fhir(capability.registration())


@router.post("", responses={200: {"description": "transaction-response or batch-response"},
                            400: {"description": "not a valid Bundle, or a transaction with a bad entry"},
                            401: {"description": "missing or invalid token"}, 413: {"description": "body too large"}})
async def post_bundle(request: Request, authorization: str | None = Header(default=None),
                      deps: IntakeDeps = Depends(_deps)) -> JSONResponse:
    """Record the visits of a transaction, batch or collection Bundle (SATUSEHAT-shaped)."""
    facility = await deps.authorised(authorization)
    if facility is None:
        try:
            refuse_failure(request, ["header", "authorization"], "too many failed token checks")
        except HTTPError:
            return _fhir(outcome.unauthorised(), 429)
        return _fhir(outcome.unauthorised(), 401)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > outcome.MAX_BUNDLE_BYTES:
        return _fhir(outcome.too_large(int(declared)), 413)
    try:
        body = await read_body(request, outcome.MAX_BUNDLE_BYTES)
    except HTTPError:
        return _fhir(outcome.too_large(outcome.MAX_BUNDLE_BYTES + 1), 413)
    resolve, facility_type = await deps.lookups()
    mapping = inbound.map_bundle(body, resolve_organization=resolve, facility_type=facility_type)
    chosen = plan(mapping)
    outcomes = await deps.record_visits(chosen.raws, facility, chosen.all_or_nothing) if chosen.raws else []
    status, answer = respond(mapping, chosen, outcomes)
    return _fhir(answer, status)
