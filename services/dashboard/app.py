"""Dashboard service entry point: the district's live PWS read model, page and API."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI

from services.dashboard import consumers, models, tasks
from services.dashboard.domain.registry import REGISTRY, validate_registry, with_targets
from services.dashboard.live import ChangeFeed
from services.dashboard.readmodel.staging import ALL
from services.dashboard.settings import DashboardSettings
from services.dashboard.surveillance import Surveillance
from services.dashboard.usecases import queries
from services.dashboard.usecases.queries import Context
from shared import observability
from shared.contracts import topics
from shared.regions import load_regions
from shared.service import Service
from shared.time import now

MIGRATIONS = Path(__file__).parent / "migrations"
# Risks are counted from ``visit.screened`` (its ``risk_codes``), not from ``risk.detected``:
# one message per visit instead of one per risk, for the same numbers.
CONSUMED = (
    topics.VISIT_RECORDED, topics.VISIT_SCREENED, topics.REFERRAL_MADE,
    topics.REFERRAL_UPDATED, topics.TARGET_SET, topics.PERSON_LINKED, topics.FACILITY_REGISTERED,
)


@dataclass
class Dashboard:
    """What the dashboard's adapters share: settings, the query context, the live change feed, and
    the client of surveillance's internal API (outbreak signals)."""

    settings: DashboardSettings
    query: Context
    feed: ChangeFeed
    surveillance: Surveillance | None = None


def context(settings: DashboardSettings) -> Context:
    """The registry (with configured targets), regions and freshness thresholds."""
    registry = with_targets(REGISTRY, settings.targets)
    validate_registry(registry)
    return Context(regions=load_regions(), registry=registry, fresh_days=settings.fresh_days,
                   silent_days=settings.silent_after_days)


def build_service(settings: DashboardSettings | None = None) -> Service:
    """The runtime with its consumers and background tasks wired (``service.context``: a :class:`Dashboard`)."""
    settings = settings or DashboardSettings()
    service = Service(settings, metadata=models.metadata, migrations=MIGRATIONS)
    ctx = context(settings)
    feed = ChangeFeed(service.db, poll_seconds=settings.change_poll_seconds)
    feed.listeners.append(lambda villages: ctx.directory.invalidate() if ALL in villages else None)
    for topic in CONSUMED:
        service.consume(topic, batch_handler=consumers.on_events(ctx, feed))
    service.consume(topics.OUTBREAK_SIGNAL, batch_handler=consumers.on_signals(feed))
    service.consume(topics.FACILITY_TOKEN, consumers.on_token)
    service.add_task(feed.run)
    service.add_task(tasks.Rewinder(service.db, service.consumers, interval=settings.rewind_check_seconds).run)
    client = Surveillance.from_settings(settings)
    service.add_task(client.hold)
    service.context = Dashboard(settings, ctx, feed, client)
    service.gauges += [
        observability.scheduled_villages(observability.reading(service.db, queries.scheduled_by_district)),
        observability.silent_villages(observability.reading(service.db, queries.silent_by_district, now,
                                                            lambda: settings.silent_after_days)),
    ]
    return service


def create_app(settings: DashboardSettings | None = None) -> FastAPI:
    """The dashboard HTTP app (page, PWS and signals API, live stream, health, metrics) with its consumers."""
    from services.dashboard import http, http_signals
    from shared.web import http_app

    return http_app(build_service(settings), [http.router, http_signals.router], title="Jejaring dashboard")
