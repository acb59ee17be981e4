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
from sqlalchemy import bindparam, case, func, select, update
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
        return (await self.record_many(unit, [raw], token_facility=token_facility))[0]

    async def record_many(
        self, unit: Unit, raws: list[Any], *, token_facility: str | None | list[str | None]
    ) -> list[Outcome]:
        """Validate and record visits in order, with set-based SQL; one outcome per item.

        ``token_facility`` is the submitting token's facility (None: trusted Kafka intake), or one
        per item when requests of several tokens are recorded together. The same ``visit_id`` twice
        (in the database or earlier in the list) is a duplicate; a person seen twice keeps the
        values of their latest visit.
        """
        now = datetime.now(timezone.utc)
        scopes = token_facility if isinstance(token_facility, list) else [token_facility] * len(raws)
        outcomes: list[Outcome | None] = []
        accepted: list[tuple[int, IntakeVisit, FacilityRegistered, list[str]]] = []
        for index, raw in enumerate(raws):
            checked = await self._check(unit.session, raw, scopes[index], now)
            if isinstance(checked, Outcome):
                outcomes.append(checked)
            else:
                outcomes.append(None)
                accepted.append((index, *checked))
        if accepted:
            await self._store(unit, accepted, outcomes, now)
        return [o for o in outcomes if o is not None]

    async def _check(self, session: AsyncSession, raw: Any, token_facility: str | None, now: datetime):  # noqa: ANN202
        """An ``Outcome`` for a rejected visit, else ``(visit, facility, warnings)``."""
        visit_id = raw.get("visit_id") if isinstance(raw, dict) else None
        visit_id = visit_id if isinstance(visit_id, str) else None
        try:
            visit = IntakeVisit.model_validate(raw)
        except ValidationError as exc:
            return Outcome(visit_id, "rejected", errors=_errors_of(exc))
        errors = domain.check_time(visit, now, timedelta(seconds=self.settings.future_tolerance_seconds))
        facility = await self.facilities.get(session, visit.facility_id)
        if facility is None:
            errors.append(domain.FieldError(("facility_id",), f"unknown facility {visit.facility_id}"))
        elif token_facility is not None and not domain.in_scope(token_facility, visit.facility_id, self.facilities.parents):
            return Outcome(str(visit.visit_id), "rejected", forbidden=True,
                           errors=[{"loc": ["facility_id"], "msg": "facility outside the token's scope"}])
        if visit.person.village_code not in self.regions:
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
        return visit, facility, warnings

    def _person_id(self, visit: IntakeVisit) -> str:
        p = visit.person
        if p.nik:
            return domain.person_id_for_nik(p.nik, self.secret)
        return domain.provisional_child_id(p.mother_nik or "", p.birth_date, p.sex, self.secret)

    async def _store(self, unit: Unit, accepted: list, outcomes: list, now: datetime) -> None:  # noqa: ANN001
        session = unit.session
        v, t = models.visits, models.persons
        ids = [str(visit.visit_id) for _, visit, _, _ in accepted]
        known = dict((await session.execute(select(v.c.visit_id, v.c.person_id).where(v.c.visit_id.in_(ids)))).all())
        fresh = []
        for index, visit, facility, warnings in accepted:
            vid = str(visit.visit_id)
            if vid in known:
                outcomes[index] = Outcome(vid, "duplicate", person_id=known[vid])
                continue
            person_id = self._person_id(visit)
            known[vid] = person_id
            fresh.append((index, visit, facility, warnings, person_id))
        if not fresh:
            return
        latest: dict[str, IntakeVisit] = {}
        for _, visit, _, _, person_id in fresh:
            if person_id not in latest or visit.occurred_at >= latest[person_id].occurred_at:
                latest[person_id] = visit
        rows = (await session.execute(select(t.c.person_id, t.c.last_visit_at).where(t.c.person_id.in_(list(latest))))).all()
        existing = {r.person_id: r.last_visit_at for r in rows}
        inserts, updates = [], []
        for person_id, visit in latest.items():
            p = visit.person
            values = {"nik": p.nik, "mother_nik": p.mother_nik, "name": p.name, "sex": p.sex, "birth_date": p.birth_date,
                      "village_code": p.village_code, "updated_at": now, "last_visit_at": visit.occurred_at}
            if person_id not in existing:
                inserts.append({"person_id": person_id, "created_at": now, **values})
            elif existing[person_id] is None or _aware(existing[person_id]) <= visit.occurred_at:
                updates.append({"pid": person_id, **values})
        if inserts:
            await session.execute(t.insert(), inserts)
        if updates:
            await session.execute(t.update().where(t.c.person_id == bindparam("pid")), updates)
        await self._link_children(unit, [visit for _, visit, _, _, _ in fresh])
        visit_rows = []
        for index, visit, facility, warnings, person_id in fresh:
            event = domain.recorded_visit(visit, person_id=person_id, facility=facility, recorded_at=now,
                                          data_quality=warnings)
            visit_rows.append({"visit_id": str(visit.visit_id), "person_id": person_id, "facility_id": visit.facility_id,
                               "occurred_at": visit.occurred_at, "recorded_at": now, "stage": event.stage,
                               "data_quality": ";".join(warnings)})
            unit.emit(event, event_id=visit.visit_id)
            outcomes[index] = Outcome(str(visit.visit_id), "recorded", person_id=person_id)
        await session.execute(v.insert(), visit_rows)

    async def _link_children(self, unit: Unit, visits: list[IntakeVisit]) -> None:
        """A child's provisional id (mother's NIK) is linked once the child's own NIK appears."""
        t = models.persons
        candidates = {}
        for visit in visits:
            p = visit.person
            if p.nik and p.mother_nik:
                provisional = domain.provisional_child_id(p.mother_nik, p.birth_date, p.sex, self.secret)
                candidates.setdefault(provisional, (domain.person_id_for_nik(p.nik, self.secret), visit.occurred_at))
        if not candidates:
            return
        unlinked = (await unit.session.execute(
            select(t.c.person_id).where(t.c.person_id.in_(list(candidates)), t.c.linked_to.is_(None)))).scalars().all()
        for provisional in unlinked:
            person_id, at = candidates[provisional]
            await unit.session.execute(update(t).where(t.c.person_id == provisional).values(linked_to=person_id))
            unit.emit(PersonLinked(person_id=person_id, previous_person_id=provisional, linked_at=at),
                      event_id=uuid.uuid5(_NS, f"link:{provisional}:{person_id}"))


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


async def data_quality_by_facility(session: AsyncSession) -> dict[str, dict[str, int]]:
    """Per facility: visits recorded and visits with a NIK data-quality warning."""
    v = models.visits
    rows = await session.execute(
        select(v.c.facility_id, func.count(), func.sum(case((v.c.data_quality != "", 1), else_=0)))
        .group_by(v.c.facility_id)
    )
    return {facility: {"visits": int(total), "warnings": int(flagged or 0)} for facility, total, flagged in rows}


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
