"""Registration's FHIR endpoints: ``GET /fhir/metadata`` and ``POST /fhir`` (a Bundle of visits).

A module-level router over injected callables (``IntakeDeps`` on ``app.state.fhir_intake``), so it
can be wired into any app: ``app.state.fhir_intake = intake_deps(service, registrar, authorised)``
and ``app.include_router(fhir_http.router)``. The mapping itself is ``shared.fhir`` (pure).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse

from shared.fhir import capability, inbound, outcome
from shared.fhir.intake_answer import plan, respond

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


def intake_deps(service: Any, registrar: Any, authorised: Callable[[str | None], Awaitable[str | None]]) -> IntakeDeps:
    """``IntakeDeps`` over registration's ``Service`` and ``Registrar``."""

    async def record_visits(raws: list[dict], facility: str, all_or_nothing: bool) -> list[Any]:
        try:
            async with service.transaction() as unit:
                outcomes = await registrar.record_many(unit, raws, token_facility=facility)
                if all_or_nothing and any(o.status == "rejected" for o in outcomes):
                    raise _Rollback(outcomes)  # leaving the block rolls the transaction back
        except _Rollback as rollback:
            return rollback.outcomes
        return outcomes

    async def lookups() -> tuple[Resolver, Resolver | None]:
        async with service.db.read_session() as session:
            await registrar.facilities.reload(session)
        return facility_lookups(registrar.facilities.entries)

    return IntakeDeps(authorised, record_visits, lookups)


def facility_lookups(entries: dict[str, Any]) -> tuple[Resolver, Resolver]:
    """``resolve_organization`` (a facility_id or a ``satusehat_org_id``) and ``facility_type``."""
    by_satusehat = {getattr(f, "satusehat_org_id", None): k for k, f in entries.items()}
    by_satusehat.pop(None, None)

    def resolve(org_id: str) -> str | None:
        return org_id if org_id in entries else by_satusehat.get(org_id)

    def facility_type(facility_id: str) -> str | None:
        entry = entries.get(facility_id)
        return entry.type if entry is not None else None

    return resolve, facility_type


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
        return _fhir(outcome.unauthorised(), 401)
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > outcome.MAX_BUNDLE_BYTES:
        return _fhir(outcome.too_large(int(declared)), 413)
    body = await request.body()
    if len(body) > outcome.MAX_BUNDLE_BYTES:
        return _fhir(outcome.too_large(len(body)), 413)
    resolve, facility_type = await deps.lookups()
    mapping = inbound.map_bundle(body, resolve_organization=resolve, facility_type=facility_type)
    chosen = plan(mapping)
    outcomes = await deps.record_visits(chosen.raws, facility, chosen.all_or_nothing) if chosen.raws else []
    status, answer = respond(mapping, chosen, outcomes)
    return _fhir(answer, status)
