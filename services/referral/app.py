"""Referral service entry point: routes risks through the network and tracks every referral."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.referral import consumers, models, tasks
from services.referral.settings import ReferralSettings
from services.referral.usecases import queries
from shared import observability
from shared.contracts import topics
from shared.contracts.events import ReferralMade, ReferralUpdated
from shared.service import Service

MIGRATIONS = Path(__file__).parent / "migrations"


def build_service(settings: ReferralSettings | None = None) -> Service:
    """The runtime with its consumers and the overdue checker wired (``service.context``: settings)."""
    settings = settings or ReferralSettings()
    service = Service(settings, metadata=models.metadata, migrations=MIGRATIONS,
                      produces=(ReferralMade, ReferralUpdated))
    service.consume(topics.FACILITY_REGISTERED, consumers.on_facility)
    service.consume(topics.FACILITY_TOKEN, consumers.on_token)
    service.consume(topics.RISK_DETECTED, batch_handler=consumers.on_risks(settings))
    service.consume(topics.PERSON_LINKED, consumers.on_person_linked)
    service.add_task(tasks.overdue_loop(service, settings))
    service.gauges.append(observability.overdue_referrals(observability.reading(service.db, queries.overdue_by_district)))
    service.context = settings
    return service


def create_app(settings: ReferralSettings | None = None) -> FastAPI:
    """The referral HTTP app (status API, health, metrics) with its consumers."""
    from services.referral import http, http_fhir, store
    from shared.auth import bearer, hash_token
    from shared.web import http_app

    service = build_service(settings)

    async def authorised(authorization: str | None) -> str | None:
        token = bearer(authorization)
        if token is None:
            return None
        async with service.db.read_session() as session:
            return await store.token_facility(session, hash_token(token))

    fhir = http_fhir.referral_deps(service, authorised)
    return http_app(service, [http.router, http_fhir.router], title="Jejaring referral", state={"fhir_referral": fhir})
