"""Dashboard's Kafka handlers: every read-model topic in one batch handler, the signal topic, and
the token topic."""

from __future__ import annotations

from services.dashboard.live import ChangeFeed
from services.dashboard.usecases import access, signals
from services.dashboard.usecases.apply import apply
from services.dashboard.usecases.queries import Context
from shared.contracts.events import FacilityTokenChanged
from shared.messaging.consumer import BatchHandler, BatchUnit
from shared.unit import Unit


def on_events(ctx: Context, feed: ChangeFeed) -> BatchHandler:
    """The batch handler of every read-model topic; live pages hear of the villages once committed."""

    async def handle(unit: BatchUnit) -> None:
        """Apply a batch of events to the PWS read model (per village, month and indicator)."""
        villages = await apply(unit.session, [m.body.data for m in unit.messages], ctx.registry)
        if villages:
            unit.after_commit.append(lambda: feed.publish(villages))

    return handle


def on_signals(feed: ChangeFeed) -> BatchHandler:
    """The batch handler of ilp.outbreak.signal.v1: keep each signal's highest revision; pages of
    its villages hear of it once committed."""

    async def handle(unit: BatchUnit) -> None:
        """Keep the highest revision of each outbreak signal (the read model of the signals panel)."""
        villages = await signals.store(unit.session, [m.body.data for m in unit.messages])
        if villages:
            unit.after_commit.append(lambda: feed.publish(villages))

    return handle


async def on_token(unit: Unit) -> None:
    """Keep registration's admin tokens (they sign in here and may act on outbreak signals)."""
    await access.learn_token(unit.session, unit.data(FacilityTokenChanged))
