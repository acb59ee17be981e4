"""Registration service entry point: facilities, persons and visits in; PII stays here."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.registration import handlers, models, usecases
from services.registration.coalescer import IntakeCoalescer
from services.registration.settings import RegistrationSettings
from shared.contracts import topics
from shared.contracts.events import FacilityRegistered, FacilityTokenChanged, PersonLinked, TargetSet, VisitRecorded
from shared.regions import load_regions
from shared.service import Service, http_app

MIGRATIONS = Path(__file__).parent / "migrations"


def build_service(settings: RegistrationSettings | None = None) -> tuple[Service, usecases.Registrar]:
    """The runtime with its consumers wired; used by the app, the CLI and the tests."""
    settings = settings or RegistrationSettings()
    service = Service(
        settings, metadata=models.metadata, migrations=MIGRATIONS,
        produces=(VisitRecorded, FacilityRegistered, TargetSet, PersonLinked, FacilityTokenChanged),
    )
    registrar = usecases.Registrar(settings, load_regions())
    service.consume(topics.INTAKE_VISIT, batch_handler=handlers.kafka_intake(registrar), decoder=handlers.intake_decoder)
    return service, registrar


def create_app(settings: RegistrationSettings | None = None) -> FastAPI:
    """The registration HTTP app (intake API, health, metrics) with its consumers."""
    service, registrar = build_service(settings)
    coalescer = IntakeCoalescer(service, registrar)
    service.add_task(coalescer.run)
    return http_app(service, [handlers.router(service, registrar, coalescer)], title="Jejaring registration")
