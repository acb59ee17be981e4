"""Dashboard's admin commands (``jejaring rebuild dashboard``, viewer tokens of ``jejaring token …``).

- ``rebuild``: empty the read model and the consumed topics' inbox rows, start a new rebuild
  generation and re-read every consumed topic from this process in large batches
  (``services.dashboard.reread``); or, ``in_service``, leave the re-read to the running dashboard,
  which — or the next one to start — rewinds its partitions (see docs/dashboard.md).
- viewer tokens: issued for a Kemendagri region code prefix, or a Puskesmas catchment given by the
  Puskesmas facility id; listed and revoked by id.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TypeVar

from services.dashboard import reread
from services.dashboard.app import build_service
from services.dashboard.settings import DashboardSettings
from services.dashboard.usecases import access, rebuild
from shared.progress import Progress
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


def rebuild_command(settings: DashboardSettings, *, in_service: bool = False, resume: bool = False,
                    batch: int = reread.BATCH, processes: int = 1, share: tuple[int, int] | None = None) -> int:
    """``jejaring rebuild dashboard``: empty the read model and re-read every consumed topic into it
    from this process, with a progress bar on a terminal (``resume``: go on with a re-read that
    stopped). ``in_service``: only empty it; the running dashboard re-reads (``tasks.Rewinder``)."""
    if in_service:
        generation = asyncio.run(_with_service(settings, rebuild.rebuild))
        print(f"dashboard read model emptied (rebuild generation {generation}); the dashboard re-reads every "
              "consumed topic from the beginning as soon as it runs")
        return 0
    progress: list[Progress] = []

    if share is not None:  # one share of a rebuild by several processes: no bar, a report line for its parent
        async def one(service: Service) -> reread.Report:
            return await reread.run(service, service.context.query.registry, batch=batch, share=share)

        try:
            report = asyncio.run(_with_service(settings, one))
        except reread.RebuildError as exc:
            print(f"rebuild share stopped: {exc}", file=sys.stderr)
            return 1
        print(reread.share_line(report))
        return 0

    def tracker(total: int) -> Progress:
        progress.append(Progress("rebuild dashboard", total=total, unit="events"))
        return progress[0]

    async def run(service: Service) -> reread.Report:
        return await reread.run(service, service.context.query.registry, resume=resume, batch=batch,
                                progress_factory=tracker, processes=processes)

    try:
        report = asyncio.run(_with_service(settings, run))
    except reread.RebuildError as exc:
        if progress:
            progress[0].fail(str(exc))
        print(f"rebuild stopped: {exc}; `jejaring rebuild dashboard --resume` goes on from where it stopped",
              file=sys.stderr)
        return 1
    except BaseException as exc:
        if progress:
            progress[0].fail(type(exc).__name__)
        raise
    if progress:
        progress[0].summary(f"{report.applied:,} applied, {report.skipped:,} skipped")
    print(f"dashboard read model rebuilt (rebuild generation {report.generation}): {report.events:,} events of "
          f"{report.partitions} partitions re-read in {report.seconds:.1f} s ({report.events_per_s:,.0f} events/s), "
          f"{report.skipped:,} skipped; new events go on through the running dashboard")
    for error in report.errors:
        print(f"note: {error}", file=sys.stderr)
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
