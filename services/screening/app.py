"""Screening service entry point: life-cycle screening rules over recorded visits."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.screening import consumers, models
from services.screening.settings import ScreeningSettings
from shared.contracts import topics
from shared.contracts.events import RiskDetected, VisitScreened
from shared.service import Service

MIGRATIONS = Path(__file__).parent / "migrations"


def build_service(settings: ScreeningSettings | None = None) -> Service:
    """The runtime with its consumers wired."""
    settings = settings or ScreeningSettings()
    service = Service(settings, metadata=models.metadata, migrations=MIGRATIONS, produces=(VisitScreened, RiskDetected))
    service.consume(topics.VISIT_RECORDED, batch_handler=consumers.visits_recorded(settings.screening_config()))
    service.consume(topics.PERSON_LINKED, consumers.on_person_linked)
    return service


def create_app(settings: ScreeningSettings | None = None) -> FastAPI:
    """The screening HTTP app (health, metrics) with its consumers."""
    from services.screening import http
    from shared.web import http_app

    return http_app(build_service(settings), [http.router], title="Jejaring screening")
