"""Operator commands of the dashboard, for ``services/cli.py`` (and ``python -m services.dashboard.admin``).

- ``rebuild``: empty the read model and the consumed topics' inbox rows and start a new rebuild
  generation; the running dashboard — or the next one to start — rewinds its partitions and
  re-reads every topic (see docs/dashboard.md).
- ``issue-token --region CODE|PUSKESMAS_ID``: a viewer token scoped to a Kemendagri region code
  prefix, or to a Puskesmas catchment given by the Puskesmas facility id.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence


def _service():  # noqa: ANN202
    from services.dashboard.app import build_service
    from services.dashboard.settings import DashboardSettings

    return build_service(DashboardSettings())[0]


async def _migrated():  # noqa: ANN202
    service = _service()
    await service.db.migrate(service.migrations, version_table=f"alembic_version_{service.name}")
    return service


def rebuild_command() -> int:
    """``jejaring rebuild dashboard``."""
    from services.dashboard import usecases

    async def run() -> int:
        service = await _migrated()
        try:
            return await usecases.rebuild(service)
        finally:
            await service.db.dispose()

    generation = asyncio.run(run())
    print(f"dashboard read model emptied (rebuild generation {generation}); the dashboard re-reads every "
          "consumed topic from the beginning as soon as it runs")
    return 0


def issue_viewer_token_command(region: str) -> int:
    """``jejaring token issue --region CODE|PUSKESMAS_ID --role viewer``: the token alone on the last line."""
    from services.dashboard import usecases
    from shared.regions import load_regions

    async def run() -> str | None:
        service = await _migrated()
        try:
            async with service.transaction() as unit:
                problem = await usecases.check_scope(unit.session, load_regions(), region)
                if problem:
                    print(problem, file=sys.stderr)
                    return None
                return await usecases.issue_viewer_token(unit.session, region)
        finally:
            await service.db.dispose()

    token = asyncio.run(run())
    if token is None:
        return 2
    print(f"viewer token for {region} (shown once):")
    print(token)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.dashboard.admin", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("rebuild", help="rebuild the read model from the topics")
    tok = sub.add_parser("issue-token", help="issue a viewer token")
    tok.add_argument("--region", required=True, help="region code prefix or Puskesmas facility id")
    args = parser.parse_args(argv)
    if args.command == "rebuild":
        return rebuild_command()
    return issue_viewer_token_command(args.region)


if __name__ == "__main__":
    raise SystemExit(main())
