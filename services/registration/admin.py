"""Registration's admin commands (``jejaring facilities|targets import``, ``jejaring token …``).

Each opens the service's own database (migrated), runs one use case in one transaction, and
publishes what it emitted at once when the broker is reachable (else the service's relay does).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from services.registration.app import build_service
from services.registration.settings import RegistrationSettings
from services.registration.usecases import imports, tokens
from shared.progress import Progress
from shared.regions import load_regions
from shared.unit import Unit

T = TypeVar("T")


async def in_transaction(settings: RegistrationSettings, fn: Callable[[Unit], Awaitable[T]], *,
                         publish: bool = True, progress: Progress | None = None) -> T:
    """``fn`` in one transaction on registration's database; then its events are published
    (counted on ``progress``, if given, as its next part)."""
    service = build_service(settings)
    await service.migrate()
    try:
        async with service.transaction() as unit:
            result = await fn(unit)
        if publish and unit.emitted:
            if progress is None:
                await service.publish_outbox(timeout=10)
            else:
                progress.phase("publishing", total=len(unit.emitted), unit="events")
                await service.publish_outbox(timeout=10, on_published=progress.advance)
        return result
    finally:
        await service.db.dispose()


def import_csv(settings: RegistrationSettings, path: str, kind: str) -> int:
    """Load a facilities or targets CSV all or nothing; errors by line and field on stderr."""
    parse, apply = {
        "facilities": (imports.parse_facilities_csv, imports.import_facilities),
        "targets": (imports.parse_targets_csv, imports.import_targets),
    }[kind]
    title = f"{kind} import"
    try:
        rows = parse(Path(path).read_text(encoding="utf-8-sig"), load_regions())
        with Progress(title, total=len(rows), unit="rows") as progress:

            async def store(unit: Unit) -> dict:
                counts = await apply(unit, rows)
                progress.advance(len(rows))  # one transaction: all or nothing
                return counts

            counts = asyncio.run(in_transaction(settings, store, progress=progress))
            progress.summary(" ".join(f"{k}={v}" for k, v in counts.items()))
    except imports.CsvImportError as exc:
        for error in exc.errors:
            print(f"line {error['line']}: {error['field']}: {error['msg']}", file=sys.stderr)
        print("nothing imported", file=sys.stderr)
        return 2
    print(" ".join(f"{k}={v}" for k, v in counts.items()))
    return 0


def issue_token(settings: RegistrationSettings, kind: str, scope: str, ttl_days: float) -> int:
    """Print a new facility or admin token: ``id: <ID>``, then the token alone on the last line."""
    try:
        issued = asyncio.run(in_transaction(settings, lambda unit: tokens.issue(unit, kind, scope, ttl_days)))
    except LookupError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    what = f"facility token for {scope}" if kind == "facility" else f"admin token for region {scope}"
    print(f"{what} (shown once), expires {issued.expires_at.date().isoformat()}:")
    print(f"id: {issued.token_id}")
    print(issued.token)
    return 0


def revoke_token(settings: RegistrationSettings, id_or_token: str) -> dict | None:
    """Revoke a facility or admin token by id or value; the revoked token's listing, or None."""
    return asyncio.run(in_transaction(settings, lambda unit: tokens.revoke(unit, id_or_token)))


def list_tokens(settings: RegistrationSettings) -> list[dict]:
    """Every facility and admin token (never the token itself)."""
    return asyncio.run(in_transaction(settings, lambda unit: tokens.listing(unit.session), publish=False))
