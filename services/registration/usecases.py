"""Registration's use cases: one database transaction each, events staged in the outbox.

The HTTP intake, the Kafka intake and the CLI call these; validation code is the same for all.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.registration import domain, models
from services.registration.settings import RegistrationSettings
from shared.contracts.events import FacilityRegistered, FacilityTokenChanged, PersonLinked, TargetSet
from shared.contracts.intake import IntakeVisit, VILLAGE_CODE_RE
from shared.messaging.consumer import Unit
from shared.regions import RegionIndex

FACILITY_TYPES = ("posyandu", "pustu", "puskesmas", "rs")
TARGET_GROUPS = ("pregnant", "under_five", "adolescent", "adult_15_59", "elderly")
_NS = uuid.UUID("6f1f8f5e-3c2a-4b59-9a3e-5b8f0e2d7c11")


@dataclass
class Outcome:
    """The answer for one submitted visit."""

    visit_id: str | None
    status: str  # recorded | duplicate | rejected
    person_id: str | None = None
    errors: list[dict] = field(default_factory=list)
    forbidden: bool = False

    def as_dict(self) -> dict:
        body: dict[str, Any] = {"visit_id": self.visit_id, "status": self.status}
        if self.person_id:
            body["person_id"] = self.person_id
        if self.errors:
            body["errors"] = self.errors
        return body


class FacilityCache:
    """Facility parents and types, reloaded when stale or when an unknown id shows up."""

    def __init__(self, ttl_seconds: float = 10.0) -> None:
        self.ttl = ttl_seconds
        self.loaded_at = -1e9
        self.parents: dict[str, str | None] = {}
        self.entries: dict[str, FacilityRegistered] = {}

    async def get(self, session: AsyncSession, facility_id: str) -> FacilityRegistered | None:
        if time.monotonic() - self.loaded_at > self.ttl or facility_id not in self.entries:
            await self.reload(session)
        return self.entries.get(facility_id)

    async def reload(self, session: AsyncSession) -> None:
        rows = (await session.execute(select(models.facilities))).mappings().all()
        self.entries = {r["facility_id"]: _facility_event(r) for r in rows}
        self.parents = {k: v.parent_id for k, v in self.entries.items()}
        self.loaded_at = time.monotonic()


def _facility_event(row: Any) -> FacilityRegistered:
    caps = [c for c in (row["capabilities"] or "").split(";") if c]
    return FacilityRegistered(
        facility_id=row["facility_id"], name=row["name"], type=row["type"], parent_id=row["parent_id"],
        village_code=row["village_code"], capabilities=caps, active=row["active"], revision=row["revision"],
    )


def _errors_of(exc: ValidationError, prefix: tuple = ()) -> list[dict]:
    return [
        {"loc": [*prefix, *e["loc"]], "msg": e["msg"]}
        for e in exc.errors(include_url=False, include_input=False)
    ]


class Registrar:
    """Records visits: validate, resolve the person, store, emit ``visit recorded``."""

    def __init__(self, settings: RegistrationSettings, regions: RegionIndex) -> None:
        self.settings = settings
        self.regions = regions
        self.secret = settings.person_id_secret.get_secret_value().encode()
        self.facilities = FacilityCache()

    async def record(self, unit: Unit, raw: Any, *, token_facility: str | None) -> Outcome:
        """Validate and record one visit; never raises for bad input."""
        visit_id = raw.get("visit_id") if isinstance(raw, dict) else None
        visit_id = visit_id if isinstance(visit_id, str) else None
        try:
            visit = IntakeVisit.model_validate(raw)
        except ValidationError as exc:
            return Outcome(visit_id, "rejected", errors=_errors_of(exc))
        now = datetime.now(timezone.utc)
        errors = domain.check_time(visit, now, timedelta(seconds=self.settings.future_tolerance_seconds))
        session = unit.session
        facility = await self.facilities.get(session, visit.facility_id)
        if facility is None:
            errors.append(domain.FieldError(("facility_id",), f"unknown facility {visit.facility_id}"))
        elif token_facility is not None and not domain.in_scope(token_facility, visit.facility_id, self.facilities.parents):
            return Outcome(str(visit.visit_id), "rejected", forbidden=True,
                           errors=[{"loc": ["facility_id"], "msg": "facility outside the token's scope"}])
        if self.regions.get(visit.person.village_code) is None and visit.person.village_code[:5] not in self.regions:
            errors.append(domain.FieldError(("person", "village_code"), "unknown village_code"))
        warnings: list[str] = []
        person = visit.person
        today = visit.occurred_at.date()
        if person.nik:
            e, w = domain.check_nik(person.nik, ("person", "nik"), self.regions, birth_date=person.birth_date,
                                    sex=person.sex, today=today)
            errors += e
            warnings += w
        if person.mother_nik:
            e, _ = domain.check_nik(person.mother_nik, ("person", "mother_nik"), self.regions, birth_date=None,
                                    sex="F", today=today)
            errors += e
        if errors:
            return Outcome(str(visit.visit_id), "rejected", errors=[e.as_dict() for e in errors])
        existing = await session.scalar(
            select(models.visits.c.person_id).where(models.visits.c.visit_id == str(visit.visit_id))
        )
        if existing is not None:
            return Outcome(str(visit.visit_id), "duplicate", person_id=existing)
        person_id = await self._resolve_person(unit, visit, now)
        event = domain.recorded_visit(visit, person_id=person_id, facility=facility, recorded_at=now,
                                      data_quality=warnings)
        await session.execute(
            models.visits.insert().values(
                visit_id=str(visit.visit_id), person_id=person_id, facility_id=visit.facility_id,
                occurred_at=visit.occurred_at, recorded_at=now, stage=event.stage, data_quality=";".join(warnings),
            )
        )
        unit.emit(event, event_id=visit.visit_id)
        return Outcome(str(visit.visit_id), "recorded", person_id=person_id)

    async def _resolve_person(self, unit: Unit, visit: IntakeVisit, now: datetime) -> str:
        """Find or create the person; link a child's provisional id once its own NIK appears."""
        p = visit.person
        session = unit.session
        t = models.persons
        if p.nik:
            person_id = domain.person_id_for_nik(p.nik, self.secret)
        else:
            person_id = domain.provisional_child_id(p.mother_nik or "", p.birth_date, p.sex, self.secret)
        row = (await session.execute(select(t.c.person_id).where(t.c.person_id == person_id))).first()
        values = dict(nik=p.nik, mother_nik=p.mother_nik, name=p.name, sex=p.sex, birth_date=p.birth_date,
                      village_code=p.village_code, updated_at=now)
        if row is None:
            await session.execute(t.insert().values(person_id=person_id, created_at=now, **values))
        else:
            await session.execute(t.update().where(t.c.person_id == person_id).values(**values))
        if p.nik and p.mother_nik:
            provisional = domain.provisional_child_id(p.mother_nik, p.birth_date, p.sex, self.secret)
            linked = await session.execute(
                update(t).where(t.c.person_id == provisional, t.c.linked_to.is_(None)).values(linked_to=person_id)
            )
            if linked.rowcount:
                unit.emit(
                    PersonLinked(person_id=person_id, previous_person_id=provisional, linked_at=visit.occurred_at),
                    event_id=uuid.uuid5(_NS, f"link:{provisional}:{person_id}"),
                )
        return person_id


def hash_token(token: str) -> str:
    """Tokens are stored as SHA-256 hashes only."""
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(unit: Unit, facility_id: str) -> str:
    """A new facility token (shown once; only its hash is stored and published)."""
    session = unit.session
    exists = await session.scalar(select(models.facilities.c.facility_id).where(models.facilities.c.facility_id == facility_id))
    if exists is None:
        raise LookupError(f"unknown facility {facility_id}")
    token = "jjf_" + secrets.token_urlsafe(32)
    await session.execute(models.tokens.insert().values(
        token_hash=hash_token(token), role="facility", facility_id=facility_id, created_at=datetime.now(timezone.utc)))
    unit.emit(FacilityTokenChanged(token_hash=hash_token(token), facility_id=facility_id),
              event_id=uuid.uuid5(_NS, f"token:{hash_token(token)}:issued"))
    return token


async def revoke_token(unit: Unit, token_hash: str) -> bool:
    """Revoke a facility token by its hash; True when it was active."""
    t = models.tokens
    row = (await unit.session.execute(
        select(t.c.facility_id, t.c.role).where(t.c.token_hash == token_hash, t.c.revoked_at.is_(None)))).first()
    if row is None:
        return False
    await unit.session.execute(update(t).where(t.c.token_hash == token_hash).values(revoked_at=datetime.now(timezone.utc)))
    facility_id = row.facility_id
    if row.role != "facility":
        return True
    unit.emit(FacilityTokenChanged(token_hash=token_hash, facility_id=facility_id, revoked=True),
              event_id=uuid.uuid5(_NS, f"token:{token_hash}:revoked"))
    return True


async def token_facility(session: AsyncSession, token: str) -> str | None:
    """The facility of a valid, unrevoked facility token."""
    return await session.scalar(
        select(models.tokens.c.facility_id).where(
            models.tokens.c.token_hash == hash_token(token), models.tokens.c.revoked_at.is_(None),
            models.tokens.c.role == "facility",
        )
    )


async def issue_admin_token(session: AsyncSession, region: str) -> str:
    """A district administrator token: may load facilities and targets inside ``region``."""
    token = "jja_" + secrets.token_urlsafe(32)
    await session.execute(models.tokens.insert().values(
        token_hash=hash_token(token), role="admin", region=region, created_at=datetime.now(timezone.utc)))
    return token


async def admin_region(session: AsyncSession, token: str) -> str | None:
    """The region of a valid, unrevoked admin token."""
    return await session.scalar(
        select(models.tokens.c.region).where(
            models.tokens.c.token_hash == hash_token(token), models.tokens.c.revoked_at.is_(None),
            models.tokens.c.role == "admin",
        )
    )


def outside_region(rows: list[dict], region: str) -> list[dict]:
    """Field errors for rows whose village lies outside an admin token's region."""
    return [
        {"line": r["line"], "field": "village_code", "msg": f"outside the token's region {region}"}
        for r in rows
        if not (r["village_code"] == region or r["village_code"].startswith(region + "."))
    ]


class CsvImportError(ValueError):
    """A CSV that was rejected whole; ``errors`` name line and field."""

    def __init__(self, errors: list[dict]) -> None:
        super().__init__(f"{len(errors)} error(s) in CSV")
        self.errors = errors


def parse_facilities_csv(text: str, regions: RegionIndex) -> list[dict]:
    """Validate every row of a facilities CSV; raise CsvImportError listing line and field."""
    reader = csv.DictReader(io.StringIO(text))
    expected = ["facility_id", "name", "type", "parent_id", "village_code", "capabilities"]
    if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != expected:
        raise CsvImportError([{"line": 1, "field": "header", "msg": f"header must be {','.join(expected)}"}])
    rows, errors, seen = [], [], set()
    for line, row in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in row.items() if k}
        fid = row["facility_id"]
        if not fid:
            errors.append({"line": line, "field": "facility_id", "msg": "required"})
        elif fid in seen:
            errors.append({"line": line, "field": "facility_id", "msg": "duplicate in file"})
        seen.add(fid)
        if not row["name"]:
            errors.append({"line": line, "field": "name", "msg": "required"})
        if row["type"] not in FACILITY_TYPES:
            errors.append({"line": line, "field": "type", "msg": f"must be one of {', '.join(FACILITY_TYPES)}"})
        if not VILLAGE_CODE_RE.match(row["village_code"]) or row["village_code"] not in regions:
            errors.append({"line": line, "field": "village_code", "msg": "unknown Kemendagri village code"})
        rows.append({
            "facility_id": fid, "name": row["name"], "type": row["type"], "parent_id": row["parent_id"] or None,
            "village_code": row["village_code"],
            "capabilities": ";".join(sorted({c.strip() for c in row["capabilities"].split(";") if c.strip()})),
            "line": line,
        })
    if errors:
        raise CsvImportError(errors)
    return rows


LEVEL = {"posyandu": 0, "pustu": 1, "puskesmas": 2, "rs": 3}


async def import_facilities(unit: Unit, rows: list[dict]) -> dict[str, int]:
    """Upsert facilities all-or-nothing; emit ``facility registered`` for every change.

    A parent must exist (in the file or already registered) and sit at a higher level
    (Posyandu -> Pustu or Puskesmas -> Puskesmas -> hospital).
    """
    session = unit.session
    t = models.facilities
    existing = {r["facility_id"]: r for r in (await session.execute(select(t))).mappings().all()}
    types = {k: v["type"] for k, v in existing.items()} | {r["facility_id"]: r["type"] for r in rows}
    errors = []
    for r in rows:
        parent = r["parent_id"]
        if parent is None:
            continue
        if parent not in types:
            errors.append({"line": r["line"], "field": "parent_id", "msg": f"unknown parent {parent}"})
        elif LEVEL[types[parent]] <= LEVEL[r["type"]]:
            errors.append({"line": r["line"], "field": "parent_id",
                           "msg": f"a {r['type']} cannot sit under a {types[parent]}"})
    if errors:
        raise CsvImportError(errors)
    now = datetime.now(timezone.utc)
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for r in rows:
        values = {k: r[k] for k in ("name", "type", "parent_id", "village_code", "capabilities")}
        old = existing.get(r["facility_id"])
        if old is not None and all(old[k] == v for k, v in values.items()) and old["active"]:
            counts["unchanged"] += 1
            continue
        revision = (old["revision"] + 1) if old is not None else 1
        if old is None:
            await session.execute(t.insert().values(facility_id=r["facility_id"], active=True, revision=revision,
                                                    updated_at=now, **values))
            counts["created"] += 1
        else:
            await session.execute(t.update().where(t.c.facility_id == r["facility_id"]).values(
                active=True, revision=revision, updated_at=now, **values))
            counts["updated"] += 1
        event = _facility_event({**values, "facility_id": r["facility_id"], "active": True, "revision": revision})
        unit.emit(event, event_id=uuid.uuid5(_NS, f"facility:{r['facility_id']}:{revision}"))
    return counts


def parse_targets_csv(text: str, regions: RegionIndex) -> list[dict]:
    """Validate a targets CSV (``village_code,year,target,count``); raise CsvImportError."""
    reader = csv.DictReader(io.StringIO(text))
    expected = ["village_code", "year", "target", "count"]
    if reader.fieldnames is None or [f.strip() for f in reader.fieldnames] != expected:
        raise CsvImportError([{"line": 1, "field": "header", "msg": f"header must be {','.join(expected)}"}])
    rows, errors = [], []
    for line, row in enumerate(reader, start=2):
        row = {k: (v or "").strip() for k, v in row.items() if k}
        if row["village_code"] not in regions or not VILLAGE_CODE_RE.match(row["village_code"]):
            errors.append({"line": line, "field": "village_code", "msg": "unknown Kemendagri village code"})
        if row["target"] not in TARGET_GROUPS:
            errors.append({"line": line, "field": "target", "msg": f"must be one of {', '.join(TARGET_GROUPS)}"})
        for name, low, high in (("year", 2000, 2100), ("count", 0, 10_000_000)):
            try:
                value = int(row[name])
                if not low <= value <= high:
                    raise ValueError
                row[name] = value
            except ValueError:
                errors.append({"line": line, "field": name, "msg": f"must be an integer from {low} to {high}"})
        rows.append(row)
    if errors:
        raise CsvImportError(errors)
    return rows


async def import_targets(unit: Unit, rows: list[dict]) -> dict[str, int]:
    """Upsert targets; emit ``target set`` for every change."""
    t = models.targets
    counts = {"changed": 0, "unchanged": 0}
    for r in rows:
        key = (t.c.village_code == r["village_code"]) & (t.c.year == r["year"]) & (t.c.target == r["target"])
        old = await unit.session.scalar(select(t.c.count).where(key))
        if old == r["count"]:
            counts["unchanged"] += 1
            continue
        if old is None:
            await unit.session.execute(t.insert().values(**r))
        else:
            await unit.session.execute(t.update().where(key).values(count=r["count"]))
        counts["changed"] += 1
        unit.emit(TargetSet(**r), event_id=uuid.uuid5(_NS, f"target:{r['village_code']}:{r['year']}:{r['target']}:{r['count']}"))
    return counts
