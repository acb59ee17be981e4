"""Registration service entry point: facilities, persons and visits in; PII stays here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI

from services.registration import consumers, models
from services.registration.coalescer import IntakeCoalescer
from services.registration.settings import RegistrationSettings
from services.registration.usecases.visits import Registrar
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


def build_service(settings: RegistrationSettings | None = None) -> Service:
    """The runtime with its consumers wired (``service.context``: a :class:`Registration`)."""
    settings = settings or RegistrationSettings()
    service = Service(
        settings, metadata=models.metadata, migrations=MIGRATIONS,
        produces=(VisitRecorded, FacilityRegistered, TargetSet, PersonLinked, FacilityTokenChanged),
    )
    registrar = Registrar(settings, load_regions())
    service.consume(topics.INTAKE_VISIT, batch_handler=consumers.intake(registrar), decoder=consumers.intake_decoder,
                    schema=IntakeVisit)
    coalescer = IntakeCoalescer(service, registrar, max_pending=settings.max_pending_visits)
    service.add_task(coalescer.run)
    service.context = Registration(registrar, coalescer)
    return service


def create_app(settings: RegistrationSettings | None = None) -> FastAPI:
    """The registration HTTP app (intake API, health, metrics) with its consumers."""
    from services.registration import http
    from shared.web import http_app

    return http_app(build_service(settings), [http.router], title="Jejaring registration")
