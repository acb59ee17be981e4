"""Dashboard service entry point: the district's live PWS read model, page and API."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI

from services.dashboard import domain, handlers, models, usecases
from services.dashboard.live import ChangeFeed, Rewinder
from services.dashboard.settings import DashboardSettings
from shared.contracts import topics
from shared.regions import load_regions
from shared.service import Service, http_app

MIGRATIONS = Path(__file__).parent / "migrations"
# Risks are counted from ``visit.screened`` (its ``risk_codes``), not from ``risk.detected``:
# one message per visit instead of one per risk, for the same numbers.
CONSUMED = (
    topics.VISIT_RECORDED, topics.VISIT_SCREENED, topics.REFERRAL_MADE,
    topics.REFERRAL_UPDATED, topics.TARGET_SET, topics.PERSON_LINKED, topics.FACILITY_REGISTERED,
)


def context(settings: DashboardSettings) -> usecases.Context:
    """The registry (with configured targets), regions and freshness thresholds."""
    registry = domain.with_targets(domain.REGISTRY, settings.targets)
    domain.validate_registry(registry)
    return usecases.Context(regions=load_regions(), registry=registry, fresh_days=settings.fresh_days,
                            silent_days=settings.silent_after_days)


def build_service(settings: DashboardSettings | None = None) -> tuple[Service, ChangeFeed, usecases.Context]:
    """The runtime with its consumers and background tasks wired."""
    settings = settings or DashboardSettings()
    service = Service(settings, metadata=models.metadata, migrations=MIGRATIONS)
    ctx = context(settings)
    feed = ChangeFeed(service.db, poll_seconds=settings.change_poll_seconds)
    for topic in CONSUMED:
        service.consume(topic, batch_handler=handlers.consumer(ctx, feed))
    consumers = lambda: [s.consumer for s in service.broker.subscribers if getattr(s, "consumer", None) is not None]  # noqa: E731
    service.add_task(feed.run)
    service.add_task(Rewinder(service.db, consumers, interval=settings.rewind_check_seconds).run)
    return service, feed, ctx


def create_app(settings: DashboardSettings | None = None) -> FastAPI:
    """The dashboard HTTP app (page, PWS API, live stream, health, metrics) with its consumers."""
    settings = settings or DashboardSettings()
    service, feed, ctx = build_service(settings)
    return http_app(service, [handlers.router(service, settings, ctx, feed)], title="Jejaring dashboard")
