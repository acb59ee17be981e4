"""Registration service entry point: facilities, persons and visits in; PII stays here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI

from services.registration import consumers, models
from services.registration.coalescer import IntakeCoalescer
from services.registration.settings import RegistrationSettings
from services.registration.usecases.visits import Registrar
from shared.auth import bearer, hash_token
from shared.cache import Cache
from shared.contracts import topics
from shared.contracts.events import (
    FacilityRegistered,
    FacilityTokenChanged,
    PersonLinked,
    TargetSet,
    VisitRecorded,
)
from shared.contracts.intake import IntakeVisit
from shared.fhir.bundle import BundleMessage
from shared.regions import load_regions
from shared.service import Service

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class Registration:
    """What registration's adapters share: the registrar, the group commit, recent token checks
    (a revocation takes effect within their 5 s)."""

    registrar: Registrar
    coalescer: IntakeCoalescer
    token_cache: Cache[str, str | None] = field(default_factory=lambda: Cache(5.0, max_entries=10_000))
    organizations: Cache[None, list] = field(default_factory=lambda: Cache(10.0))


def build_service(settings: RegistrationSettings | None = None) -> Service:
    """The runtime with its consumers wired (``service.context``: a :class:`Registration`)."""
    settings = settings or RegistrationSettings()
    service = Service(
        settings, metadata=models.metadata, migrations=MIGRATIONS,
        produces=(VisitRecorded, FacilityRegistered, TargetSet, PersonLinked, FacilityTokenChanged),
    )
    registrar = Registrar(settings, load_regions())
    coalescer = IntakeCoalescer(service, registrar, max_pending=settings.max_pending_visits)
    service.context = context = Registration(registrar, coalescer)
    service.consume(topics.INTAKE_VISIT, batch_handler=consumers.intake(registrar), decoder=consumers.intake_decoder,
                    schema=IntakeVisit)
    service.consume(topics.INTAKE_FHIR, batch_handler=consumers.fhir_intake(registrar, lambda: lookups(service, context)),
                    decoder=consumers.fhir_intake_decoder, schema=BundleMessage)
    service.add_task(coalescer.run)
    return service


async def lookups(service: Service, context: Registration) -> tuple:
    """The FHIR mapper's facility lookups (a facility id or SATUSEHAT Organization id, and types)."""
    from services.registration.http_fhir import facility_lookups
    from services.registration.usecases.registry import organizations

    async def load() -> list:
        async with service.db.read_session() as session:
            return await organizations(session)

    return facility_lookups(await context.organizations.get(None, load))


async def facility_of_header(service: Service, context: Registration, authorization: str | None) -> str | None:
    """The facility of a usable facility token in an ``Authorization`` header (cached 5 s)."""
    from services.registration.usecases.tokens import facility_of

    token = bearer(authorization)
    if token is None:
        return None

    async def load() -> str | None:
        async with service.db.read_session() as session:
            return await facility_of(session, token)

    return await context.token_cache.get(hash_token(token), load)


def create_app(settings: RegistrationSettings | None = None) -> FastAPI:
    """The registration HTTP app (intake API, health, metrics) with its consumers."""
    from services.registration import http, http_fhir
    from shared.web import http_app

    service = build_service(settings)
    context = service.context
    fhir = http_fhir.intake_deps(service, context.registrar, lambda header: facility_of_header(service, context, header),
                                 lambda: lookups(service, context))
    return http_app(service, [http.router, http_fhir.router], title="Jejaring registration", state={"fhir_intake": fhir})
