"""Surveillance's command-line tasks: print the effective rules table, list signals, run one escalation round.

    python -m services.surveillance.admin rules          # the rules table (Markdown), with configuration
    python -m services.surveillance.admin signals 18.01  # signals of a region as JSON lines
    python -m services.surveillance.admin escalate       # one escalation round now

``docs/surveillance.md`` holds ``rules_markdown()`` of the defaults; a unit test keeps the two in step.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Mapping
from datetime import datetime, timezone

from services.surveillance.domain.catalogue import DISEASES, Disease
from services.surveillance.domain.rules import Rule


def _rule_text(rule: Rule | None) -> str:
    if rule is None:
        return "—"
    return {
        "single": "1 case",
        "fixed": f"≥ {rule.threshold} a week",
        "doubling": f"≥ {rule.factor:g} × mean of {rule.weeks} previous weeks, at least {rule.min_cases}",
        "mean_sd": f"> mean + {rule.k:g} SD of {rule.weeks} previous weeks, at least {rule.min_cases}",
    }[rule.method]


def rules_markdown(diseases: Mapping[str, Disease] = DISEASES) -> str:
    """The rules as a Markdown table, one row per disease or syndrome, in catalogue order."""
    lines = ["| code | SKDR | disease / syndrome | ICD-10 | village | Puskesmas area | source (conf.) |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    for d in diseases.values():
        sources = "; ".join(dict.fromkeys(f"{r.source} ({r.confidence})" for r in d.rules.values() if r))
        icd = ", ".join(d.icd10) or "—"
        if d.icd10 and d.icd10_source == "UNCONFIRMED":
            icd += " (UNCONFIRMED)"
        lines.append(f"| `{d.code}` | {d.skdr_code or '—'} | {d.name} | {icd} | {_rule_text(d.rule('village'))} | "
                     f"{_rule_text(d.rule('puskesmas'))} | {sources} |")
    return "\n".join(lines)


async def _signals(region: str) -> list[dict]:
    from services.surveillance.app import MIGRATIONS, build_service
    from services.surveillance.settings import SurveillanceSettings
    from services.surveillance.usecases import queries

    service = build_service(SurveillanceSettings())
    await service.db.migrate(MIGRATIONS, version_table="alembic_version_surveillance")
    try:
        async with service.db.read_session() as session:
            return await queries.list_signals(session, region, limit=1000)
    finally:
        await service.db.dispose()


async def _escalate() -> int:
    from services.surveillance.app import MIGRATIONS, build_service
    from services.surveillance.settings import SurveillanceSettings
    from services.surveillance.tasks import check_escalations

    settings = SurveillanceSettings()
    service = build_service(settings)
    await service.db.migrate(MIGRATIONS, version_table="alembic_version_surveillance")
    try:
        return await check_escalations(service, settings, datetime.now(timezone.utc))
    finally:
        await service.db.dispose()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["rules"]:
        from services.surveillance.settings import SurveillanceSettings

        print(rules_markdown(SurveillanceSettings().diseases))
        return 0
    if args[:1] == ["signals"] and len(args) == 2:
        for signal in asyncio.run(_signals(args[1])):
            print(json.dumps(signal, ensure_ascii=False))
        return 0
    if args[:1] == ["escalate"]:
        print(f"{asyncio.run(_escalate())} signal(s) escalated")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
