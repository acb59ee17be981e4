"""Surveillance service entry point: SKDR early warning of outbreaks and the signals' lifecycle."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.surveillance import consumers, models
from services.surveillance.consumers import Clock, system_clock
from services.surveillance.settings import SurveillanceSettings
from services.surveillance.usecases import queries
from shared import observability
from shared.contracts.events import OutbreakSignal
from shared.service import Service

MIGRATIONS = Path(__file__).parent / "migrations"


def build_service(settings: SurveillanceSettings | None = None, clock: Clock = system_clock) -> Service:
    """The runtime with its consumers and the escalation checker wired (``clock``: injected in tests)."""
    settings = settings or SurveillanceSettings()
    service = Service(settings, metadata=models.metadata, migrations=MIGRATIONS, produces=(OutbreakSignal,))
    consumers.register(service, settings, clock)
    service.gauges += [observability.open_signals(observability.reading(service.db, queries.open_by_district)),
                       observability.overdue_signals(observability.reading(service.db, queries.overdue_by_district, clock))]
    return service


def create_app(settings: SurveillanceSettings | None = None, clock: Clock = system_clock) -> FastAPI:
    """The surveillance HTTP app (internal signals API, health, metrics) with its consumers."""
    from services.surveillance import http
    from shared.web import http_app

    service = build_service(settings, clock)
    app = http_app(service, [http.router], title="Jejaring surveillance")
    app.state.clock = clock
    return app
