"""CSV imports of the registry: facilities and annual targets (sasaran), all or nothing.

Rows are parsed into typed rows, every error names its line and field, and an admin token's region
bounds what it may touch: a facility's new village, its current village and its parent's village
must all lie inside the region (re-parenting changes which facility tokens cover a facility), and
so must every target's village.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import get_args

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.registration import models
from services.registration.usecases.registry import facility_event
from shared.contracts.events import FacilityType, TargetGroup, TargetSet
from shared.regions import RegionIndex, covers, level_of
from shared.unit import Unit

FACILITY_TYPES: tuple[str, ...] = get_args(FacilityType)
TARGET_GROUPS: tuple[str, ...] = get_args(TargetGroup)
LEVEL = {"posyandu": 0, "pustu": 1, "puskesmas": 2, "rs": 3}
FACILITY_COLUMNS = ["facility_id", "name", "type", "parent_id", "village_code", "capabilities"]
OPTIONAL_FACILITY_COLUMNS = ["satusehat_org_id"]
TARGET_COLUMNS = ["village_code", "year", "target", "count"]
_NS = uuid.UUID("6f1f8f5e-3c2a-4b59-9a3e-5b8f0e2d7c11")


class CsvImportError(ValueError):
    """A CSV that was rejected whole; ``errors`` name line and field."""

    def __init__(self, errors: list[dict]) -> None:
        super().__init__(f"{len(errors)} error(s) in CSV")
        self.errors = errors


@dataclass(frozen=True)
class FacilityRow:
    """One line of a facilities CSV, validated."""

    line: int
    facility_id: str
    name: str
    type: str
    parent_id: str | None
    village_code: str
    capabilities: str
    satusehat_org_id: str | None = None


@dataclass(frozen=True)
class TargetRow:
    """One line of a targets CSV, validated."""

    line: int
    village_code: str
    year: int
    target: str
    count: int


def _rows(text: str, required: list[str], optional: list[str] = ()) -> tuple[list[str], list[tuple[int, dict]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [f.strip() for f in reader.fieldnames or []]
    if header[:len(required)] != required or any(h not in optional for h in header[len(required):]):
        extra = f" (optional: {','.join(optional)})" if optional else ""
        raise CsvImportError([{"line": 1, "field": "header", "msg": f"header must be {','.join(required)}{extra}"}])
    rows = [(line, {(k or "").strip(): (v or "").strip() if isinstance(v, str) else "" for k, v in row.items()})
            for line, row in enumerate(reader, start=2)]
    return header, rows


def _is_village(code: str, regions: RegionIndex) -> bool:
    return level_of(code) == "desa" and code in regions


def parse_facilities_csv(text: str, regions: RegionIndex) -> list[FacilityRow]:
    """Validate every row of a facilities CSV; raise CsvImportError listing line and field."""
    _header, raw = _rows(text, FACILITY_COLUMNS, OPTIONAL_FACILITY_COLUMNS)
    rows, errors, seen, org_ids = [], [], set(), set()
    for line, row in raw:
        fid = row.get("facility_id", "")
        if not fid:
            errors.append({"line": line, "field": "facility_id", "msg": "required"})
        elif fid in seen:
            errors.append({"line": line, "field": "facility_id", "msg": "duplicate in file"})
        seen.add(fid)
        if not row.get("name"):
            errors.append({"line": line, "field": "name", "msg": "required"})
        if row.get("type") not in FACILITY_TYPES:
            errors.append({"line": line, "field": "type", "msg": f"must be one of {', '.join(FACILITY_TYPES)}"})
        if not _is_village(row.get("village_code", ""), regions):
            errors.append({"line": line, "field": "village_code", "msg": "unknown Kemendagri village code"})
        org = row.get("satusehat_org_id") or None
        if org is not None and org in org_ids:
            errors.append({"line": line, "field": "satusehat_org_id", "msg": "duplicate in file"})
        org_ids.add(org)
        capabilities = ";".join(sorted({c.strip() for c in row.get("capabilities", "").split(";") if c.strip()}))
        rows.append(FacilityRow(line, fid, row.get("name", ""), row.get("type", ""), row.get("parent_id") or None,
                                row.get("village_code", ""), capabilities, org))
    if errors:
        raise CsvImportError(errors)
    return rows


def parse_targets_csv(text: str, regions: RegionIndex) -> list[TargetRow]:
    """Validate a targets CSV (``village_code,year,target,count``); raise CsvImportError."""
    _header, raw = _rows(text, TARGET_COLUMNS)
    rows, errors = [], []
    for line, row in raw:
        if not _is_village(row.get("village_code", ""), regions):
            errors.append({"line": line, "field": "village_code", "msg": "unknown Kemendagri village code"})
        if row.get("target") not in TARGET_GROUPS:
            errors.append({"line": line, "field": "target", "msg": f"must be one of {', '.join(TARGET_GROUPS)}"})
        numbers = {}
        for name, low, high in (("year", 2000, 2100), ("count", 0, 10_000_000)):
            text_value = row.get(name, "")
            value = int(text_value) if text_value.isascii() and text_value.isdigit() else None
            if value is None or not low <= value <= high:
                errors.append({"line": line, "field": name, "msg": f"must be an integer from {low} to {high}"})
            numbers[name] = value or 0
        rows.append(TargetRow(line, row.get("village_code", ""), numbers["year"], row.get("target", ""),
                              numbers["count"]))
    if errors:
        raise CsvImportError(errors)
    return rows


def _outside(line: int, field: str, code: str | None, region: str | None, what: str) -> list[dict]:
    if region is None or code is None or covers(region, code):
        return []
    return [{"line": line, "field": field, "msg": f"{what} lies outside the token's region {region}"}]


async def import_facilities(unit: Unit, rows: list[FacilityRow], *, region: str | None = None) -> dict[str, int]:
    """Upsert facilities all-or-nothing; emit ``facility registered`` for every change.

    A parent must exist (in the file or already registered) and sit at a higher level
    (Posyandu -> Pustu or Puskesmas -> Puskesmas -> hospital). With an admin's ``region``, the
    facility's new and current villages and its parent's village must lie inside it.
    """
    session = unit.session
    t = models.facilities
    existing = {r["facility_id"]: r for r in (await session.execute(select(t))).mappings().all()}
    in_file = {r.facility_id: r for r in rows}
    errors: list[dict] = []
    for r in rows:
        errors += _outside(r.line, "village_code", r.village_code, region, "the village")
        old = existing.get(r.facility_id)
        if old is not None:
            errors += _outside(r.line, "facility_id", old["village_code"], region, "the registered facility")
        parent = r.parent_id
        if parent is None:
            continue
        parent_row = in_file.get(parent) or existing.get(parent)
        if parent_row is None:
            errors.append({"line": r.line, "field": "parent_id", "msg": f"unknown parent {parent}"})
            continue
        parent_type = parent_row.type if isinstance(parent_row, FacilityRow) else parent_row["type"]
        parent_village = parent_row.village_code if isinstance(parent_row, FacilityRow) else parent_row["village_code"]
        errors += _outside(r.line, "parent_id", parent_village, region, "the parent facility")
        if LEVEL[parent_type] <= LEVEL[r.type]:
            errors.append({"line": r.line, "field": "parent_id", "msg": f"a {r.type} cannot sit under a {parent_type}"})
    errors += await _satusehat_taken(session, rows)
    if errors:
        raise CsvImportError(errors)
    now = datetime.now(timezone.utc)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for r in rows:
        values = {k: v for k, v in asdict(r).items() if k not in ("line", "facility_id")}
        old = existing.get(r.facility_id)
        if old is not None and all(old[k] == v for k, v in values.items()) and old["active"]:
            counts["unchanged"] += 1
            continue
        revision = (old["revision"] + 1) if old is not None else 1
        if old is None:
            await session.execute(t.insert().values(facility_id=r.facility_id, active=True, revision=revision,
                                                    updated_at=now, **values))
            counts["created"] += 1
        else:
            await session.execute(t.update().where(t.c.facility_id == r.facility_id).values(
                active=True, revision=revision, updated_at=now, **values))
            counts["updated"] += 1
        event = facility_event({**values, "facility_id": r.facility_id, "active": True, "revision": revision})
        unit.emit(event, event_id=uuid.uuid5(_NS, f"facility:{r.facility_id}:{revision}"))
    return counts


async def _satusehat_taken(session: AsyncSession, rows: list[FacilityRow]) -> list[dict]:
    """Errors for SATUSEHAT Organization ids already registered to another facility."""
    wanted = {r.satusehat_org_id: r for r in rows if r.satusehat_org_id}
    if not wanted:
        return []
    t = models.facilities
    taken = await session.execute(select(t.c.satusehat_org_id, t.c.facility_id).where(t.c.satusehat_org_id.in_(list(wanted))))
    return [{"line": wanted[org].line, "field": "satusehat_org_id", "msg": f"already registered to {fid}"}
            for org, fid in taken if fid != wanted[org].facility_id]


async def import_targets(unit: Unit, rows: list[TargetRow], *, region: str | None = None) -> dict[str, int]:
    """Upsert targets all-or-nothing; emit ``target set`` for every change."""
    errors = [e for r in rows for e in _outside(r.line, "village_code", r.village_code, region, "the village")]
    if errors:
        raise CsvImportError(errors)
    t = models.targets
    counts = {"changed": 0, "unchanged": 0}
    for r in rows:
        key = (t.c.village_code == r.village_code) & (t.c.year == r.year) & (t.c.target == r.target)
        old = await unit.session.scalar(select(t.c.count).where(key))
        if old == r.count:
            counts["unchanged"] += 1
            continue
        if old is None:
            await unit.session.execute(t.insert().values(village_code=r.village_code, year=r.year, target=r.target,
                                                         count=r.count))
        else:
            await unit.session.execute(t.update().where(key).values(count=r.count))
        counts["changed"] += 1
        unit.emit(TargetSet(village_code=r.village_code, year=r.year, target=r.target, count=r.count),
                  event_id=uuid.uuid5(_NS, f"target:{r.village_code}:{r.year}:{r.target}:{r.count}"))
    return counts
