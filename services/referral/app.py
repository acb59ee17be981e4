"""Referral service entry point: routes risks through the network and tracks every referral."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.referral import api, handlers, models
from services.referral.settings import ReferralSettings
from shared.contracts import topics
from shared.contracts.events import ReferralMade, ReferralUpdated
from shared.service import Service, http_app

MIGRATIONS = Path(__file__).parent / "migrations"


def build_service(settings: ReferralSettings | None = None) -> Service:
    """The runtime with its consumers and the overdue checker wired."""
    settings = settings or ReferralSettings()
    service = Service(settings, metadata=models.metadata, migrations=MIGRATIONS,
                      produces=(ReferralMade, ReferralUpdated))
    service.consume(topics.FACILITY_REGISTERED, handlers.on_facility)
    service.consume(topics.FACILITY_TOKEN, handlers.on_token)
    service.consume(topics.RISK_DETECTED, handlers.on_risk(settings), batch_handler=handlers.on_risks(settings))
    service.consume(topics.PERSON_LINKED, handlers.on_person_linked)
    service.add_task(handlers.overdue_loop(service, settings))
    return service


def create_app(settings: ReferralSettings | None = None) -> FastAPI:
    """The referral HTTP app (status API, health, metrics) with its consumers."""
    service = build_service(settings)
    return http_app(service, [api.router(service)], title="Jejaring referral")
