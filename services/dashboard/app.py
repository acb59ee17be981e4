"""Dashboard service entry point: the district's live PWS read model, page and API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.dashboard import handlers, models
from services.dashboard.settings import DashboardSettings
from shared.contracts import topics
from shared.regions import load_regions
from shared.service import Service, http_app

MIGRATIONS = Path(__file__).parent / "migrations"
CONSUMED = (
    topics.VISIT_RECORDED, topics.VISIT_SCREENED, topics.RISK_DETECTED, topics.REFERRAL_MADE,
    topics.REFERRAL_UPDATED, topics.TARGET_SET, topics.PERSON_LINKED,
)


def build_service(settings: DashboardSettings | None = None) -> tuple[Service, handlers.Notifier]:
    """The runtime with its consumers wired."""
    service = Service(settings or DashboardSettings(), metadata=models.metadata, migrations=MIGRATIONS)
    notifier = handlers.Notifier()
    for topic in CONSUMED:
        service.consume(topic, handlers.consumer(notifier))
    return service, notifier


def create_app(settings: DashboardSettings | None = None) -> FastAPI:
    """The dashboard HTTP app (page, PWS API, live stream, health, metrics) with its consumers."""
    settings = settings or DashboardSettings()
    service, notifier = build_service(settings)
    return http_app(service, [handlers.router(service, settings, load_regions(), notifier)], title="Jejaring dashboard")
