"""Surveillance's persistence adapter: time conversion, ids, dialect UPSERTs, and rows <-> signal events."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.surveillance.domain import weeks
from services.surveillance.domain.catalogue import DISEASES
from shared.contracts.events import (
    OutbreakSignal,
    SignalCounts,
    SignalEvidence,
    SignalRule,
)
from shared.time import utc, utc_or_none

_NS = uuid.UUID("5d1f7c2a-3b8e-4e61-9a0c-7f2e6b1d4c93")


def signal_id_for(area_kind: str, area_code: str, disease: str, week: str) -> uuid.UUID:
    """The id of the one signal an area, disease and week can have."""
    return uuid.uuid5(_NS, f"signal:{area_key(area_kind, area_code, disease, week)}")


def event_id_for(signal_id: str | uuid.UUID, status: str) -> uuid.UUID:
    """The id of the event recording ``status`` (each status is reached at most once)."""
    return uuid.uuid5(_NS, f"event:{signal_id}:{status}")


def area_key(area_kind: str, area_code: str, disease: str, week: str) -> str:
    return f"{area_kind}:{area_code}:{disease}:{week}"


def offset_minutes(moment: datetime) -> int:
    return int((moment.utcoffset() or timedelta()).total_seconds() // 60)


def local(moment: datetime, minutes: int) -> datetime:
    """A stored UTC datetime in the offset it was first given in."""
    return utc(moment).astimezone(timezone(timedelta(minutes=minutes)))


def insert_for(session: AsyncSession, table: Any) -> Any:
    """The dialect's INSERT (with ``on_conflict_*``) for ``table``."""
    return (sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert)(table)


def signal_event(row: Mapping[str, Any], previous_status: str | None = None) -> OutbreakSignal:
    """The ``OutbreakSignal`` a stored signal row stands for (its whole current state)."""
    return OutbreakSignal(
        signal_id=row["signal_id"], area_kind=row["area_kind"], area_code=row["area_code"],
        village_code=row["village_code"], village_codes=[v for v in row["village_codes"].split(";") if v],
        district_code=row["district_code"], disease=row["disease"],
        skdr_code=DISEASES[row["disease"]].skdr_code if row["disease"] in DISEASES else None,
        rule=SignalRule.model_validate_json(row["rule"]),
        week=row["week"], week_start=weeks.monday(row["week"]),
        counts=SignalCounts.model_validate_json(row["counts"]),
        evidence=SignalEvidence.model_validate_json(row["evidence"]),
        status=row["status"], previous_status=previous_status, outcome=row["outcome"],
        raised_at=utc_or_none(row["raised_at"]), escalate_at=utc_or_none(row["escalate_at"]),
        changed_at=utc_or_none(row["changed_at"]), note=row["note"], actor_token_id=row["actor_token_id"],
        revision=row["revision"],
    )


def view(row: Mapping[str, Any]) -> dict[str, Any]:
    """The API representation of a signal: the same JSON its latest event carries."""
    return signal_event(row).model_dump(mode="json", exclude={"previous_status"})
