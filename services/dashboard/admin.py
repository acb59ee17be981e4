"""Dashboard's admin commands (``jejaring rebuild dashboard``, viewer tokens of ``jejaring token …``).

- ``rebuild``: empty the read model and the consumed topics' inbox rows and start a new rebuild
  generation; the running dashboard — or the next one to start — rewinds its partitions and
  re-reads every topic (see docs/dashboard.md).
- viewer tokens: issued for a Kemendagri region code prefix, or a Puskesmas catchment given by the
  Puskesmas facility id; listed and revoked by id.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from services.dashboard.app import build_service
from services.dashboard.settings import DashboardSettings
from services.dashboard.usecases import access, rebuild
from shared.regions import load_regions
from shared.service import Service

T = TypeVar("T")


async def _with_service(settings: DashboardSettings, fn: Callable[[Service], Awaitable[T]]) -> T:
    service = build_service(settings)
    await service.migrate()
    try:
        return await fn(service)
    finally:
        await service.db.dispose()


def rebuild_command(settings: DashboardSettings) -> int:
    """``jejaring rebuild dashboard``."""
    generation = asyncio.run(_with_service(settings, rebuild.rebuild))
    print(f"dashboard read model emptied (rebuild generation {generation}); the dashboard re-reads every "
          "consumed topic from the beginning as soon as it runs")
    return 0


def issue_viewer_token(settings: DashboardSettings, scope: str, ttl_days: float) -> int:
    """Print a new viewer token: ``id: <ID>``, then the token alone on the last line."""

    async def issue(service: Service) -> access.Issued | None:
        async with service.transaction() as unit:
            problem = await access.check_scope(unit.session, load_regions(), scope)
            if problem:
                print(problem, file=sys.stderr)
                return None
            return await access.issue_viewer_token(unit.session, scope, ttl_days)

    issued = asyncio.run(_with_service(settings, issue))
    if issued is None:
        return 2
    print(f"viewer token for {scope} (shown once), expires {issued.expires_at.date().isoformat()}:")
    print(f"id: {issued.token_id}")
    print(issued.token)
    return 0


def revoke_viewer_token(settings: DashboardSettings, id_or_token: str) -> dict | None:
    """Revoke a viewer token by id or value; its listing, or None."""

    async def revoke(service: Service) -> dict | None:
        async with service.transaction() as unit:
            return await access.revoke(unit.session, id_or_token)

    return asyncio.run(_with_service(settings, revoke))


def list_viewer_tokens(settings: DashboardSettings) -> list[dict]:
    """Every viewer token (never the token itself)."""

    async def listed(service: Service) -> list[dict]:
        async with service.db.read_session() as session:
            return await access.listing(session)

    return asyncio.run(_with_service(settings, listed))
